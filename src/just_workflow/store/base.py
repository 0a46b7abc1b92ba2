"""The store interface every backend implements (in-memory, SQLite, later PostgreSQL).

The interface speaks of instances, events and definitions only: no SQL, no
connections, no transactions. Each method is atomic on its own; ``append``
checks the expected seq and writes the event and the new snapshot together.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

import attrs

from just_workflow.definition import Definition
from just_workflow.errors import StoreError
from just_workflow.events import Event
from just_workflow.instance import Instance


@attrs.frozen
class KeyAnswer:
    """What a store keeps of an idempotency key: the seq it stored, its request's digest, the snapshot it made.

    ``request`` and ``instance`` are None for keys a store kept before it
    recorded them (the engine then rebuilds the snapshot from the history).
    """

    seq: int
    request: str | None = None
    instance: Instance | None = None


@attrs.frozen
class StoredInstance:
    """One instance as :meth:`Store.scan` reads it: its snapshot and its whole history, in seq order.

    ``problem`` is the :class:`~just_workflow.errors.StoreError` of a row that
    could not be read (edited past its column's type, JSON that does not
    parse); then ``snapshot`` is None when the instance's own row is the
    unreadable one, and ``events`` holds the events read before the bad one.
    ``id`` is the stored id (its ``repr`` when the id itself is not text).
    """

    id: str
    snapshot: Instance | None
    events: tuple[Event, ...]
    problem: StoreError | None = None


class Store(Protocol):
    """Persistence for definitions, instance snapshots and their event histories."""

    def register_definition(self, definition: Definition) -> None:
        """Keep ``definition`` (idempotent); refuse a different digest under a stored protocol and version.

        Raises :class:`~just_workflow.errors.DefinitionError` on a changed definition.
        """

    def definitions(self) -> list[Definition]:
        """Every definition version the store keeps, by protocol then version.

        A stored definition that no longer reads back (its row altered) raises
        :class:`~just_workflow.errors.UnreadableDefinitions`, which names each
        such protocol version with what is wrong and holds every other one:
        one damaged row must not make the other protocols unusable.
        """
        ...

    def create(self, instance: Instance, event: Event) -> None:
        """Store a new instance with its first event; :class:`StoreError` if the id exists."""

    def append(
        self,
        instance: Instance,
        event: Event,
        expected_seq: int,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> None:
        """Store ``event`` and the snapshot ``instance`` after it, atomically.

        Raises :class:`~just_workflow.errors.ConcurrencyConflict` (writing
        nothing) when the stored seq is not ``expected_seq``, and
        :class:`~just_workflow.errors.InstanceNotFound` for an unknown id.
        With an ``idempotency_key``, keeps the key with ``request`` (the
        digest of what was asked) and ``instance`` (the answer), in the same
        transaction; a key already used on this instance raises
        ``ConcurrencyConflict`` too, and the engine looks keys up again.
        """

    def load(self, instance_id: str) -> Instance:
        """The current snapshot; :class:`~just_workflow.errors.InstanceNotFound` if unknown."""
        ...

    def events(self, instance_id: str, after_seq: int = 0, upto_seq: int | None = None) -> list[Event]:
        """The events of an instance with ``after_seq < seq <= upto_seq``, in seq order."""
        ...

    def answer_for_key(self, instance_id: str, idempotency_key: str) -> KeyAnswer | None:
        """What was stored with ``idempotency_key`` on the instance, or None."""
        ...

    def instance_ids(self, protocol: str | None = None) -> Iterator[str]:
        """Ids of the stored instances (of one protocol, when given), oldest first."""
        ...

    def scan(self, protocol: str | None = None) -> Iterator[StoredInstance]:
        """Every stored instance (of one protocol, when given) with its history: instance after instance.

        Instances come oldest first, as :meth:`instance_ids` lists them, each
        with its snapshot and every event in seq order, the two read together
        (a fire landing meanwhile is either wholly in them or not at all). The
        rows are streamed: memory holds one instance at a time, whatever the
        size of the store; it is what verification and export read. A row that cannot be read is the
        :attr:`StoredInstance.problem` of its instance, never an exception
        that would end the scan; a store that cannot be read at all raises
        :class:`~just_workflow.errors.StoreError`.
        """
        ...

    def import_events(self, events: Iterable[Event], snapshots: Iterable[Instance]) -> None:
        """Store verified histories and their snapshots as they are (used by log import)."""
