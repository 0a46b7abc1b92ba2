"""The bundled MoA and placement protocols run their real-world exits: re-routing, lapsing, amending, expiring, failing."""

from __future__ import annotations

import datetime

import pytest

import just_workflow as jw
from fixtures import DEFINITIONS, SME_STEPS
from just_workflow.testing import TickingClock

ANNA = jw.Actor("anna", "sme")
CARLA = jw.Actor("carla", "career_services")
DARIO = jw.Actor("dario", "department")
DORA = jw.Actor("dora", "department")
HUGO = jw.Actor("hugo", "hei")
SARA = jw.Actor("sara", "sme")
MIRA = jw.Actor("mira", "sme_mentor")
TINA = jw.Actor("tina", "hei_tutor")
SOFIA = jw.Actor("sofia", "student")
TOMAS = jw.Actor("tomas", "student")


def at(day: str) -> datetime.datetime:
    """Midnight UTC of ``day`` (YYYY-MM-DD)."""
    return datetime.datetime.fromisoformat(f"{day}T00:00:00+00:00")


@pytest.fixture
def clock() -> TickingClock:
    """The engine's clock, moved on by the tests."""
    return TickingClock()


@pytest.fixture
def engine(clock: TickingClock) -> jw.Engine:
    """An engine on every bundled protocol."""
    return jw.Engine(jw.load_definitions(DEFINITIONS), clock=clock)


def signed_sme_memorandum(engine: jw.Engine) -> jw.Instance:
    """Anna's request to the end of the seed: routed to two departments, defined, drafted, signed by all three."""
    inst = engine.start("sme_approaching_hei", ANNA)
    engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    engine.fire(inst.id, "route_request", CARLA, {"departments": ["informatics", "economics"]})
    engine.invite(inst.id, role="department", actor_id="dario", by=CARLA)
    engine.invite(inst.id, role="department", actor_id="dora", by=CARLA)
    for trigger in ("define_interest", "define_offer", "define_fit", "define_ways"):
        engine.fire(inst.id, trigger, ANNA, SME_STEPS[trigger])
    engine.fire(inst.id, "define_fields", DARIO, {"fields_of_collaboration": ["data analytics"]})
    engine.fire(inst.id, "draft_agreement", DARIO, SME_STEPS["draft_agreement"])
    engine.fire(inst.id, "sign_moa", ANNA)
    inst = engine.fire(inst.id, "sign_moa", DARIO)
    assert (inst.state, inst.signatures["sign_moa"]["department"]) == ("agreement_drafted", ("dario",))
    return engine.fire(inst.id, "sign_moa", DORA)


def test_sme_every_routed_department_signs_the_memorandum(engine: jw.Engine) -> None:
    """One department's signature is not enough when the request went to two; the last one signs it."""
    inst = signed_sme_memorandum(engine)
    assert inst.state == "moa_signed"
    assert inst.context["hei_signatory"] == "Ivan Kral, dean"


def test_sme_request_is_rerouted_while_defining(engine: jw.Engine) -> None:
    """Career services direct the request again from `defining`: the departments change, the state stays."""
    inst = engine.start("sme_approaching_hei", ANNA)
    engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    engine.fire(inst.id, "route_request", CARLA, {"departments": ["law"]})
    inst = engine.fire(inst.id, "route_request", CARLA, {"departments": ["informatics"]})
    assert (inst.state, inst.context["departments"]) == ("defining", ("informatics",))


def test_sme_first_contact_says_what_the_sme_seeks(engine: jw.Engine) -> None:
    """A first contact with no purpose is refused, naming the missing input."""
    inst = engine.start("sme_approaching_hei", ANNA)
    with pytest.raises(jw.InvalidPayload, match="required input 'purpose' is missing"):
        engine.fire(inst.id, "contact_career_services", ANNA)


def test_sme_unanswered_request_lapses_after_thirty_days(engine: jw.Engine, clock: TickingClock) -> None:
    """The clock fires `lapse` 30 days after the contact, not a day before."""
    inst = engine.start("sme_approaching_hei", ANNA)
    inst = engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    contacted = datetime.datetime.fromisoformat(engine.history(inst.id)[-1].at)
    assert engine.due(contacted + datetime.timedelta(days=29)) == []
    (due,) = engine.due(contacted + datetime.timedelta(days=30))
    assert due.trigger == "lapse"
    clock.advance_to(contacted + datetime.timedelta(days=30))
    engine.tick()
    assert engine.get(inst.id).state == "lapsed"


