"""The engine against a reference: a transitions Machine built from the same definition, guards as conditions.

The reference writes the run-time semantics down a second time, independently
of the engine's compiled table: who may fire, payload checks and
normalization, guards on the context with the payload applied, sign-offs,
invariants. transitions does the rest: which transitions a trigger has in a
state (none: ``MachineError``), trying them in declaration order, moving.
For Hypothesis-generated definitions and command sequences, the engine must
accept, refuse (with the same kind of refusal) and move exactly as the
reference does, and record the same context, signatures and event.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Mapping
from typing import Any

import attrs
from hypothesis import given
from hypothesis import strategies as st
from transitions import Machine, MachineError

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.events import FIRE, SIGN, Actor
from just_workflow.instance import Command, Instance
from just_workflow.step import begin, step
from just_workflow.table import compile_definition
from just_workflow.testing.strategies import commands, definitions, payloads

NOW = "2026-01-01T00:00:00+00:00"

_COMPARE: Mapping[d.Op, Callable[[Any, Any], bool]] = {
    d.Op.EQ: operator.eq,
    d.Op.NE: operator.ne,
    d.Op.IN: lambda value, options: value in options,
    d.Op.NOT_IN: lambda value, options: value not in options,
    d.Op.CONTAINS: lambda value, item: item in value,
    d.Op.GT: operator.gt,
    d.Op.GE: operator.ge,
    d.Op.LT: operator.lt,
    d.Op.LE: operator.le,
}


class Invalid(Exception):
    """A payload value the reference rejects."""


def normalized(field: d.Field, value: Any) -> Any:
    """``value`` as the context stores it (dates as ISO strings, lists as tuples); Invalid if it does not fit."""
    if field.type is d.FieldType.BOOL:
        ok = isinstance(value, bool)
    elif field.type is d.FieldType.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif field.type is d.FieldType.STR:
        ok = isinstance(value, str) and (field.choices is None or value in field.choices)
    elif field.type is d.FieldType.DATE:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except (TypeError, ValueError):
            raise Invalid(value) from None
    else:
        ok = (
            isinstance(value, list | tuple)
            and all(isinstance(item, str) for item in value)
            and (field.choices is None or set(value) <= set(field.choices))
            and len(value) >= (field.min_items or 0)
        )
        value = tuple(value) if ok else value
    if not ok:
        raise Invalid(value)
    return value


def holds(condition: d.Condition, context: Mapping[str, Any]) -> bool:
    """A condition on the context; false while its field is unset."""
    return condition.field in context and _COMPARE[condition.op](context[condition.field], condition.value)


@attrs.frozen
class Verdict:
    """What the reference makes of one transition for one command: a refusal kind, or the step it takes."""

    refusal: type[jw.WorkflowError] | None = None
    by_role: bool = False  # refused because the role may not fire it at all
    condition_false: bool = False  # one of the transition's own conditions is false
    target: str = ""
    context: Mapping[str, Any] = attrs.field(factory=dict)
    signatures: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    payload: Mapping[str, Any] = attrs.field(factory=dict)
    last_signature: bool = True


class Model:
    """The reference's model: the machine keeps its ``state``; the context and signatures live here."""

    def __init__(self) -> None:
        self.context: Mapping[str, Any] = {}
        self.signatures: Mapping[str, tuple[str, ...]] = {}
        self.verdicts: dict[int, Verdict] = {}  # by transition index, for the command being fired
        self.taken: tuple[int, Verdict] | None = None


