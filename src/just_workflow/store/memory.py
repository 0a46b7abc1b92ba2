"""The in-memory store: the engine's default, and the reference the other stores are tested against."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from just_workflow.definition import Definition
from just_workflow.errors import ConcurrencyConflict, InstanceExists, InstanceNotFound
from just_workflow.events import Event
from just_workflow.instance import Instance
from just_workflow.store.base import KeyAnswer
from just_workflow.store.registry import DefinitionRegistry


class MemoryStore:
    """Keeps everything in dicts, guarded by one lock; nothing survives the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[str, Instance] = {}
        self._events: dict[str, list[Event]] = {}
        self._keys: dict[tuple[str, str], KeyAnswer] = {}
        self._definitions = DefinitionRegistry()

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
            self._snapshots[instance.id] = instance
            self._events[instance.id] = [event]
        finally:
            lock.release()

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
            self._snapshots[instance_id] = instance
        finally:
            lock.release()

    def load(self, instance_id: str) -> Instance:
        try:
            return self._snapshots[instance_id]
        except KeyError:
            raise InstanceNotFound(instance_id) from None

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
                self._events[instance_id] = sorted(staged.get(instance_id, []), key=lambda e: e.seq)
                self._snapshots[instance_id] = snap
