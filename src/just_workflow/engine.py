"""The engine: runs protocol instances against a store, with the clock, guards and hooks passed in.

``Engine.fire`` is the whole data path of a step: load the snapshot from the
store, run the pure :func:`~just_workflow.step.step`, append the event and the
new snapshot atomically (checking the expected seq), then run the app's
hooks. A refused fire raises before anything is written.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from time import time_ns
from typing import TYPE_CHECKING, Any

from just_workflow.canonical import is_valid_text
from just_workflow.clock import new_instance_id, utc_now, utc_text
from just_workflow.definition import INVITE, REMOVE_PARTY, REPLACE_PARTY, Definition
from just_workflow.errors import (
    ConcurrencyConflict,
    HookError,
    IdempotencyKeyReused,
    InstanceNotFound,
    InvalidRequest,
    UnknownProtocol,
)
from just_workflow.events import Actor, Event
from just_workflow.guards import NamedGuard
from just_workflow.instance import Instance, Option, detached
from just_workflow.step import apply_event, begin, options, step_with
from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore
from just_workflow.table import Table, compile_definition

if TYPE_CHECKING:
    from just_workflow.audit.report import ReplayReport

_NO_PAYLOAD: Mapping[str, Any] = {}

#: A hook an app registers: called with the stored snapshot and event after a fire.
Hook = Callable[[Instance, Event], None]

#: How many times a fire without ``expected_seq`` retries when another writer got in first.
AUTO_RETRIES = 100
_ATTEMPTS = range(AUTO_RETRIES)  # made once: a fire goes through it, and a range costs a call to make


def request_digest(trigger: str, actor: Actor, payload: Mapping[str, Any]) -> str:
    """The digest of a fire's request (trigger, actor, payload), kept with its idempotency key.

    Values JSON does not know (dates) count by their text, as the step would
    normalize them.
    """
    body = {"actor": [actor.id, actor.role], "payload": dict(payload), "trigger": trigger}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _as_seq(expected_seq: object) -> int:
    """``expected_seq`` as the integer it stands for: a string of digits (from a form) is read as one."""
    if isinstance(expected_seq, str) and expected_seq.isascii() and expected_seq.isdigit():
        return int(expected_seq)
    raise InvalidRequest(
        f"expected_seq must be an integer (or a string of digits), got {expected_seq!r} "
        f"of type {type(expected_seq).__name__}."
    )


def _check_text(argument: str, value: object) -> None:
    """Refuse a text argument that is not valid Unicode: it has no canonical JSON, so no event can hold it."""
    if type(value) is str and not is_valid_text(value):
        raise InvalidRequest(
            f"{argument} must be valid Unicode text, got {value!r}, which holds a lone surrogate."
        )


def _check_request(instance_id: object, trigger: object, actor: Actor, key: object = None) -> None:
    """Refuse the text arguments of a start or fire that no event can hold, naming the argument."""
    # getattr: a malformed actor is refused later, by the step, with its own message
    actor_id, role = getattr(actor, "id", None), getattr(actor, "role", None)
    _check_text("instance_id", instance_id)
    _check_text("trigger", trigger)
    _check_text("actor.id", actor_id)
    _check_text("actor.role", role)
    _check_text("idempotency_key", key)


class Engine:
    """Starts and fires protocol instances, enforcing their definitions, and keeps their history.

    ``definitions`` is a mapping of protocol names to definitions (as
    :func:`~just_workflow.formats.loading.load_definitions` returns) or any iterable
    of definitions (several versions of a protocol may be given; ``start``
    uses the newest). ``store`` defaults to a :class:`MemoryStore`, ``clock``
    to UTC now; ``guards`` maps the names of Python guards used in the
    definitions to functions ``guard(context, actor) -> bool``; a definition
    that names an unregistered guard fails here, at once.
    """

    def __init__(
        self,
        definitions: Mapping[str, Definition] | Iterable[Definition],
        store: Store | None = None,
        guards: Mapping[str, NamedGuard] | None = None,
        clock: Callable[[], datetime.datetime] | None = None,
    ) -> None:
        given = definitions.values() if isinstance(definitions, Mapping) else definitions
        self.store: Store = store if store is not None else MemoryStore()
        self.clock = clock or utc_now
        self._guards = dict(guards or {})
        self._tables: dict[tuple[str, int], Table] = {}
        self._by_digest: dict[str, Table] = {}  # the fire path's lookup: one string key, hash cached
        self._newest: dict[str, int] = {}
        self._hooks: list[tuple[str, str | None, str | None, Hook]] = []
        for definition in given:
            self._tables[definition.key] = self._by_digest[definition.digest] = compile_definition(
                definition, self._guards
            )
            self.store.register_definition(definition)
            newest = self._newest.get(definition.protocol, 0)
            self._newest[definition.protocol] = max(newest, definition.version)

    # -- definitions -------------------------------------------------------------------------

    def definition(self, protocol: str, version: int | None = None) -> Definition:
        """The definition of ``protocol`` (its newest version unless ``version`` is given)."""
        return self.table(protocol, version).definition

    def table(self, protocol: str, version: int | None = None) -> Table:
        """The compiled table of a protocol version; older versions kept by the store are compiled on demand."""
        if version is None:
            if protocol not in self._newest:
                known = sorted(self._newest)
                raise UnknownProtocol(
                    f"Unknown protocol {protocol!r}; this engine runs: {', '.join(known) or 'none'}.",
                    protocol=protocol,
                    version=None,
                    known=known,
                )
            version = self._newest[protocol]
        table = self._tables.get((protocol, version))
        if table is None:
            for stored in self.store.definitions():
                if stored.key == (protocol, version):
                    table = compile_definition(stored, self._guards)
                    self._tables[stored.key] = self._by_digest[stored.digest] = table
                    break
            else:
                raise UnknownProtocol(
                    f"Protocol {protocol!r} version {version} is neither loaded nor stored.",
                    protocol=protocol,
                    version=version,
                    known=sorted(self._newest),
                )
        return table

    def find_table(self, protocol: str, version: int) -> Table | None:
        """The compiled table of a protocol version, or None when it is neither loaded nor stored."""
        try:
            return self.table(protocol, version)
        except UnknownProtocol:
            return None

    # -- running -----------------------------------------------------------------------------

    def start(
        self, protocol: str, actor: Actor, *, version: int | None = None, instance_id: str | None = None
    ) -> Instance:
        """Start a new instance of ``protocol`` in its initial state and record the start event."""
        _check_request(instance_id, None, actor)
        table = self.table(protocol, version)
        instance, event = begin(table, instance_id or new_instance_id(), actor, self._now())
        self.store.create(instance, event)
        if self._hooks:
            self._run_hooks(detached(instance), detached(event))
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
        """Fire ``trigger`` as ``actor``; the new snapshot, or a typed refusal that wrote nothing.

        With ``expected_seq`` (the ``seq`` of the snapshot the caller decided
        on) a concurrent change raises :class:`ConcurrencyConflict`; without
        it, the engine reloads and tries again. A fire repeated with the same
        ``idempotency_key`` returns the snapshot the first one produced and
        writes nothing, even when both arrive at once; the same key with a
        different request (trigger, actor or payload) raises
        :class:`IdempotencyKeyReused`. ``expected_seq`` may be a string of
        digits, as a form sends it.
        """
        try:  # ASCII text is valid Unicode: the common case pays a few method calls, not a function call
            plain = (
                instance_id.isascii()
                and trigger.isascii()
                and actor.id.isascii()
                and actor.role.isascii()
                and (idempotency_key is None or idempotency_key.isascii())
            )
        except AttributeError:
            plain = False  # not text at all: the check below lets it through, the step refuses it
        if not plain:
            _check_request(instance_id, trigger, actor, idempotency_key)
        if payload is None:
            payload = _NO_PAYLOAD
        if expected_seq is not None and type(expected_seq) is not int:
            expected_seq = _as_seq(expected_seq)
        store = self.store
        request = None if idempotency_key is None else request_digest(trigger, actor, payload)
        for _attempt in _ATTEMPTS:
            if idempotency_key is not None:
                answered = self._answer(instance_id, idempotency_key, request)
                if answered is not None:
                    return answered
            instance = store.load(instance_id)
            if expected_seq is not None and instance.seq != expected_seq:
                if idempotency_key is not None:  # the first of two duplicates may have landed meanwhile
                    answered = self._answer(instance_id, idempotency_key, request)
                    if answered is not None:
                        return answered
                raise ConcurrencyConflict(instance_id, expected_seq, instance.seq)
            table = self._by_digest.get(instance.digest) or self.table(instance.protocol, instance.version)
            clock = self.clock  # the clock read in place: _now's call is a tenth of a step
            now = utc_text(time_ns()) if clock is utc_now else clock().isoformat()
            after, event = step_with(table, instance, trigger, actor, payload, now)
            try:
                store.append(after, event, instance.seq, idempotency_key, request)
            except ConcurrencyConflict:
                if expected_seq is not None and idempotency_key is None:
                    raise
                continue
            if self._hooks:
                self._run_hooks(detached(after), detached(event), instance.state)
            return detached(after)
        raise ConcurrencyConflict(instance_id, instance.seq, self.store.load(instance_id).seq)

    def _answer(self, instance_id: str, key: str, request: str | None) -> Instance | None:
        """The snapshot a request stored with ``key`` produced, or None; a different request is refused."""
        kept = self.store.answer_for_key(instance_id, key)
        if kept is None:
            return None
        if kept.request is not None and kept.request != request:
            raise IdempotencyKeyReused(instance_id, key, kept.seq)
        if kept.instance is not None:
            return detached(kept.instance)
        return self.state_at(instance_id, kept.seq)  # a key kept before answers were stored

    def invite(
        self,
        instance_id: str,
        *,
        role: str,
        actor_id: str,
        by: Actor,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
    ) -> Instance:
        """Bind ``actor_id`` to the instance as a party of ``role``, invited by ``by``: an event, or a refusal.

        ``by`` must be a party of a role that ``role`` is ``invited_by`` (any
        actor of such a role when it is open); see :mod:`just_workflow.parties`.
        """
        payload = {"role": role, "party": actor_id}
        return self.fire(instance_id, INVITE, by, payload, expected_seq, idempotency_key)

    def remove_party(
        self,
        instance_id: str,
        *,
        role: str,
        actor_id: str,
        by: Actor,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
    ) -> Instance:
        """Unbind the party ``actor_id`` of ``role`` (by one who may invite to it, or by themselves)."""
        payload = {"role": role, "party": actor_id}
        return self.fire(instance_id, REMOVE_PARTY, by, payload, expected_seq, idempotency_key)

    def replace_party(
        self,
        instance_id: str,
        *,
        role: str,
        actor_id: str,
        new_actor_id: str,
        by: Actor,
        expected_seq: int | None = None,
        idempotency_key: str | None = None,
    ) -> Instance:
        """Put ``new_actor_id`` in the place of the party ``actor_id`` of ``role``; the signatures given are withdrawn."""
        payload = {"role": role, "party": actor_id, "new_party": new_actor_id}
        return self.fire(instance_id, REPLACE_PARTY, by, payload, expected_seq, idempotency_key)

    # -- reading -----------------------------------------------------------------------------

    def get(self, instance_id: str) -> Instance:
        """The current snapshot of an instance."""
        return detached(self.store.load(instance_id))

    def history(self, instance_id: str) -> list[Event]:
        """Every event of an instance, oldest first."""
        return [detached(event) for event in self.store.events(instance_id)]

    def state_at(self, instance_id: str, seq: int) -> Instance:
        """The snapshot as it was right after event ``seq``, rebuilt by replaying the history."""
        events = self.store.events(instance_id, upto_seq=seq)
        if not events or events[-1].seq != seq:
            raise InstanceNotFound(f"{instance_id}@{seq}")
        table = self.table(events[0].protocol, events[0].version)
        snapshot: Instance | None = None
        for event in events:
            snapshot, _ = apply_event(table, snapshot, event)
        assert snapshot is not None
        return snapshot

    def verify(self, instance_id: str | None = None) -> ReplayReport:
        """Replay an instance's stored history (default: every instance's) and check its snapshot against it.

        Returns the :class:`~just_workflow.audit.report.ReplayReport` (``ok`` when
        the hash chain, every step and the stored snapshot agree); see
        :func:`just_workflow.audit.verify.verify`.
        """
        from just_workflow.audit.verify import verify  # the audit loads on first use, not with every engine

        return verify(self, None if instance_id is None else [instance_id])

    def options(self, instance_id: str, actor: Actor) -> list[Option]:
        """Every trigger of the current state, as ``actor`` sees it: allowed or not, and why not."""
        instance = self.store.load(instance_id)
        return options(self.table(instance.protocol, instance.version), instance, actor)

    # -- hooks -------------------------------------------------------------------------------

    def on_enter(self, state: str, hook: Hook, *, protocol: str | None = None) -> None:
        """Call ``hook(instance, event)`` after an event that entered ``state``."""
        self._hooks.append(("enter", state, protocol, hook))

    def on_exit(self, state: str, hook: Hook, *, protocol: str | None = None) -> None:
        """Call ``hook(instance, event)`` after an event that left ``state``."""
        self._hooks.append(("exit", state, protocol, hook))

    def after_fire(self, hook: Hook, *, protocol: str | None = None) -> None:
        """Call ``hook(instance, event)`` after every stored event (start included)."""
        self._hooks.append(("after", None, protocol, hook))

    def _run_hooks(self, instance: Instance, event: Event, before: str | None = None) -> None:
        moved = before != event.target
        failures: list[tuple[str, BaseException]] = []
        for kind, state, protocol, hook in self._hooks:
            if protocol is not None and protocol != instance.protocol:
                continue
            due = (
                kind == "after"
                or (kind == "enter" and moved and state == event.target)
                or (kind == "exit" and moved and state == before)
            )
            if not due:
                continue
            try:
                hook(instance, event)
            except Exception as error:  # the event is stored: every hook still runs, the caller hears of it
                failures.append((getattr(hook, "__qualname__", repr(hook)), error))
        if failures:
            name, first = failures[0]
            names = ", ".join(n for n, _ in failures)
            raise HookError(
                f"Event {event.seq} of instance {instance.id!r} was stored, but hook(s) raised: {names}: {first!r}",
                instance=instance,
                event=event,
                hook=name,
            ) from first

    def _now(self) -> str:
        clock = self.clock
        return utc_text(time_ns()) if clock is utc_now else clock().isoformat()
