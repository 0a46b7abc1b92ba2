"""The exceptions of just_workflow: one root, one class per kind of refusal.

::

    WorkflowError
    ├── DefinitionError            a definition file or object is invalid (all problems, located)
    ├── UnknownProtocol            no definition of that protocol (or version) is loaded or stored
    ├── Refusal                    the protocol refuses this fire; ``trigger`` and ``reasons`` say why
    │   ├── TransitionNotAllowed   trigger unknown, or not available in the current state
    │   ├── NotAuthorized          the actor's role may not fire the trigger (or sign twice)
    │   │   └── NotAParty          the actor has the role but is not a party to this instance
    │   ├── GuardFailed            required fields missing, a condition or a named guard false
    │   └── InvalidPayload         an input missing, of the wrong type, not a choice, unknown
    ├── InvalidRequest             a call's arguments are malformed (an expected_seq that is no number)
    │   └── IdempotencyKeyReused   an idempotency key already used for a different request
    ├── ConcurrencyConflict        the caller's expected_seq is not the instance's seq
    ├── InstanceNotFound           no instance with that id in the store
    ├── InstanceExists             an instance with that id is already stored
    ├── StoreError                 the store could not do what was asked
    │   ├── StoreBusy              the database stayed locked past the busy timeout
    │   └── UnreadableDefinitions  stored definitions that no longer read back; the others are given
    ├── BatchFailed                an item of a batch failed; nothing of the batch was written
    ├── HookError                  an app hook raised after the event was stored
    └── AuditError                 a log or a stored history fails verification

A ``Refusal`` is the protocol's answer and the same on every replay; the
others are about the world around it (files, the store, other writers).
A refused fire (every class above but ``HookError``) writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs


class WorkflowError(Exception):
    """The root of every error raised by just_workflow."""


@attrs.frozen(kw_only=True)
class Located:
    """Where a record points in a definition: the path inside the document, and the file, line and column.

    ``path`` is the JSONPath-like location inside the document
    (``$.transitions[3].to``). ``file`` names the file (None for a definition
    built in code); ``line`` and ``column`` are 1-based, known only for
    syntaxes that have them (YAML, JSON, TOML) and once the loader has located
    the path. Every record about a place in a definition derives from this
    class, so that each says where the same way: :class:`Problem`, and the
    checks' ``Finding`` and ``ModelFinding``. The fields are keyword-only.
    """

    path: str = "$"
    file: str | None = None
    line: int | None = None
    column: int | None = None

    def position(self) -> str:
        """``file:line:column`` as far as it is known; a definition without a file is ``<definition>``."""
        where = self.file or "<definition>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


@attrs.frozen
class Problem(Located):
    """One problem that keeps a definition from loading or running: what is wrong, and where."""

    message: str

    def __str__(self) -> str:
        return f"{self.position()}: {self.path}: {self.message}"

    def to_json(self) -> dict[str, object]:
        """The problem as JSON data: its message, then where it is."""
        return {
            "message": self.message,
            "path": self.path,
            "file": self.file,
            "line": self.line,
            "column": self.column,
        }


class DefinitionError(WorkflowError):
    """A definition is invalid; ``problems`` lists every problem found, each located."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in definition"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class UnknownProtocol(WorkflowError):
    """No definition of ``protocol`` (at ``version``, when given) is loaded or stored."""

    def __init__(self, message: str, *, protocol: str, version: int | None, known: Sequence[str]) -> None:
        self.protocol = protocol
        self.version = version
        self.known: tuple[str, ...] = tuple(known)
        super().__init__(message)


class Refusal(WorkflowError):
    """The protocol refuses a fire: ``trigger`` is what was asked, ``reasons`` each reason why not.

    Catch this to show any refusal to a user; its subclasses say which rule refused.
    """

    def __init__(self, message: str, *, trigger: str, reasons: Sequence[str]) -> None:
        self.trigger = trigger
        self.reasons: tuple[str, ...] = tuple(reasons)
        super().__init__(message)


class TransitionNotAllowed(Refusal):
    """The trigger is unknown, or not available in the instance's current state."""

    def __init__(self, message: str, *, trigger: str, state: str, available: Sequence[str]) -> None:
        self.state = state
        self.available: tuple[str, ...] = tuple(available)
        super().__init__(message, trigger=trigger, reasons=(message,))


class NotAuthorized(Refusal):
    """The actor's role may not fire this trigger now."""

    def __init__(self, message: str, *, trigger: str, role: str, allowed_roles: Sequence[str]) -> None:
        self.role = role
        self.allowed_roles: tuple[str, ...] = tuple(allowed_roles)
        super().__init__(message, trigger=trigger, reasons=(message,))


