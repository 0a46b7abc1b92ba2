"""The test kit: representative values, strategies, traces, and the property test of a protocol."""

from __future__ import annotations

import unittest
from typing import Any

import attrs
import pytest
from hypothesis import Phase, Verbosity, given
from hypothesis import strategies as st

import fixtures
import just_workflow as jw
from just_workflow import definition as d
from just_workflow.audit.verify import verify
from just_workflow.checks.abstraction import field_representatives
from just_workflow.checks.validation import structural_findings
from just_workflow.formats.document import definition_from_document, definition_to_document
from just_workflow.formats.loading import parse_definition
from just_workflow.guards import value_check
from just_workflow.store.memory import MemoryStore
from just_workflow.table import compile_definition
from just_workflow.testing import (
    ProtocolViolation,
    Trace,
    TraceStep,
    broken_values,
    commands,
    definitions,
    field_values,
    harness,
    payloads,
    protocol_machine,
    protocol_test,
    representatives,
    run_protocol_test,
    sweep,
    walks,
)
from just_workflow.testing.stateful import default_settings

BUNDLED = [jw.load_definition(path) for path in fixtures.BUNDLED]

PLACEMENT = parse_definition(
    """
protocol: placement
version: 1
title: Placement
roles: {school: {}, company: {open: true}}
context:
  abroad: {type: bool}
  weeks: {type: int}
  sector: {type: str, choices: [crafts, care, digital]}
  skills: {type: "list[str]", choices: [welding, coding, caring], min_items: 1}
  start: {type: date}
  reason: {type: str}
initial: draft
start_by: [school]
states:
  draft: {}
  proposed: {}
  agreed: {}
  done: {final: true}
  declined: {final: true}
transitions:
  - trigger: propose
    from: draft
    to: proposed
    by: school
    input: {abroad: required, weeks: required, sector: optional, skills: optional}
    conditions: [{field: weeks, op: ge, value: 1}]
  - trigger: agree
    from: proposed
    to: agreed
    signoff: {all_of: [school, company]}
    requires: [sector]
  - trigger: start
    from: agreed
    to: done
    by: company
    input: {start: required}
    conditions: [{field: start, op: gt, value: "2026-06-30"}, {field: sector, op: ne, value: digital}]
  - trigger: decline
    from: [proposed, agreed]
    to: declined
    by: company
    input: {reason: required}
invariants:
  - name: long_enough
    in: [proposed, agreed, done]
    requires: [weeks]
    conditions: [{field: weeks, op: ge, value: 1}]
  - name: no_digital_placement_yet
    in: [done]
    conditions: [{field: sector, op: ne, value: digital}]
""",
    syntax="yaml",
)


def field(name: str) -> d.Field:
    """The field ``name`` of the placement protocol."""
    return PLACEMENT.field_map[name]


# -- representative values ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "conditions", "expected"),
    [
        (d.Field("n", d.FieldType.INT), [d.Condition("n", d.Op.GE, 1)], (0, 1)),
        (d.Field("n", d.FieldType.INT), [], (1,)),
        (d.Field("b", d.FieldType.BOOL), [], (True,)),
        (d.Field("b", d.FieldType.BOOL), [d.Condition("b", d.Op.EQ, True)], (True, False)),
        (
            d.Field("s", d.FieldType.STR, choices=("a", "b", "c")),
            [d.Condition("s", d.Op.EQ, "b")],
            ("a", "b"),
        ),
        (d.Field("s", d.FieldType.STR), [d.Condition("s", d.Op.IN, ("x", "y"))], ("x", "text")),
        (
            d.Field("t", d.FieldType.LIST_STR, choices=("x", "y"), min_items=1),
            [d.Condition("t", d.Op.CONTAINS, "x")],
            (("y",), ("x",)),
        ),
        (d.Field("t", d.FieldType.LIST_STR), [], ((),)),
        (
            d.Field("day", d.FieldType.DATE),
            [d.Condition("day", d.Op.GT, "2026-06-30")],
            ("2026-06-29", "2026-07-01"),
        ),
    ],
)
def test_one_representative_per_class_the_conditions_tell_apart(
    spec: d.Field, conditions: list[d.Condition], expected: tuple[Any, ...]
) -> None:
    """Each combination of condition outcomes a field can take has exactly one valid value."""
    assert field_representatives(spec, conditions) == expected


def test_representatives_of_a_definition_cover_its_conditions() -> None:
    """The weeks on both sides of `ge 1`, the sector in and out of `ne digital`, the dates around the bound."""
    values = representatives(PLACEMENT)
    assert values["weeks"] == (0, 1)
    assert values["sector"] == ("crafts", "digital")
    assert values["start"] == ("2026-06-29", "2026-07-01")
    assert values["reason"] == ("text",)


