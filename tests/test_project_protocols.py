"""The four protocols drawn from project descriptions: the real situations that used to get stuck now have a way out.

Micro-credential co-design, VET peer exchange, social-enterprise placement and
the Erasmus+ partnership, run on the bundled definitions with a clock that
moves on to their deadlines.
"""

from __future__ import annotations

import datetime

import pytest

import just_workflow as jw
from fixtures import DEFINITIONS
from just_workflow.testing import TickingClock

NAMES = (
    "micro_credential_codesign",
    "vet_peer_exchange",
    "social_enterprise_placement",
    "erasmus_partnership",
)

HEI, SME, BOARD = jw.Actor("uni", "hei"), jw.Actor("firm", "sme"), jw.Actor("qa", "quality_board")
VET, PEER, PEER2 = jw.Actor("vet", "vet_provider"), jw.Actor("pia", "peer"), jw.Actor("pete", "peer")
COORD = jw.Actor("office", "community_coordinator")
SE, LEARNER = jw.Actor("se", "social_enterprise"), jw.Actor("lea", "participant")
LEAD, PARTNER, AGENCY = (
    jw.Actor("cora", "coordinator"),
    jw.Actor("pablo", "partner"),
    jw.Actor("na", "national_agency"),
)


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def engine(clock: TickingClock) -> jw.Engine:
    """An engine on the four bundled definitions, on a clock the test moves."""
    return jw.Engine([jw.load_definition(DEFINITIONS / f"{name}.yaml") for name in NAMES], clock=clock)


def after(day: str) -> datetime.datetime:
    """Noon of the day after ``day``: past a deadline ``{at: field, after: P1D}`` on that date."""
    return datetime.datetime.fromisoformat(day).replace(tzinfo=datetime.UTC) + datetime.timedelta(
        days=1, hours=12
    )


def fire_all(
    engine: jw.Engine, instance_id: str, *steps: tuple[str, jw.Actor, dict[str, object]]
) -> jw.Instance:
    inst = engine.get(instance_id)
    for trigger, actor, payload in steps:
        inst = engine.fire(instance_id, trigger, actor, payload)
    return inst


def approved_course(engine: jw.Engine) -> jw.Instance:
    """A course co-designed at half an ECTS credit and approved by the quality board."""
    inst = engine.start("micro_credential_codesign", HEI, instance_id="c1")
    engine.invite(inst.id, role="sme", actor_id=SME.id, by=HEI)
    return fire_all(
        engine,
        inst.id,
        ("propose_course", HEI, {"course_title": "Data for SMEs"}),
        ("define_learning_outcomes", SME, {"learning_outcomes": ["clean a dataset"]}),
        ("define_workload", HEI, {"ects_halves": 1}),
        ("define_assessment", HEI, {"assessment_method": "project"}),
        ("define_delivery_mode", SME, {"delivery_mode": "blended"}),
        ("approve_codesign", HEI, {}),
        ("approve_codesign", SME, {}),
        ("approve_quality", BOARD, {}),
    )


def test_a_course_run_with_no_learner_closes_and_the_design_runs_again(engine: jw.Engine) -> None:
    """0 learners is a result, not a dead end; the approved design is delivered again without a new review."""
    inst = approved_course(engine)
    inst = fire_all(
        engine,
        inst.id,
        ("start_delivery", HEI, {"delivery_start": "2026-03-01", "sme_contribution": "two workshops"}),
        ("assess_learners", HEI, {"learners_assessed": 0, "learners_passed": 0}),
        ("close_without_credentials", HEI, {}),
    )
    assert inst.state == "closed_without_credentials"
    inst = fire_all(engine, inst.id, ("schedule_next_run", SME, {}))
    assert inst.state == "approved"
    inst = fire_all(
        engine,
        inst.id,
        ("start_delivery", HEI, {"delivery_start": "2026-09-01"}),
        ("assess_learners", HEI, {"learners_assessed": 12, "learners_passed": 10}),
        ("issue_credentials", HEI, {}),
        ("retire_course", SME, {}),
    )
    assert inst.state == "retired"


