"""The pure core: begin and step refuse by kind, sign off, normalize payloads, stay pure, and replay rebuilds."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, CARL, DEFINITIONS, DORA, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.events import SIGN, START, Actor, Event, compute_hash, genesis_hash
from just_workflow.formats.loading import load_definitions
from just_workflow.instance import Command, Instance
from just_workflow.step import apply_event, begin, step, step_with
from just_workflow.table import Table, compile_definition
from just_workflow.testing.strategies import definitions, walks

NOW = "2026-03-01T09:00:00+00:00"
# The small MoA whose sign-off also needs staff >= 1 and the named guard, and whose invariant needs an offer.
MOA = with_transition(
    moa_definition(invariants=(d.Invariant("signed_with_offer", ("signed",), requires=("offer",)),)),
    "sign",
    conditions=(d.Condition("staff", d.Op.GE, 1),),
    guards=("budget_approved",),
)


def budget_approved(context: Mapping[str, Any], actor: Any) -> bool:
    """A named guard: the budget is approved for up to 10 staff."""
    return int(context.get("staff", 0)) <= 10


TABLE = compile_definition(MOA, {"budget_approved": budget_approved})


def started() -> Instance:
    """A MoA instance in state defining."""
    instance, _ = begin(TABLE, "i-1", ANNA, NOW)
    instance, _ = step(TABLE, instance, Command("contact", ANNA), NOW)
    return instance


def fire(instance: Instance, trigger: str, actor: Actor, **payload: Any) -> Instance:
    """The snapshot after ``trigger``."""
    return step(TABLE, instance, Command(trigger, actor, payload), NOW)[0]


def ready() -> Instance:
    """Defining, with every field the sign-off and the invariant need."""
    return fire(started(), "define", ANNA, fields=["ai"], offer="internships", staff=3)


# -- begin --------------------------------------------------------------------------------------


def test_begin_starts_in_the_initial_state_with_a_start_event() -> None:
    """begin gives seq 1 in the initial state, an empty context, a start event linked to the genesis hash."""
    instance, event = begin(TABLE, "i-1", ANNA, NOW)
    assert (instance.state, instance.seq, dict(instance.context), instance.head) == (
        "draft",
        1,
        {},
        event.hash,
    )
    assert (event.kind, event.trigger, event.source, event.target) == (START, None, None, "draft")
    assert event.prev_hash == genesis_hash("i-1", "moa", 1)
    assert event.hash == compute_hash(event)


def test_begin_refuses_a_role_that_may_not_start() -> None:
    """Only the start_by roles may start; the refusal lists them."""
    with pytest.raises(jw.NotAuthorized, match="may not start 'moa'; roles that may: sme") as refusal:
        begin(TABLE, "i-1", DORA, NOW)
    assert refusal.value.allowed_roles == ("sme",)


# -- refusals by kind ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "actor", "payload", "kind", "message"),
    [
        ("publish", ANNA, {}, jw.TransitionNotAllowed, "Trigger 'publish' is unknown in state 'defining'"),
        (
            "contact",
            ANNA,
            {},
            jw.TransitionNotAllowed,
            "Trigger 'contact' is not available in state 'defining'",
        ),
        ("define", CARL, {"fields": ["ai"]}, jw.NotAuthorized, "roles that may: department, sme"),
        ("define", ANNA, {}, jw.InvalidPayload, "required input 'fields' is missing"),
        ("define", ANNA, {"fields": ["ai"], "colour": "red"}, jw.InvalidPayload, "unknown input 'colour'"),
        ("define", ANNA, {"fields": "ai"}, jw.InvalidPayload, "'fields' expects a list of strings"),
        ("define", ANNA, {"fields": []}, jw.InvalidPayload, "needs at least 1 item"),
        ("define", ANNA, {"fields": ["ai"], "offer": "money"}, jw.InvalidPayload, "not one of the choices"),
        ("define", ANNA, {"fields": ["ai"], "staff": True}, jw.InvalidPayload, "expects an integer"),
        ("define", ANNA, {"fields": ["ai"], "start": "31/12/2026"}, jw.InvalidPayload, "expects a date"),
        ("sign", ANNA, {}, jw.GuardFailed, "required field 'fields' is not set"),
    ],
)
def test_refusals_have_their_kind_and_say_why(
    trigger: str, actor: Actor, payload: dict[str, Any], kind: type[Exception], message: str
) -> None:
    """Each way a step can be refused raises its own error class, naming the offending part."""
    with pytest.raises(kind, match=message):
        step(TABLE, started(), Command(trigger, actor, payload), NOW)


def test_a_final_state_accepts_nothing() -> None:
    """In a final state every trigger is refused as not allowed, with nothing available."""
    signed = fire(fire(ready(), "sign", ANNA), "sign", DORA)
    with pytest.raises(jw.TransitionNotAllowed, match="is final") as refusal:
        step(TABLE, signed, Command("define", ANNA, {"fields": ["x"]}), NOW)
    assert refusal.value.available == ()


def test_conditions_named_guards_and_invariants_are_guards() -> None:
    """A false condition, a false named guard and a broken invariant each refuse with GuardFailed."""
    few = fire(started(), "define", ANNA, fields=["ai"], offer="internships", staff=0)
    many = fire(started(), "define", ANNA, fields=["ai"], offer="internships", staff=11)
    no_offer = fire(started(), "define", ANNA, fields=["ai"], staff=2)
    for instance, reason in [
        (few, "condition 'staff ge 1' is false"),
        (many, "guard 'budget_approved' is false"),
        (fire(no_offer, "sign", ANNA), "invariant 'signed_with_offer' would be broken"),
    ]:
        with pytest.raises(jw.GuardFailed, match=reason):
            step(TABLE, instance, Command("sign", DORA), NOW)


def test_guards_see_the_payload_applied() -> None:
    """A transition's guards are judged on the context with its own inputs applied."""
    definition = attrs.evolve(
        MOA,
        transitions=(
            *MOA.transitions[:2],
            d.Transition(
                "close", ("defining",), ("sme",), "signed", (d.Input("offer"),), requires=("offer",)
            ),
        ),
        invariants=(),
    )
    table = compile_definition(definition)
    instance, _ = begin(table, "i-1", ANNA, NOW)
    instance, _ = step(table, instance, Command("contact", ANNA), NOW)
    after, _ = step(table, instance, Command("close", ANNA, {"offer": "internships"}), NOW)
    assert (after.state, after.context["offer"]) == ("signed", "internships")


