"""The picture of a protocol that every diagram format draws: boxes, arrows, their labels and styles.

:func:`picture_of` reads a definition, and optionally an instance and its
history, into plain frozen data: a :class:`Node` per state, titled in a
chosen language, and an :class:`Arrow` per transition and source state,
labelled by :func:`edge_label` and, when the instance took it, marked with
the seq numbers of the events that did (counted, with the first and the
last, when there are many: a loop taken 200 times keeps a short label). The current state is styled
``active`` and the states the instance went through ``previous``. The
writers (:mod:`.mermaid`, :mod:`.dot`) only turn a :class:`Picture` into
text; everything they show is decided here, in the definition's
declaration order, so the text is stable.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence

import attrs

from just_workflow.deadlines import parse_duration
from just_workflow.definition import Condition, Deadline, Definition, Named, Op, Transition, Value
from just_workflow.errors import WorkflowError
from just_workflow.events import START, Event
from just_workflow.instance import Instance

# Top to bottom: Mermaid places loops and long labels clear of each other so, where left to right it does not.
DIRECTION = "TB"

_OPERATORS: Mapping[Op, str] = {
    Op.EQ: "=",
    Op.NE: "≠",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.CONTAINS: "contains",
    Op.GT: ">",
    Op.GE: "≥",
    Op.LT: "<",
    Op.LE: "≤",
}


class Style(enum.StrEnum):
    """How a box is drawn; the values are the style names of transitions' diagram palette."""

    DEFAULT = "default"
    PREVIOUS = "previous"
    ACTIVE = "active"


@attrs.frozen
class Node:
    """A state's box: its name, its title in the picture's language, whether it is final, its style."""

    name: str
    title: str
    final: bool
    style: Style


@attrs.frozen
class Arrow:
    """A transition from one source state: what its arrow says and the seqs of the events that took it.

    ``deadline``: the arrow is the source state's deadline, which the clock fires (drawn dashed where the
    format can, its label starting with ``⏱``).
    """

    source: str
    target: str
    label: str
    taken: tuple[int, ...]
    deadline: bool = False


@attrs.frozen
class Picture:
    """Everything a diagram of one protocol shows, in the definition's declaration order."""

    protocol: str
    title: str
    initial: str
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]
    parties: tuple[str, ...] = ()  # one line per role: who acts in it, and who is bound on the instance


#: The words of labels, by language; a picture without a language names things as the definition does.
_WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "sign": "sign",
        "requires": "requires",
        "if": "if",
        "guard": "guard",
        "after": "after",
        "at": "at",
        "open": "open",
        "invited_by": "invited by",
        "joins": "joins",
        "starts": "starts",
        "never_bound": "never bound",
        "or": "or",
    },
    "sk": {
        "sign": "podpisujú",
        "requires": "vyžaduje",
        "if": "ak",
        "guard": "kontrola",
        "after": "po",
        "at": "k",
        "open": "otvorená",
        "invited_by": "pozvanie od",
        "joins": "pripája sa",
        "starts": "začína",
        "never_bound": "nikdy neviazaná",
        "or": "alebo",
    },
    "es": {
        "sign": "firman",
        "requires": "requiere",
        "if": "si",
        "guard": "control",
        "after": "tras",
        "at": "en",
        "open": "abierto",
        "invited_by": "invitado por",
        "joins": "se une",
        "starts": "inicia",
        "never_bound": "nunca vinculado",
        "or": "o",
    },
    "it": {
        "sign": "firmano",
        "requires": "richiede",
        "if": "se",
        "guard": "controllo",
        "after": "dopo",
        "at": "a",
        "open": "aperto",
        "invited_by": "invitato da",
        "joins": "si unisce",
        "starts": "avvia",
        "never_bound": "mai vincolato",
        "or": "o",
    },
    "sl": {
        "sign": "podpišejo",
        "requires": "zahteva",
        "if": "če",
        "guard": "preverjanje",
        "after": "po",
        "at": "ob",
        "open": "odprta",
        "invited_by": "povabilo od",
        "joins": "se pridruži",
        "starts": "začne",
        "never_bound": "nikoli vezana",
        "or": "ali",
    },
}


