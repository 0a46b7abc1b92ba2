"""Hypothesis strategies for protocols: context values, payloads, commands, walks and whole definitions.

Everything is derived from a :class:`~just_workflow.definition.Definition`:
the types, choices and ``min_items`` of its fields, the roles and inputs of
its transitions, and the constants its conditions compare with (so that the
values drawn hit both sides of every condition). ``valid=False`` draws what
the engine must refuse: a payload with an unknown input, a missing required
input or a value of the wrong type, not a choice, or with too few items; a
command by a role that may not fire the trigger.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping
from typing import Any

import attrs
from hypothesis import strategies as st

from just_workflow.canonical import MAX_SAFE_INTEGER
from just_workflow.checks.abstraction import (
    Abstraction,
    actors,
    conditions_on,
    field_representatives,
    fresh_name,
    outsider,
)
from just_workflow.checks.trace import Trace, TraceStep
from just_workflow.definition import (
    SYSTEM_ROLE,
    Condition,
    Definition,
    Field,
    FieldType,
    Input,
    Invariant,
    Op,
    Role,
    Signoff,
    State,
    Text,
    Transition,
)
from just_workflow.errors import WorkflowError
from just_workflow.events import Actor
from just_workflow.guards import NamedGuard
from just_workflow.instance import Command, Instance
from just_workflow.step import begin, step
from just_workflow.table import Table, compile_definition

__all__ = [
    "Walk",
    "broken_values",
    "commands",
    "definitions",
    "field_values",
    "payloads",
    "walks",
]

_WALK_INSTANCE = "walk"
_WALK_NOW = "2026-01-01T00:00:00+00:00"


# -- values and payloads ------------------------------------------------------------------------


def field_values(field: Field, conditions: tuple[Condition, ...] = ()) -> st.SearchStrategy[Any]:
    """Valid payload values for ``field``: a representative of each class ``conditions`` tell apart, or any."""
    representatives = field_representatives(field, conditions)
    return st.one_of(st.sampled_from(representatives), _any_valid(field))


def _any_valid(field: Field) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind is FieldType.BOOL:
        return st.booleans()
    if kind is FieldType.INT:
        return st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    if kind is FieldType.DATE:
        return st.dates().map(datetime.date.isoformat)
    items = st.sampled_from(field.choices) if field.choices else st.text(max_size=12)
    if kind is FieldType.STR:
        return items
    least = field.min_items or 0
    return st.lists(items, min_size=least, max_size=least + 3)


def broken_values(field: Field) -> st.SearchStrategy[Any]:
    """Values the engine must refuse for ``field``: of another type, not a choice, with too few items."""
    wrong_type: dict[FieldType, st.SearchStrategy[Any]] = {
        FieldType.STR: st.one_of(st.integers(), st.booleans(), st.none(), st.lists(st.text(), max_size=2)),
        FieldType.INT: st.one_of(st.text(max_size=5), st.booleans(), st.floats(allow_nan=False), st.none()),
        FieldType.BOOL: st.one_of(st.integers(), st.sampled_from(["true", "yes", "false"]), st.none()),
        FieldType.DATE: st.one_of(st.sampled_from(["2026-13-01", "01/02/2026", "tomorrow"]), st.integers()),
        FieldType.LIST_STR: st.one_of(st.text(max_size=5), st.lists(st.integers(), min_size=1, max_size=2)),
    }
    options = [wrong_type[field.type]]
    if field.choices is not None:
        stranger = st.text(min_size=1, max_size=8).filter(lambda text: text not in (field.choices or ()))
        least = max(field.min_items or 0, 1)
        options.append(stranger if field.type is FieldType.STR else stranger.map(lambda s: [s] * least))
    if field.min_items:
        items = st.sampled_from(field.choices) if field.choices else st.text(max_size=5)
        options.append(st.lists(items, max_size=field.min_items - 1))
    return st.one_of(options)


def payloads(
    definition: Definition, transition: Transition, *, valid: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """Payloads for ``transition``'s inputs: valid ones (optional inputs may be left out) or broken ones."""
    strategies = {
        item.field: field_values(
            definition.field_map[item.field], tuple(conditions_on(definition, item.field))
        )
        for item in transition.inputs
    }
    required = {item.field: strategies[item.field] for item in transition.inputs if item.required}
    optional = {item.field: strategies[item.field] for item in transition.inputs if not item.required}
    good = st.fixed_dictionaries(required, optional=optional)
    return good if valid else _broken_payloads(definition, transition, good)


