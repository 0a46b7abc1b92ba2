"""Parties: only the actors bound to an instance act in a closed role; invitations, removals and hand-overs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import attrs
import pytest

import just_workflow as jw
from fixtures import BRUNO, DEFINITIONS, SME_STEPS
from just_workflow.audit.report import ProblemKind
from just_workflow.step import step_with
from just_workflow.testing import TickingClock

SME = jw.load_definition(DEFINITIONS / "sme_approaching_hei.yaml")
WBL = jw.load_definition(DEFINITIONS / "wbl_placement.yaml")
ERASMUS = jw.load_definition(DEFINITIONS / "erasmus_partnership.yaml")

ANNA = jw.Actor("anna", "sme")

CARLA = jw.Actor("carla", "career_services")
CIRO = jw.Actor("ciro", "career_services")  # a colleague in the same office
DARIO = jw.Actor("dario", "department")
DORA = jw.Actor("dora", "department")


@pytest.fixture
def engine() -> jw.Engine:
    """An engine on the bundled protocols."""
    return jw.Engine([SME, WBL, ERASMUS], clock=TickingClock())


def routed(engine: jw.Engine) -> jw.Instance:
    """Anna's request, routed by career services to the department; Dario not yet invited."""
    inst = engine.start("sme_approaching_hei", ANNA, instance_id="r1")
    engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    return engine.fire(inst.id, "route_request", CARLA, {"departments": ["informatics"]})


def test_the_starter_is_bound_and_another_sme_is_refused(engine: jw.Engine) -> None:
    """Bruno has Anna's role but not her request: NotAParty, naming him and the parties, and nothing written."""
    inst = engine.start("sme_approaching_hei", ANNA, instance_id="r1")
    assert inst.parties == {"sme": ("anna",)}
    with pytest.raises(jw.NotAParty) as refused:
        engine.fire(inst.id, "contact_career_services", BRUNO, SME_STEPS["contact_career_services"])
    assert str(refused.value) == (
        "'bruno' is not a party to this instance as 'sme' (its sme parties: anna); "
        "only they may fire 'contact_career_services'."
    )
    assert (refused.value.actor_id, refused.value.parties) == ("bruno", ("anna",))
    assert isinstance(refused.value, jw.NotAuthorized) and isinstance(refused.value, jw.Refusal)
    assert engine.get(inst.id) == inst and len(engine.history(inst.id)) == 1


def test_any_actor_of_an_open_role_acts(engine: jw.Engine) -> None:
    """Career services is an office: Carla routes one request, Ciro invites on it; neither is bound."""
    inst = routed(engine)
    inst = engine.invite(inst.id, role="department", actor_id="dario", by=CIRO)
    assert inst.parties == {"sme": ("anna",), "department": ("dario",)}


def test_an_invited_party_acts_and_others_of_the_role_do_not(engine: jw.Engine) -> None:
    """Once Dario is invited, he defines the fields; Dora, of the same role, is not a party."""
    inst = engine.invite(routed(engine).id, role="department", actor_id="dario", by=CARLA, expected_seq=3)
    event = engine.history(inst.id)[-1]
    assert (event.kind, event.trigger, event.payload, event.source, event.target) == (
        "party",
        "invite",
        {"role": "department", "party": "dario"},
        "defining",
        "defining",
    )
    engine.fire(inst.id, "define_fields", DARIO, {"fields_of_collaboration": ["ai"]})
    with pytest.raises(jw.NotAParty, match="'dora' is not a party to this instance as 'department'"):
        engine.fire(inst.id, "define_fields", DORA, {"fields_of_collaboration": ["iot"]})


@pytest.mark.parametrize(
    ("by", "payload", "error", "message"),
    [
        (ANNA, {"role": "department", "party": "dario"}, jw.NotAuthorized, "Role 'sme' may not invite a party of 'department'; roles that may: career_services"),
        (CARLA, {"role": "career_services", "party": "ciro"}, jw.InvalidPayload, "role 'career_services' is open: any actor with it acts, none is bound"),
        (CARLA, {"role": "dean", "party": "x"}, jw.InvalidPayload, "role 'dean' is not a role of this protocol"),
        (CARLA, {"role": "department", "party": "anna"}, jw.InvalidPayload, "'anna' is already a party as 'sme'; an actor holds one role per instance"),
        (CARLA, {"role": "department"}, jw.InvalidPayload, "required input 'party' is missing"),
        (CARLA, {"role": "department", "party": 7}, jw.InvalidPayload, "input 'party' must be a non-empty string, got 7"),
        (CARLA, {"role": "department", "party": "dario", "note": "x"}, jw.InvalidPayload, "unknown input 'note'; 'invite' takes: role, party"),
    ],
)  # fmt: skip
def test_an_invitation_that_is_not_allowed_is_refused(
    engine: jw.Engine, by: jw.Actor, payload: dict[str, object], error: type[jw.Refusal], message: str
) -> None:
    """Who may invite, into which role, whom: each rule refuses with its own reason, and writes nothing."""
    inst = routed(engine)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.fire(inst.id, "invite", by, payload)
    assert engine.get(inst.id) == inst