@attrs.frozen
class _Namer:
    """Names things in labels: as the definition does (no language), or by their titles in ``lang``."""

    definition: Definition | None = None
    lang: str | None = None

    def __call__(self, kind: Named, name: str, field: str | None = None) -> str:
        if self.definition is None or self.lang is None:
            return name
        return self.definition.title_of(kind, name, self.lang, field=field)

    def word(self, word: str) -> str:
        return _WORDS.get(self.lang or "en", _WORDS["en"])[word]


def edge_label(transition: Transition, definition: Definition | None = None, lang: str | None = None) -> str:
    """How an arrow names a transition: ``sign_moa [sme+department sign] requires fields_of_collaboration``.

    With ``definition`` and ``lang``, the trigger, roles, fields and choice
    values are named by their titles in ``lang``, and the words are in it too.
    """
    name = _Namer(definition, lang)
    roles = [name(Named.ROLE, role) for role in transition.firing_roles]
    who = "+".join(roles) + f" {name.word('sign')}" if transition.signoff else "/".join(roles)
    trigger = transition.title.get(lang) if lang is not None and transition.title else transition.trigger
    fields = [name(Named.FIELD, field) for field in transition.requires]
    guards = [f"{name.word('requires')} {', '.join(fields)}"] if fields else []
    guards.extend(_condition_text(condition, name) for condition in transition.conditions)
    guards.extend(f"{name.word('guard')} {guard}" for guard in transition.guards)
    return " ".join([f"{trigger} [{who}]", " · ".join(guards)]).rstrip()


def deadline_label(deadline: Deadline, definition: Definition | None = None, lang: str | None = None) -> str:
    """How an arrow names a deadline: ``⏱ expire (after 14 days)``, ``⏱ close (at call_closes + 1 day)``.

    With ``definition`` and ``lang``, the trigger and the field by their titles, the duration in ISO 8601
    (``P14D``), which every language reads.
    """
    name = _Namer(definition, lang)
    after = ""
    if deadline.after is not None:
        after = parse_duration(deadline.after).describe() if lang is None else deadline.after
    offset = f" + {after}" if after else ""
    if deadline.at is None:
        when = f"{name.word('after')} {after}"
    else:
        when = f"{name.word('at')} {name(Named.FIELD, deadline.at)}{offset}"
    return f"⏱ {name(Named.TRIGGER, deadline.fire)} ({when})"


def _condition_text(condition: Condition, name: _Namer) -> str:
    field = condition.field
    shown = _value_text(condition.value, lambda value: name(Named.CHOICE, value, field))
    return f"{name.word('if')} {name(Named.FIELD, field)} {_OPERATORS[condition.op]} {shown}"


def _value_text(value: Value, choice: Callable[[str], str]) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(_value_text(item, choice) for item in value) + ")"
    return choice(value) if isinstance(value, str) else str(value)


def picture_of(
    definition: Definition,
    instance: Instance | None = None,
    history: Sequence[Event] = (),
    lang: str | None = None,
) -> Picture:
    """The picture of ``definition``, titled in ``lang``, with ``instance``'s state and ``history``'s path.

    Without ``lang``, states and the protocol are titled in English and the
    labels name triggers, roles and fields as the definition does; with a
    language, the labels name them by their titles in it too.

    Without an instance, the last event of ``history`` gives the current
    state. An instance or an event of another protocol is refused.
    """
    for event in history:
        if event.protocol != definition.protocol:
            raise WorkflowError(
                f"Event {event.seq} of instance {event.instance!r} belongs to protocol {event.protocol!r}, "
                f"not to {definition.protocol!r}: draw it with its own definition."
            )
    if instance is not None and instance.protocol != definition.protocol:
        raise WorkflowError(
            f"Instance {instance.id!r} runs protocol {instance.protocol!r}, not {definition.protocol!r}: "
            "draw it with its own definition."
        )
    current = instance.state if instance is not None else (history[-1].target if history else None)
    visited = {event.target for event in history} | {e.source for e in history if e.source is not None}
    taken = _taken(definition, history)

    def style(state: str) -> Style:
        if state == current:
            return Style.ACTIVE
        return Style.PREVIOUS if state in visited else Style.DEFAULT

    nodes = tuple(
        Node(s.name, (s.title.get(lang or "en") if s.title else "") or s.name, s.final, style(s.name))
        for s in definition.states
    )
    arrows = tuple(
        _arrow(
            transition,
            source,
            tuple(taken.get((index, source), ())),
            definition.deadlines.get(source),
            _Namer(definition, lang),
        )
        for index, transition in enumerate(definition.transitions)
        for source in transition.sources
    )
    return Picture(
        definition.protocol,
        definition.title.get(lang or "en"),
        definition.initial,
        nodes,
        arrows,
        party_lines(definition, instance, lang),
    )


