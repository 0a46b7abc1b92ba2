"""The engine: runs protocol instances against a store, with the clock, guards and hooks passed in.

``Engine.fire`` is the whole data path of a step: load the snapshot from the
store, run the pure :func:`~just_workflow.step.step`, append the event and the
new snapshot atomically (checking the expected seq), then run the app's
hooks. A refused fire raises before anything is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from time import time_ns
from typing import TYPE_CHECKING, Any

import attrs

from just_workflow.arguments import as_seq as _as_seq
from just_workflow.arguments import check_request as _check_request
from just_workflow.arguments import clock_only as _clock_only
from just_workflow.arguments import request_digest
from just_workflow.batch import Batch
from just_workflow.clock import new_instance_id, utc_now, utc_text
from just_workflow.deadlines import SYSTEM, Due, Skipped, Ticked, deadline_key, due_at, entry, moment
from just_workflow.definition import INVITE, REMOVE_PARTY, REPLACE_PARTY, SYSTEM_ROLE, Definition
from just_workflow.errors import (
    BatchFailed,
    ConcurrencyConflict,
    HookError,
    IdempotencyKeyReused,
    InstanceNotFound,
    InvalidRequest,
    Refusal,
    StoreError,
    UnknownProtocol,
    UnreadableDefinitions,
)
from just_workflow.events import Actor, Event
from just_workflow.guards import NamedGuard
from just_workflow.instance import Instance, Option, detached, detached_instance
from just_workflow.messages import Reason, translated
from just_workflow.queries import (
    MAX_LIMIT,
    InstanceQuery,
    Page,
    check_limit,
    cursor,
    find_match,
    inbox_matches,
    position_after,
    updated_text,
)
from just_workflow.step import apply_event, begin, may_fire, options, step_with
from just_workflow.store.base import Appended, Store
from just_workflow.store.memory import MemoryStore
from just_workflow.table import Table, compile_definition

if TYPE_CHECKING:
    from just_workflow.audit.report import ReplayReport

_NO_PAYLOAD: Mapping[str, Any] = {}

#: A hook an app registers: called with the stored snapshot and event after a fire.
Hook = Callable[[Instance, Event], None]

#: How many deadline fires a tick writes in one transaction.
TICK_BATCH = 500

#: How many times a fire without ``expected_seq`` retries when another writer got in first.
AUTO_RETRIES = 100
_ATTEMPTS = range(AUTO_RETRIES)  # made once: a fire goes through it, and a range costs a call to make


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
            stored = self._stored_definition(protocol, version)
            table = compile_definition(stored, self._guards)
            self._tables[stored.key] = self._by_digest[stored.digest] = table
        return table

    def _stored_definition(self, protocol: str, version: int) -> Definition:
        """The definition of a protocol version the store keeps; one that does not read back fails alone."""
        try:
            kept = self.store.definitions()
        except UnreadableDefinitions as damaged:
            reason = damaged.unreadable.get((protocol, version))
            if reason is not None:
                raise StoreError(
                    f"Protocol {protocol!r} version {version} is stored, but cannot be read back: {reason}."
                ) from None
            kept = damaged.readable
        for stored in kept:
            if stored.key == (protocol, version):
                return stored
        raise UnknownProtocol(
            f"Protocol {protocol!r} version {version} is neither loaded nor stored.",
            protocol=protocol,
            version=version,
            known=sorted(self._newest),
        )

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
        try:
            instance, event = begin(table, instance_id or new_instance_id(), actor, self._now())
        except Refusal as refusal:
            refusal.titles = table.definition  # so that it renders in any language, names by their titles
            raise
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
            if getattr(actor, "role", None) == SYSTEM_ROLE:
                raise _clock_only(str(trigger))
        elif actor.role == SYSTEM_ROLE:  # only tick fires as the clock, through its own path
            raise _clock_only(trigger)
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
            try:
                after, event = step_with(table, instance, trigger, actor, payload, now)
            except Refusal as refusal:  # costs nothing until raised
                refusal.titles = table.definition
                raise
            try:
                store.append(after, event, instance.seq, idempotency_key, request)
            except ConcurrencyConflict:
                if expected_seq is not None and idempotency_key is None:
                    raise
                continue
            if self._hooks:
                self._run_hooks(detached(after), detached(event), instance.state)
            return detached_instance(after)
        raise ConcurrencyConflict(instance_id, instance.seq, self.store.load(instance_id).seq)

    def batch(self) -> Batch:
        """A batch of starts and fires written in one transaction, all or none (:mod:`just_workflow.batch`).

        ``with engine.batch() as batch:`` then ``batch.start(...)`` and
        ``batch.fire(...)`` as on the engine; the block's end writes them all.
        """
        return Batch(
            self.store,
            self.table,
            self._now,
            new_instance_id,
            self._answer,
            self._run_hooks,
            lambda: bool(self._hooks),
        )

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

    def options(self, instance_id: str, actor: Actor, lang: str | None = None) -> list[Option]:
        """Every trigger of the current state, as ``actor`` sees it: allowed or not, and why not.

        The option of the state's deadline trigger gives its ``due`` time (fired by the clock, never allowed).
        With ``lang`` (``en``, ``sk``, ``es``, ``it``, ``sl``), the titles and reasons are in that language,
        names in them shown by their titles; without, as the library has always given them. Each reason is a
        :class:`~just_workflow.messages.Reason`: its ``code`` and ``params`` say it to a program.
        """
        instance = self.store.load(instance_id)
        table = self.table(instance.protocol, instance.version)
        offered = options(table, instance, actor, lang)
        pending = self._pending(instance)
        if pending is None:
            return offered
        due, _ = pending
        when = due.due_at.isoformat()
        default = f"only the engine's clock fires it, when its deadline passes ({when})"
        clock_only = (translated(Reason(default, "deadline-clock-only", due=when), lang, table.definition),)
        return [
            attrs.evolve(option, due=when, reasons=clock_only) if option.trigger == due.trigger else option
            for option in offered
        ]

    # -- deadlines ---------------------------------------------------------------------------

    def deadline(self, instance_id: str) -> Due | None:
        """The deadline pending on an instance in its current state (passed or not), or None."""
        pending = self._pending(self.store.load(instance_id))
        return None if pending is None else pending[0]

    def due(self, now: datetime.datetime | None = None) -> list[Due]:
        """The deadlines that have passed at ``now`` (default: the engine's clock), the earliest first."""
        return [due for due, _, _ in self._due(self._moment(now))]

    def tick(self, now: datetime.datetime | None = None) -> Ticked:
        """Fire every deadline passed at ``now`` (default: the engine's clock) as :data:`~just_workflow.deadlines.SYSTEM`.

        Each event is stamped ``now``, never before its due time. The fires
        are written in batches of :data:`TICK_BATCH`, each in one
        transaction. Idempotent: each fire carries the key of its deadline
        (the instance, the event that entered the state, the trigger) and
        the seq it was judged at, so a second tick, concurrent or later,
        fires nothing twice (a batch another writer got into is written one
        fire at a time, leaving out what moved meanwhile). A deadline the
        protocol refuses (a guard, an invariant) is skipped and reported in
        ``skipped``; it stays due and is tried again at the next tick.
        Returns the new snapshots, in the order fired. A failing hook raises
        :class:`HookError` once every passed deadline has fired.
        """
        at = self._moment(now)
        result = Ticked()
        passed = self._due(at)
        written: list[Appended] = []
        for first in range(0, len(passed), TICK_BATCH):
            writes = []
            for due, entry_seq, instance in passed[first : first + TICK_BATCH]:
                try:
                    writes.append(self._deadline_write(due, entry_seq, instance, at))
                except Refusal as refusal:
                    result.skipped.append(Skipped(*due, refusal))
            written += self._write_deadlines(writes)
        result.extend(detached(write.instance) for write in written)
        hook_failed: HookError | None = None
        for write in written:
            try:
                self._run_hooks(detached(write.instance), detached(write.event), write.event.source)
            except HookError as error:  # stored: the other hooks still run, then the caller hears of it
                hook_failed = hook_failed or error
        if hook_failed is not None:
            raise hook_failed
        return result

    def _moment(self, now: datetime.datetime | None) -> datetime.datetime:
        """``now`` or the clock's reading, aware (a naive time is UTC, as events take it)."""
        return moment((now or self.clock()).isoformat())

    def _pending(self, instance: Instance) -> tuple[Due, int] | None:
        """The deadline of ``instance``'s state and the seq of the event that entered it, or None."""
        table = self._by_digest.get(instance.digest) or self.table(instance.protocol, instance.version)
        deadline = table.definition.deadlines.get(instance.state)
        if deadline is None:
            return None
        entered = entry(self.store.events(instance.id))
        when = due_at(deadline, entered.at, instance.context)
        if when is None:
            return None
        return Due(instance.id, deadline.fire, when), entered.seq

    def _due(self, at: datetime.datetime) -> list[tuple[Due, int, Instance]]:
        """The deadlines passed at ``at``, earliest first, with the entry seq and the snapshot they were judged on.

        The store finds the instances in a state that has a deadline in some
        version of its protocol; each is judged under its own version.
        """
        states: dict[str, set[str]] = {}
        for definition in self.store.definitions():
            states.setdefault(definition.protocol, set()).update(definition.deadlines)
        found = []
        for protocol, names in sorted(states.items()):
            for state in sorted(names):
                after: str | None = None
                while True:
                    page = self.find(protocol=protocol, state=state, limit=MAX_LIMIT, after=after)
                    for instance in page.items:
                        pending = self._pending(instance)
                        if pending is not None and pending[0].due_at <= at:
                            found.append((*pending, instance))
                    if page.next is None:
                        break
                    after = page.next
        return sorted(found, key=lambda item: (item[0].due_at, item[0].instance_id))

    def _deadline_write(
        self, due: Due, entry_seq: int, instance: Instance, at: datetime.datetime
    ) -> Appended:
        """The write of one passed deadline fired as the clock on ``instance``; a refusal raises."""
        trigger = due.trigger
        table = self._by_digest.get(instance.digest) or self.table(instance.protocol, instance.version)
        try:
            after, event = step_with(table, instance, trigger, SYSTEM, _NO_PAYLOAD, at.isoformat())
        except Refusal as refusal:
            refusal.titles = table.definition
            raise
        key = deadline_key(entry_seq, trigger)
        return Appended(after, event, instance.seq, key, request_digest(trigger, SYSTEM, _NO_PAYLOAD))

    def _write_deadlines(self, writes: list[Appended]) -> list[Appended]:
        """Write ``writes`` in one transaction; when another writer got in first, one by one. Those written."""
        try:
            self.store.write_many(writes)
        except BatchFailed:
            written = []
            for write in writes:
                try:
                    self.store.append(
                        write.instance, write.event, write.expected_seq, write.idempotency_key, write.request
                    )
                except ConcurrencyConflict:  # fired by another tick, or moved: judged again next tick
                    continue
                written.append(write)
            return written
        return writes

    # -- lists -------------------------------------------------------------------------------

    def find(
        self,
        protocol: str | None = None,
        state: str | None = None,
        party: str | None = None,
        active: bool | None = None,
        updated_after: datetime.datetime | str | None = None,
        limit: int = 50,
        after: str | None = None,
        *,
        newest_first: bool = False,
    ) -> Page[Instance]:
        """A page of the instances that fit every filter given, oldest first (newest first with ``newest_first``).

        ``protocol`` and ``state`` name them (every version of the protocol
        counts); ``party`` is an actor id bound to the instance in any role;
        ``active`` True keeps the instances not in a final state, False
        those in one; ``updated_after`` (an aware datetime or ISO 8601 text)
        those whose last event is later. At most ``limit`` (1 to 1000)
        items; ``page.next`` is the cursor of the next page (pass it as
        ``after``), None on the last. Pages follow the order of creation,
        which never changes: writes between two pages neither repeat an
        instance nor skip one that fits throughout. Read afresh from the
        store on every call.
        """
        limit = check_limit(limit)
        question = repr((protocol, state, party, active, updated_after, bool(newest_first)))
        match = find_match(self._known_tables(), protocol, state, party, active)
        query = InstanceQuery(
            (match,),
            updated_text(updated_after),
            position_after("find", after, question),
            limit + 1,
            bool(newest_first),
        )
        found = self.store.find(query)
        more = len(found) > limit
        items = found[:limit]
        next_cursor = cursor("find", items[-1][0], question) if more else None
        return Page([detached(instance) for _, instance in items], next_cursor)

    def inbox(self, actor: Actor, limit: int = 50, after: str | None = None) -> Page[Instance]:
        """A page of the instances where ``actor`` may fire a transition now, newest first.

        An instance is in the inbox when :meth:`options` would allow the
        actor one of the protocol's own triggers (inviting or removing
        parties aside): its role may fire from the current state, through
        an open role or as a bound party (or by joining a role nobody holds
        yet), and the guards that do not depend on the payload hold. Pages
        and cursors as in :meth:`find`.
        """
        limit = check_limit(limit)
        if not isinstance(actor, Actor):
            raise InvalidRequest(f"actor must be an Actor, got {actor!r} of type {type(actor).__name__}.")
        question = repr((actor.id, actor.role))
        matches = inbox_matches(self._known_tables(), actor)
        position = position_after("inbox", after, question)
        items: list[tuple[int, Instance]] = []
        while matches:
            query = InstanceQuery(matches, after=position, limit=limit + 1, newest_first=True)
            found = self.store.find(query)
            for position, instance in found:
                table = self._by_digest.get(instance.digest) or self.table(
                    instance.protocol, instance.version
                )
                if may_fire(table, instance, actor):
                    items.append((position, instance))
                    if len(items) > limit:
                        break
            if len(items) > limit or len(found) <= limit:
                break
        page = items[:limit]
        next_cursor = cursor("inbox", page[-1][0], question) if len(items) > limit else None
        return Page([detached(instance) for _, instance in page], next_cursor)

    def changes(self, after: str | None = None, limit: int = 100) -> Page[Event]:
        """The next events of every instance, in the order they were stored: the change feed.

        ``page.next`` is always a cursor, the place after the last event
        read (or ``after`` itself when nothing new was stored): keep it and
        pass it back to read what is stored later, from this process or any
        other; an empty page means nothing new yet.
        """
        limit = check_limit(limit)
        position = position_after("changes", after, "") or 0
        found = self.store.changes(position, limit)
        if found:
            position = found[-1][0]
        return Page([detached(event) for _, event in found], cursor("changes", position, ""))

    def _known_tables(self) -> list[Table]:
        """The tables of every definition version the store keeps (this engine's among them)."""
        return [self.table(*definition.key) for definition in self.store.definitions()]

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
