"""The definition model: a protocol as plain, immutable data.

A :class:`Definition` is what a definition file describes, after loading:
roles, typed context fields, states, transitions with their guards and
sign-offs, and invariants. Nothing here reads files, touches a database or
runs a transition; the loader builds these objects, the engine compiles them.

The names of the attributes follow the model (``sources``, ``target``,
``inputs``); the file format spells some of them differently (``from``,
``to``, ``input``): see ``docs/definition-format.md``.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import math
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from just_workflow.canonical import canonical_json, is_safe_integer, is_valid_text
from just_workflow.errors import DefinitionError, Problem

#: The triggers every protocol has, to bind, unbind and replace the parties of its closed roles. A
#: definition never declares them; their payload is ``{"role", "party"}`` (and ``"new_party"`` to replace).
INVITE, REMOVE_PARTY, REPLACE_PARTY = "invite", "remove_party", "replace_party"
PARTY_TRIGGERS = (INVITE, REMOVE_PARTY, REPLACE_PARTY)

#: The reserved role only the engine's clock acts as: it fires the triggers of deadlines. A definition
#: names it in the ``by`` of a deadline's transition and never declares it.
SYSTEM_ROLE = "system"

#: The languages of the partnership; every title may be given in each.
LANGUAGES: tuple[str, ...] = ("en", "sk", "es", "it", "sl")

#: A context value as stored: JSON-friendly (dates are ISO ``YYYY-MM-DD`` strings).
Value = str | int | bool | tuple[str | int | bool, ...]


@attrs.frozen
class Text:
    """A short text in the partnership's languages; English is the fallback."""

    en: str
    sk: str | None = None
    es: str | None = None
    it: str | None = None
    sl: str | None = None

    def get(self, lang: str = "en") -> str:
        """The text in ``lang``, or in English when that translation is missing."""
        value = getattr(self, lang, None) if lang in LANGUAGES else None
        return value if isinstance(value, str) and value else self.en

    def missing(self) -> tuple[str, ...]:
        """The languages this text has no translation for."""
        return tuple(lang for lang in LANGUAGES if not getattr(self, lang))


class Named(enum.StrEnum):
    """The kinds of things a definition names and may title: what :meth:`Definition.title_of` looks up."""

    PROTOCOL = "protocol"
    STATE = "state"
    ROLE = "role"
    TRIGGER = "trigger"
    FIELD = "field"
    CHOICE = "choice"  # a value of a field's ``choices``: named with its field
    INVARIANT = "invariant"  # titled by its description


class FieldType(enum.StrEnum):
    """The types a context field may have."""

    STR = "str"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    LIST_STR = "list[str]"


class Op(enum.StrEnum):
    """Comparison operators of declarative conditions."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    GT = "gt"
    GE = "ge"
    LT = "lt"
    LE = "le"


@attrs.frozen
class Role:
    """A role that may act in the protocol (``sme``, ``career_services``...), and how its parties are bound.

    A closed role (the default) acts only through the actors bound to it on
    the instance: the starter, an actor invited by one of the ``invited_by``
    roles, or one who joined by firing a ``joins`` transition. An ``open``
    role is an office: any actor with the role acts, none is bound.
    """

    name: str
    title: Text | None = None
    description: Text | None = None
    open: bool = False
    invited_by: tuple[str, ...] = ()


@attrs.frozen
class Field:
    """A typed context field, set only through transition inputs.

    ``choice_titles`` gives the title of each titled choice (a value left
    out shows as itself); the file gives them by writing ``choices`` as a
    mapping of values to titles.
    """

    name: str
    type: FieldType
    title: Text | None = None
    description: Text | None = None
    choices: tuple[str, ...] | None = None
    min_items: int | None = None
    # Not hashed (a mapping is not hashable); compared, and digested only when given.
    choice_titles: Mapping[str, Text] | None = attrs.field(default=None, hash=False)


@attrs.frozen
class Deadline:
    """When the engine's clock fires ``fire`` (as the ``system`` role) in a state.

    Due ``after`` (an ISO 8601 duration, ``P14D``) from entering the state;
    or, with ``at`` (a date field of the context), at the start of that day
    (UTC), plus ``after`` when given. See :mod:`just_workflow.deadlines`.
    """

    fire: str
    after: str | None = None
    at: str | None = None


@attrs.frozen
class State:
    """A state of the protocol; a final state accepts no trigger. A ``deadline`` fires on its own."""

    name: str
    title: Text | None = None
    description: Text | None = None
    final: bool = False
    deadline: Deadline | None = None


@attrs.frozen
class Input:
    """A context field a transition takes from the payload."""

    field: str
    required: bool = True


@attrs.frozen
class Condition:
    """A declarative comparison on a context field; false while the field is unset."""

    field: str
    op: Op
    value: Value


@attrs.frozen
class Signoff:
    """Multi-party sign-off: the move happens with the last signature needed.

    Each role of ``all_of`` signs once, by one of its bound parties (any
    actor of an open role); for the roles of ``every_party``, every party
    bound to the role signs. One actor never signs for two roles.
    """

    all_of: tuple[str, ...]
    every_party: tuple[str, ...] = ()


@attrs.frozen
class Transition:
    """A trigger that moves from one of ``sources`` to ``target`` (or stays, when None).

    Guards are all declarative or named: ``requires`` (fields that must be
    set), ``conditions`` (comparisons), ``guards`` (names of Python guards
    registered on the engine). They are evaluated on the context with this
    transition's inputs applied. A transition that ``joins`` binds the actor
    who fires it to their role; an actor of a closed role may fire it
    unbound while the role has no party yet (a student applying to an offer).
    """

    trigger: str
    sources: tuple[str, ...]
    by: tuple[str, ...]
    target: str | None = None
    inputs: tuple[Input, ...] = ()
    requires: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    guards: tuple[str, ...] = ()
    signoff: Signoff | None = None
    title: Text | None = None
    description: Text | None = None
    joins: bool = False

    @property
    def firing_roles(self) -> tuple[str, ...]:
        """The roles that may fire this transition: its signers when it has a sign-off, else ``by``."""
        return self.signoff.all_of if self.signoff else self.by


@attrs.frozen
class Invariant:
    """In the states ``states``, the fields ``requires`` are set and ``conditions`` hold."""

    name: str
    states: tuple[str, ...]
    requires: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    description: Text | None = None


def out_of_bounds(definition: Definition) -> Iterator[tuple[str, str]]:
    """Where ``definition`` holds a value canonical JSON cannot, and why: ``(path, reason)`` pairs.

    Text must be valid Unicode (no lone surrogate), integers within
    ±(2**53 - 1), numbers finite; the digest is computed over these values.
    Paths follow the model (``$.roles[0].name``).
    """
    return _out_of_bounds(attrs.asdict(definition, filter=_digested), "$")


def _out_of_bounds(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if not is_valid_text(value):
            yield path, f"{value!r} is not valid Unicode text (it holds a lone surrogate)"
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if not is_safe_integer(
            value
        ):  # not in the message: repr of a huge integer is refused past 4300 digits
            yield path, "The integer is outside ±(2**53 - 1), the range canonical JSON holds exactly"
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, f"{value!r} is not a finite number"
    elif isinstance(value, dict):  # an attrs class, as asdict gives it: its keys are attribute names
        for key, item in value.items():
            yield from _out_of_bounds(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _out_of_bounds(item, f"{path}[{index}]")


def _digested(field: attrs.Attribute[Any], value: Any) -> bool:
    """Whether a field's value enters the digest: set to something other than its default, not ``origin``."""
    return field.name != "origin" and not (field.default is not attrs.NOTHING and value == field.default)


