"""Replay: fold the pure step over a log and report, per instance, the first event that breaks it.

:func:`replay` takes events (or a :class:`Log` read from an export) and the
definitions an auditor trusts, and checks every instance's history in log
order. For each event, in this order: its hash against its content; its seq
against the instance's position (gap, duplicate, reordered); its
``prev_hash`` against the previous event's hash (or the genesis hash); its
protocol version and definition digest against the definitions; then the
event is computed again by :func:`~just_workflow.step.apply_event` from the
snapshot before it and compared with the record. Heads (the log's own head
lines, and the expected heads an auditor kept elsewhere) catch events cut off
at the end.

Each instance stops at its first problem, whose ``seq`` is the instance's
first bad position: events ``1 .. seq - 1`` were verified, and the event at
``seq`` is missing, altered or not allowed by the protocol.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any, Protocol, cast, runtime_checkable

import attrs

from just_workflow.audit.reader import LogSource, opened, read_lines
from just_workflow.audit.report import (
    Head,
    Log,
    ProblemKind,
    ReplayProblem,
    ReplayReport,
    in_line_order,
)
from just_workflow.deadlines import SYSTEM, due_at, moment
from just_workflow.definition import SYSTEM_ROLE, Definition
from just_workflow.errors import (
    GuardFailed,
    InvalidPayload,
    NotAParty,
    NotAuthorized,
    TransitionNotAllowed,
    WorkflowError,
)
from just_workflow.events import Event, compute_hash, genesis_hash
from just_workflow.guards import NamedGuard
from just_workflow.instance import Instance
from just_workflow.step import apply_event
from just_workflow.store.base import Store
from just_workflow.table import Table, compile_definition

#: Finds the compiled table of ``(protocol, version)``, or None when it is unknown.
TableLookup = Callable[[str, int], Table | None]


@runtime_checkable
class Keeper(Protocol):
    """What keeps a store and compiled tables, as an engine does: audits judge by its tables."""

    @property
    def store(self) -> Store:
        """The store the keeper writes to."""
        ...

    def find_table(self, protocol: str, version: int) -> Table | None:
        """The compiled table of a protocol version, or None when it is unknown."""
        ...


def definitions_lookup(
    definitions: Mapping[Any, Definition] | Iterable[Definition],
    guards: Mapping[str, NamedGuard] | None = None,
) -> TableLookup:
    """A table lookup over ``definitions`` (compiled on first use), for :func:`replay_with`."""
    given = definitions.values() if isinstance(definitions, Mapping) else definitions
    by_key = {definition.key: definition for definition in given}
    tables: dict[tuple[str, int], Table] = {}

    def lookup(protocol: str, version: int) -> Table | None:
        key = (protocol, version)
        table = tables.get(key)
        if table is None and key in by_key:
            table = tables[key] = compile_definition(by_key[key], guards)
        return table

    return lookup


_REFUSALS: tuple[tuple[type[WorkflowError], ProblemKind], ...] = (
    (TransitionNotAllowed, ProblemKind.ILLEGAL_TRANSITION),
    (GuardFailed, ProblemKind.GUARD_VIOLATED),
    (NotAParty, ProblemKind.NOT_A_PARTY),  # before NotAuthorized, which it is a kind of
    (NotAuthorized, ProblemKind.UNAUTHORIZED_ROLE),
    (InvalidPayload, ProblemKind.INVALID_PAYLOAD),
)


#: ``progress(done, total)``: how far replay is: events walked of a log's events, or bytes read of a file's.
Progress = Callable[[int, int], None]
#: How many events pass between two calls of ``progress``.
PROGRESS_EVERY = 10_000


def replay(
    events: Log | Iterable[Event] | LogSource,
    definitions: Mapping[Any, Definition] | Iterable[Definition] = (),
    expected_heads: Mapping[str, Head] | Iterable[Head] | None = None,
    *,
    guards: Mapping[str, NamedGuard] | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    """Re-run every event through the step under the protocol version it recorded; the report of what broke.

    ``events`` is a log file (a path, or a binary file open for reading), a
    :class:`Log` or any events. A file is read and replayed in one pass, line
    by line, holding only what replay knows of each instance (its chain's
    head and snapshot), never the whole log; a line that cannot be read is a
    problem in the report, as with ``read_log(..., strict=False)``.
    ``definitions`` are the definitions the auditor trusts (a mapping as
    :func:`~just_workflow.formats.loading.load_all_versions` or ``load_definitions``
    returns, or an iterable); a log may embed definitions, used only
    for versions not given here, and only when their digest is the one the
    events recorded. ``expected_heads`` are heads kept apart from the log: a
    log that ends before one of them is truncated. ``guards`` are the named
    Python guards the definitions use. ``progress(done, total)`` is called
    every :data:`PROGRESS_EVERY` events, for a progress bar: for a file,
    ``done`` and ``total`` count its bytes.
    """
    given = {d.key: d for d in (definitions.values() if isinstance(definitions, Mapping) else definitions)}
    if isinstance(events, str | os.PathLike) or hasattr(events, "read"):
        return _replay_file(cast(LogSource, events), given, expected_heads, guards, progress)
    log = events if isinstance(events, Log) else Log(tuple(events))
    fallback = [definition for definition in log.definitions if definition.key not in given]
    report = replay_with(
        log, definitions_lookup([*given.values(), *fallback], guards), expected_heads, progress=progress
    )
    return report.with_problems(_embedded_differences(log, given))


def _replay_file(
    source: LogSource,
    given: Mapping[tuple[str, int], Definition],
    expected_heads: Mapping[str, Head] | Iterable[Head] | None,
    guards: Mapping[str, NamedGuard] | None,
    progress: Progress | None,
) -> ReplayReport:
    """Read a log file and replay it in the same pass."""
    tables = _Tables(given.values(), guards)
    walk = _Replay(tables, _heads_by_instance(expected_heads), heads_required=True, awaits_definitions=True)
    with opened(source) as (file, name):
        sink = _FileSink(walk, tables, given, file, progress)
        read_lines(file, name, False, sink)
        sink.done()
    return walk.report()


class _FileSink:
    """Hands each line read from a file to the replay, and the definitions the file embeds to its tables."""

    def __init__(
        self,
        walk: _Replay,
        tables: _Tables,
        given: Mapping[tuple[str, int], Definition],
        file: IO[bytes],
        progress: Progress | None,
    ) -> None:
        self.walk = walk
        self.tables = tables
        self.given = given
        self.file = file
        self.progress = progress
        self.size = _size(file) if progress is not None else None
        self.count = 0
        if self.progress is not None and self.size is not None:
            self.progress(0, self.size)
        else:
            self.event = walk.event  # type: ignore[method-assign]  # nothing to count: no call in between

    def event(self, event: Event, line: int, hashed: bool) -> None:
        self.walk.event(event, line, hashed)
        self.count += 1
        if self.count % PROGRESS_EVERY == 0 and self.progress is not None and self.size is not None:
            self.progress(min(self.file.tell(), self.size), self.size)

    def head(self, head: Head) -> None:
        self.walk.head(head)

    def definition(self, definition: Definition, line: int) -> None:
        trusted = self.given.get(definition.key)
        if trusted is None:
            self.tables.add(definition)
            self.walk.definition_arrived(definition.key)
        elif trusted.digest != definition.digest:
            self.walk.noted(_embedded_difference(definition, trusted, line))

    def unreadable(self, problem: ReplayProblem) -> None:
        self.walk.unreadable(problem)

    def done(self) -> None:
        if self.progress is not None and self.size is not None:
            self.progress(self.size, self.size)


def _size(file: IO[bytes]) -> int | None:
    """The size of a seekable file, or None."""
    try:
        if not file.seekable():
            return None
        here = file.tell()
        size = file.seek(0, os.SEEK_END)
        file.seek(here)
    except (OSError, ValueError):
        return None
    return size


class _Tables:
    """A table lookup over definitions, compiled on first use, to which a log's own definitions are added as read."""

    def __init__(self, definitions: Iterable[Definition], guards: Mapping[str, NamedGuard] | None) -> None:
        self.guards = guards
        self.by_key = {definition.key: definition for definition in definitions}
        self.tables: dict[tuple[str, int], Table] = {}

    def add(self, definition: Definition) -> None:
        self.by_key.setdefault(definition.key, definition)

    def __call__(self, protocol: str, version: int) -> Table | None:
        key = (protocol, version)
        table = self.tables.get(key)
        if table is None and key in self.by_key:
            table = self.tables[key] = compile_definition(self.by_key[key], self.guards)
        return table