def test_a_run_is_cancelled_mid_delivery_with_its_reason(engine: jw.Engine) -> None:
    inst = approved_course(engine)
    engine.fire(inst.id, "start_delivery", HEI, {"delivery_start": "2026-03-01"})
    with pytest.raises(jw.InvalidPayload, match="reason"):
        engine.fire(inst.id, "cancel_run", SME, {})
    inst = engine.fire(inst.id, "cancel_run", SME, {"reason": "the trainer left"})
    assert (inst.state, inst.context["reason"]) == ("run_cancelled", "the trainer left")


def test_no_workload_below_half_a_credit(engine: jw.Engine) -> None:
    inst = engine.start("micro_credential_codesign", HEI, instance_id="c2")
    engine.fire(inst.id, "propose_course", HEI, {"course_title": "x"})
    with pytest.raises(jw.GuardFailed):
        engine.fire(inst.id, "define_workload", HEI, {"ects_halves": 0})


def requested(engine: jw.Engine) -> jw.Instance:
    """A member's counselling request, matched with Pia, who must answer by 2026-02-01."""
    inst = engine.start("vet_peer_exchange", VET, instance_id="v1")
    inst = fire_all(
        engine,
        inst.id,
        ("apply_for_membership", VET, {"organisation": "VET Centre Kosice"}),
        ("approve_membership", COORD, {}),
        ("request_counselling", VET, {"topic": "digital workshops", "topic_area": "digitalisation"}),
    )
    engine.invite(inst.id, role="peer", actor_id=PEER.id, by=COORD)
    return engine.fire(inst.id, "match_peer", COORD, {"peer_type": "sme", "reply_by": "2026-02-01"})


def test_a_silent_peer_sends_the_request_back_to_be_matched_at_the_reply_date(
    engine: jw.Engine, clock: TickingClock
) -> None:
    inst = requested(engine)
    assert engine.tick(after("2026-01-31")) == []
    clock.advance_to(after("2026-02-01"))
    (moved,) = engine.tick()
    assert (moved.id, moved.state) == (inst.id, "counselling_requested")


def test_the_coordinator_rematches_and_a_member_asks_again_without_reapplying(engine: jw.Engine) -> None:
    inst = requested(engine)
    engine.fire(inst.id, "accept_match", PEER, {"session_format": "virtual"})
    inst = engine.fire(inst.id, "rematch_peer", COORD, {"reason": "the peer stopped answering"})
    assert inst.state == "counselling_requested"
    engine.replace_party(inst.id, role="peer", actor_id=PEER.id, new_actor_id=PEER2.id, by=COORD)
    inst = fire_all(
        engine,
        inst.id,
        ("match_peer", COORD, {"peer_type": "association", "reply_by": "2026-03-01"}),
        ("accept_match", PEER2, {"session_format": "blended"}),
        ("record_sessions", VET, {"sessions_held": 2}),
        ("document_practice", PEER2, {"practice": "apprentice portfolios"}),
        ("write_learning_report", VET, {"learning_report": "both changed their intake"}),
        ("endorse_learning_report", VET, {}),
        ("endorse_learning_report", PEER2, {}),
        ("close_exchange", COORD, {}),
    )
    assert inst.state == "member"
    inst = engine.fire(inst.id, "request_counselling", VET, {"topic": "staff", "topic_area": "skilled_staff"})
    assert inst.state == "counselling_requested"


def test_the_coordinator_closes_an_exchange_whose_peer_is_gone(engine: jw.Engine) -> None:
    inst = requested(engine)
    inst = engine.fire(inst.id, "close_without_report", COORD, {"reason": "peer organisation closed"})
    assert inst.state == "member"


def completed_placement(engine: jw.Engine) -> jw.Instance:
    """A placement at home, done, with its case study due on 2026-06-30."""
    inst = engine.start("social_enterprise_placement", VET, instance_id="s1")
    engine.invite(inst.id, role="social_enterprise", actor_id=SE.id, by=VET)
    engine.invite(inst.id, role="participant", actor_id=LEARNER.id, by=VET)
    return fire_all(
        engine,
        inst.id,
        ("propose_placement", VET, {"abroad": False, "duration_days": 3}),
        ("accept_placement", SE, {}),
        ("define_work_plan", SE, {"work_plan": "shop floor and accounts"}),
        ("sign_placement_agreement", VET, {}),
        ("sign_placement_agreement", SE, {}),
        ("sign_placement_agreement", LEARNER, {}),
        ("start_placement", VET, {"start_date": "2026-05-04"}),
        ("complete_placement", VET, {"evaluation": "good", "case_study_due": "2026-06-30"}),
    )