def _broken_payloads(
    definition: Definition, transition: Transition, good: st.SearchStrategy[dict[str, Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    unknown = fresh_name("no_such_input", [item.field for item in transition.inputs])
    damages: list[st.SearchStrategy[dict[str, Any]]] = [good.map(lambda payload: {**payload, unknown: "?"})]
    required = [item.field for item in transition.inputs if item.required]
    if required:
        missing = st.sampled_from(required)
        damages.append(st.tuples(good, missing).map(lambda pair: _without(*pair)))
    for item in transition.inputs:
        bad = broken_values(definition.field_map[item.field])
        damages.append(st.tuples(good, st.just(item.field), bad).map(_with))
    return st.one_of(damages)


def _without(payload: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != name}


def _with(change: tuple[Mapping[str, Any], str, Any]) -> dict[str, Any]:
    payload, name, value = change
    return {**payload, name: value}


# -- commands and walks -------------------------------------------------------------------------


@st.composite
def commands(
    draw: st.DrawFn, definition: Definition, *, authorized: bool | None = None, valid: bool | None = None
) -> Command:
    """A command for one of ``definition``'s transitions: by a role that may fire it or not, with a valid or broken payload.

    ``authorized`` and ``valid`` left as None are drawn. A role that may not
    fire it is another declared role or, when every role may, an undeclared one.
    The transitions of deadlines are left out: only the engine's clock fires them.
    """
    transition = draw(st.sampled_from([t for t in definition.transitions if SYSTEM_ROLE not in t.by]))
    allowed = transition.firing_roles
    cast = actors(definition)
    if authorized if authorized is not None else draw(st.booleans()):
        actor = cast[draw(st.sampled_from(allowed))]
    else:
        others = [actor for role, actor in cast.items() if role not in allowed]
        actor = draw(st.sampled_from(others or [outsider(definition)]))
    payload = draw(
        payloads(definition, transition, valid=valid if valid is not None else draw(st.booleans()))
    )
    return Command(transition.trigger, actor, payload)


@attrs.frozen
class Walk:
    """A run through a definition: who starts it, then commands the engine accepts one after the other.

    A walk lets no deadline pass: its commands are the parties', which ``Engine.fire`` takes.

    ``trace`` shows the run step by step; ``state`` is where it ends.
    """

    starter: Actor
    commands: tuple[Command, ...]
    trace: Trace

    @property
    def state(self) -> str:
        """The state the walk ends in."""
        return self.trace.state


def walks(
    definition: Definition, *, guards: Mapping[str, NamedGuard] | None = None, max_steps: int = 20
) -> st.SearchStrategy[Walk]:
    """Walks of up to ``max_steps`` accepted commands from the start, stopping early in a final state.

    Each step draws a trigger available in the current state, a role that
    may fire it and a valid payload; when the engine refuses that, it picks
    one of the commands of representative values, or one of the invitations
    of representative parties, that the engine accepts.
    ``guards`` are the named Python guards the definition uses.
    """
    table = compile_definition(definition, guards)
    abstraction = Abstraction(definition)

    @st.composite
    def walk(draw: st.DrawFn) -> Walk:
        start_roles = [role for role in abstraction.actors if role in table.start_roles]
        starter = abstraction.actors[draw(st.sampled_from(start_roles))]
        instance, _ = begin(table, _WALK_INSTANCE, starter, _WALK_NOW, seal=False)
        trace = Trace(starter, definition.initial)
        accepted: list[Command] = []
        for _ in range(draw(st.integers(0, max_steps))):
            state = instance.state
            options = [
                (t, role)
                for t in table.moves.get(state, {})
                for role in abstraction.actors
                if table.authorized(state, t, role)
            ]
            if not options:
                break
            trigger, role = draw(st.sampled_from(options))
            candidates = table.authorized(instance.state, trigger, role)
            transition = draw(st.sampled_from(candidates)).source
            drawn = Command(trigger, abstraction.actors[role], draw(payloads(definition, transition)))
            moved = _try(table, instance, drawn)
            if (
                moved is None
            ):  # the drawn role's representative may not be a party yet: an invitation binds it
                enabled = [
                    (command, after)
                    for command in (*abstraction.commands(table, instance.state), *abstraction.invitations)
                    if command.actor.role != SYSTEM_ROLE
                    and (after := _try(table, instance, command)) is not None
                ]
                if not enabled:
                    break
                drawn, moved = draw(st.sampled_from(enabled))
            trace = trace.then(
                TraceStep(drawn.actor, drawn.trigger, drawn.payload, instance.state, moved.state)
            )
            accepted.append(drawn)
            instance = moved
        return Walk(starter, tuple(accepted), trace)

    return walk()


def _try(table: Table, instance: Instance, command: Command) -> Instance | None:
    """The snapshot after ``command``, or None when the engine refuses it."""
    try:
        after, _ = step(table, instance, command, _WALK_NOW, seal=False)
    except WorkflowError:
        return None
    return after


# -- definitions --------------------------------------------------------------------------------

#: The fields random definitions draw from: one per type, with and without choices.
_FIELDS = (
    Field("flag", FieldType.BOOL),
    Field("count", FieldType.INT),
    Field("label", FieldType.STR),
    Field("kind", FieldType.STR, choices=("a", "b", "c")),
    Field("day", FieldType.DATE),
    Field("tags", FieldType.LIST_STR, choices=("x", "y", "z"), min_items=1),
)
_ROLES = ("sme", "hei", "department")
_DAYS = ("2026-01-01", "2026-06-30")


def _condition(field: Field) -> st.SearchStrategy[Condition]:
    """Conditions that fit ``field``: its type, its choices."""
    name = field.name
    if field.type is FieldType.BOOL:
        return st.builds(Condition, st.just(name), st.sampled_from([Op.EQ, Op.NE]), st.booleans())
    if field.type is FieldType.INT:
        ops = st.sampled_from([Op.EQ, Op.NE, Op.GT, Op.GE, Op.LT, Op.LE])
        return st.builds(Condition, st.just(name), ops, st.integers(-1, 3))
    if field.type is FieldType.DATE:
        ops = st.sampled_from([Op.EQ, Op.GT, Op.LT])
        return st.builds(Condition, st.just(name), ops, st.sampled_from(_DAYS))
    if field.type is FieldType.LIST_STR:
        return st.builds(
            Condition, st.just(name), st.just(Op.CONTAINS), st.sampled_from(field.choices or ("x",))
        )
    words = field.choices or ("a", "b")
    single = st.builds(Condition, st.just(name), st.sampled_from([Op.EQ, Op.NE]), st.sampled_from(words))
    several = st.lists(st.sampled_from(words), min_size=1, max_size=2, unique=True).map(tuple)
    listed = st.builds(Condition, st.just(name), st.sampled_from([Op.IN, Op.NOT_IN]), several)
    return st.one_of(single, listed)


def _subset(
    draw: st.DrawFn, names: tuple[str, ...], *, least: int = 0, most: int | None = None
) -> tuple[str, ...]:
    """Some of ``names``, in their order."""
    chosen = (
        draw(st.lists(st.sampled_from(names), min_size=least, max_size=most or len(names), unique=True))
        if names
        else []
    )
    return tuple(name for name in names if name in chosen)


@st.composite
def _transition(
    draw: st.DrawFn,
    trigger: str,
    sources: tuple[str, ...],
    target: str | None,
    roles: tuple[str, ...],
    fields: tuple[Field, ...],
) -> Transition:
    names = tuple(field.name for field in fields)
    by = _subset(draw, roles, least=1)
    inputs = tuple(Input(name, draw(st.booleans())) for name in _subset(draw, names, most=2))
    conditions: tuple[Condition, ...] = ()
    if fields and draw(st.integers(0, 2)) == 0:
        conditions = (draw(st.sampled_from(fields).flatmap(_condition)),)
    signoff = Signoff(by) if target is not None and len(by) > 1 and draw(st.integers(0, 2)) == 0 else None
    return Transition(
        trigger, sources, by, target, inputs, _subset(draw, names, most=1), conditions, signoff=signoff
    )


@st.composite
def definitions(
    draw: st.DrawFn, *, max_states: int = 6, max_roles: int = 3, max_fields: int = 4
) -> Definition:
    """Small structurally valid definitions: 2 to ``max_states`` states, 1 to ``max_roles`` roles, a few fields.

    Each role is an office (open) or closed and invited by any other role.
    Every state is reachable and every state can lead to a final one when
    guards are ignored (a chain through the non-final states, then an exit);
    guards, inputs, sign-offs and invariants are drawn, so that a definition
    may still have dead transitions, runtime traps or breakable invariants.
    No named Python guards are used.
    """
    roles = _subset(draw, _ROLES[:max_roles], least=1)
    fields = tuple(
        field
        for field in _FIELDS
        if field.name in _subset(draw, tuple(f.name for f in _FIELDS), most=max_fields)
    )
    count = draw(st.integers(2, max_states))
    finals = draw(st.integers(1, count - 1))
    steps = tuple(f"step_{index}" for index in range(count - finals))
    ends = tuple(f"end_{index}" for index in range(finals))
    moves: list[tuple[tuple[str, ...], str | None]] = [((a,), b) for a, b in itertools.pairwise(steps)]
    moves.append(((steps[-1],), ends[0]))
    moves += [((draw(st.sampled_from(steps)),), end) for end in ends[1:]]
    for _ in range(draw(st.integers(0, 4))):
        sources = _subset(draw, steps, least=1, most=2)
        moves.append((sources, draw(st.one_of(st.none(), st.sampled_from(steps + ends)))))
    transitions = tuple(
        draw(_transition(f"move_{index}", sources, target, roles, fields))
        for index, (sources, target) in enumerate(moves)
    )
    states = (*(State(name) for name in steps), *(State(name, final=True) for name in ends))
    invariants = tuple(draw(st.lists(_invariant(steps + ends, fields), max_size=2))) if fields else ()
    invariants = tuple(attrs.evolve(inv, name=f"rule_{index}") for index, inv in enumerate(invariants))
    return Definition(
        protocol="generated",
        version=1,
        title=Text("A generated protocol"),
        roles=tuple(
            # An office, or a closed role any other role may invite to (whichever role started).
            Role(name, open=True)
            if draw(st.booleans())
            else Role(name, invited_by=tuple(r for r in roles if r != name))
            for name in roles
        ),
        states=states,
        initial=steps[0],
        transitions=transitions,
        context=fields,
        invariants=invariants,
        start_by=_subset(draw, roles),
    )


@st.composite
def _invariant(draw: st.DrawFn, states: tuple[str, ...], fields: tuple[Field, ...]) -> Invariant:
    names = tuple(field.name for field in fields)
    conditions = tuple(draw(st.lists(st.sampled_from(fields).flatmap(_condition), max_size=1)))
    requires = _subset(draw, names, least=0 if conditions else 1, most=2)
    return Invariant("rule", _subset(draw, states, least=1, most=3), requires, conditions)
