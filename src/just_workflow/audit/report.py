"""The records of an audit: a log as read, the heads kept apart, the problems found and the report.

:class:`Log` is what :func:`~just_workflow.audit.logfile.read_log` returns and
:func:`~just_workflow.audit.replay.replay` takes; :class:`ReplayReport` is
what replay and :func:`~just_workflow.audit.verify.verify` return: per
instance, the replayed snapshot or the first :class:`ReplayProblem`, whose
:class:`ProblemKind` names what broke.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from just_workflow.definition import Definition
from just_workflow.events import Event
from just_workflow.instance import Instance


class ProblemKind(enum.StrEnum):
    """What is wrong at a problem's position."""

    MALFORMED = "malformed"  # a log line that does not parse or lacks a field
    HASH_MISMATCH = "hash_mismatch"  # the event's hash does not match its content: it was edited
    GAP = "gap"  # the event at this seq is missing
    DUPLICATE = "duplicate"  # a seq the instance already passed appears again
    REORDERED = "reordered"  # a later seq appears before this one
    BROKEN_LINK = "broken_link"  # prev_hash is not the hash of the event before
    UNKNOWN_VERSION = "unknown_version"  # no definition of the recorded protocol version
    DIGEST_MISMATCH = "digest_mismatch"  # the recorded definition digest is not the definition's
    ILLEGAL_TRANSITION = "illegal_transition"  # the protocol does not allow or does not give this event
    GUARD_VIOLATED = "guard_violated"  # a guard or an invariant was false
    UNAUTHORIZED_ROLE = "unauthorized_role"  # the actor's role may not fire (or sign twice)
    NOT_A_PARTY = "not_a_party"  # the actor has the role but was not a party to the instance then
    INVALID_PAYLOAD = "invalid_payload"  # the payload does not fit the trigger's inputs
    TRUNCATED = "truncated"  # a head names events the log does not have
    HEAD_MISMATCH = "head_mismatch"  # a head names a hash the chain does not have at that seq
    MISSING_HEAD = "missing_head"  # the log has events of an instance but no head line for it
    SNAPSHOT_MISMATCH = "snapshot_mismatch"  # a stored snapshot differs from the replayed one
    EARLY_DEADLINE = "early_deadline"  # a deadline event recorded before its due time
    UNSCHEDULED_SYSTEM_EVENT = "unscheduled_system_event"  # a `system` event that is no due deadline

    @property
    def label(self) -> str:
        """The kind in words: ``hash mismatch``."""
        return self.value.replace("_", " ")