def _embedded_differences(log: Log, given: Mapping[tuple[str, int], Definition]) -> list[ReplayProblem]:
    """A problem for each definition the log embeds that differs from the one the auditor gave."""
    lines: Sequence[int | None] = log.definition_lines or [None] * len(log.definitions)
    return [
        _embedded_difference(embedded, given[embedded.key], line)
        for line, embedded in zip(lines, log.definitions, strict=True)
        if embedded.key in given and given[embedded.key].digest != embedded.digest
    ]


def _embedded_difference(embedded: Definition, trusted: Definition, line: int | None) -> ReplayProblem:
    message = (
        f"the log embeds {embedded.protocol!r} version {embedded.version} with digest "
        f"{embedded.digest[:16]}, but the definition given has digest {trusted.digest[:16]}"
    )
    return ReplayProblem(ProblemKind.DIGEST_MISMATCH, None, None, message, line)


def _heads_by_instance(heads: Mapping[str, Head] | Iterable[Head] | None) -> Mapping[str, Head]:
    if heads is None:
        return {}
    if isinstance(heads, Mapping):
        return heads
    return {head.instance: head for head in heads}


def replay_with(
    log: Log,
    tables: TableLookup,
    expected_heads: Mapping[str, Head] | Iterable[Head] | None = None,
    *,
    heads_required: bool | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    """:func:`replay` with the tables given by a lookup (the engine's, when verifying a store).

    The log's own heads must match the end of each chain exactly; every
    instance of a log read from a file needs one (``heads_required``,
    default: when the log came from a file or has heads).
    """
    if heads_required is None:
        heads_required = log.source is not None or bool(log.heads)
    walk = _Replay(tables, _heads_by_instance(expected_heads), heads_required)
    # The heads come in where they stand in the file, as when the file itself is replayed; those of a log
    # made in memory, with no line, first.
    heads = sorted(log.heads.values(), key=lambda head: -1 if head.line is None else head.line)
    upcoming = 0
    lines = log.lines
    events = log.events
    total = len(events)
    for index, event in enumerate(events):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, total)
        line = lines[index] if lines else None
        while upcoming < len(heads) and (heads[upcoming].line or -1) < (line or 0):
            walk.head(heads[upcoming])
            upcoming += 1
        walk.event(event, line, False)
    for head in heads[upcoming:]:
        walk.head(head)
    for problem in log.malformed:
        walk.unreadable(problem)
    if progress is not None:
        progress(total, total)
    return walk.report()