def party_lines(
    definition: Definition, instance: Instance | None = None, lang: str | None = None
) -> tuple[str, ...]:
    """How each role's parties are bound, and who is bound on ``instance``; none for a definition that never says.

    ``department: invited by career_services · dario``, ``career_services: open``; with ``lang``, the
    roles by their titles and the words in that language.
    """
    joining = {role for t in definition.transitions if t.joins for role in t.firing_roles}
    if not any(role.open or role.invited_by for role in definition.roles) and not joining:
        return ()
    name = _Namer(definition, lang)
    lines = []
    for role in definition.roles:
        if role.open:
            how = name.word("open")
        else:
            inviters = ", ".join(name(Named.ROLE, inviter) for inviter in role.invited_by)
            ways = [f"{name.word('invited_by')} {inviters}"] if role.invited_by else []
            ways += [name.word("joins")] if role.name in joining else []
            ways += [name.word("starts")] if role.name in (definition.start_by or (role.name,)) else []
            how = f" {name.word('or')} ".join(ways) or name.word("never_bound")
        bound = instance.parties.get(role.name, ()) if instance is not None else ()
        lines.append(f"{name(Named.ROLE, role.name)}: {how}" + (f" · {', '.join(bound)}" if bound else ""))
    return tuple(lines)


def _arrow(
    transition: Transition, source: str, taken: tuple[int, ...], deadline: Deadline | None, name: _Namer
) -> Arrow:
    """The arrow of ``transition`` from ``source``; once taken, its label starts with ``✓`` and the seqs.

    The arrow of ``source``'s ``deadline`` says when it falls due instead of who fires it.
    """
    fires = deadline is not None and deadline.fire == transition.trigger
    if deadline is not None and fires:
        label = deadline_label(deadline, name.definition, name.lang)
    else:
        label = edge_label(transition, name.definition, name.lang)
    if taken:
        label = f"✓ {taken_text(taken)} · {label}"
    return Arrow(source, transition.target or source, label, taken, fires)


#: Up to this many seqs an arrow lists them; beyond, it counts them, so a long history keeps a short label.
LISTED_SEQS = 3


def taken_text(taken: Sequence[int]) -> str:
    """The seqs an arrow was taken at: ``3, 4``, or ``211× 3…845`` when there are more than :data:`LISTED_SEQS`."""
    if len(taken) > LISTED_SEQS:
        return f"{len(taken)}× {taken[0]}…{taken[-1]}"
    return ", ".join(str(seq) for seq in taken)


def _taken(definition: Definition, history: Sequence[Event]) -> dict[tuple[int, str], list[int]]:
    """For each (transition index, source state) the seqs of the events that took it.

    An event names its trigger and source, not which transition fired; among
    the transitions sharing both, those leading to the event's target are
    taken (all of them when none does: a signature that does not move yet).
    """
    taken: dict[tuple[int, str], list[int]] = {}
    for event in history:
        if event.kind == START or event.source is None:
            continue
        source = event.source
        candidates = [
            index
            for index, transition in enumerate(definition.transitions)
            if transition.trigger == event.trigger and source in transition.sources
        ]
        leading = [i for i in candidates if (definition.transitions[i].target or source) == event.target]
        for index in leading or candidates:
            taken.setdefault((index, source), []).append(event.seq)
    return taken
