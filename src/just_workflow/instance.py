"""The runtime records: an instance's snapshot, a command to fire, an option offered to an actor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from just_workflow.events import Actor


# Not slotted, as Event: a frozen slotted class sets each field through object.__setattr__, which makes
# building a snapshot (once per fire) take 0.7 µs instead of 0.45; reading its fields costs a little more.
# Its __init__ is written out, as Event's: attrs' own for a frozen class first fetches object.__setattr__,
# which it never uses here. A test keeps its parameters the attrs fields.
@attrs.frozen(slots=False, init=False)
class Instance:
    """A snapshot of one running protocol instance after ``seq`` events.

    ``context`` holds the fields set so far (dates as ISO strings, lists as
    tuples); ``signatures`` maps a sign-off trigger to the roles that have
    signed it in the current state; ``head`` is the hash of the last event.
    """

    id: str
    protocol: str
    version: int
    digest: str
    state: str
    context: Mapping[str, Any]
    signatures: Mapping[str, tuple[str, ...]]
    seq: int
    head: str

    def __init__(
        self,
        id: str,
        protocol: str,
        version: int,
        digest: str,
        state: str,
        context: Mapping[str, Any],
        signatures: Mapping[str, tuple[str, ...]],
        seq: int,
        head: str,
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

    ``pending`` lists the roles that still have to sign, for a sign-off.
    """

    trigger: str
    allowed: bool
    reasons: tuple[str, ...] = ()
    title: str = ""
    inputs: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