@attrs.frozen
class Definition:
    """A protocol: the immutable description the engine enforces.

    ``start_by`` lists the roles that may start an instance (empty: any role).
    ``origin`` names the file it was loaded from; it is not part of the
    protocol's identity and does not enter the :attr:`digest`.
    """

    protocol: str
    version: int
    title: Text
    roles: tuple[Role, ...]
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]
    context: tuple[Field, ...] = ()
    invariants: tuple[Invariant, ...] = ()
    start_by: tuple[str, ...] = ()
    source: str | None = None
    description: Text | None = None
    origin: str | None = attrs.field(default=None, eq=False, repr=False)

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the definition's non-default values, ``origin`` excluded.

        A field left at its default is omitted at every level, so that a key
        added to the format later (with a default) changes no existing digest.
        """
        body = attrs.asdict(self, filter=_digested)
        problems = [
            Problem(reason, path=path, file=self.origin) for path, reason in _out_of_bounds(body, "$")
        ]
        if problems:  # a definition built in code, unchecked: the loader refuses these values first
            raise DefinitionError(problems)
        return hashlib.sha256(canonical_json(body)).hexdigest()

    @functools.cached_property
    def state_map(self) -> Mapping[str, State]:
        """States by name."""
        return {state.name: state for state in self.states}

    @functools.cached_property
    def role_map(self) -> Mapping[str, Role]:
        """Roles by name."""
        return {role.name: role for role in self.roles}

    @functools.cached_property
    def field_map(self) -> Mapping[str, Field]:
        """Context fields by name."""
        return {field.name: field for field in self.context}

    @property
    def key(self) -> tuple[str, int]:
        """``(protocol, version)``: the identity under which definitions are registered."""
        return (self.protocol, self.version)

    def final_states(self) -> tuple[str, ...]:
        """Names of the final states, in declaration order."""
        return tuple(state.name for state in self.states if state.final)

    def triggers(self) -> tuple[str, ...]:
        """Distinct trigger names, in declaration order."""
        return tuple(dict.fromkeys(t.trigger for t in self.transitions))

    def text_of(self, kind: Named | str, name: str, *, field: str | None = None) -> Text | None:
        """The title of a thing the definition names, in every language it has; None when it has none.

        ``kind`` is a :class:`Named` (or its value); a choice is named with
        its ``field``. A trigger's title is that of its first titled
        transition. Every title shown to a person is looked up here or by
        :meth:`title_of`.
        """
        kind = Named(kind)
        if kind is Named.PROTOCOL:
            return self.title
        if kind is Named.STATE:
            state = self.state_map.get(name)
            return None if state is None else state.title
        if kind is Named.ROLE:
            role = self.role_map.get(name)
            return None if role is None else role.title
        if kind is Named.TRIGGER:
            return self._trigger_titles.get(name)
        if kind is Named.INVARIANT:
            return next((inv.description for inv in self.invariants if inv.name == name), None)
        owner = self.field_map.get(name if kind is Named.FIELD else field or "")
        if owner is None:
            return None
        if kind is Named.FIELD:
            return owner.title
        return (owner.choice_titles or {}).get(name)

    def title_of(self, kind: Named | str, name: str, lang: str = "en", *, field: str | None = None) -> str:
        """The title of a thing the definition names in ``lang`` (English when missing), else its name."""
        text = self.text_of(kind, name, field=field)
        return name if text is None else text.get(lang)

    @functools.cached_property
    def _trigger_titles(self) -> Mapping[str, Text]:
        titles: dict[str, Text] = {}
        for transition in self.transitions:
            if transition.title is not None:
                titles.setdefault(transition.trigger, transition.title)
        return titles

    @functools.cached_property
    def deadlines(self) -> Mapping[str, Deadline]:
        """The deadline of each state that has one, by state name."""
        return {state.name: state.deadline for state in self.states if state.deadline is not None}