def test_sme_memorandum_is_amended_renewed_and_expires(engine: jw.Engine, clock: TickingClock) -> None:
    """A renewal signed by all moves the expiry to its new date; the memorandum expires the day after it."""
    inst = signed_sme_memorandum(engine)
    inst = engine.fire(
        inst.id,
        "propose_amendment",
        DORA,
        {"amendment": "renewed for two years", "valid_until": "2031-12-31"},
    )
    assert inst.state == "amendment_proposed"
    for signer in (ANNA, DARIO, DORA):
        inst = engine.fire(inst.id, "sign_amendment", signer)
    assert inst.state == "moa_signed"
    assert engine.due(at("2030-01-01")) == []
    (due,) = engine.due(at("2032-01-01"))
    assert due.trigger == "expire"
    clock.advance_to(at("2032-01-01"))
    engine.tick()
    assert engine.get(inst.id).state == "moa_expired"


def test_sme_memorandum_is_terminated_with_a_reason(engine: jw.Engine) -> None:
    """Either side ends a signed memorandum, and must say why."""
    inst = signed_sme_memorandum(engine)
    with pytest.raises(jw.InvalidPayload, match="required input 'reason' is missing"):
        engine.fire(inst.id, "terminate", ANNA)
    assert engine.fire(inst.id, "terminate", ANNA, {"reason": "the SME closed"}).state == "terminated"


