"""Finding instances and following changes: the records a store is asked with, and the pages it answers.

The engine turns a question (``find(state=...)``, ``inbox(actor)``) into an
:class:`InstanceQuery`: the rules (which states are final, which roles may
fire where, who is bound) stay here and in the tables, and a store only
filters by the plain values the query holds, with its indexes. Every
instance has a *position* the store assigns when it is created and never
changes (a creation number), and every stored event a position in commit
order; pages are cut by position (keyset pagination), so a page is as fast
deep in a list as at its start, and writes between two pages neither repeat
nor skip an item.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

from just_workflow.canonical import is_valid_text
from just_workflow.errors import InvalidRequest, UnknownProtocol
from just_workflow.events import Actor
from just_workflow.table import Table

#: A state of one version of a protocol: ``(protocol, version, state)``.
StateKey = tuple[str, int, str]

_Item = TypeVar("_Item")


@attrs.frozen
class Match:
    """One way an instance is found: each field given must hold (an instance found by a query fits any one match).

    - ``states``: the instance's ``(protocol, version, state)`` is one of
      these (None: any; empty: none).
    - ``party``: the actor id is bound to the instance, as a party of
      ``role`` when ``role`` is given, of any role otherwise.
    - ``unbound``: no party of this role is bound to the instance (the
      role may still be joined).
    """

    states: frozenset[StateKey] | None = None
    party: str | None = None
    role: str | None = None
    unbound: str | None = None


@attrs.frozen
class InstanceQuery:
    """What a store's ``find`` is asked: the instances fitting any of ``matches``, a page of them by position.

    ``updated_after``: only instances whose last event is later than this
    time (ISO 8601 text in UTC, as the engine's clock writes it; compared as
    text). ``after``: the position to continue after (None: from the start,
    or from the newest with ``newest_first``). At most ``limit`` instances,
    in ascending position, or descending with ``newest_first``.
    """

    matches: tuple[Match, ...] = (Match(),)
    updated_after: str | None = None
    after: int | None = None
    limit: int = 50
    newest_first: bool = False


@attrs.frozen
class Page(Generic[_Item]):
    """One page of a list: its ``items``, and ``next``, the opaque cursor of the next page (None on the last).

    Pass ``next`` back as ``after=`` to get the following page.
    """

    items: list[_Item]
    next: str | None


#: The largest page a list returns.
MAX_LIMIT = 1000

_CURSOR_FORMAT = "1"


def check_limit(limit: object) -> int:
    """``limit`` as a page size, or :class:`InvalidRequest` naming it."""
    if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequest(
            f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r} of type {type(limit).__name__}."
        )
    return limit


def cursor(kind: str, position: int, question: str) -> str:
    """The opaque cursor of the page after ``position`` in a list of ``kind`` asked by ``question``.

    A cursor carries a check of what it was made for, so that one passed to
    another list (or altered) is refused rather than read as a position.
    """
    text = f"{_CURSOR_FORMAT}.{position}.{_check(kind, position, question)}"
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def position_after(kind: str, after: object, question: str) -> int | None:
    """The position a cursor made by :func:`cursor` stands for (None for no cursor); :class:`InvalidRequest` otherwise."""
    if after is None:
        return None
    refusal = InvalidRequest(
        f"after must be the `next` cursor of a page of this {kind} with the same filters, got {after!r:.80}: "
        "it was not made for this list (or was altered)."
    )
    if not isinstance(after, str) or not after.isascii():
        raise refusal
    try:
        text = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode("ascii")
        version, number, check = text.split(".")
        position = int(number)
    except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
        raise refusal from None
    # The check finds mistakes, not forgeries (its recipe is no secret): the bound keeps a made-up position
    # within the integers every store can compare.
    if version != _CURSOR_FORMAT or not 0 <= position < 2**63 or check != _check(kind, position, question):
        raise refusal
    return position


def _check(kind: str, position: int, question: str) -> str:
    return hashlib.sha256(f"{kind}\n{position}\n{question}".encode()).hexdigest()[:16]


def updated_text(updated_after: object) -> str | None:
    """``updated_after`` (an aware datetime, or ISO 8601 text with its UTC offset) as UTC text, as events record time."""
    if updated_after is None:
        return None
    moment = updated_after
    if isinstance(updated_after, str):
        try:
            moment = datetime.datetime.fromisoformat(updated_after)
        except ValueError:
            moment = None
    if not isinstance(moment, datetime.datetime) or moment.utcoffset() is None:
        raise InvalidRequest(
            "updated_after must be a datetime with a time zone, or ISO 8601 text with a UTC offset, "
            f"got {updated_after!r} of type {type(updated_after).__name__}."
        )
    return moment.astimezone(datetime.UTC).isoformat()


def find_match(
    tables: Sequence[Table], protocol: str | None, state: str | None, party: str | None, active: bool | None
) -> Match:
    """The match of ``engine.find``'s filters: the candidate states from the tables, the party as given."""
    for name, value in (("protocol", protocol), ("state", state), ("party", party)):
        if value is not None and (not isinstance(value, str) or not value or not is_valid_text(value)):
            raise InvalidRequest(
                f"{name} must be a non-empty text, got {value!r} of type {type(value).__name__}."
            )
    if active is not None and not isinstance(active, bool):
        raise InvalidRequest(
            f"active must be True, False or None, got {active!r} of type {type(active).__name__}."
        )
    if protocol is None and state is None and active is None:
        return Match(party=party)
    chosen = [table for table in tables if protocol is None or table.definition.protocol == protocol]
    if not chosen and protocol is not None:
        known = sorted({table.definition.protocol for table in tables})
        raise UnknownProtocol(
            f"Unknown protocol {protocol!r}; this store keeps: {', '.join(known) or 'none'}.",
            protocol=protocol,
            version=None,
            known=known,
        )
    candidates: set[StateKey] = set()
    for table in chosen:
        definition = table.definition
        for name in definition.state_map:
            if (state is None or name == state) and (active is None or active != (name in table.finals)):
                candidates.add((definition.protocol, definition.version, name))
    if state is not None and not any(state in table.definition.state_map for table in chosen):
        known = sorted({name for table in chosen for name in table.definition.state_map})
        where = f"protocol {protocol!r}" if protocol is not None else "any protocol"
        raise InvalidRequest(
            f"state {state!r} is not a state of {where}; states: {', '.join(known) or 'none'}."
        )
    return Match(frozenset(candidates), party=party)


def inbox_matches(tables: Sequence[Table], actor: Actor) -> tuple[Match, ...]:
    """Where ``actor`` may fire a transition of a protocol: the states, and the party it needs there.

    An open role acts in every instance in such a state; a closed one where
    the actor is bound as a party of it, or where no party of it is bound
    yet and a transition joins it. The guards are judged by the engine on
    each instance found (:func:`~just_workflow.step.may_fire`).
    """
    role = actor.role
    anyone: set[StateKey] = set()
    bound: set[StateKey] = set()
    joining: set[StateKey] = set()
    for table in tables:
        definition = table.definition
        is_open = role in table.open_roles
        for (state, _trigger, firing_role), candidates in table.by_role.items():
            if firing_role != role:
                continue
            key = (definition.protocol, definition.version, state)
            if is_open:
                anyone.add(key)
            else:
                bound.add(key)
                if any(candidate.joins for candidate in candidates):
                    joining.add(key)
    matches = [
        Match(frozenset(anyone)),
        Match(frozenset(bound), party=actor.id, role=role),
        Match(frozenset(joining), unbound=role),
    ]
    return tuple(match for match in matches if match.states)