class HistoryCheck:
    """Replays histories one instance after another (a store's), holding only the instance at hand.

    :func:`~just_workflow.audit.verify.verify` feeds it each stored instance
    in turn: memory is bounded by the largest instance, whatever the number.
    """

    def __init__(self, tables: TableLookup) -> None:
        self._walk = _Replay(tables, {}, heads_required=False)

    @property
    def events(self) -> int:
        """How many events were checked so far."""
        return self._walk.events

    @property
    def definitions(self) -> Mapping[tuple[str, int], str]:
        """The digest of each protocol version used so far."""
        return self._walk.used

    def check(
        self, instance_id: str, events: Iterable[Event], head: Head | None = None
    ) -> tuple[ReplayProblem | None, Instance | None]:
        """Replay one instance's ``events`` (against ``head``, its expected end, if given).

        Its first problem (None when it verified), and its snapshot after its
        verified events (None when none verified).
        """
        walk = self._walk
        if head is not None:
            walk.expect(head)
        for event in events:
            walk.event(event, None, False)
        return walk.conclude(instance_id)


class _Chain:
    """What replay knows of one instance while it walks the log."""

    __slots__ = (
        "captured",
        "digest",
        "entered",
        "head",
        "last_line",
        "protocol",
        "seq",
        "snapshot",
        "table",
        "version",
        "wanted",
    )

    def __init__(self, head: str, wanted: set[int] | frozenset[int]) -> None:
        self.seq = 0
        self.head = head
        self.table: Table | None = None
        self.protocol = ""
        self.version = 0
        self.digest = ""
        self.snapshot: Instance | None = None
        self.entered = ""  # the `at` of the event that entered the current state: deadlines count from it
        self.last_line: int | None = None
        self.wanted = wanted  # the seqs heads name: their hashes are captured as the chain passes them
        self.captured: dict[int, str] = {}