def test_sme_career_services_cannot_decline_a_drafted_memorandum(engine: jw.Engine) -> None:
    """Once the memorandum is drafted, only the department it was directed to declines."""
    inst = engine.start("sme_approaching_hei", ANNA)
    engine.fire(inst.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    engine.fire(inst.id, "route_request", CARLA, {"departments": ["informatics"]})
    engine.invite(inst.id, role="department", actor_id="dario", by=CARLA)
    for trigger in ("define_interest", "define_offer", "define_fit", "define_ways"):
        engine.fire(inst.id, trigger, ANNA, SME_STEPS[trigger])
    engine.fire(inst.id, "define_fields", DARIO, {"fields_of_collaboration": ["ai"]})
    inst = engine.fire(inst.id, "draft_agreement", DARIO, SME_STEPS["draft_agreement"])
    with pytest.raises(jw.NotAuthorized, match="roles that may: department"):
        engine.fire(inst.id, "decline", CARLA, {"reason": "late"})
    assert engine.fire(inst.id, "decline", DARIO, {"reason": "no capacity"}).state == "declined"


def test_hei_contact_is_passed_on_to_another_department(engine: jw.Engine) -> None:
    """HR passes the contact on to top management without a restart; the contact carried the HEI's interest."""
    inst = engine.start("hei_approaching_sme", HUGO)
    inst = engine.fire(
        inst.id,
        "contact_departments",
        HUGO,
        {"sme_departments": ["human_resources"], "interest": "traineeships in logistics"},
    )
    inst = engine.invite(inst.id, role="sme", actor_id="sara", by=HUGO)
    inst = engine.fire(
        inst.id, "contact_departments", SARA, {"sme_departments": ["human_resources", "top_management"]}
    )
    assert (inst.state, inst.context["sme_departments"]) == (
        "contacted",
        ("human_resources", "top_management"),
    )
    assert inst.context["interest"] == "traineeships in logistics"


def test_hei_unanswered_contact_lapses(engine: jw.Engine, clock: TickingClock) -> None:
    """An SME that never answers: the contact lapses 30 days on."""
    inst = engine.start("hei_approaching_sme", HUGO)
    engine.fire(
        inst.id, "contact_departments", HUGO, {"sme_departments": ["marketing"], "interest": "a project"}
    )
    contacted = datetime.datetime.fromisoformat(engine.history(inst.id)[-1].at)
    clock.advance_to(contacted + datetime.timedelta(days=30))
    engine.tick()
    assert engine.get(inst.id).state == "lapsed"


def placement_in_progress(engine: jw.Engine) -> jw.Instance:
    """Mira's placement: offered, Sofia applied and was selected, the agreement signed, the placement started."""
    inst = engine.start("wbl_placement", MIRA)
    engine.invite(inst.id, role="hei_tutor", actor_id="tina", by=MIRA)
    engine.fire(inst.id, "offer_placement", MIRA, {"position": "data intern"})
    engine.fire(inst.id, "apply", SOFIA, {"motivation": "I like data"})
    engine.fire(inst.id, "select_student", MIRA)
    engine.fire(
        inst.id, "draft_learning_agreement", TINA, {"learning_objectives": ["ETL"], "end_date": "2026-09-30"}
    )
    for signer in (TINA, MIRA, SOFIA):
        engine.fire(inst.id, "sign_learning_agreement", signer)
    return engine.fire(inst.id, "start_placement", MIRA, {"start_date": "2026-04-01"})


def completed_placement(engine: jw.Engine) -> jw.Instance:
    """The placement completed without a mid-term review (none is required)."""
    inst = placement_in_progress(engine)
    return engine.fire(inst.id, "complete_placement", MIRA, {"mentor_evaluation": "reliable"})


def test_wbl_next_applicant_after_a_rejection(engine: jw.Engine) -> None:
    """A rejection reopens the offer; the mentor removes the applicant and another student applies."""
    inst = engine.start("wbl_placement", MIRA)
    engine.fire(inst.id, "offer_placement", MIRA, {"position": "data intern"})
    engine.fire(inst.id, "apply", TOMAS, {"motivation": "any job"})
    inst = engine.fire(inst.id, "reject_application", MIRA, {"reason": "no data skills"})
    assert inst.state == "offered"
    engine.remove_party(inst.id, role="student", actor_id="tomas", by=MIRA)
    inst = engine.fire(inst.id, "apply", SOFIA, {"motivation": "I like data"})
    assert (inst.state, inst.parties["student"]) == ("applied", ("sofia",))


def test_wbl_offer_closes_after_its_application_deadline(engine: jw.Engine, clock: TickingClock) -> None:
    """With no applicant by its date, the offer closes the day after; without a date it stays open."""
    dated = engine.start("wbl_placement", MIRA)
    engine.fire(
        dated.id, "offer_placement", MIRA, {"position": "intern", "application_deadline": "2026-05-15"}
    )
    open_ended = engine.start("wbl_placement", MIRA)
    engine.fire(open_ended.id, "offer_placement", MIRA, {"position": "intern"})
    assert engine.due(at("2026-05-15")) == []
    clock.advance_to(at("2026-05-16"))
    engine.tick()
    assert (engine.get(dated.id).state, engine.get(open_ended.id).state) == ("offer_closed", "offered")


def test_wbl_agreement_changes_during_the_placement(engine: jw.Engine) -> None:
    """New objectives mid-placement, signed by the three, and the placement goes on."""
    inst = placement_in_progress(engine)
    inst = engine.fire(
        inst.id, "propose_changes", TINA, {"changes": "adds dashboards", "learning_objectives": ["ETL", "BI"]}
    )
    for signer in (TINA, MIRA, SOFIA):
        inst = engine.fire(inst.id, "sign_changes", signer)
    assert (inst.state, inst.context["learning_objectives"]) == ("in_progress", ("ETL", "BI"))


@pytest.mark.parametrize(
    ("assessment", "trigger", "final"),
    [
        ({"grade": "30 e lode", "credits": 12, "result": "passed"}, "recognise_credits", "recognised"),
        ({"grade": "A", "credits": 0, "result": "passed"}, "recognise_credits", "recognised"),
        ({"grade": "4.5", "credits": 0, "result": "failed"}, "record_failure", "failed"),
    ],
    ids=["with-credits", "no-credits", "failed"],
)
def test_wbl_completed_placement_has_an_exit_for_every_outcome(
    engine: jw.Engine, assessment: dict[str, object], trigger: str, final: str
) -> None:
    """Graded on any scale, with 0 credits or a fail: every completed placement reaches a final state."""
    inst = completed_placement(engine)
    inst = engine.fire(inst.id, "assess_placement", TINA, assessment)
    assert engine.fire(inst.id, trigger, TINA).state == final


def test_wbl_failed_placement_is_not_recognised(engine: jw.Engine) -> None:
    """Recognition needs a passed result: the guard says so."""
    inst = completed_placement(engine)
    inst = engine.fire(inst.id, "assess_placement", TINA, {"grade": "F", "credits": 0, "result": "failed"})
    with pytest.raises(jw.GuardFailed, match="result"):
        engine.fire(inst.id, "recognise_credits", TINA)


def test_wbl_negative_credits_are_refused(engine: jw.Engine) -> None:
    """Credits are 0 or more."""
    inst = completed_placement(engine)
    with pytest.raises(jw.GuardFailed, match="credits"):
        engine.fire(inst.id, "assess_placement", TINA, {"grade": "B", "credits": -1, "result": "passed"})