def test_a_refusal_leaves_the_snapshot_as_it_was() -> None:
    """A refused step returns nothing and changes nothing in the snapshot given."""
    instance = started()
    before = attrs.evolve(instance)
    with pytest.raises(jw.InvalidPayload):
        step(TABLE, instance, Command("define", ANNA, {"fields": []}), NOW)
    assert instance == before


# -- sign-off -----------------------------------------------------------------------------------


def test_signoff_moves_with_the_last_signature() -> None:
    """Each signature is a sign event; the first stays and is kept, the last moves and clears them."""
    first, first_event = step(TABLE, ready(), Command("sign", ANNA), NOW)
    assert (first.state, first.signatures, first_event.kind) == (
        "defining",
        {"sign": {"sme": ("anna",)}},
        SIGN,
    )
    assert (first_event.source, first_event.target) == ("defining", "defining")
    last, last_event = step(TABLE, first, Command("sign", DORA), NOW)
    assert (last.state, dict(last.signatures), last_event.kind) == ("signed", {}, SIGN)
    assert (last_event.source, last_event.target) == ("defining", "signed")


def test_a_role_signs_once() -> None:
    """A second signature by the same role is refused as not authorized, naming who is awaited."""
    first = fire(ready(), "sign", ANNA)
    with pytest.raises(jw.NotAuthorized, match="already signed 'sign'; waiting for: department"):
        step(TABLE, first, Command("sign", ANNA), NOW)


def test_a_change_of_context_clears_the_signatures() -> None:
    """A signature endorses the content it saw: changing the context removes it."""
    first = fire(ready(), "sign", ANNA)
    changed = fire(first, "define", DORA, fields=["robotics"])
    assert dict(changed.signatures) == {}
    again = fire(changed, "sign", ANNA)
    assert again.signatures == {"sign": {"sme": ("anna",)}}


# -- payloads -----------------------------------------------------------------------------------


def test_payload_values_are_normalized_in_context_and_event() -> None:
    """Dates become ISO strings (from dates or strings), lists become tuples, in the context and the event."""
    after, event = step(
        TABLE,
        started(),
        Command("define", ANNA, {"fields": ["ai", "robotics"], "start": datetime.date(2026, 9, 1)}),
        NOW,
    )
    assert after.context == {"fields": ("ai", "robotics"), "start": "2026-09-01"}
    assert event.payload == after.context
    again, _ = step(TABLE, after, Command("define", ANNA, {"fields": ("x",), "start": "2026-10-01"}), NOW)
    assert again.context["start"] == "2026-10-01"


def test_an_event_carries_only_the_normalized_payload() -> None:
    """The event's payload is what was given, normalized; the context keeps the fields set before too."""
    instance = fire(started(), "define", ANNA, fields=["ai"], staff=2)
    after, event = step(TABLE, instance, Command("define", ANNA, {"fields": ["x"]}), NOW)
    assert event.payload == {"fields": ("x",)}
    assert after.context == {"fields": ("x",), "staff": 2}


# -- purity -------------------------------------------------------------------------------------


def test_step_is_pure_same_inputs_same_outputs() -> None:
    """Two steps with equal inputs give equal snapshots and events, whatever the wall clock says."""
    instance = started()
    command = Command("define", ANNA, {"fields": ["ai"], "start": "2026-09-01"})
    first = step(TABLE, instance, command, NOW)
    second = step(TABLE, instance, command, NOW)
    assert first == second
    assert first[1].at == NOW