@attrs.frozen
class ReplayProblem:
    """One problem: its kind, the instance and the first bad ``seq``, the log line, and what is wrong.

    ``instance`` and ``seq`` are None for a line that belongs to no known
    instance; ``line`` is None when the events did not come from a file.

    Not a :class:`~just_workflow.errors.Located` record like a definition's
    problems: it points into a history (an instance and a seq, and the line
    of a log file), not to a path in a definition document, and its
    :class:`ProblemKind` is what a verification decides on.
    """

    kind: ProblemKind
    instance: str | None
    seq: int | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = [f"line {self.line}"] if self.line is not None else []
        if self.instance is not None:
            where.append(f"instance {self.instance!r}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        prefix = ", ".join(where)
        return (
            f"{prefix}: {self.kind.label}: {self.message}" if prefix else f"{self.kind.label}: {self.message}"
        )

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON data."""
        return {
            "kind": self.kind.value,
            "instance": self.instance,
            "seq": self.seq,
            "line": self.line,
            "message": self.message,
        }


@attrs.frozen
class Head:
    """Where an instance's chain ends: the ``seq`` and ``hash`` of its last event.

    Kept apart from the log, a head is what detects events cut off at the
    end. ``line`` is where a head was read from a log file.
    """

    instance: str
    seq: int
    hash: str
    line: int | None = attrs.field(default=None, eq=False)

    @classmethod
    def of(cls, instance: Instance) -> Head:
        """The head of a snapshot."""
        return cls(instance.id, instance.seq, instance.head)

    def to_json(self) -> dict[str, Any]:
        """The head as a log line's JSON data."""
        return {"type": "head", "instance": self.instance, "seq": self.seq, "hash": self.hash}


@attrs.frozen
class Log:
    """The content of an exported log: events in log order, heads, embedded definitions, unreadable lines.

    ``lines[i]`` is the line of ``events[i]`` in the file, and
    ``definition_lines[i]`` that of ``definitions[i]``; ``line_count`` the
    number of lines. A log read with ``strict=False`` keeps the lines it
    could not read in ``malformed``, each a :class:`ReplayProblem` of kind
    ``malformed`` that belongs to no instance yet; :func:`replay` reports
    them, each at the instance whose event it most probably held.
    """

    events: Sequence[Event]
    heads: Mapping[str, Head] = attrs.field(factory=dict)
    lines: Sequence[int] = ()
    definitions: tuple[Definition, ...] = ()
    definition_lines: tuple[int, ...] = ()
    malformed: tuple[ReplayProblem, ...] = ()
    line_count: int = 0
    source: str | None = None


@attrs.frozen
class ReplayReport:
    """The verdict on a log: every problem (by line), and each instance's snapshot after its verified events.

    ``instances`` holds, for every instance with at least one verified
    event, the snapshot after the last of them (its final state when the
    instance has no problem). ``definitions`` maps each ``(protocol, version)``
    the log used to the digest of the definition it was checked against.
    """

    problems: tuple[ReplayProblem, ...]
    instances: Mapping[str, Instance]
    events: int
    definitions: Mapping[tuple[str, int], str]
    _first: Mapping[str, ReplayProblem] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(
            lambda self: {p.instance: p for p in reversed(self.problems) if p.instance is not None},
            takes_self=True,
        ),
    )

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def problem_of(self, instance_id: str) -> ReplayProblem | None:
        """The first problem of an instance, or None when its history verified."""
        return self._first.get(instance_id)

    def with_problems(self, extra: Iterable[ReplayProblem]) -> ReplayReport:
        """This report with more problems, kept in line order."""
        return attrs.evolve(self, problems=in_line_order([*self.problems, *extra]))

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data (what ``just-workflow replay --json`` prints)."""
        return {
            "ok": self.ok,
            "events": self.events,
            "definitions": [
                {"protocol": protocol, "version": version, "digest": digest}
                for (protocol, version), digest in sorted(self.definitions.items())
            ],
            "instances": {
                instance_id: self._instance_json(instance_id) for instance_id in self._instance_ids()
            },
            "problems": [problem.to_json() for problem in self.problems],
        }

    def format(self) -> str:
        """A readable audit report: the verdict, the definitions used, each instance, each problem."""
        count = len(self.problems)
        verdict = "OK" if self.ok else f"FAILED: {_count(count, 'problem')}"
        instances = len(self._instance_ids())
        lines = [f"Audit of {_count(self.events, 'event')}, {_count(instances, 'instance')}: {verdict}"]
        if self.definitions:
            lines.append("Definitions:")
            lines += [
                f"  {protocol} v{version} (digest {digest[:16]})"
                for (protocol, version), digest in sorted(self.definitions.items())
            ]
        lines.append("Instances:")
        for instance_id in self._instance_ids():
            lines.append("  " + self._instance_line(instance_id))
        if self.problems:
            lines.append("Problems:")
            lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)

    def _instance_ids(self) -> list[str]:
        return sorted(set(self.instances) | set(self._first))

    def _instance_json(self, instance_id: str) -> dict[str, Any]:
        """What was verified of an instance: the snapshot after its verified events (None: none), its problem."""
        snapshot = self.instances.get(instance_id)
        problem = self.problem_of(instance_id)
        verified = None
        if snapshot is not None:
            verified = {
                "protocol": snapshot.protocol,
                "version": snapshot.version,
                "state": snapshot.state,
                "seq": snapshot.seq,
                "head": snapshot.head,
                "context": {k: list(v) if isinstance(v, tuple) else v for k, v in snapshot.context.items()},
            }
        return {"verified": verified, "problem": problem.to_json() if problem is not None else None}

    def _instance_line(self, instance_id: str) -> str:
        snapshot = self.instances.get(instance_id)
        problem = self.problem_of(instance_id)
        if snapshot is None:
            verified = "no event verified"
        else:
            verified = (
                f"{snapshot.protocol} v{snapshot.version}, events 1-{snapshot.seq} verified, "
                f"state {snapshot.state!r}, head {snapshot.head[:16]}"
            )
        if problem is None:
            return f"ok    {instance_id}: {verified}"
        at = f"seq {problem.seq}" if problem.seq is not None else "its head"
        return f"FAIL  {instance_id}: {verified}; first bad: {at}, {problem.kind.label}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def in_line_order(problems: Iterable[ReplayProblem]) -> tuple[ReplayProblem, ...]:
    return tuple(
        sorted(
            problems,
            key=lambda p: (p.line is None, p.line or 0, p.instance or "", p.seq or 0),
        )
    )
