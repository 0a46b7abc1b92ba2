"""The runtime records: an instance's snapshot, a command to fire, an option offered to an actor."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from just_workflow.events import Actor, Event
from just_workflow.records import copier, record

#: The empty read-only mapping every snapshot without values, signatures or parties shares.
NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})


def read_only(entries: dict[str, Any]) -> Mapping[str, Any]:
    """A read-only view of ``entries``, which the caller hands over and no longer writes."""
    return MappingProxyType(entries) if entries else NO_ENTRIES


def updated(entries: Mapping[str, Any], changes: Mapping[str, Any]) -> Mapping[str, Any]:
    """``entries`` with ``changes`` written over them, as a new read-only mapping.

    A read-only view is copied by its own ``copy()``, which copies the dict
    behind it at once: unpacking it (``{**entries}``) or ``dict(entries)``
    reads it key by key, five times slower for the context of a running
    protocol, on every fire that sets a field.
    """
    merged = entries.copy() if type(entries) is MappingProxyType else dict(entries)
    merged.update(changes)
    return read_only(merged)


_Record = TypeVar("_Record")


def detached(record: _Record) -> _Record:
    """A copy of a snapshot or an event that shares its read-only values but not itself.

    The engine hands out copies: a frozen record can still be changed with
    ``object.__setattr__``, and a change to the object a store keeps must
    never reach the next fire.
    """
    return _COPIES[type(record)](record)  # type: ignore[no-any-return]


# Built through a plain twin class, as Event (see just_workflow.records): a snapshot is built once per fire.
@record
class Instance:
    """A snapshot of one running protocol instance after ``seq`` events: a value, never changed in place.

    ``context`` holds the fields set so far (dates as ISO strings, lists as
    tuples); ``signatures`` maps a sign-off trigger to the roles that have
    signed it in the current state, each with the ids of its parties who
    signed; ``head`` is the hash of the last event; ``parties`` maps each
    role to the ids of the actors bound to it on this instance. The
    mappings are read-only views (:func:`read_only`): writing to them raises.
    """

    id: str
    protocol: str
    version: int
    digest: str
    state: str
    context: Mapping[str, Any]
    signatures: Mapping[str, Mapping[str, tuple[str, ...]]]
    seq: int
    head: str
    parties: Mapping[str, tuple[str, ...]] = NO_ENTRIES


#: ``Instance(...)`` by its ``__new__`` alone, called with the class first: the same snapshot without the
#: class call around it, which costs a third as much again, for the step that builds one per fire. (Type
#: checkers see object's ``__new__`` on the class: the generated one is set when the class is made.)
build_instance: Callable[..., Instance] = Instance.__new__


# Built through a plain twin class, as Instance: a caller of step builds one per fire.
@record
class Command:
    """A request to fire ``trigger`` as ``actor`` with ``payload`` (a new empty dict when not given)."""

    trigger: str
    actor: Actor
    payload: Mapping[str, Any] = attrs.field(factory=dict)


#: :func:`detached` for a snapshot, without looking up its class: what every fire returns.
detached_instance: Callable[[Instance], Instance] = copier(Instance)

#: How :func:`detached` copies each record, by class.
_COPIES: dict[type, Callable[[Any], Any]] = {Instance: detached_instance, Event: copier(Event)}


@attrs.frozen
class Option:
    """A trigger of the current state as seen by one actor: may they fire it, and if not, why.

    ``pending`` lists the roles that still have to sign, for a sign-off;
    ``due`` is when the engine's clock fires it (ISO 8601), for a deadline.
    """

    trigger: str
    allowed: bool
    reasons: tuple[str, ...] = ()
    title: str = ""
    inputs: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    due: str | None = None
