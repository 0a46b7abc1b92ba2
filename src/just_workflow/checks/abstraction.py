"""Representative values: the finite abstraction of a definition's context that the checks share.

A definition's declarative conditions only tell some values apart: ``offer eq
joint_teaching`` splits the strings in two, ``ects ge 1`` splits the integers
at 1, ``departments contains hr`` splits the lists by whether they hold
``hr``. :func:`representatives` picks one valid value for each class of
values that every condition of the definition treats alike, so that a run
over representatives behaves, for every condition, as some run over real
values would, and every class is covered. The model checker explores with
them; the property test uses them to decide whether a state can progress.

Named Python guards may tell more values apart; the abstraction cannot see
what they read.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from just_workflow.deadlines import SYSTEM
from just_workflow.definition import (
    INVITE,
    SYSTEM_ROLE,
    Condition,
    Definition,
    Field,
    FieldType,
    Input,
    Op,
    Transition,
)
from just_workflow.events import Actor
from just_workflow.guards import condition_check, value_check
from just_workflow.instance import Command
from just_workflow.table import CompiledTransition, Table

#: Names given to the representative actor of each role, in role declaration order.
ACTOR_NAMES = ("anna", "ben", "carla", "dora", "emil", "fiona", "gabor", "hana", "ivan", "jana")

#: The most items (in ``contains`` conditions) of one list field whose presence the representatives tell
#: apart, each subset of them being a class; items past these are only ever absent from representatives.
MAX_LIST_ITEMS = 10


def actors(definition: Definition) -> dict[str, Actor]:
    """One actor per role, named in role declaration order: ``anna`` for the first role, ``ben``..."""
    return {
        role.name: Actor(ACTOR_NAMES[index] if index < len(ACTOR_NAMES) else f"actor_{index}", role.name)
        for index, role in enumerate(definition.roles)
    }


def outsider(definition: Definition) -> Actor:
    """An actor of a role the definition does not declare: no transition lets it act."""
    return Actor("olga", fresh_name("outsider", [role.name for role in definition.roles]))


def conditions_on(definition: Definition, name: str) -> list[Condition]:
    """Every condition of the definition (transitions and invariants) that reads field ``name``."""
    everything = itertools.chain(
        (c for t in definition.transitions for c in t.conditions),
        (c for i in definition.invariants for c in i.conditions),
    )
    return [condition for condition in everything if condition.field == name]


def representatives(definition: Definition) -> dict[str, tuple[Any, ...]]:
    """For each context field, one valid, normalized value per class its conditions tell apart."""
    return {
        field.name: field_representatives(field, conditions_on(definition, field.name))
        for field in definition.context
    }


def field_representatives(field: Field, conditions: Sequence[Condition]) -> tuple[Any, ...]:
    """One valid value of ``field`` for each combination of outcomes of ``conditions`` it can take."""
    check = value_check(field)
    compiled = [condition_check(condition) for condition in conditions]
    chosen: dict[tuple[bool, ...], Any] = {}
    for candidate in _candidates(field, conditions):
        value, problem = check(candidate)
        if problem is not None:
            continue
        outcome = tuple(test({field.name: value}) is None for test in compiled)
        chosen.setdefault(outcome, value)
    return tuple(chosen.values())


def _candidates(field: Field, conditions: Sequence[Condition]) -> Iterator[Any]:
    """Values that reach every class: the compared constants, their neighbours, and a fresh value."""
    constants = [item for c in conditions for item in _compared(c)]
    kind = field.type
    if kind is FieldType.BOOL:
        yield from (True, False)
    elif kind is FieldType.STR:
        yield from field.choices or ()
        yield from (c for c in constants if isinstance(c, str))
        yield fresh_name("text", constants)
    elif kind is FieldType.INT:
        numbers = sorted({c for c in constants if isinstance(c, int) and not isinstance(c, bool)})
        yield from sorted({n + delta for n in numbers for delta in (0, -1, 1)}) or (1,)
    elif kind is FieldType.DATE:
        days = sorted({datetime.date.fromisoformat(c).toordinal() for c in constants if isinstance(c, str)})
        around = sorted({day + delta for day in days for delta in (0, -1, 1)})
        yield from (datetime.date.fromordinal(day).isoformat() for day in around or (_DEFAULT_DAY,))
    else:
        yield from _list_candidates(field, conditions)


_DEFAULT_DAY = datetime.date(2026, 1, 1).toordinal()


def _compared(condition: Condition) -> list[Any]:
    """The constants a condition compares with (the items, for ``in`` and ``not_in``)."""
    if condition.op in (Op.IN, Op.NOT_IN) and isinstance(condition.value, list | tuple):
        return list(condition.value)
    return [condition.value]


def fresh_name(stem: str, taken: Sequence[Any]) -> str:
    """``stem``, or ``stem_2``, ``stem_3``... : the first one not in ``taken``."""
    for number in itertools.count(1):
        name = stem if number == 1 else f"{stem}_{number}"
        if name not in taken:
            return name
    raise AssertionError("unreachable")  # pragma: no cover


def _list_candidates(field: Field, conditions: Sequence[Condition]) -> Iterator[Any]:
    """Lists with and without each mentioned item, padded to ``min_items``; the compared lists as they are."""
    whole_lists = [item for c in conditions for item in _compared(c) if isinstance(item, list | tuple)]
    yield from (list(value) for value in whole_lists)
    mentioned = list(
        dict.fromkeys(c.value for c in conditions if c.op is Op.CONTAINS and isinstance(c.value, str))
    )
    mentioned = mentioned[:MAX_LIST_ITEMS]
    if field.choices is not None:
        spare = [choice for choice in field.choices if choice not in mentioned]
    else:
        taken = [*mentioned, *(item for value in whole_lists for item in value)]
        spare = [fresh_name("item", taken)]
    if not field.min_items:
        yield []
    least = max(field.min_items or 0, 1)
    for size in range(len(mentioned) + 1):
        for subset in itertools.combinations(mentioned, size):
            filler = spare[:1] or list(subset[:1])  # no spare choice left: repeat an item
            if filler:
                yield [*subset, *filler * (least - size)]


def strangers(definition: Definition) -> dict[str, Actor]:
    """For each closed role, an actor with the role who is never bound: every move of theirs must be refused."""
    taken = list(actors(definition).values())
    return {
        role.name: Actor(fresh_name(f"stranger_{role.name}", [a.id for a in taken]), role.name)
        for role in definition.roles
        if not role.open
    }


class Abstraction:
    """A definition's representative values, one actor per role, and the payloads of each transition.

    Parties are abstracted to the representative actors: a closed role's
    party is its representative, bound by an ``invite`` from a party of a
    role that may bind it (or by joining); the ``strangers`` have the role
    but are never bound.
    """

    def __init__(self, definition: Definition) -> None:
        self.values = representatives(definition)
        self.actors = actors(definition)
        self.strangers = strangers(definition)
        self.transitions = definition.transitions
        self.invitations = [
            Command(INVITE, self.actors[inviter], {"role": role.name, "party": self.actors[role.name].id})
            for role in definition.roles
            if not role.open
            for inviter in role.invited_by
        ]

    def commands(
        self, table: Table, state: str, context: Mapping[str, Any] | None = None
    ) -> Iterator[Command]:
        """Every command of representative values for the triggers of ``state``, by each role that may fire them.

        Made one at a time: the payloads of a transition with many optional
        inputs number in the millions, and an exploration stops at its bound.
        The state's deadline is a move too: time may always pass, and the clock fires it; a deadline ``at``
        a date field falls due only once the field is set in ``context``.
        """
        for trigger, candidates in table.moves.get(state, {}).items():
            for role, actor in self.actors.items():
                if table.authorized(state, trigger, role):
                    for payload in self._offered(candidates):
                        yield Command(trigger, actor, payload)
        deadline = table.definition.deadlines.get(state)
        if (
            deadline is not None
            and (deadline.at is None or deadline.at in (context or {}))
            and table.authorized(state, deadline.fire, SYSTEM_ROLE)
        ):
            yield Command(deadline.fire, SYSTEM, {})

    def _offered(self, candidates: Sequence[CompiledTransition]) -> Iterator[dict[str, Any]]:
        """The payloads of the candidates of one trigger, each once.

        A transition's payloads depend on its inputs alone: candidates taking
        the same inputs (most often all of them) are enumerated once.
        """
        inputs = {self.transitions[c.index].inputs: self.transitions[c.index] for c in candidates}
        if len(inputs) == 1:
            yield from payloads(next(iter(inputs.values())), self.values)
            return
        seen: set[str] = set()
        for transition in inputs.values():
            for payload in payloads(transition, self.values):
                key = repr(payload)
                if key not in seen:
                    seen.add(key)
                    yield payload

    def stranger_commands(self, table: Table, state: str) -> Iterator[Command]:
        """A command of each trigger of ``state`` by each stranger whose role may fire it."""
        for trigger, candidates in table.moves.get(state, {}).items():
            payload = next(payloads(self.transitions[candidates[0].index], self.values), {})
            for role, stranger in self.strangers.items():
                if table.authorized(state, trigger, role):
                    yield Command(trigger, stranger, payload)


def payloads(transition: Transition, values: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Every payload of representative values for ``transition``'s inputs (an optional input may be left out).

    One at a time (``itertools.product`` keeps only the choices, never the combinations).
    """
    choices = [_input_choices(item, values) for item in transition.inputs]
    for combination in itertools.product(*choices):
        yield {name: value for name, value in combination if name is not None}


_LEFT_OUT: tuple[None, None] = (None, None)


def _input_choices(item: Input, values: Mapping[str, Sequence[Any]]) -> list[tuple[str | None, Any]]:
    given: list[tuple[str | None, Any]] = [(item.field, value) for value in values[item.field]]
    return given if item.required else [_LEFT_OUT, *given]