_NOTHING_WANTED: frozenset[int] = frozenset()


class _Awaited:
    """An instance's gap, which becomes a reordering if the missing event comes later in the log."""

    __slots__ = ("found", "position")

    def __init__(self, position: int, found: int) -> None:
        self.position = position
        self.found = found


class _Replay:
    """One replay: fed the log's lines in order, it checks each event as it comes; then heads and unreadable lines.

    It holds what it knows of each instance (its chain's head and snapshot),
    the problems, and the unreadable lines, never the events walked. With
    ``awaits_definitions`` (a file, whose definition lines may come after
    events), the events of an instance whose protocol version is not known
    yet wait for its definition line, and are reported as of an unknown
    version only when the log ends without one.
    """

    def __init__(
        self,
        tables: TableLookup,
        expected: Mapping[str, Head],
        heads_required: bool,
        *,
        awaits_definitions: bool = False,
    ) -> None:
        self.tables = tables
        self.expected = dict(expected)
        self.heads_required = heads_required
        self.awaits_definitions = awaits_definitions
        self.chains: dict[str, _Chain] = {}
        self.failed: dict[str, ReplayProblem] = {}
        self.awaited: dict[str, _Awaited] = {}
        self.waiting: dict[str, list[tuple[Event, int | None, bool]]] = {}
        self.heads: dict[str, Head] = {}
        self.malformed: list[ReplayProblem] = []
        self.others: list[ReplayProblem] = []
        self.used: dict[tuple[str, int], str] = {}
        self.events = 0
        self.wanted: dict[str, set[int]] = {}
        for head in expected.values():
            self.wanted.setdefault(head.instance, set()).add(head.seq)

    # -- fed line by line --------------------------------------------------------------------

    def event(self, event: Event, line: int | None, hashed: bool) -> None:
        """Check ``event``, the next of the log (``hashed``: its hash is known to match its content)."""
        self.events += 1
        instance_id = event.instance
        # The common case, an instance going on, here; the others in _walk.
        chain = self.chains.get(instance_id)
        if chain is None or instance_id in self.failed or instance_id in self.waiting:
            self._walk(event, line, hashed)
            return
        problem = self._check(chain, event, line, hashed)
        if problem is None:
            _passed(chain, event, line)
        else:
            self.failed[instance_id] = problem

    def head(self, head: Head) -> None:
        """A head line of the log: the chain must end exactly there."""
        self.heads[head.instance] = head
        chain = self.chains.get(head.instance)
        if chain is None or chain.seq < head.seq:  # the chain will pass it: capture its hash there
            wanted = self.wanted.setdefault(head.instance, set())
            wanted.add(head.seq)
            if chain is not None:
                chain.wanted = wanted

    def unreadable(self, problem: ReplayProblem) -> None:
        """A line that could not be read: the report places it at the instance it most probably belonged to."""
        self.malformed.append(problem)

    def noted(self, problem: ReplayProblem) -> None:
        """A problem of no instance, reported as it is."""
        self.others.append(problem)

    def expect(self, head: Head) -> None:
        """An expected head, for an instance whose events are yet to come."""
        self.expected[head.instance] = head
        self.wanted.setdefault(head.instance, set()).add(head.seq)

    def conclude(self, instance_id: str) -> tuple[ReplayProblem | None, Instance | None]:
        """Check an instance whose events were all fed against its expected head, and forget it.

        Its first problem, and its snapshot after its verified events (None: none verified).
        """
        head = self.expected.pop(instance_id, None)
        if head is not None:
            self._check_head(instance_id, head, "the expected head", exact=False)
        problem = self.failed.pop(instance_id, None)
        chain = self.chains.pop(instance_id, None)
        self.awaited.pop(instance_id, None)
        self.wanted.pop(instance_id, None)
        if chain is None or chain.snapshot is None:
            return problem, None
        return problem, attrs.evolve(chain.snapshot, head=chain.head)

    def definition_arrived(self, key: tuple[str, int]) -> None:
        """A definition became known: the instances waiting for it are replayed."""
        for instance_id in [i for i, held in self.waiting.items() if _version_of(held[0][0]) == key]:
            held = self.waiting.pop(instance_id)
            del self.chains[instance_id]  # it begins again, now that its definition is known
            self.events -= len(held)  # counted when they came
            for event, line, hashed in held:
                self.event(event, line, hashed)

    def _walk(self, event: Event, line: int | None, hashed: bool) -> None:
        """An event of an instance that failed, waits for its definition, or begins here."""
        instance_id = event.instance
        if instance_id in self.failed:
            awaited = self.awaited.get(instance_id)
            if awaited is not None and event.seq == awaited.position:
                self._reordered(instance_id, awaited)
            return
        held = self.waiting.get(instance_id)
        if held is not None:
            held.append((event, line, hashed))
            return
        head = genesis_hash(instance_id, event.protocol, event.version)
        chain = self.chains[instance_id] = _Chain(head, self.wanted.get(instance_id, _NOTHING_WANTED))
        problem = self._check(chain, event, line, hashed)
        if problem is None:
            _passed(chain, event, line)
        elif problem is _WAIT:
            self.waiting[instance_id] = [(event, line, hashed)]
        else:
            self.failed[instance_id] = problem

    def _check(self, chain: _Chain, event: Event, line: int | None, hashed: bool) -> ReplayProblem | None:
        """The problem of ``event`` at the chain's next position, or None (then ``chain.snapshot`` moves on)."""
        position = chain.seq + 1
        instance_id = event.instance
        if not hashed:
            computed = compute_hash(event)
            if event.hash != computed:
                return ReplayProblem(
                    ProblemKind.HASH_MISMATCH,
                    instance_id,
                    position,
                    f"the recorded hash {event.hash[:16]} is not the hash of the event's content "
                    f"({computed[:16]}): the event was edited",
                    line,
                )
        if event.seq != position:
            return self._sequence_problem(event, position, line)
        if event.prev_hash != chain.head:
            before = f"the hash of event {position - 1}" if position > 1 else "the instance's genesis hash"
            return ReplayProblem(
                ProblemKind.BROKEN_LINK,
                instance_id,
                position,
                f"prev_hash {event.prev_hash[:16]} is not {before} ({chain.head[:16]}): "
                "the event does not follow the one before it",
                line,
            )
        table = chain.table
        if table is None:
            table = self._start_chain(chain, event)
            if table is None:
                return _WAIT if self.awaits_definitions else _unknown_version(event, position, line)
        elif event.protocol != chain.protocol or event.version != chain.version:
            return ReplayProblem(
                ProblemKind.ILLEGAL_TRANSITION,
                instance_id,
                position,
                f"the instance runs {chain.protocol!r} version {chain.version}, but the event records "
                f"{event.protocol!r} version {event.version}",
                line,
            )
        if event.digest != chain.digest:
            return ReplayProblem(
                ProblemKind.DIGEST_MISMATCH,
                instance_id,
                position,
                f"the event ran under definition digest {event.digest[:16]}, but {event.protocol!r} "
                f"version {event.version} has digest {chain.digest[:16]}",
                line,
            )
        try:
            after, recomputed = apply_event(table, chain.snapshot, event, seal=False)
        except WorkflowError as refusal:
            kind = next((k for error, k in _REFUSALS if isinstance(refusal, error)), None)
            if kind is None:
                raise
            return ReplayProblem(
                kind, instance_id, position, f"the protocol refuses the event: {refusal}", line
            )
        if (
            recomputed.target != event.target
            or recomputed.kind != event.kind
            or recomputed.source != event.source
            or recomputed.trigger != event.trigger
            or recomputed.payload != event.payload
        ):
            return ReplayProblem(
                ProblemKind.ILLEGAL_TRANSITION,
                instance_id,
                position,
                f"the protocol gives another event: {_differences(recomputed, event)}",
                line,
            )
        if event.actor.role == SYSTEM_ROLE:
            problem = _clock_problem(table, chain, event)
            if problem is not None:
                kind, message = problem
                return ReplayProblem(kind, instance_id, position, message, line)
        if event.source != event.target:  # the start's source is None
            chain.entered = event.at
        chain.snapshot = after
        return None

    def _start_chain(self, chain: _Chain, event: Event) -> Table | None:
        table = self.tables(event.protocol, event.version)
        if table is not None:
            chain.table = table
            chain.protocol = event.protocol
            chain.version = event.version
            chain.digest = table.digest
            self.used[(event.protocol, event.version)] = table.digest
        return table

    def _sequence_problem(self, event: Event, position: int, line: int | None) -> ReplayProblem:
        instance_id = event.instance
        found = event.seq
        if found < position:
            message = f"expected seq {position}, found seq {found}, which the instance has already passed"
            return ReplayProblem(ProblemKind.DUPLICATE, instance_id, position, message, line)
        # A gap, unless the missing event comes later in the log: then it was reordered (see _reordered).
        self.awaited[instance_id] = _Awaited(position, found)
        message = f"event {position} is missing: the next event of the instance is seq {found}"
        return ReplayProblem(ProblemKind.GAP, instance_id, position, message, line)

    def _reordered(self, instance_id: str, awaited: _Awaited) -> None:
        """The event an instance's gap missed came later: the gap was a reordering."""
        del self.awaited[instance_id]
        gap = self.failed[instance_id]
        message = (
            f"expected seq {awaited.position}, found seq {awaited.found}; "
            f"seq {awaited.position} comes later in the log"
        )
        self.failed[instance_id] = attrs.evolve(gap, kind=ProblemKind.REORDERED, message=message)

    # -- at the end --------------------------------------------------------------------------

    def report(self) -> ReplayReport:
        """The report, once every line was fed."""
        for held in self.waiting.values():
            event, line, _ = held[0]
            self.failed[event.instance] = _unknown_version(event, 1, line)
        self.waiting.clear()
        self._check_heads()
        problems = self._place_malformed_lines()
        instances = {
            instance_id: attrs.evolve(chain.snapshot, head=chain.head)
            for instance_id, chain in self.chains.items()
            if chain.snapshot is not None
        }
        return ReplayReport(in_line_order(problems), instances, self.events, self.used)

    def _check_heads(self) -> None:
        for instance_id, head in self.heads.items():
            self._check_head(instance_id, head, "the log's head line", exact=True)
        for instance_id, head in self.expected.items():
            self._check_head(instance_id, head, "the expected head", exact=False)
        if self.heads_required:
            for instance_id, chain in self.chains.items():
                if instance_id not in self.failed and instance_id not in self.heads:
                    self.failed[instance_id] = ReplayProblem(
                        ProblemKind.MISSING_HEAD,
                        instance_id,
                        None,
                        f"the log has events of the instance up to seq {chain.seq} but no head line for it, "
                        "so events cut off at its end would go unnoticed",
                    )

    def _check_head(self, instance_id: str, head: Head, source: str, *, exact: bool) -> None:
        """Compare a head with the verified chain; ``exact``: the chain must end there, not pass through."""
        if instance_id in self.failed:
            return
        chain = self.chains.get(instance_id)
        last = chain.seq if chain is not None else 0
        kind: ProblemKind | None = None
        if head.seq > last:
            kind, seq = ProblemKind.TRUNCATED, last + 1
            ends = f"ends at seq {last}" if last else "has no event of the instance"
            missing = f"event {head.seq} is" if head.seq == last + 1 else f"events {last + 1}-{head.seq} are"
            message = f"{source} names seq {head.seq}, but the log {ends}: {missing} missing"
        else:
            assert chain is not None  # head.seq >= 1 > last otherwise
            # None: a head line read after the chain had passed its seq (its hash there was not kept)
            recorded = chain.head if head.seq == last else chain.captured.get(head.seq)
            if recorded is not None and recorded != head.hash:
                kind, seq = ProblemKind.HEAD_MISMATCH, head.seq
                message = (
                    f"{source} names hash {head.hash[:16]} at seq {head.seq}, but event {head.seq} "
                    f"has hash {recorded[:16]}"
                )
            elif exact and head.seq < last:
                kind, seq = ProblemKind.HEAD_MISMATCH, head.seq + 1
                message = f"{source} ends the instance at seq {head.seq}, but the log goes on to seq {last}"
        if kind is not None:
            self.failed[instance_id] = ReplayProblem(kind, instance_id, seq, message, head.line)

    def _place_malformed_lines(self) -> list[ReplayProblem]:
        """Attribute each unreadable line to the event missing where it stands, if any.

        An exported log keeps each instance's events together, so a line
        that did not parse between an instance's last verified event and
        where its chain broke (a gap, or a head beyond its end) most
        probably held the missing event: the problem becomes that line's.
        """
        unplaced = [problem for problem in self.malformed if problem.line is None]
        malformed = {m.line: m for m in self.malformed if m.line is not None}  # the reader numbers each
        unclaimed = _Unclaimed(malformed)
        problems: list[ReplayProblem] = []
        for instance_id, problem in self.failed.items():
            window = self._missing_window(instance_id, problem, malformed)
            claimed = unclaimed.claim_first(*window) if window else None
            if claimed is None:
                problems.append(problem)
                continue
            unread = malformed.pop(claimed)
            message = f"{unread.message}; the line stands where event {problem.seq} of the instance should be"
            problems.append(attrs.evolve(unread, instance=instance_id, seq=problem.seq, message=message))
        return [*problems, *malformed.values(), *unplaced, *self.others]

    def _missing_window(
        self, instance_id: str, problem: ReplayProblem, malformed: Mapping[int, ReplayProblem]
    ) -> tuple[int, int] | None:
        """The lines (from, to) where the instance's missing event would stand, or None."""
        if not malformed or problem.kind not in (ProblemKind.GAP, ProblemKind.TRUNCATED):
            return None
        chain = self.chains.get(instance_id)
        last_line = chain.last_line if chain is not None else None
        if problem.kind is ProblemKind.GAP:
            end = problem.line
            if end is None:
                return None
            if last_line is None:  # the first event is missing: look just above the line found
                last_line = end - 1
                while last_line in malformed:
                    last_line -= 1
            return last_line + 1, end
        if last_line is None:
            return None
        end = last_line + 1
        while end in malformed:
            end += 1
        return last_line + 1, end