def test_a_late_case_study_still_makes_an_ambassador(engine: jw.Engine, clock: TickingClock) -> None:
    inst = completed_placement(engine)
    clock.advance_to(after("2026-06-30"))
    (moved,) = engine.tick()
    assert moved.state == "closed"
    inst = engine.fire(inst.id, "submit_case_study", LEARNER, {"case_study": "what I learned"})
    assert inst.state == "ambassador"


def test_a_proposal_without_a_reply_lapses_and_one_revised_asks_again(
    engine: jw.Engine, clock: TickingClock
) -> None:
    inst = engine.start("social_enterprise_placement", VET, instance_id="s2")
    engine.invite(inst.id, role="social_enterprise", actor_id=SE.id, by=VET)
    engine.fire(
        inst.id, "propose_placement", VET, {"abroad": False, "duration_days": 20, "reply_by": "2026-02-01"}
    )
    inst = engine.fire(
        inst.id, "revise_proposal", VET, {"abroad": True, "duration_days": 20, "reply_by": "2026-03-01"}
    )
    clock.advance_to(after("2026-02-01"))
    assert engine.tick() == []
    clock.advance_to(after("2026-03-01"))
    (moved,) = engine.tick()
    assert moved.state == "lapsed"


def consortium(engine: jw.Engine) -> jw.Instance:
    inst = engine.start("erasmus_partnership", LEAD, instance_id="e1")
    engine.fire(inst.id, "invite_partners", LEAD, {"partner_organisations": ["SME Bratislava"]})
    engine.invite(inst.id, role="partner", actor_id=PARTNER.id, by=LEAD)
    return fire_all(engine, inst.id, ("form_consortium", LEAD, {}), ("form_consortium", PARTNER, {}))


def test_a_missed_call_leaves_the_consortium_and_it_may_change_before_the_next(
    engine: jw.Engine, clock: TickingClock
) -> None:
    inst = consortium(engine)
    engine.fire(
        inst.id,
        "choose_action_type",
        LEAD,
        {"action_type": "knowledge_alliance", "call_deadline": "2026-02-26"},
    )
    clock.advance_to(after("2026-02-26"))
    (moved,) = engine.tick()
    assert moved.state == "consortium_formed"
    inst = engine.fire(
        inst.id, "amend_consortium", LEAD, {"partner_organisations": ["SME Bratislava", "VET Valencia"]}
    )
    assert inst.state == "consortium_forming"


def test_any_score_may_be_funded_and_a_negative_balance_records_a_recovery(engine: jw.Engine) -> None:
    """No 60-point threshold (seed 004 has none); the balance of a recovery is negative."""
    inst = consortium(engine)
    inst = fire_all(
        engine,
        inst.id,
        ("choose_action_type", LEAD, {"action_type": "strategic_partnership", "call_deadline": "2026-03-05"}),
        ("plan_activities", PARTNER, {"activities": ["project_based_activities"]}),
        ("request_grant", LEAD, {"requested_grant": 250000}),
        ("submit_application", LEAD, {}),
        ("evaluate_application", AGENCY, {"evaluation_score": 55}),
        ("award_grant", AGENCY, {"grant_amount": 240000, "project_identifier": "2026-1-SK01-KA220-000001"}),
        ("sign_grant_agreement", LEAD, {}),
        ("sign_grant_agreement", AGENCY, {}),
        (
            "start_implementation",
            LEAD,
            {
                "start_date": "2026-09-01",
                "agreement_signed_on": "2026-08-20",
                "final_report_due": "2028-10-31",
            },
        ),
        ("request_amendment", LEAD, {"amendment_request": "VET Valencia replaces SME Bratislava"}),
        ("approve_amendment", AGENCY, {"partner_organisations": ["VET Valencia"]}),
        (
            "submit_final_report",
            LEAD,
            {"final_report": "done", "multiplier_events": ["Brussels, 2028-05-21"]},
        ),
        ("approve_final_report", AGENCY, {}),
        ("close_project", AGENCY, {"final_payment": -12000}),
    )
    assert (inst.state, inst.context["final_payment"]) == ("closed", -12000)