@pytest.mark.parametrize("definition", BUNDLED, ids=lambda definition: definition.protocol)
def test_every_representative_is_a_valid_value(definition: jw.Definition) -> None:
    """The engine accepts each representative as a value of its field."""
    for name, values in representatives(definition).items():
        check = value_check(definition.field_map[name])
        assert all(check(value)[1] is None for value in values), name


# -- strategies ---------------------------------------------------------------------------------


@given(st.sampled_from(PLACEMENT.context).flatmap(lambda f: st.tuples(st.just(f), field_values(f))))
def test_field_values_are_valid(case: tuple[d.Field, Any]) -> None:
    """Every drawn value passes the engine's check of its field."""
    spec, value = case
    assert value_check(spec)(value)[1] is None


@given(st.sampled_from(PLACEMENT.context).flatmap(lambda f: st.tuples(st.just(f), broken_values(f))))
def test_broken_values_are_refused(case: tuple[d.Field, Any]) -> None:
    """Every drawn broken value fails the engine's check of its field."""
    spec, value = case
    assert value_check(spec)(value)[1] is not None


ALL_TRANSITIONS = [(definition, t) for definition in [PLACEMENT, *BUNDLED] for t in definition.transitions]


@given(st.sampled_from(ALL_TRANSITIONS).flatmap(lambda c: st.tuples(st.just(c), payloads(*c))))
def test_valid_payloads_fit_the_inputs(
    case: tuple[tuple[jw.Definition, d.Transition], dict[str, Any]],
) -> None:
    """A valid payload has every required input and only declared inputs, each a valid value."""
    (definition, transition), payload = case
    compiled = compile_definition(definition, dict.fromkeys(transition.guards, lambda _c, _a: True))
    (move,) = (m for m in compiled.moves[transition.sources[0]][transition.trigger] if m.source == transition)
    assert move.normalize_payload(payload)[1] == {}


@given(st.sampled_from(ALL_TRANSITIONS).flatmap(lambda c: st.tuples(st.just(c), payloads(*c, valid=False))))
def test_broken_payloads_do_not_fit(case: tuple[tuple[jw.Definition, d.Transition], dict[str, Any]]) -> None:
    """A broken payload has an unknown input, misses a required one, or has a bad value."""
    (definition, transition), payload = case
    compiled = compile_definition(definition, dict.fromkeys(transition.guards, lambda _c, _a: True))
    (move,) = (m for m in compiled.moves[transition.sources[0]][transition.trigger] if m.source == transition)
    assert move.normalize_payload(payload)[1] != {}


@given(st.data())
def test_commands_are_by_an_allowed_role_or_not(data: st.DataObject) -> None:
    """authorized=True draws a role that may fire the trigger; authorized=False one that may not."""
    authorized = data.draw(st.booleans())
    command = data.draw(commands(PLACEMENT, authorized=authorized, valid=True))
    roles = {role for t in PLACEMENT.transitions if t.trigger == command.trigger for role in t.firing_roles}
    assert (command.actor.role in roles) is authorized


@given(st.sampled_from(BUNDLED).flatmap(lambda definition: st.tuples(st.just(definition), walks(definition))))
def test_walks_replay_on_the_engine(case: tuple[jw.Definition, Any]) -> None:
    """The engine accepts each command of a walk, ends where the walk says, and the history verifies."""
    definition, walk = case
    engine = jw.Engine([definition])
    instance = engine.start(definition.protocol, walk.starter)
    for command, move in zip(walk.commands, walk.trace.steps, strict=True):
        instance = engine.fire(instance.id, command.trigger, command.actor, command.payload)
        assert instance.state == move.target
    assert instance.state == walk.state
    assert verify(engine).ok


@given(definitions())
def test_random_definitions_are_valid_and_load_back(definition: jw.Definition) -> None:
    """Generated definitions have no structural problem and survive the document form unchanged."""
    assert structural_findings(definition) == []
    assert definition_from_document(definition_to_document(definition)) == definition
    assert 2 <= len(definition.states) <= 6 and 1 <= len(definition.roles) <= 3
    assert definition.final_states()


# -- traces ---------------------------------------------------------------------------------------


