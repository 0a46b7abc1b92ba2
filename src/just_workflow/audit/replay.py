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
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import attrs

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


#: ``progress(done, total)``: how many of the log's events replay has walked.
Progress = Callable[[int, int], None]
#: How many events pass between two calls of ``progress``.
PROGRESS_EVERY = 10_000


def replay(
    events: Log | Iterable[Event],
    definitions: Mapping[Any, Definition] | Iterable[Definition] = (),
    expected_heads: Mapping[str, Head] | Iterable[Head] | None = None,
    *,
    guards: Mapping[str, NamedGuard] | None = None,
    progress: Progress | None = None,
) -> ReplayReport:
    """Re-run every event through the step under the protocol version it recorded; the report of what broke.

    ``definitions`` are the definitions the auditor trusts (a mapping as
    :func:`~just_workflow.formats.loading.load_all_versions` or ``load_definitions``
    returns, or an iterable); a :class:`Log` may embed definitions, used only
    for versions not given here, and only when their digest is the one the
    events recorded. ``expected_heads`` are heads kept apart from the log: a
    log that ends before one of them is truncated. ``guards`` are the named
    Python guards the definitions use. ``progress(done, total)`` is called
    every :data:`PROGRESS_EVERY` events, for a progress bar.
    """
    log = events if isinstance(events, Log) else Log(tuple(events))
    given = {d.key: d for d in (definitions.values() if isinstance(definitions, Mapping) else definitions)}
    fallback = [definition for definition in log.definitions if definition.key not in given]
    report = replay_with(
        log, definitions_lookup([*given.values(), *fallback], guards), expected_heads, progress=progress
    )
    return report.with_problems(_embedded_differences(log, given))


def _embedded_differences(log: Log, given: Mapping[tuple[str, int], Definition]) -> list[ReplayProblem]:
    """A problem for each definition the log embeds that differs from the one the auditor gave."""
    problems = []
    lines: Sequence[int | None] = log.definition_lines or [None] * len(log.definitions)
    for line, embedded in zip(lines, log.definitions, strict=True):
        trusted = given.get(embedded.key)
        if trusted is not None and trusted.digest != embedded.digest:
            message = (
                f"the log embeds {embedded.protocol!r} version {embedded.version} with digest "
                f"{embedded.digest[:16]}, but the definition given has digest {trusted.digest[:16]}"
            )
            problems.append(ReplayProblem(ProblemKind.DIGEST_MISMATCH, None, None, message, line))
    return problems


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
    if expected_heads is None:
        expected: Mapping[str, Head] = {}
    elif isinstance(expected_heads, Mapping):
        expected = expected_heads
    else:
        expected = {head.instance: head for head in expected_heads}
    if heads_required is None:
        heads_required = log.source is not None or bool(log.heads)
    return _Replay(log, tables, expected, heads_required, progress).run()


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

    def __init__(self, wanted: frozenset[int]) -> None:
        self.seq = 0
        self.head = ""
        self.table: Table | None = None
        self.protocol = ""
        self.version = 0
        self.digest = ""
        self.snapshot: Instance | None = None
        self.entered = ""  # the `at` of the event that entered the current state: deadlines count from it
        self.last_line: int | None = None
        self.wanted = wanted
        self.captured: dict[int, str] = {}