# The answer of _Replay._check for an instance whose definition may still come.
_WAIT = ReplayProblem(ProblemKind.UNKNOWN_VERSION, None, None, "waiting for the definition")


def _passed(chain: _Chain, event: Event, line: int | None) -> None:
    """Move ``chain`` past ``event``, which verified."""
    chain.seq = event.seq
    chain.head = event.hash
    chain.last_line = line
    if chain.wanted and event.seq in chain.wanted:
        chain.captured[event.seq] = event.hash


def _version_of(event: Event) -> tuple[str, int]:
    return (event.protocol, event.version)


def _unknown_version(event: Event, position: int, line: int | None) -> ReplayProblem:
    return ReplayProblem(
        ProblemKind.UNKNOWN_VERSION,
        event.instance,
        position,
        f"protocol {event.protocol!r} version {event.version} is not among the definitions given: "
        "its definition is needed to check these events",
        line,
    )


class _Unclaimed:
    """The unreadable lines no instance has claimed yet: the first in a window, in amortized constant time.

    Looking through every unreadable line for each broken instance would
    make a log with many of both quadratic.
    """

    def __init__(self, lines: Iterable[int]) -> None:
        self.lines = sorted(lines)
        # next_free[i]: the index of the first unclaimed line at or after lines[i] (compressed as it is used).
        self.next_free = list(range(len(self.lines) + 1))

    def claim_first(self, start: int, end: int) -> int | None:
        """Claim and return the first unclaimed line ``start <= line < end``, or None."""
        index = self._free(bisect.bisect_left(self.lines, start))
        if index == len(self.lines) or self.lines[index] >= end:
            return None
        self.next_free[index] = index + 1
        return self.lines[index]

    def _free(self, index: int) -> int:
        root = index
        while self.next_free[root] != root:
            root = self.next_free[root]
        while self.next_free[index] != root:  # path compression
            self.next_free[index], index = root, self.next_free[index]
        return root