def test_a_trace_prints_as_numbered_lines() -> None:
    """Start line, then actor (role) trigger payload : before -> after, with notes and refusals."""
    anna, ben = jw.Actor("anna", "sme"), jw.Actor("ben", "department")
    trace = Trace(anna, "draft").then(TraceStep(anna, "contact", {}, "draft", "contacted"))
    trace = trace.then(TraceStep(anna, "define", {"fields": ["ai", "iot"]}, "contacted", "contacted"))
    trace = trace.then(TraceStep(ben, "sign", {}, "contacted", "contacted", note="signed"))
    trace = trace.then(
        TraceStep(ben, "sign", {}, "contacted", "contacted", refused="Role 'department' has already signed")
    )
    assert str(trace).splitlines() == [
        "  0. anna (sme) starts : draft",
        "  1. anna (sme) contact {} : draft -> contacted",
        '  2. anna (sme) define {"fields": ["ai", "iot"]} : contacted -> contacted',
        "  3. ben (department) sign {} : contacted -> contacted  (signed)",
        "  4. ben (department) sign {} : contacted, refused: Role 'department' has already signed",
    ]
    assert (trace.state, trace.triggers()) == ("contacted", ("contact", "define", "sign", "sign"))


# -- the property test --------------------------------------------------------------------------


# The property test of a sound protocol, collected by pytest like any test case.
TestPlacement = protocol_test(PLACEMENT)


def test_protocol_test_makes_a_test_case_named_after_the_protocol() -> None:
    """protocol_test returns a unittest.TestCase class, named after the protocol, that runs the property test."""
    assert issubclass(TestPlacement, unittest.TestCase)
    assert TestPlacement.__name__ == "TestPlacement"
    assert TestPlacement.__doc__ == "The property test of placement."


def test_the_machine_has_a_rule_per_trigger_and_role() -> None:
    """A rule fires each trigger as each role that may; one fires commands that must be refused."""
    machine = protocol_machine(PLACEMENT)
    for name in ("fire_agree_as_school", "fire_agree_as_company", "fire_start_as_company"):
        assert callable(getattr(machine, name))
    assert callable(machine.fire_a_command_the_engine_must_refuse)
    assert not hasattr(machine, "fire_start_as_school")


def test_the_sweep_visits_every_abstract_state() -> None:
    """Without named guards, the sweep drives the engine through each state the model checker explores."""
    assert sweep(PLACEMENT) == jw.model_check(PLACEMENT).states


def test_the_default_settings_have_no_deadline_no_explain_phase_and_no_step_list() -> None:
    """The current profile, minus what makes stateful failures slow or noisy."""
    settings = default_settings()
    assert settings.deadline is None and Phase.explain not in settings.phases
    assert settings.verbosity is Verbosity.quiet


class TamperingStore(MemoryStore):
    """A store that changes the payload of what it appends after the third event: the history lies."""

    def append(
        self,
        instance: jw.Instance,
        event: jw.Event,
        expected_seq: int,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> None:
        if event.seq > 3:
            event = attrs.evolve(event, payload={**event.payload, "weeks": 99})
        super().append(instance, event, expected_seq, idempotency_key, request)


def test_a_store_that_alters_the_history_fails_the_property_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hash of every stored event is checked as it is written."""
    monkeypatch.setattr(harness, "MemoryStore", TamperingStore)
    with pytest.raises(ProtocolViolation, match="The hash chain breaks at event 4") as failure:
        run_protocol_test(PLACEMENT)
    assert failure.value.trace is not None and len(failure.value.trace.steps) == 3


def test_a_state_left_only_through_a_refusing_guard_is_stuck() -> None:
    """A named guard that always refuses the only way out: stuck, after a few refused attempts, with the trace."""
    held = attrs.evolve(
        PLACEMENT,
        states=(*PLACEMENT.states, d.State("on_hold")),
        transitions=(
            *PLACEMENT.transitions,
            d.Transition("hold", ("proposed",), ("company",), "on_hold"),
            d.Transition("resume", ("on_hold",), ("company",), "proposed", guards=("board_agrees",)),
        ),
    )
    with pytest.raises(ProtocolViolation, match="Stuck in 'on_hold'") as failure:
        run_protocol_test(held, guards={"board_agrees": lambda _context, _actor: False})
    assert failure.value.trace is not None
    assert failure.value.trace.steps[-1].trigger == "resume"


def test_a_guard_that_passes_sometimes_is_fine() -> None:
    """A named guard that depends on the values drawn passes the property test."""
    guarded = attrs.evolve(
        PLACEMENT,
        transitions=tuple(
            attrs.evolve(t, guards=("short_enough",)) if t.trigger == "propose" else t
            for t in PLACEMENT.transitions
        ),
    )
    run_protocol_test(guarded, guards={"short_enough": lambda context, _actor: context.get("weeks", 0) < 50})
