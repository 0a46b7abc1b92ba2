"""The engine's API: start, fire, refusals that write nothing, sign-offs, options, guards, hooks, clock."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, CARL, DORA, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.clock import new_instance_id, utc_text
from just_workflow.testing import TickingClock

T = d.Text


@pytest.fixture
def engine() -> jw.Engine:
    """An engine on the small protocol, with a ticking clock."""
    return jw.Engine([moa_definition()], clock=TickingClock())


def defining(engine: jw.Engine) -> jw.Instance:
    """An instance moved to the `defining` state."""
    inst = engine.start("moa", actor=ANNA)
    return engine.fire(inst.id, "contact", actor=ANNA, expected_seq=inst.seq)


def assert_nothing_written(engine: jw.Engine, before: jw.Instance) -> None:
    """The snapshot and history are as they were."""
    assert engine.get(before.id) == before
    assert len(engine.history(before.id)) == before.seq


def test_start_records_the_start_event(engine: jw.Engine) -> None:
    """Starting gives seq 1 in the initial state, with a start event from the clock."""
    inst = engine.start("moa", actor=ANNA, instance_id="i1")
    assert (inst.id, inst.state, inst.seq, dict(inst.context)) == ("i1", "draft", 1, {})
    (event,) = engine.history("i1")
    assert (event.kind, event.trigger, event.source, event.target) == ("start", None, None, "draft")
    assert event.at == "2026-01-01T00:00:01+00:00"
    assert inst.head == event.hash


def test_start_refuses_a_role_not_in_start_by(engine: jw.Engine) -> None:
    """Only the roles in start_by may start an instance."""
    with pytest.raises(jw.NotAuthorized, match="Role 'department' may not start 'moa'; roles that may: sme"):
        engine.start("moa", actor=DORA)


def test_start_of_an_unknown_protocol_names_the_known_ones(engine: jw.Engine) -> None:
    """An unknown protocol name is refused with the list of protocols."""
    with pytest.raises(jw.UnknownProtocol, match="Unknown protocol 'nope'; this engine runs: moa"):
        engine.start("nope", actor=ANNA)


def test_fire_moves_and_chains(engine: jw.Engine) -> None:
    """A fire moves the instance and links its event to the previous one."""
    inst = defining(engine)
    first, second = engine.history(inst.id)
    assert inst.state == "defining" and inst.seq == 2
    assert second.prev_hash == first.hash and inst.head == second.hash
    assert (second.trigger, second.source, second.target, second.actor) == (
        "contact",
        "draft",
        "defining",
        ANNA,
    )


def test_unknown_trigger_lists_available_ones(engine: jw.Engine) -> None:
    """An unknown trigger is refused with the available ones, and nothing is written."""
    inst = defining(engine)
    with pytest.raises(
        jw.TransitionNotAllowed,
        match=r"'sing' is unknown in state 'defining'. Available: decline, define, sign",
    ):
        engine.fire(inst.id, "sing", actor=ANNA)
    assert_nothing_written(engine, inst)


def test_trigger_of_another_state_is_not_available(engine: jw.Engine) -> None:
    """A known trigger fired in the wrong state is refused as not available."""
    inst = engine.start("moa", actor=ANNA)
    with pytest.raises(
        jw.TransitionNotAllowed, match="'sign' is not available in state 'draft'. Available: contact"
    ):
        engine.fire(inst.id, "sign", actor=ANNA)
    assert_nothing_written(engine, inst)


def test_final_state_accepts_nothing(engine: jw.Engine) -> None:
    """A final state refuses every trigger."""
    inst = engine.fire(defining(engine).id, "decline", actor=CARL)
    with pytest.raises(jw.TransitionNotAllowed, match="State 'declined' is final: it accepts no trigger"):
        engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["x"]})
    assert_nothing_written(engine, inst)


def test_wrong_role_is_not_authorized(engine: jw.Engine) -> None:
    """A role that may not fire the trigger is refused with the roles that may."""
    inst = defining(engine)
    with pytest.raises(
        jw.NotAuthorized,
        match="Role 'sme' may not fire 'decline' in state 'defining'; roles that may: career_services",
    ):
        engine.fire(inst.id, "decline", actor=ANNA)
    assert_nothing_written(engine, inst)


def test_signing_before_fields_are_defined_names_the_field(engine: jw.Engine) -> None:
    """The MoA cannot be signed before the fields of collaboration are defined."""
    inst = defining(engine)
    with pytest.raises(jw.GuardFailed) as refused:
        engine.fire(inst.id, "sign", actor=ANNA)
    assert refused.value.reasons == ("required field 'fields' is not set",)
    assert_nothing_written(engine, inst)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, "required input 'fields' is missing"),
        ({"fields": "research"}, "field 'fields' expects a list of strings, got 'research' (str)"),
        ({"fields": []}, "field 'fields' needs at least 1 item(s), got 0"),
        (
            {"fields": ["x"], "offer": "money"},
            "field 'offer': 'money' is not one of the choices: internships, joint_teaching",
        ),
        ({"fields": ["x"], "staff": "3"}, "field 'staff' expects an integer, got '3' (str)"),
        ({"fields": ["x"], "staff": True}, "field 'staff' expects an integer, got True (bool)"),
        ({"fields": ["x"], "abroad": "yes"}, "field 'abroad' expects true or false, got 'yes' (str)"),
        (
            {"fields": ["x"], "start": "2026-13-01"},
            "field 'start' expects a date (YYYY-MM-DD), got '2026-13-01' (str)",
        ),
        (
            {"fields": ["x"], "budget": 3},
            "unknown input 'budget'; 'define' accepts: fields, offer, staff, abroad, start",
        ),
    ],
)
def test_invalid_payloads_name_the_field(engine: jw.Engine, payload: Mapping[str, Any], reason: str) -> None:
    """Each kind of bad input is refused with the field and what is expected, and nothing is written."""
    inst = defining(engine)
    with pytest.raises(jw.InvalidPayload) as refused:
        engine.fire(inst.id, "define", actor=ANNA, payload=payload)
    assert reason in refused.value.reasons
    assert_nothing_written(engine, inst)


def test_payload_values_are_normalized(engine: jw.Engine) -> None:
    """Dates become ISO strings and lists become tuples in the context and the event."""
    inst = defining(engine)
    payload = {"fields": ["research"], "start": datetime.date(2026, 3, 1), "abroad": False, "staff": 3}
    inst = engine.fire(inst.id, "define", actor=ANNA, payload=payload)
    assert inst.context == {"fields": ("research",), "start": "2026-03-01", "abroad": False, "staff": 3}
    assert engine.history(inst.id)[-1].payload == inst.context


def test_signoff_needs_every_role_once(engine: jw.Engine) -> None:
    """Each role signs once; the move happens with the last signature; a second signature is refused."""
    inst = engine.fire(defining(engine).id, "define", actor=DORA, payload={"fields": ["research"]})
    inst = engine.fire(inst.id, "sign", actor=ANNA, expected_seq=inst.seq)
    assert inst.state == "defining" and inst.signatures == {"sign": {"sme": ("anna",)}}
    with pytest.raises(
        jw.NotAuthorized, match="Role 'sme' has already signed 'sign'; waiting for: department"
    ):
        engine.fire(inst.id, "sign", actor=ANNA)
    assert_nothing_written(engine, inst)
    inst = engine.fire(inst.id, "sign", actor=DORA, expected_seq=inst.seq)
    assert inst.state == "signed" and inst.signatures == {}
    kinds = [(e.kind, e.target) for e in engine.history(inst.id)[-2:]]
    assert kinds == [("sign", "defining"), ("sign", "signed")]


def test_a_change_of_content_clears_signatures(engine: jw.Engine) -> None:
    """A signature endorses the content it saw: redefining the fields voids it."""
    inst = engine.fire(defining(engine).id, "define", actor=DORA, payload={"fields": ["research"]})
    inst = engine.fire(inst.id, "sign", actor=ANNA)
    inst = engine.fire(inst.id, "define", actor=DORA, payload={"fields": ["teaching"]})
    assert inst.signatures == {}
    inst = engine.fire(inst.id, "sign", actor=DORA)
    assert inst.state == "defining"


def test_options_explain_why_not(engine: jw.Engine) -> None:
    """Options list every trigger of the state with the reasons an actor may not fire it."""
    inst = defining(engine)
    options = {o.trigger: o for o in engine.options(inst.id, ANNA)}
    assert options["define"].allowed and options["define"].inputs == (
        "fields",
        "offer",
        "staff",
        "abroad",
        "start",
    )
    assert not options["sign"].allowed
    assert "required field 'fields' is not set" in options["sign"].reasons
    assert options["sign"].pending == ("sme", "department")
    assert options["decline"].reasons == ("role 'sme' may not fire it; roles that may: career_services",)


def test_options_show_pending_signatures(engine: jw.Engine) -> None:
    """After one signature, options show who still has to sign, and that the signer has signed."""
    inst = engine.fire(defining(engine).id, "define", actor=DORA, payload={"fields": ["research"]})
    inst = engine.fire(inst.id, "sign", actor=ANNA)
    mine = {o.trigger: o for o in engine.options(inst.id, ANNA)}["sign"]
    theirs = {o.trigger: o for o in engine.options(inst.id, DORA)}["sign"]
    assert mine.pending == theirs.pending == ("department",)
    assert not mine.allowed and mine.reasons == ("role 'sme' has already signed 'sign'",)
    assert theirs.allowed


def test_options_of_a_final_state_are_empty(engine: jw.Engine) -> None:
    """A finished instance offers nothing."""
    inst = engine.fire(defining(engine).id, "decline", actor=CARL)
    assert engine.options(inst.id, CARL) == []


def test_stale_expected_seq_is_a_conflict(engine: jw.Engine) -> None:
    """A fire with a stale expected_seq raises ConcurrencyConflict and writes nothing."""
    inst = defining(engine)
    with pytest.raises(jw.ConcurrencyConflict) as conflict:
        engine.fire(inst.id, "decline", actor=CARL, expected_seq=1)
    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert_nothing_written(engine, inst)


def test_idempotency_key_returns_the_first_result(engine: jw.Engine) -> None:
    """The same idempotency key fired again returns the first result and writes nothing new."""
    inst = defining(engine)
    first = engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["a"]}, idempotency_key="k1")
    again = engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["a"]}, idempotency_key="k1")
    assert again == first
    assert len(engine.history(inst.id)) == first.seq


def test_unknown_instance_is_not_found(engine: jw.Engine) -> None:
    """Reading or firing an unknown id raises InstanceNotFound."""
    with pytest.raises(jw.InstanceNotFound, match="No instance with id 'ghost'"):
        engine.fire("ghost", "contact", actor=ANNA)
    with pytest.raises(jw.InstanceNotFound):
        engine.get("ghost")


def test_named_guards_are_called_with_context_and_actor() -> None:
    """A named Python guard decides a transition; its refusal names it."""
    seen: list[tuple[dict[str, Any], jw.Actor]] = []

    def budget_ok(context: Mapping[str, Any], actor: jw.Actor) -> bool:
        seen.append((dict(context), actor))
        return context.get("staff", 0) > 2

    definition = with_transition(moa_definition(), "sign", guards=("budget_ok",))
    engine = jw.Engine([definition], guards={"budget_ok": budget_ok})
    inst = engine.fire(defining(engine).id, "define", actor=DORA, payload={"fields": ["a"], "staff": 1})
    with pytest.raises(jw.GuardFailed, match="guard 'budget_ok' is false"):
        engine.fire(inst.id, "sign", actor=ANNA)
    assert seen[-1] == ({"fields": ("a",), "staff": 1}, ANNA)


def test_unregistered_named_guard_fails_at_engine_creation() -> None:
    """An engine whose definitions name an unregistered guard cannot be built."""
    definition = with_transition(moa_definition(), "sign", guards=("budget_ok",))
    with pytest.raises(jw.DefinitionError, match="named guard 'budget_ok' is not registered on the engine"):
        jw.Engine([definition])


def test_invariants_are_enforced_at_run_time() -> None:
    """A step that would break an invariant is refused even when the transition forgot the guard."""
    engine = jw.Engine([with_transition(moa_definition(), "sign", requires=())])
    inst = defining(engine)
    inst = engine.fire(inst.id, "sign", actor=ANNA)
    with pytest.raises(
        jw.GuardFailed, match="invariant 'no_moa_without_fields' would be broken: field 'fields' is not set"
    ):
        engine.fire(inst.id, "sign", actor=DORA)
    assert_nothing_written(engine, inst)


def test_hooks_run_after_the_event_is_stored(engine: jw.Engine) -> None:
    """on_exit, on_enter and after_fire hooks see the stored snapshot and event."""
    calls: list[tuple[str, str, int]] = []
    engine.on_exit("draft", lambda inst, ev: calls.append(("exit", ev.source or "", inst.seq)))
    engine.on_enter(
        "defining", lambda inst, ev: calls.append(("enter", ev.target, len(engine.history(inst.id))))
    )
    engine.after_fire(lambda inst, ev: calls.append(("after", ev.target, inst.seq)))
    defining(engine)
    assert calls == [
        ("after", "draft", 1),
        ("exit", "draft", 2),
        ("enter", "defining", 2),
        ("after", "defining", 2),
    ]


def test_a_failing_hook_keeps_the_event_and_reports_it(engine: jw.Engine) -> None:
    """A hook that raises does not undo the stored event; HookError carries the snapshot and the cause."""

    def notify(inst: jw.Instance, event: jw.Event) -> None:
        raise RuntimeError("mail server down")

    engine.on_enter("defining", notify)
    inst = engine.start("moa", actor=ANNA)
    with pytest.raises(jw.HookError) as failed:
        engine.fire(inst.id, "contact", actor=ANNA)
    stored = engine.get(inst.id)
    assert stored.state == "defining" and stored.seq == 2
    assert failed.value.instance == stored and isinstance(failed.value.__cause__, RuntimeError)
    assert "was stored, but hook(s) raised" in str(failed.value)


def test_state_at_rebuilds_past_snapshots(engine: jw.Engine) -> None:
    """state_at(seq) gives the snapshot right after that event."""
    inst = defining(engine)
    later = engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["a"]})
    assert engine.state_at(inst.id, 2) == inst
    assert engine.state_at(inst.id, 3) == later
    with pytest.raises(jw.InstanceNotFound):
        engine.state_at(inst.id, 9)


def test_instances_keep_their_version() -> None:
    """An instance stays on the version it started with when a newer one is loaded."""
    v1 = moa_definition()
    v2 = attrs.evolve(v1, version=2, title=T("MoA, second edition"))
    store = jw.MemoryStore()
    old = jw.Engine([v1], store=store).start("moa", actor=ANNA)
    engine = jw.Engine([v2], store=store)
    assert engine.get(old.id).version == 1
    moved = engine.fire(old.id, "contact", actor=ANNA)
    assert (moved.version, moved.digest) == (1, v1.digest)
    assert engine.start("moa", actor=ANNA).version == 2


def test_a_changed_definition_under_a_kept_version_is_refused() -> None:
    """Registering a different definition under an existing protocol version is refused."""
    store = jw.MemoryStore()
    jw.Engine([moa_definition()], store=store)
    with pytest.raises(jw.DefinitionError, match="a changed definition needs a new version number"):
        jw.Engine([moa_definition(title=T("Changed"))], store=store)


def test_a_refused_variant_reports_the_one_whose_conditions_hold() -> None:
    """Of two mutually exclusive variants of a trigger, the refusal comes from the variant that applies."""
    base = moa_definition()
    abroad = d.Transition(
        "define",
        ("defining",),
        ("sme",),
        inputs=(d.Input("abroad"),),
        conditions=(d.Condition("abroad", d.Op.EQ, True),),
        requires=("start",),
    )
    home = d.Transition(
        "define",
        ("defining",),
        ("sme",),
        inputs=(d.Input("abroad"),),
        conditions=(d.Condition("abroad", d.Op.EQ, False),),
    )
    engine = jw.Engine(
        [attrs.evolve(base, transitions=(base.transitions[0], abroad, home, *base.transitions[2:]))]
    )
    inst = defining(engine)
    with pytest.raises(jw.GuardFailed) as refused:
        engine.fire(inst.id, "define", actor=ANNA, payload={"abroad": True})
    assert refused.value.reasons == ("required field 'start' is not set",)
    assert engine.fire(inst.id, "define", actor=ANNA, payload={"abroad": False}).context == {"abroad": False}


# -- the default clock and instance ids ------------------------------------------------------------


@given(st.integers(min_value=-(10**18), max_value=10**19))
def test_utc_text_is_the_isoformat_of_the_utc_datetime(time_ns: int) -> None:
    """The default clock's text for an instant is what isoformat() writes for it (microseconds truncated)."""
    micros = time_ns // 1000
    moment = datetime.datetime.fromtimestamp(micros // 1_000_000, datetime.UTC)
    assert utc_text(time_ns) == moment.replace(microsecond=micros % 1_000_000).isoformat()


def test_utc_text_follows_the_clock_within_a_second_and_across_seconds() -> None:
    """Instants of one second share its date and time; the next second and an earlier one are written anew."""
    second = 1_767_225_599 * 10**9  # 2025-12-31T23:59:59 UTC
    assert utc_text(second) == "2025-12-31T23:59:59+00:00"
    assert utc_text(second + 7_000) == "2025-12-31T23:59:59.000007+00:00"
    assert utc_text(second + 999_999_999) == "2025-12-31T23:59:59.999999+00:00"
    assert utc_text(second + 10**9 + 120_000_000) == "2026-01-01T00:00:00.120000+00:00"
    assert utc_text(second - 1) == "2025-12-31T23:59:58.999999+00:00"


def test_the_default_clock_stamps_events_with_the_current_utc_time() -> None:
    """Without a clock, events carry the current time in UTC, as datetime.now(UTC).isoformat() writes it."""
    engine = jw.Engine([moa_definition()])
    before = datetime.datetime.now(datetime.UTC)
    inst = engine.start("moa", actor=ANNA)
    inst = engine.fire(inst.id, "contact", actor=ANNA)
    after = datetime.datetime.now(datetime.UTC)
    for event in engine.history(inst.id):
        stamp = datetime.datetime.fromisoformat(event.at)
        assert before <= stamp <= after
        assert stamp.isoformat() == event.at


def test_new_instance_ids_are_random_version_4_uuids() -> None:
    """Instance ids are version 4 UUIDs in hex, as uuid.uuid4().hex writes them, and do not repeat."""
    ids = {new_instance_id() for _ in range(1000)}
    assert len(ids) == 1000
    for text in ids:
        parsed = uuid.UUID(hex=text)
        assert (parsed.hex, parsed.version, parsed.variant) == (text, 4, uuid.RFC_4122)
    assert len(jw.Engine([moa_definition()]).start("moa", actor=ANNA).id) == 32