def _clock_problem(table: Table, chain: _Chain, event: Event) -> tuple[ProblemKind, str] | None:
    """What is wrong with an event of the ``system`` role: the clock fires only a deadline, once it is due.

    The due time comes from the history: when the state was entered (the
    chain's ``entered``), or the date field of the context before the event.
    """
    state = event.source or ""
    deadline = table.definition.deadlines.get(state)
    if event.actor != SYSTEM:
        return (
            ProblemKind.UNSCHEDULED_SYSTEM_EVENT,
            f"the actor {event.actor.id!r} claims the role {SYSTEM_ROLE!r}, which only the engine's clock "
            f"({SYSTEM.id!r}) acts as",
        )
    if deadline is None or deadline.fire != event.trigger:
        fires = f"fires {deadline.fire!r}" if deadline is not None else "has no deadline"
        return (
            ProblemKind.UNSCHEDULED_SYSTEM_EVENT,
            f"the clock fired {event.trigger!r} in state {state!r}, whose deadline {fires}",
        )
    context = chain.snapshot.context if chain.snapshot is not None else {}
    due = due_at(deadline, chain.entered, context)
    if due is None:
        return (
            ProblemKind.UNSCHEDULED_SYSTEM_EVENT,
            f"the clock fired {event.trigger!r} in state {state!r}, but the deadline's date field "
            f"{deadline.at!r} was not set: it was never due",
        )
    try:
        fired = moment(event.at)
    except ValueError:
        fired = None
    if fired is None or fired < due:
        return (
            ProblemKind.EARLY_DEADLINE,
            f"the deadline {event.trigger!r} of state {state!r} fell due at {due.isoformat()}, "
            f"but the event records {event.at!r}",
        )
    return None


def _differences(recomputed: Event, recorded: Event) -> str:
    """What differs between the event the step computes and the recorded one."""
    fields = ("kind", "source", "target", "trigger", "payload")
    return "; ".join(
        f"{name} {getattr(recomputed, name)!r}, the log records {getattr(recorded, name)!r}"
        for name in fields
        if getattr(recomputed, name) != getattr(recorded, name)
    )