def test_the_time_is_what_the_caller_passes() -> None:
    """The event's time is the ``now`` argument, and a different ``now`` gives a different hash."""
    instance = started()
    early = step(TABLE, instance, Command("define", ANNA, {"fields": ["a"]}), "2020-01-01T00:00:00+00:00")[1]
    late = step(TABLE, instance, Command("define", ANNA, {"fields": ["a"]}), "2030-01-01T00:00:00+00:00")[1]
    assert (early.at, late.at) == ("2020-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00")
    assert early.hash != late.hash


def test_unsealed_steps_leave_the_hashes_empty() -> None:
    """seal=False builds the same snapshot and event without hashing."""
    instance = started()
    sealed = step(TABLE, instance, Command("define", ANNA, {"fields": ["a"]}), NOW)
    unsealed = step(TABLE, instance, Command("define", ANNA, {"fields": ["a"]}), NOW, seal=False)
    assert (unsealed[0].head, unsealed[1].hash) == ("", "")
    assert attrs.evolve(unsealed[1], hash=sealed[1].hash) == sealed[1]
    assert attrs.evolve(unsealed[0], head=sealed[0].head) == sealed[0]


def test_step_with_is_step_with_the_command_given_field_by_field() -> None:
    """step_with gives what step gives for a Command of the same trigger, actor and payload, refusals too."""
    instance = started()
    payload = {"fields": ["ai"], "start": "2026-09-01"}
    assert step_with(TABLE, instance, "define", ANNA, payload, NOW) == step(
        TABLE, instance, Command("define", ANNA, payload), NOW
    )
    unsealed = step_with(TABLE, instance, "define", ANNA, payload, NOW, seal=False)
    assert unsealed == step(TABLE, instance, Command("define", ANNA, payload), NOW, seal=False)
    with pytest.raises(jw.InvalidPayload, match="unknown input 'nope'"):
        step_with(TABLE, instance, "define", ANNA, {"nope": 1}, NOW)


# -- replay -------------------------------------------------------------------------------------


def run(table: Table, starter: Actor, commands: Sequence[Command]) -> tuple[Instance, list[Event]]:
    """Start and fire ``commands`` with sealing, a distinct time per event; the last snapshot and the log."""
    instance, event = begin(table, "replayed", starter, "2026-01-01T00:00:00+00:00")
    log = [event]
    for seq, command in enumerate(commands, start=2):
        instance, event = step(table, instance, command, f"2026-01-01T00:00:{seq:02d}+00:00")
        log.append(event)
    return instance, log


def replay(table: Table, log: Sequence[Event]) -> tuple[Instance, list[Event]]:
    """Fold apply_event over the log: the rebuilt snapshot and the recomputed events."""
    snapshot: Instance | None = None
    recomputed = []
    for event in log:
        snapshot, again = apply_event(table, snapshot, event)
        recomputed.append(again)
    assert snapshot is not None
    return snapshot, recomputed


BUNDLED = sorted(load_definitions(DEFINITIONS).values(), key=lambda definition: definition.protocol)


@pytest.mark.parametrize("definition", BUNDLED, ids=lambda definition: definition.protocol)
@given(data=st.data())
def test_replaying_a_run_of_a_bundled_protocol_rebuilds_its_snapshot(
    definition: d.Definition, data: st.DataObject
) -> None:
    """Folding apply_event over any run's events gives back every event and the final snapshot."""
    walk = data.draw(walks(definition))
    table = compile_definition(definition)
    snapshot, log = run(table, walk.starter, walk.commands)
    assert replay(table, log) == (snapshot, log)


@given(data=st.data())
def test_replaying_a_run_of_any_definition_rebuilds_its_snapshot(data: st.DataObject) -> None:
    """For generated definitions too, replaying the events of a run rebuilds the same snapshot."""
    definition = data.draw(definitions())
    walk = data.draw(walks(definition))
    table = compile_definition(definition)
    snapshot, log = run(table, walk.starter, walk.commands)
    rebuilt, recomputed = replay(table, log)
    assert rebuilt == snapshot
    assert recomputed == log


def test_a_completed_signoff_is_used_up_even_when_it_stays() -> None:
    """After a sign-off back to its own state completes, a new round needs every signature again."""
    review = d.Definition(
        protocol="review",
        version=1,
        title=d.Text("Review rounds"),
        roles=(d.Role("sme"), d.Role("department", open=True)),
        states=(d.State("review"),),
        initial="review",
        transitions=(
            d.Transition(
                "approve",
                ("review",),
                ("sme", "department"),
                "review",
                signoff=d.Signoff(("sme", "department")),
            ),
        ),
    )
    table = compile_definition(review)
    instance, _ = begin(table, "r-1", ANNA, NOW)
    for actor in (ANNA, DORA):
        instance, _ = step(table, instance, Command("approve", actor), NOW)
    assert dict(instance.signatures) == {}
    instance, _ = step(table, instance, Command("approve", DORA), NOW)
    assert instance.signatures == {"approve": {"department": ("dora",)}}
