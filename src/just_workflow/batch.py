"""Batches: many starts and fires checked one by one, then written in one transaction, all or none.

``engine.batch()`` gives a :class:`Batch`; each ``start`` and ``fire`` on it
runs the same checks as the engine's (the pure step, the expected seq, the
idempotency key) at once, on the snapshot the batch has made so far, and
returns the snapshot it would leave. Nothing is written until ``commit``
(the end of the ``with`` block), which hands every event to the store's
``write_many``: one transaction, so a thousand fires cost one commit. Hooks
run after it, in the order of the items.

A context manager, rather than a function taking a list of requests: each
call answers with its snapshot, so a batch can fire on an instance it
started (its id is known only then) or fire again on one it just moved, and
a refusal is raised by the call that asked, with its place in the batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from just_workflow.arguments import as_seq, check_request, clock_only, request_digest
from just_workflow.definition import SYSTEM_ROLE
from just_workflow.errors import (
    BatchFailed,
    ConcurrencyConflict,
    HookError,
    IdempotencyKeyReused,
    InstanceExists,
    InstanceNotFound,
    InvalidRequest,
    Refusal,
    WorkflowError,
)
from just_workflow.events import Actor, Event
from just_workflow.instance import NO_ENTRIES, Instance, detached
from just_workflow.step import begin, step_with
from just_workflow.store.base import Appended, Created, LoadsMany, Store
from just_workflow.table import Table

#: What a batch needs of its engine (:meth:`Engine.batch` passes them): the table of a protocol version
#: (None: its newest), the time for an event, a fresh instance id, the stored answer of an idempotency
#: key, the hooks to run on a stored snapshot and event (with the state it left), and whether there
#: are any.
TableOf = Callable[[str, int | None], Table]
Answer = Callable[[str, str, str | None], Instance | None]
RunHooks = Callable[[Instance, Event, str | None], None]
#: What an item asked, kept as its parts: the text naming it (:func:`_describe`) is made only for a failure.
Asked = tuple[str, object, object, Actor]


class Batch:
    """Starts and fires written together by :meth:`commit`: all of them, or none (see the module)."""

    def __init__(
        self,
        store: Store,
        table: TableOf,
        now: Callable[[], str],
        new_id: Callable[[], str],
        answer: Answer,
        run_hooks: RunHooks,
        hooked: Callable[[], bool],
    ) -> None:
        self._store = store
        self._table = table
        self._now = now
        self._new_id = new_id
        self._answer = answer
        self._run_hooks = run_hooks
        self._hooked = hooked
        self._items = 0
        self._writes: list[Created | Appended] = []
        self._item_of: list[int] = []  # for each write, the index of its item
        self._current: dict[str, Instance] = {}  # the snapshots the batch has made so far
        self._read: dict[str, Instance] = {}  # the stored snapshots read ahead by prefetch
        self._keys: dict[
            tuple[str, str], tuple[str, Instance]
        ] = {}  # keys used in the batch: request, answer
        self._failure: BatchFailed | None = None
        self._committed = False

    def __len__(self) -> int:
        """How many items (starts and fires, answered ones included) the batch holds."""
        return self._items

    def start(
        self, protocol: str, actor: Actor, *, version: int | None = None, instance_id: str | None = None
    ) -> Instance:
        """Start an instance in the batch, as :meth:`Engine.start`; the snapshot it will have."""
        index = self._next_item()
        try:
            check_request(instance_id, None, actor)
            new_id = instance_id or self._new_id()
            table = self._table(protocol, version)
            try:
                instance, event = begin(table, new_id, actor, self._now())
            except Refusal as refusal:
                refusal.titles = table.definition  # so that it renders in any language, names by their titles
                raise
            if new_id in self._current:
                raise InstanceExists([new_id])
        except WorkflowError as error:
            raise self._failed(index, ("start", protocol, None, actor), error) from error
        self._add(index, Created(instance, event))
        return detached(instance)

    def fire(
        self,
        instance_id: str,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, Any] | None = None,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
    ) -> Instance:
        """Fire in the batch, as :meth:`Engine.fire`, on the snapshot the batch has made so far.

        An idempotency key already stored, or used earlier in the batch for
        the same request, answers with its first snapshot and adds no write.
        """
        index = self._next_item()
        try:
            return self._fire(
                index,
                instance_id,
                trigger,
                actor,
                NO_ENTRIES if payload is None else payload,
                expected_seq,
                idempotency_key,
            )
        except WorkflowError as error:
            raise self._failed(index, ("fire", trigger, instance_id, actor), error) from error

    def _fire(
        self,
        index: int,
        instance_id: str,
        trigger: str,
        actor: Actor,
        payload: Mapping[str, Any],
        expected_seq: object,
        key: str | None,
    ) -> Instance:
        check_request(instance_id, trigger, actor, key)
        if getattr(actor, "role", None) == SYSTEM_ROLE:  # only Engine.tick fires as the clock
            raise clock_only(str(trigger))
        if expected_seq is not None and type(expected_seq) is not int:
            expected_seq = as_seq(expected_seq)
        request = None if key is None else request_digest(trigger, actor, payload)
        if key is not None:
            answered = self._answered(instance_id, key, request)
            if answered is not None:
                return answered
        instance = (
            self._current.get(instance_id) or self._read.get(instance_id) or self._store.load(instance_id)
        )
        if expected_seq is not None and instance.seq != expected_seq:
            raise ConcurrencyConflict(instance_id, expected_seq, instance.seq)
        table = self._table(instance.protocol, instance.version)
        try:
            after, event = step_with(table, instance, trigger, actor, payload, self._now())
        except Refusal as refusal:
            refusal.titles = table.definition
            raise
        if key is not None and request is not None:
            self._keys[(instance_id, key)] = (request, after)
        self._add(index, Appended(after, event, instance.seq, key, request))
        return detached(after)

    def _answered(self, instance_id: str, key: str, request: str | None) -> Instance | None:
        """The first answer to ``key`` (earlier in the batch, or stored), or None; a different request is refused."""
        earlier = self._keys.get((instance_id, key))
        if earlier is None:
            return self._answer(instance_id, key, request)
        first_request, snapshot = earlier
        if first_request != request:
            raise IdempotencyKeyReused(instance_id, key, snapshot.seq)
        return detached(snapshot)

    def prefetch(self, instance_ids: Iterable[str]) -> None:
        """Read the stored snapshots of these instances now, in one query where the store can, for the fires that follow.

        Only a way to make a batch cheaper when its instances are known
        upfront: each fire is checked as without it. Ids the batch already
        has a snapshot of are not read again; unknown ids are left for the
        fire on them to refuse (``InstanceNotFound``). Another writer's
        change after the read is caught at the commit, as for any snapshot
        the batch read.
        """
        self._check_open()
        wanted = []
        for position, instance_id in enumerate(instance_ids):
            if type(instance_id) is not str:
                raise InvalidRequest(
                    f"prefetch takes instance ids (text); item {position} is {instance_id!r} "
                    f"of type {type(instance_id).__name__}."
                )
            if instance_id not in self._current and instance_id not in self._read:
                wanted.append(instance_id)
        store = self._store
        if isinstance(store, LoadsMany):
            self._read.update(store.load_many(wanted))
            return
        for instance_id in wanted:
            try:
                self._read[instance_id] = store.load(instance_id)
            except InstanceNotFound:
                continue

    def _check_open(self) -> None:
        """Refuse to go on once the batch failed or was committed."""
        if self._committed:
            raise InvalidRequest("This batch was committed already: start a new batch with engine.batch().")
        if self._failure is not None:
            raise InvalidRequest(
                f"This batch failed at item {self._failure.index} and will write nothing: start a new batch."
            )

    def _next_item(self) -> int:
        """The index of a new item; refused once the batch failed or was committed."""
        self._check_open()
        index = self._items
        self._items += 1
        return index

    def _add(self, index: int, write: Created | Appended) -> None:
        self._writes.append(write)
        self._item_of.append(index)
        self._current[write.instance.id] = write.instance

    def _failed(self, index: int, what: Asked, error: WorkflowError) -> BatchFailed:
        """Mark the batch as failed at item ``index``: it will write nothing."""
        self._failure = BatchFailed(index, _describe(what), error)
        return self._failure

    def commit(self) -> list[Instance]:
        """Write every item in one transaction, then run the hooks; the snapshots written, in item order.

        Raises :class:`BatchFailed` (nothing written) when an item was
        refused, or when the store refuses a write: another writer changed
        an instance of the batch since the batch read it (a
        ``ConcurrencyConflict``: run the batch again), or started an
        instance under an id the batch starts.
        """
        self._write()
        return [detached(write.instance) for write in self._writes]

    def _write(self) -> None:
        """What :meth:`commit` does, but for the snapshots it returns (the ``with`` block's end drops them)."""
        if self._committed:
            raise InvalidRequest("This batch was committed already: start a new batch with engine.batch().")
        if self._failure is not None:
            raise self._failure from self._failure.error
        try:
            self._store.write_many(self._writes)
        except BatchFailed as failed:
            write = self._writes[failed.index]
            raise self._failed(self._item_of[failed.index], _asked(write), failed.error) from failed.error
        self._committed = True
        if self._hooked():
            self._hooks()

    def _hooks(self) -> None:
        """Run the hooks of every write in order; the first HookError is raised once all have run."""
        first: HookError | None = None
        for write in self._writes:
            event = write.event  # its source is the state it left (None for a start)
            try:
                self._run_hooks(detached(write.instance), detached(event), event.source)
            except HookError as error:
                first = first or error
        if first is not None:
            raise first

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        """Commit when the block ends normally; write nothing when it raises."""
        if error is None:
            self._write()


def _asked(write: Created | Appended) -> Asked:
    """What the item that made ``write`` asked: its event says it (the trigger and actor it was fired with)."""
    event = write.event
    if isinstance(write, Created):
        return ("start", write.instance.protocol, None, event.actor)
    return ("fire", event.trigger, write.instance.id, event.actor)


def _describe(what: Asked) -> str:
    """The text naming an item in its failure: ``fire 'submit' on 'r-1' as 'anna'``."""
    kind, name, instance_id, actor = what
    on = "" if instance_id is None else f" on {instance_id!r}"
    return f"{kind} {name!r}{on} as {getattr(actor, 'id', actor)!r}"