def test_an_invitation_in_a_final_state_is_not_available(engine: jw.Engine) -> None:
    """A final state accepts no trigger, the party triggers included."""
    inst = engine.start("sme_approaching_hei", ANNA)
    inst = engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    inst = engine.fire(inst.id, "decline", CARLA, {"reason": "no department fits"})
    with pytest.raises(jw.TransitionNotAllowed, match="is final"):
        engine.invite(inst.id, role="department", actor_id="dario", by=CARLA)


def test_a_party_is_removed_by_who_may_invite_or_by_themselves(engine: jw.Engine) -> None:
    """Career services unbind Dario; Dora leaves by herself; the starter, whom nobody may bind, stays."""
    inst = engine.invite(routed(engine).id, role="department", actor_id="dario", by=CARLA)
    inst = engine.remove_party(inst.id, role="department", actor_id="dario", by=CIRO)
    assert "department" not in inst.parties
    inst = engine.invite(inst.id, role="department", actor_id="dora", by=CARLA)
    inst = engine.remove_party(inst.id, role="department", actor_id="dora", by=DORA)
    assert "department" not in inst.parties
    with pytest.raises(
        jw.InvalidPayload, match="'anna' is the last party as 'sme', which nobody may bind again"
    ):
        engine.remove_party(inst.id, role="sme", actor_id="anna", by=ANNA)
    with pytest.raises(jw.NotAuthorized, match="Role 'sme' may not remove a party of 'department'"):
        engine.fire(inst.id, "remove_party", ANNA, {"role": "department", "party": "dario"})


def test_a_party_hands_over_and_their_signature_is_withdrawn(engine: jw.Engine) -> None:
    """Anna signs, then hands her place to Beatrice: the signature goes with her, Beatrice signs anew."""
    inst = engine.invite(routed(engine).id, role="department", actor_id="dario", by=CARLA)
    for trigger in ("define_interest", "define_offer", "define_fit", "define_ways"):
        engine.fire(inst.id, trigger, ANNA, SME_STEPS[trigger])
    engine.fire(inst.id, "define_fields", DARIO, {"fields_of_collaboration": ["ai"]})
    engine.fire(inst.id, "draft_agreement", DARIO, SME_STEPS["draft_agreement"])
    inst = engine.fire(inst.id, "sign_moa", ANNA)
    assert inst.signatures == {"sign_moa": {"sme": ("anna",)}}
    inst = engine.replace_party(inst.id, role="sme", actor_id="anna", new_actor_id="beatrice", by=ANNA)
    assert (inst.parties["sme"], dict(inst.signatures)) == (("beatrice",), {})
    with pytest.raises(jw.NotAParty):
        engine.fire(inst.id, "sign_moa", ANNA)
    engine.fire(inst.id, "sign_moa", jw.Actor("beatrice", "sme"))
    assert engine.fire(inst.id, "sign_moa", DARIO).state == "moa_signed"
    assert engine.verify(inst.id).ok


def test_a_student_joins_by_applying_and_is_then_the_only_student(engine: jw.Engine) -> None:
    """`joins`: the first student who applies is bound; another student is not a party afterwards."""
    mentor = jw.Actor("mia", "sme_mentor")
    inst = engine.start("wbl_placement", mentor)
    inst = engine.fire(inst.id, "offer_placement", mentor, {"position": "data intern"})
    inst = engine.fire(inst.id, "apply", jw.Actor("sara", "student"), {"motivation": "I like data"})
    assert inst.parties["student"] == ("sara",)
    with pytest.raises(jw.NotAParty, match="'tom' is not a party to this instance as 'student'"):
        engine.fire(inst.id, "withdraw", jw.Actor("tom", "student"))


def test_every_partner_signs_the_consortium_and_one_actor_signs_for_one_role(engine: jw.Engine) -> None:
    """`every_party`: the consortium forms with the last partner's signature; the coordinator cannot sign as one."""
    coordinator = jw.Actor("cora", "coordinator")
    inst = engine.start("erasmus_partnership", coordinator)
    inst = engine.fire(inst.id, "invite_partners", coordinator, {"partner_organisations": ["Uni A", "SME B"]})
    for partner in ("pia", "pablo"):
        inst = engine.invite(inst.id, role="partner", actor_id=partner, by=coordinator)
    inst = engine.fire(inst.id, "form_consortium", coordinator)
    inst = engine.fire(inst.id, "form_consortium", jw.Actor("pia", "partner"))
    assert inst.state == "consortium_forming"
    options = {o.trigger: o for o in engine.options(inst.id, jw.Actor("pablo", "partner"))}
    assert options["form_consortium"].allowed and options["form_consortium"].pending == ("partner",)
    with pytest.raises(jw.NotAuthorized, match="'pia' has already signed 'form_consortium'"):
        engine.fire(inst.id, "form_consortium", jw.Actor("pia", "partner"))
    assert engine.fire(inst.id, "form_consortium", jw.Actor("pablo", "partner")).state == "consortium_formed"


