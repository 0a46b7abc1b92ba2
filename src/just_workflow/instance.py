"""The runtime records: an instance's snapshot, a command to fire, an option offered to an actor."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from just_workflow.events import Actor

#: The empty read-only mapping every snapshot without values, signatures or parties shares.
NO_ENTRIES: Mapping[str, Any] = MappingProxyType({})


def read_only(entries: dict[str, Any]) -> Mapping[str, Any]:
    """A read-only view of ``entries``, which the caller hands over and no longer writes."""
    return MappingProxyType(entries) if entries else NO_ENTRIES


_Record = TypeVar("_Record")


def detached(record: _Record) -> _Record:
    """A copy of a snapshot or an event that shares its read-only values but not itself.

    The engine hands out copies: a frozen record can still be changed with
    ``object.__setattr__`` or through its ``__dict__``, and a change to the
    object a store keeps must never reach the next fire.
    """
    copy: _Record = object.__new__(type(record))
    copy.__dict__.update(record.__dict__)
    return copy


# Not slotted, as Event: a frozen slotted class sets each field through object.__setattr__, which makes
# building a snapshot (once per fire) take 0.7 µs instead of 0.45; reading its fields costs a little more.
# Its __init__ is written out, as Event's: attrs' own for a frozen class first fetches object.__setattr__,
# which it never uses here. A test keeps its parameters the attrs fields.
@attrs.frozen(slots=False, init=False)
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

    def __init__(
        self,
        id: str,
        protocol: str,
        version: int,
        digest: str,
        state: str,
        context: Mapping[str, Any],
        signatures: Mapping[str, Mapping[str, tuple[str, ...]]],
        seq: int,
        head: str,
        parties: Mapping[str, tuple[str, ...]] = NO_ENTRIES,
    ) -> None:
        """Write the fields to the instance dict, as attrs does."""
        fields = self.__dict__
        fields["id"] = id
        fields["protocol"] = protocol
        fields["version"] = version
        fields["digest"] = digest
        fields["state"] = state
        fields["context"] = context
        fields["signatures"] = signatures
        fields["seq"] = seq
        fields["head"] = head
        fields["parties"] = parties


# Not slotted either: a caller of step builds one per fire, and a slotted frozen class sets each field
# through object.__setattr__.
@attrs.frozen(slots=False)
class Command:
    """A request to fire ``trigger`` as ``actor`` with ``payload``."""

    trigger: str
    actor: Actor
    payload: Mapping[str, Any] = attrs.field(factory=dict)


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