class _Replay:
    """One replay: walks the log once, then checks heads and places unreadable lines."""

    def __init__(
        self,
        log: Log,
        tables: TableLookup,
        expected: Mapping[str, Head],
        heads_required: bool,
        progress: Progress | None = None,
    ) -> None:
        self.log = log
        self.progress = progress
        self.tables = tables
        self.expected = expected
        self.heads_required = heads_required
        self.chains: dict[str, _Chain] = {}
        self.failed: dict[str, ReplayProblem] = {}
        self.used: dict[tuple[str, int], str] = {}
        self._last_index: dict[tuple[str, int], int] | None = None
        wanted: dict[str, set[int]] = {}
        for head in [*log.heads.values(), *expected.values()]:
            wanted.setdefault(head.instance, set()).add(head.seq)
        self.wanted = {instance_id: frozenset(seqs) for instance_id, seqs in wanted.items()}

    def run(self) -> ReplayReport:
        self._walk()
        self._check_heads()
        problems = self._place_malformed_lines()
        instances = {
            instance_id: attrs.evolve(chain.snapshot, head=chain.head)
            for instance_id, chain in self.chains.items()
            if chain.snapshot is not None
        }
        return ReplayReport(in_line_order(problems), instances, len(self.log.events), self.used)

    def _walk(self) -> None:
        events = self.log.events
        lines = self.log.lines
        chains = self.chains
        failed = self.failed
        no_wanted: frozenset[int] = frozenset()
        progress, total = self.progress, len(events)
        for index, event in enumerate(events):
            if progress is not None and index % PROGRESS_EVERY == 0:
                progress(index, total)
            instance_id = event.instance
            if instance_id in failed:
                continue
            chain = chains.get(instance_id)
            if chain is None:
                chain = chains[instance_id] = _Chain(self.wanted.get(instance_id, no_wanted))
                chain.head = genesis_hash(instance_id, event.protocol, event.version)
            line = lines[index] if lines else None
            problem = self._check(chain, event, index, line)
            if problem is not None:
                failed[instance_id] = problem
                continue
            chain.seq = event.seq
            chain.head = event.hash
            chain.last_line = line
            if chain.wanted and event.seq in chain.wanted:
                chain.captured[event.seq] = event.hash
        if progress is not None:
            progress(total, total)

    def _check(self, chain: _Chain, event: Event, index: int, line: int | None) -> ReplayProblem | None:
        """The problem of ``event`` at the chain's next position, or None (then ``chain.snapshot`` moves on)."""
        position = chain.seq + 1
        instance_id = event.instance
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
            return self._sequence_problem(event, position, index, line)
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
                return ReplayProblem(
                    ProblemKind.UNKNOWN_VERSION,
                    instance_id,
                    position,
                    f"protocol {event.protocol!r} version {event.version} is not among the definitions given: "
                    "its definition is needed to check these events",
                    line,
                )
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

    def _sequence_problem(self, event: Event, position: int, index: int, line: int | None) -> ReplayProblem:
        instance_id = event.instance
        found = event.seq
        if found < position:
            kind = ProblemKind.DUPLICATE
            message = f"expected seq {position}, found seq {found}, which the instance has already passed"
        elif self._last_index_of().get((instance_id, position), -1) > index:
            kind = ProblemKind.REORDERED
            message = f"expected seq {position}, found seq {found}; seq {position} comes later in the log"
        else:
            kind = ProblemKind.GAP
            message = f"event {position} is missing: the next event of the instance is seq {found}"
        return ReplayProblem(kind, instance_id, position, message, line)

    def _last_index_of(self) -> Mapping[tuple[str, int], int]:
        """The last index in the log of each (instance, seq), built once on the first skipped seq.

        Scanning the rest of the log at every skipped seq would make a log of
        many instances with gaps quadratic; one pass keeps replay linear.
        """
        if self._last_index is None:
            self._last_index = {
                (event.instance, event.seq): index for index, event in enumerate(self.log.events)
            }
        return self._last_index

    def _check_heads(self) -> None:
        for instance_id, head in self.log.heads.items():
            self._check_head(instance_id, head, "the log's head line", exact=True)
        for instance_id, head in self.expected.items():
            self._check_head(instance_id, head, "the expected head", exact=False)
        if self.heads_required:
            for instance_id, chain in self.chains.items():
                if instance_id not in self.failed and instance_id not in self.log.heads:
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
            recorded = chain.head if head.seq == last else chain.captured.get(head.seq, "")
            if recorded != head.hash:
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
        malformed = {m.line: m for m in self.log.malformed if m.line is not None}  # read_log numbers each
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
        return [*problems, *malformed.values()]

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