class NotAParty(NotAuthorized):
    """The actor has a role that may fire the trigger, but is not bound to this instance in that role."""

    def __init__(
        self, message: str, *, trigger: str, role: str, actor_id: str, parties: Sequence[str]
    ) -> None:
        self.actor_id = actor_id
        self.parties: tuple[str, ...] = tuple(parties)
        super().__init__(message, trigger=trigger, role=role, allowed_roles=(role,))


class GuardFailed(Refusal):
    """A guard of the transition is false; ``reasons`` names each failed requirement."""


class InvalidPayload(Refusal):
    """The payload does not fit the trigger's inputs; ``reasons`` names each bad field.

    ``fields`` maps each bad input to its reason (every bad field at once), so
    that a form shows each message beside its input; it is empty when the
    reasons are about no single input.
    """

    def __init__(
        self, message: str, *, trigger: str, reasons: Sequence[str], fields: Mapping[str, str] | None = None
    ) -> None:
        self.fields: Mapping[str, str] = MappingProxyType(dict(fields or {}))
        super().__init__(message, trigger=trigger, reasons=reasons)


class InvalidRequest(WorkflowError):
    """The arguments of a call are malformed; the message names the argument, its value and its type."""


class IdempotencyKeyReused(InvalidRequest):
    """An idempotency key came back with a different request than the one it was first used for."""

    def __init__(self, instance_id: str, key: str, seq: int) -> None:
        self.instance_id = instance_id
        self.key = key
        self.seq = seq
        super().__init__(
            f"Idempotency key {key!r} was used on instance {instance_id!r} for a different request "
            f"(the one stored at seq {seq}): a key names one request; use a new key for a new request."
        )


class ConcurrencyConflict(WorkflowError):
    """Another fire landed first: the instance is at ``actual``, not ``expected``."""

    def __init__(self, instance_id: str, expected: int, actual: int) -> None:
        self.instance_id = instance_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Instance {instance_id!r} is at seq {actual}, not at the expected seq {expected}: "
            "reload it and decide again."
        )


class InstanceNotFound(WorkflowError):
    """No instance with that id exists in the store."""

    def __init__(self, instance_id: str) -> None:
        self.instance_id = instance_id
        super().__init__(f"No instance with id {instance_id!r}.")


class InstanceExists(WorkflowError):
    """An instance with that id is already stored (a start or an import would overwrite it)."""

    def __init__(self, instance_ids: Sequence[str]) -> None:
        self.instance_ids: tuple[str, ...] = tuple(instance_ids)
        shown = ", ".join(repr(i) for i in self.instance_ids)
        noun = "An instance with id" if len(self.instance_ids) == 1 else "Instances with ids"
        verb = "already exists" if len(self.instance_ids) == 1 else "already exist"
        super().__init__(f"{noun} {shown} {verb}.")


class StoreError(WorkflowError):
    """The store could not carry out an operation."""


class StoreBusy(StoreError):
    """The database stayed locked by other writers past the busy timeout."""


class UnreadableDefinitions(StoreError):
    """Some stored definitions cannot be read back: one damaged row must not take every protocol with it.

    ``unreadable`` maps each such ``(protocol, version)`` to what is wrong
    with it; ``readable`` holds every other stored definition (each a
    :class:`~just_workflow.definition.Definition`, which this module, below
    it, does not name), for the callers that go on with them.
    """

    def __init__(
        self, where: str, unreadable: Mapping[tuple[str, int], str], readable: Sequence[Any]
    ) -> None:
        self.unreadable = dict(unreadable)
        self.readable = list(readable)
        problems = "; ".join(
            f"{protocol!r} version {version}: {reason}"
            for (protocol, version), reason in self.unreadable.items()
        )
        noun = "definition" if len(self.unreadable) == 1 else "definitions"
        super().__init__(f"{where}: {len(self.unreadable)} stored {noun} cannot be read back: {problems}")


class BatchFailed(WorkflowError):
    """An item of a batch was refused or could not be written, so nothing of the batch was written.

    ``index`` is the item's place in the batch (from 0), ``item`` says what
    it asked, ``error`` is what it raised (also the ``__cause__``): a
    refusal, a conflict, an unknown or existing instance.
    """

    def __init__(self, index: int, item: str, error: WorkflowError) -> None:
        self.index = index
        self.item = item
        self.error = error
        super().__init__(f"Batch item {index} ({item}) failed, so nothing of the batch was written: {error}")


class HookError(WorkflowError):
    """An app hook raised after the event was stored; the event stands.

    ``instance`` is the stored snapshot, ``event`` the stored event, and the
    hook's exception is the ``__cause__``.
    """

    def __init__(self, message: str, *, instance: object, event: object, hook: str) -> None:
        self.instance = instance
        self.event = event
        self.hook = hook
        super().__init__(message)


class AuditError(WorkflowError):
    """A stored history or an exported log fails verification."""