class Reference:
    """The definition as a transitions Machine (``auto_transitions=False``), every guard a condition."""

    def __init__(self, definition: d.Definition) -> None:
        self.definition = definition
        self.model = Model()
        finals = set(definition.final_states())
        entries: list[dict[str, Any]] = []
        for index, transition in enumerate(definition.transitions):
            for source in transition.sources:
                if source in finals:  # a final state accepts nothing
                    continue
                common = {"trigger": transition.trigger, "source": source, "after": self._take}
                if transition.signoff:  # the first signatures stay, the last one moves
                    entries.append(
                        {**common, "dest": None, "conditions": self._condition(index, source, False)}
                    )
                    entries.append(
                        {
                            **common,
                            "dest": transition.target,
                            "conditions": self._condition(index, source, True),
                        }
                    )
                else:
                    dest = transition.target if transition.target not in (None, source) else None
                    entries.append(
                        {**common, "dest": dest, "conditions": self._condition(index, source, None)}
                    )
        self.machine = Machine(
            model=self.model,
            states=[state.name for state in definition.states],
            initial=definition.initial,
            transitions=entries,
            auto_transitions=False,
            send_event=True,
        )

    def _condition(self, index: int, source: str, last: bool | None) -> Callable[[Any], bool]:
        def check(event: Any) -> bool:
            model = event.model
            verdict = model.verdicts.get(index)
            if verdict is None:
                verdict = model.verdicts[index] = self.judge(index, source, event.kwargs["command"])
            if verdict.refusal is not None or (last is not None and last != verdict.last_signature):
                return False
            model.taken = (index, verdict)
            return True

        return check

    @staticmethod
    def _take(event: Any) -> None:
        model = event.model
        assert model.taken is not None
        _, verdict = model.taken
        model.context, model.signatures = verdict.context, verdict.signatures

    def judge(self, index: int, source: str, command: Command) -> Verdict:
        """The semantics of one transition for one command, from the current context and signatures."""
        transition = self.definition.transitions[index]
        model = self.model
        role = command.actor.role
        if role not in (transition.signoff.all_of if transition.signoff else transition.by):
            return Verdict(jw.NotAuthorized, by_role=True)
        given, accepted = set(command.payload), {item.field for item in transition.inputs}
        required = {item.field for item in transition.inputs if item.required}
        if given - accepted or required - given:
            return Verdict(jw.InvalidPayload)
        try:
            values = {
                name: normalized(self.definition.field_map[name], value)
                for name, value in command.payload.items()
            }
        except Invalid:
            return Verdict(jw.InvalidPayload)
        context = {**model.context, **values}
        signatures = {} if values else dict(model.signatures)  # a signature endorses the content it saw
        conditions_hold = all(holds(c, context) for c in transition.conditions)
        if not conditions_hold or any(name not in context for name in transition.requires):
            return Verdict(jw.GuardFailed, condition_false=not conditions_hold)
        target, last = transition.target or source, True
        if transition.signoff:
            signed = signatures.get(transition.trigger, ())
            if role in signed:
                return Verdict(jw.NotAuthorized)
            signed = (*signed, role)
            last = len(signed) == len(transition.signoff.all_of)
            if not last:
                target, signatures = source, {**signatures, transition.trigger: signed}
            else:  # a completed sign-off is used up, even when it leads back to the same state
                signatures = {t: roles for t, roles in signatures.items() if t != transition.trigger}
        if target != source:
            signatures = {}
        for invariant in self.definition.invariants:
            if target in invariant.states and not (
                all(name in context for name in invariant.requires)
                and all(holds(c, context) for c in invariant.conditions)
            ):
                return Verdict(jw.GuardFailed)
        return Verdict(None, False, False, target, context, signatures, values, last)

    def fire(self, command: Command) -> tuple[Any, ...]:
        """The outcome of ``command``: ``("moved", state, context, signatures, kind, payload)`` or ``("refused", kind)``."""
        model = self.model
        model.verdicts, model.taken = {}, None
        try:
            moved = model.trigger(command.trigger, command=command)  # type: ignore[attr-defined]
        except (MachineError, AttributeError):  # no transition in this state, or an unknown trigger
            return ("refused", jw.TransitionNotAllowed)
        if moved:
            assert model.taken is not None
            index, verdict = model.taken
            kind = SIGN if self.definition.transitions[index].signoff else FIRE
            return ("moved", model.state, model.context, model.signatures, kind, verdict.payload)  # type: ignore[attr-defined]
        tried = list(model.verdicts.values())
        if all(verdict.by_role for verdict in tried):
            return ("refused", jw.NotAuthorized)
        refusals = [verdict for verdict in tried if not verdict.by_role]
        # Variants of a trigger exclude each other by their conditions: the one whose conditions hold speaks.
        chosen = next((v for v in refusals if not v.condition_false), refusals[0])
        return ("refused", chosen.refusal)


