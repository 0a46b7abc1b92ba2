"""The in-memory store: the engine's default, and the reference the other stores are tested against."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence

from just_workflow.definition import Definition
from just_workflow.errors import (
    BatchFailed,
    ConcurrencyConflict,
    InstanceExists,
    InstanceNotFound,
    WorkflowError,
)
from just_workflow.events import Event
from just_workflow.instance import Instance
from just_workflow.queries import InstanceQuery, Match, StateKey
from just_workflow.store.base import Appended, Change, Created, Found, KeyAnswer, StoredInstance
from just_workflow.store.registry import DefinitionRegistry


class MemoryStore:
    """Keeps everything in dicts, guarded by one lock; nothing survives the process.

    Its indexes: the positions of the instances in each state and of those
    each actor is a party to, and the change feed, every event in the order
    it was stored. A write that changes an instance's state or parties only
    notes the instance (a fire is the engine's hot path, and most fires are
    never looked for); the indexes catch up with the noted instances when a
    query reads them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[str, Instance] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[tuple[str, str], KeyAnswer] = {}
        self._definitions = DefinitionRegistry()
        self._ids: list[str] = []  # by position - 1
        self._positions: dict[str, int] = {}
        self._by_state: dict[StateKey, set[int]] = {}
        self._by_party: dict[str, set[int]] = {}
        self._indexed: dict[int, tuple[StateKey, frozenset[str]]] = {}  # what the indexes hold, by position
        self._stale: set[str] = set()  # instances whose state or parties changed since the indexes caught up
        self._log: list[Event] = []  # the change feed: position - 1

    def register_definition(self, definition: Definition) -> None:
        with self._lock:
            self._definitions.add(definition)

    def definitions(self) -> list[Definition]:
        with self._lock:
            return self._definitions.all()

    # The write paths take the lock with acquire and release: `with` costs twice as much, on every fire.

    def create(self, instance: Instance, event: Event) -> None:
        lock = self._lock
        lock.acquire()
        try:
            if instance.id in self._snapshots:
                raise InstanceExists([instance.id])
            self._create(instance, [event])
        finally:
            lock.release()

    def _create(self, instance: Instance, history: list[Event]) -> None:
        """Keep a new instance and its history (the lock held, the id checked)."""
        self._snapshots[instance.id] = instance
        self._events[instance.id] = history
        self._log += history
        self._ids.append(instance.id)
        self._positions[instance.id] = len(self._ids)
        self._stale.add(instance.id)

    def append(
        self,
        instance: Instance,
        event: Event,
        expected_seq: int,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> None:
        instance_id = instance.id
        lock = self._lock
        lock.acquire()
        try:
            current = self._snapshots.get(instance_id)
            if current is None:
                raise InstanceNotFound(instance_id)
            if current.seq != expected_seq:
                raise ConcurrencyConflict(instance_id, expected_seq, current.seq)
            if idempotency_key is not None:
                key = (instance_id, idempotency_key)
                if key in self._keys:
                    raise ConcurrencyConflict(instance_id, expected_seq, current.seq)
                self._keys[key] = KeyAnswer(event.seq, request, instance)
            self._events[instance_id].append(event)
            self._log.append(event)
            self._snapshots[instance_id] = instance
            # Written out here, not through _keep: this is the path of every fire.
            if instance.state != current.state or instance.parties is not current.parties:
                self._stale.add(instance_id)
        finally:
            lock.release()

    def _keep(
        self,
        before: Instance,
        instance: Instance,
        event: Event,
        idempotency_key: str | None,
        request: str | None,
    ) -> None:
        """Keep an appended event, the snapshot after it and its key; note a moved instance (the lock held, checks made)."""
        instance_id = instance.id
        if idempotency_key is not None:
            self._keys[(instance_id, idempotency_key)] = KeyAnswer(event.seq, request, instance)
        self._events[instance_id].append(event)
        self._log.append(event)
        self._snapshots[instance_id] = instance
        if instance.state != before.state or instance.parties is not before.parties:
            self._stale.add(instance_id)

    def _catch_up(self) -> None:
        """Bring the state and party indexes up to date with the noted instances (the lock held)."""
        for instance_id in self._stale:
            position = self._positions[instance_id]
            instance = self._snapshots[instance_id]
            state = (instance.protocol, instance.version, instance.state)
            actors = frozenset(actor_id for bound in instance.parties.values() for actor_id in bound)
            old_state, old_actors = self._indexed.get(position, (None, frozenset()))
            if state != old_state:
                if old_state is not None:
                    self._by_state[old_state].discard(position)
                self._by_state.setdefault(state, set()).add(position)
            for actor_id in old_actors - actors:
                self._by_party[actor_id].discard(position)
            for actor_id in actors - old_actors:
                self._by_party.setdefault(actor_id, set()).add(position)
            self._indexed[position] = (state, actors)
        self._stale.clear()

    def load(self, instance_id: str) -> Instance:
        try:
            return self._snapshots[instance_id]
        except KeyError:
            raise InstanceNotFound(instance_id) from None

    def load_many(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        snapshots = self._snapshots
        return {i: snapshots[i] for i in instance_ids if i in snapshots}

    def events(self, instance_id: str, after_seq: int = 0, upto_seq: int | None = None) -> list[Event]:
        with self._lock:
            if instance_id not in self._events:
                raise InstanceNotFound(instance_id)
            history = self._events[instance_id]
            end = len(history) if upto_seq is None else max(0, min(upto_seq, len(history)))
            return history[after_seq:end]

    def answer_for_key(self, instance_id: str, idempotency_key: str) -> KeyAnswer | None:
        return self._keys.get((instance_id, idempotency_key))

    def instance_ids(self, protocol: str | None = None) -> Iterator[str]:
        with self._lock:
            ids = [i for i, snap in self._snapshots.items() if protocol is None or snap.protocol == protocol]
        return iter(ids)

    def scan(self, protocol: str | None = None) -> Iterator[StoredInstance]:
        for instance_id in self.instance_ids(protocol):
            with self._lock:  # the snapshot and its events together: a fire changes both under the lock
                snapshot = self._snapshots[instance_id]
                history = tuple(self._events[instance_id])
            yield StoredInstance(instance_id, snapshot, history)

    def import_events(self, events: Iterable[Event], snapshots: Iterable[Instance]) -> None:
        with self._lock:
            staged: dict[str, list[Event]] = {}
            for event in events:
                staged.setdefault(event.instance, []).append(event)
            new = {snap.id: snap for snap in snapshots}
            clash = sorted(set(new) & set(self._snapshots))
            if clash:
                raise InstanceExists(clash)
            for instance_id, snap in new.items():
                self._create(snap, sorted(staged.get(instance_id, []), key=lambda e: e.seq))

    # -- many writes at once -----------------------------------------------------------------

    def write_many(self, writes: Sequence[Created | Appended]) -> None:
        with self._lock:
            self._check_writes(writes)
            for write in writes:
                if isinstance(write, Created):
                    self._create(write.instance, [write.event])
                    continue
                current = self._snapshots[write.instance.id]
                self._keep(current, write.instance, write.event, write.idempotency_key, write.request)

    def _check_writes(self, writes: Sequence[Created | Appended]) -> None:
        """Raise BatchFailed for the first write that ``create`` or ``append`` would refuse (the lock held)."""
        seqs: dict[str, int] = {}  # the seq each instance reaches within the batch
        keys: set[tuple[str, str]] = set()
        for index, write in enumerate(writes):
            instance_id = write.instance.id
            error: WorkflowError | None = None
            if isinstance(write, Created):
                if instance_id in seqs or instance_id in self._snapshots:
                    error = InstanceExists([instance_id])
                seqs[instance_id] = write.instance.seq
            else:
                stored = self._snapshots.get(instance_id)
                seq = seqs.get(instance_id, None if stored is None else stored.seq)
                key = (instance_id, write.idempotency_key or "")
                if seq is None:
                    error = InstanceNotFound(instance_id)
                elif seq != write.expected_seq or (
                    write.idempotency_key is not None and (key in keys or key in self._keys)
                ):
                    error = ConcurrencyConflict(instance_id, write.expected_seq, seq)
                keys.add(key)
                seqs[instance_id] = write.instance.seq
            if error is not None:
                raise BatchFailed(index, write.describe(), error) from error

    # -- finding -----------------------------------------------------------------------------

    def find(self, query: InstanceQuery) -> list[Found]:
        with self._lock:
            self._catch_up()
            positions: set[int] = set()
            for match in query.matches:
                positions |= self._matching(match)
            after = query.after
            if after is not None:
                positions = {p for p in positions if (p < after if query.newest_first else p > after)}
            ordered = sorted(positions, reverse=True) if query.newest_first else sorted(positions)
            found: list[Found] = []
            for position in ordered:
                instance_id = self._ids[position - 1]
                if query.updated_after is None or self._events[instance_id][-1].at > query.updated_after:
                    found.append((position, self._snapshots[instance_id]))
                    if len(found) == query.limit:
                        break
            return found

    def _matching(self, match: Match) -> set[int]:
        """The positions of the instances that fit ``match`` (the lock held)."""
        if match.party is not None:
            candidates = self._by_party.get(match.party, set())
        elif match.states is not None:
            candidates = set()
            for key in match.states:
                candidates |= self._by_state.get(key, set())
        else:
            candidates = set(range(1, len(self._ids) + 1))
        return {p for p in candidates if fits(match, self._snapshots[self._ids[p - 1]])}

    def changes(self, after: int = 0, limit: int = 100) -> list[Change]:
        with self._lock:
            start = max(after, 0)
            return list(enumerate(self._log[start : start + limit], start + 1))


def fits(match: Match, instance: Instance) -> bool:
    """Whether ``instance`` fits ``match``: the reference a store's indexed query must agree with."""
    if match.states is not None and (instance.protocol, instance.version, instance.state) not in match.states:
        return False
    if match.party is not None:
        if match.role is not None:
            if match.party not in instance.parties.get(match.role, ()):
                return False
        elif not any(match.party in bound for bound in instance.parties.values()):
            return False
    return match.unbound is None or not instance.parties.get(match.unbound)