def test_options_say_who_is_not_a_party_and_offer_invitations(engine: jw.Engine) -> None:
    """A non-party sees why not; an office that binds parties sees the party triggers."""
    inst = routed(engine)
    bruno = {o.trigger: o for o in engine.options(inst.id, BRUNO)}
    assert bruno["define_interest"].reasons == ("'bruno' is not a party to this instance as 'sme'",)
    assert "invite" not in bruno
    carla = {o.trigger: o for o in engine.options(inst.id, CARLA)}
    assert carla["invite"].allowed and carla["invite"].inputs == ("role", "party")
    assert carla["remove_party"].reasons == ("no party of department is bound yet",)


def test_replay_reports_an_event_by_a_non_party_at_its_seq(engine: jw.Engine) -> None:
    """A chain whose event was fired by an actor not bound then is refused by replay with `not_a_party`."""
    inst = routed(engine)
    table = engine.table("sme_approaching_hei")
    forged_before = attrs.evolve(inst, parties={**inst.parties, "sme": ("anna", "bruno")})
    _, forged = step_with(
        table,
        forged_before,
        "define_interest",
        BRUNO,
        SME_STEPS["define_interest"],
        "2026-01-01T00:00:00+00:00",
    )
    report = jw.replay([*engine.history(inst.id), forged], [SME])
    (problem,) = report.problems
    assert (problem.kind, problem.seq) == (ProblemKind.NOT_A_PARTY, 4)


def test_a_change_of_parties_withdraws_the_signatures_and_no_sign_off_waits_for_who_left(
    engine: jw.Engine,
) -> None:
    """A partner leaves mid sign-off: every signature is withdrawn, and the others' new ones complete it."""
    coordinator = jw.Actor("cora", "coordinator")
    inst = engine.start("erasmus_partnership", coordinator)
    inst = engine.fire(inst.id, "invite_partners", coordinator, {"partner_organisations": ["Uni A", "SME B"]})
    for partner in ("pia", "pablo"):
        inst = engine.invite(inst.id, role="partner", actor_id=partner, by=coordinator)
    engine.fire(inst.id, "form_consortium", coordinator)
    inst = engine.fire(inst.id, "form_consortium", jw.Actor("pia", "partner"))
    inst = engine.remove_party(inst.id, role="partner", actor_id="pablo", by=coordinator)
    assert dict(inst.signatures) == {}
    engine.fire(inst.id, "form_consortium", coordinator)
    assert engine.fire(inst.id, "form_consortium", jw.Actor("pia", "partner")).state == "consortium_formed"


def test_a_bound_party_is_offered_to_leave_or_hand_over(engine: jw.Engine) -> None:
    """Anna invites nobody, but may hand her place over: options show remove_party and replace_party to her."""
    inst = routed(engine)
    anna = {o.trigger: o for o in engine.options(inst.id, ANNA)}
    assert "invite" not in anna
    assert anna["replace_party"].allowed and anna["replace_party"].title == "Replace party: sme"
    assert anna["remove_party"].reasons == ("'anna' is the last party as 'sme', which nobody may bind again",)
    assert "replace_party" not in {o.trigger for o in engine.options(inst.id, BRUNO)}


def test_hooks_get_copies_that_cannot_reach_the_store(engine: jw.Engine) -> None:
    """A hook that changes the snapshot it is given changes its copy only."""

    def meddle(instance: jw.Instance, _event: jw.Event) -> None:
        object.__setattr__(instance, "state", "withdrawn")

    engine.after_fire(meddle)
    inst = routed(engine)
    assert engine.get(inst.id).state == "defining" and engine.verify(inst.id).ok


def test_verify_finds_a_party_written_into_a_stored_snapshot(tmp_path: Path) -> None:
    """Bruno added to the parties in the database by hand: the snapshot no longer matches its history."""
    engine = jw.Engine([SME], store=jw.SQLiteStore(tmp_path / "p.db"), clock=TickingClock())
    inst = routed(engine)
    with sqlite3.connect(tmp_path / "p.db") as conn:
        conn.execute("UPDATE instances SET parties = ? WHERE id = ?", ('{"sme":["anna","bruno"]}', inst.id))
    fresh = jw.Engine([SME], store=jw.SQLiteStore(tmp_path / "p.db"))
    (problem,) = fresh.verify(inst.id).problems
    assert problem.kind is ProblemKind.SNAPSHOT_MISMATCH and "parties" in problem.message