def engine_fire(table: Any, instance: Instance, command: Command) -> tuple[tuple[Any, ...], Instance]:
    """The engine's outcome of ``command``, in the reference's terms, and the snapshot after it."""
    try:
        after, event = step(table, instance, command, NOW)
    except jw.WorkflowError as refusal:
        return ("refused", type(refusal)), instance
    outcome = (
        "moved",
        after.state,
        dict(after.context),
        {trigger: tuple(roles) for trigger, roles in after.signatures.items()},  # the roles that signed
        event.kind,
        dict(event.payload),
    )
    return outcome, after


def same_triggers(definition: d.Definition, kinds: int) -> d.Definition:
    """``definition`` with its transitions sharing ``kinds`` trigger names: several transitions per trigger."""
    renamed = tuple(
        attrs.evolve(transition, trigger=f"move_{index % kinds}")
        for index, transition in enumerate(definition.transitions)
    )
    return attrs.evolve(definition, transitions=renamed)


@st.composite
def scenarios(draw: st.DrawFn) -> d.Definition:
    """Generated definitions, some of them with triggers shared by several transitions.

    Every role is open: the reference models roles, guards and sign-offs; parties have tests of their own.
    """
    definition = draw(definitions())
    definition = attrs.evolve(
        definition, roles=tuple(attrs.evolve(r, open=True, invited_by=()) for r in definition.roles)
    )
    if draw(st.booleans()):
        definition = same_triggers(definition, draw(st.integers(1, len(definition.transitions))))
    return definition


def next_command(data: st.DataObject, definition: d.Definition, state: str) -> Command:
    """Any command of the definition, a command for a trigger of ``state`` by a role that may fire it, or an unknown trigger."""
    here = [t for t in definition.transitions if state in t.sources]
    choice = data.draw(st.integers(0, 5))
    if choice == 0:
        return Command("no_such_trigger", Actor("x", definition.roles[0].name))
    if choice <= 2 or not here:
        return data.draw(commands(definition))
    transition = data.draw(st.sampled_from(here))
    roles = transition.signoff.all_of if transition.signoff else transition.by
    role = data.draw(st.sampled_from(roles))
    return Command(
        transition.trigger, Actor(f"{role}_actor", role), data.draw(payloads(definition, transition))
    )


@given(data=st.data())
def test_the_engine_moves_and_refuses_as_the_reference_does(data: st.DataObject) -> None:
    """For any generated definition and commands, step and the transitions reference agree on every outcome."""
    definition = data.draw(scenarios())
    table = compile_definition(definition)
    reference = Reference(definition)
    starters = definition.start_by or tuple(role.name for role in definition.roles)
    instance, _ = begin(table, "diff", Actor("starter", data.draw(st.sampled_from(starters))), NOW)
    for _ in range(data.draw(st.integers(1, 15))):
        command = next_command(data, definition, instance.state)
        before = instance.state
        expected = reference.fire(command)
        outcome, instance = engine_fire(table, instance, command)
        assert outcome == expected, f"{command} in state {before}"


@given(data=st.data())
def test_who_may_start_is_as_the_definition_says(data: st.DataObject) -> None:
    """begin accepts exactly the start_by roles (every role when start_by is empty)."""
    definition = data.draw(definitions())
    role = data.draw(st.sampled_from([r.name for r in definition.roles] + ["outsider"]))
    allowed = role in (definition.start_by or tuple(r.name for r in definition.roles))
    try:
        begin(compile_definition(definition), "diff", Actor("someone", role), NOW)
    except jw.NotAuthorized:
        assert not allowed
    else:
        assert allowed
