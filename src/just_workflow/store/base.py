"""The store interface every backend implements (in-memory, SQLite, later PostgreSQL).

The interface speaks of instances, events and definitions only: no SQL, no
connections, no transactions. Each method is atomic on its own; ``append``
checks the expected seq and writes the event and the new snapshot together;
``write_many`` does the same for many creates and appends at once.

Positions: a store numbers its instances in creation order and its events
in commit order, with integers from 1 that never change and are never
reused (:mod:`just_workflow.queries`). ``find`` and ``changes`` answer by
position, so that the engine can cut pages by keyset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import attrs

from just_workflow.definition import Definition
from just_workflow.errors import StoreError
from just_workflow.events import Event
from just_workflow.instance import Instance
from just_workflow.queries import InstanceQuery

#: An instance a store found: its position (creation number) and its current snapshot.
Found = tuple[int, Instance]
#: An event in the change feed: its position (commit order) and the event.
Change = tuple[int, Event]


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


@attrs.frozen
class Created:
    """A write of :meth:`Store.write_many`: store a new ``instance`` with its first ``event``, as ``create`` does."""

    instance: Instance
    event: Event

    def describe(self) -> str:
        """What the write asks, for the message of its failure."""
        return f"create instance {self.instance.id!r}"


@attrs.frozen
class Appended:
    """A write of :meth:`Store.write_many`: append ``event`` and the snapshot after it, as ``append`` does."""

    instance: Instance
    event: Event
    expected_seq: int
    idempotency_key: str | None = None
    request: str | None = None

    def describe(self) -> str:
        """What the write asks, for the message of its failure."""
        return f"append event {self.event.seq} to instance {self.instance.id!r}"


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

    def find(self, query: InstanceQuery) -> list[Found]:
        """A page of the instances that fit any of ``query.matches``, with their positions.

        Only instances whose position is after ``query.after`` (before it
        with ``newest_first``), whose last event is later than
        ``query.updated_after`` when given; at most ``query.limit``, in
        ascending position (descending with ``newest_first``). Always read
        from the stored data as it is now, never from a per-process cache.
        """
        ...

    def changes(self, after: int = 0, limit: int = 100) -> list[Change]:
        """At most ``limit`` stored events whose position is after ``after``, in commit order, with their positions.

        Every event a store keeps (starts and imports included) appears
        once, in the order its transaction committed: a reader that passes
        the last position it saw misses nothing and sees nothing twice.
        """
        ...

    def write_many(self, writes: Sequence[Created | Appended]) -> None:
        """Carry out every write in order, in one transaction: all of them, or none.

        Each write is checked as ``create`` or ``append`` checks it, against
        the store as the writes before it in the sequence left it (several
        appends to one instance chain, each expecting the seq the one before
        it reached; an instance created earlier in the sequence may be
        appended to). When one fails, nothing is written and
        :class:`~just_workflow.errors.BatchFailed` is raised with its index
        and the error ``create`` or ``append`` would have raised.
        """


@runtime_checkable
class LoadsMany(Protocol):
    """A store that reads many snapshots at once: a batch that knows its instances upfront reads them so.

    Optional: a store without ``load_many`` is read one ``load`` at a time.
    """

    def load_many(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        """The current snapshots of the instances among ``instance_ids`` that exist, by id; unknown ids are left out."""
        ...
