"""Checking what a store keeps: verify its histories and snapshots, import a log only when it verifies.

Both take a :class:`~just_workflow.store.base.Store`, or anything that keeps
one with its compiled tables (a :class:`Keeper`, as the engine is), and the
definitions to judge by; neither writes what fails. This module knows no
engine: the engine is above it and is judged by its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from just_workflow.audit.logfile import LogSource, read_log
from just_workflow.audit.replay import (
    HistoryCheck,
    Keeper,
    TableLookup,
    definitions_lookup,
    replay,
    replay_with,
)
from just_workflow.audit.report import Head, Log, ProblemKind, ReplayProblem, ReplayReport, in_line_order
from just_workflow.canonical import canonical_json
from just_workflow.definition import Definition
from just_workflow.errors import AuditError, StoreError, UnreadableDefinitions
from just_workflow.events import Event
from just_workflow.guards import NamedGuard
from just_workflow.instance import Instance
from just_workflow.store.base import Store
from just_workflow.table import Table


def _judged(target: Store | Keeper, tables: TableLookup | None) -> tuple[Store, TableLookup | None]:
    """The store to read, and the keeper's tables unless others were given."""
    if isinstance(target, Keeper):
        return target.store, tables or target.find_table
    return target, tables


def import_log(
    target: Store | Keeper,
    source: LogSource | Log,
    *,
    definitions: Mapping[Any, Definition] | Iterable[Definition] | None = None,
    guards: Mapping[str, NamedGuard] | None = None,
    tables: TableLookup | None = None,
) -> ReplayReport:
    """Verify a log and store its instances as they are; the report. Nothing is stored unless it verifies.

    ``target`` is a store, or an engine (any :class:`Keeper`). The log is
    checked against ``definitions`` when given, else against ``tables``
    (default: the engine's), else against the definitions the store keeps; definitions embedded in the log are never trusted for
    an import. Raises :class:`AuditError` with the report when the log
    fails, and the store's error when an instance already exists.
    """
    store, tables = _judged(target, tables)
    log = source if isinstance(source, Log) else read_log(source)
    trusted = attrs.evolve(log, definitions=(), definition_lines=())
    if definitions is not None:
        report = replay(trusted, definitions, guards=guards)
    elif tables is not None:
        report = replay_with(trusted, tables)
    else:
        report = replay(trusted, _stored_definitions(store)[0], guards=guards)
    if not report.ok:
        raise AuditError(
            f"Cannot import {log.source or 'the log'}: it fails verification.\n{report.format()}"
        )
    if definitions is not None:
        given = definitions.values() if isinstance(definitions, Mapping) else definitions
        for definition in given:
            if definition.key in report.definitions:
                store.register_definition(definition)
    store.import_events(log.events, report.instances.values())
    return report


def verify(
    source: Store | Keeper,
    instance_ids: Iterable[str] | None = None,
    *,
    definitions: Mapping[Any, Definition] | Iterable[Definition] | None = None,
    guards: Mapping[str, NamedGuard] | None = None,
    tables: TableLookup | None = None,
) -> ReplayReport:
    """Replay the stored histories of ``instance_ids`` (default: all) and compare each stored snapshot.

    ``source`` is a store, or an engine (any :class:`Keeper`). The histories
    are checked against ``tables`` (default: the engine's) unless
    ``definitions`` are given; otherwise against the definitions the store
    keeps, ``definitions`` taking precedence for the versions they give.
    The report has a problem for every instance whose hash chain, protocol
    steps or snapshot (state, context, signatures, parties, seq, head) disagree with
    its events; nothing is written. A stored row that cannot be read (edited
    past its column's type, or JSON that does not parse) is a ``malformed``
    problem of its instance; a stored definition that cannot be read back is
    a ``malformed`` problem of no instance, and each instance running it is
    an ``unknown_version`` problem of its own unless ``definitions`` give that
    version; the other instances are verified all the same.
    :class:`InstanceNotFound` for an unknown id.

    Every instance is read by one scan of the store
    (:meth:`~just_workflow.store.base.Store.scan`) and replayed before the
    next is read: memory is bounded by the largest instance. The report keeps
    the replayed snapshots of the instances with a problem; those of the
    instances that verified are read back from the store when asked for.
    """
    store, tables = _judged(source, tables)
    problems: list[ReplayProblem] = []
    stored, unreadable = _stored_definitions(store)
    problems += [
        ReplayProblem(
            ProblemKind.MALFORMED,
            None,
            None,
            f"The stored definition {protocol!r} version {version} cannot be read back: {reason}",
        )
        for (protocol, version), reason in unreadable.items()
    ]
    if tables is None or definitions is not None:
        trusted = {d.key: d for d in stored}
        given = definitions.values() if isinstance(definitions, Mapping) else definitions or ()
        trusted.update((d.key, d) for d in given)
        unreadable = {key: reason for key, reason in unreadable.items() if key not in trusted}
        tables = definitions_lookup(trusted.values(), guards)
    checker = HistoryCheck(_without(tables, unreadable))
    verified: dict[str, int] = {}  # the seq each instance that verified was verified at
    replayed: dict[
        str, Instance
    ] = {}  # the snapshot after the verified events of each instance with a problem
    for instance_id, snapshot, events, failure in _histories(store, instance_ids):
        if failure is not None or snapshot is None:
            problems.append(ReplayProblem(ProblemKind.MALFORMED, instance_id, None, str(failure)))
            continue
        problem, after = checker.check(instance_id, events, Head.of(snapshot))
        if problem is None and after is not None:
            problem = _snapshot_problem(snapshot, after)
        if problem is None:
            verified[instance_id] = snapshot.seq
            continue
        if (
            problem.kind is ProblemKind.UNKNOWN_VERSION
            and (snapshot.protocol, snapshot.version) in unreadable
        ):
            problem = _unreadable_version(problem, unreadable[(snapshot.protocol, snapshot.version)])
        problems.append(problem)
        if after is not None:
            replayed[instance_id] = after
    instances = _VerifiedInstances(store, checker, verified, replayed)
    return ReplayReport(in_line_order(problems), instances, checker.events, dict(checker.definitions))


def _stored_definitions(store: Store) -> tuple[list[Definition], dict[tuple[str, int], str]]:
    """The definitions the store keeps that read back, and what is wrong with each that does not."""
    try:
        return store.definitions(), {}
    except UnreadableDefinitions as damaged:
        return damaged.readable, damaged.unreadable


def _without(tables: TableLookup, unreadable: Mapping[tuple[str, int], str]) -> TableLookup:
    """``tables``, finding no table for the protocol versions whose stored definition does not read back."""
    if not unreadable:
        return tables

    def lookup(protocol: str, version: int) -> Table | None:
        if (protocol, version) in unreadable:
            try:
                return tables(protocol, version)  # an engine may have that version loaded from its file
            except StoreError:
                return None
        return tables(protocol, version)

    return lookup


def _unreadable_version(problem: ReplayProblem, reason: str) -> ReplayProblem:
    message = (
        f"the stored definition of the protocol version the instance runs cannot be read back ({reason}), "
        "and no definition of it was given: its events cannot be checked"
    )
    return attrs.evolve(problem, message=message)


def _histories(
    store: Store, instance_ids: Iterable[str] | None
) -> Iterator[tuple[str, Instance | None, Sequence[Event], StoreError | None]]:
    """Each instance to verify: its id, snapshot, events, and the error of a row that could not be read."""
    if instance_ids is None:
        for found in store.scan():
            yield found.id, found.snapshot, found.events, found.problem
        return
    for instance_id in instance_ids:
        try:
            snapshot, history = _read_instance(store, instance_id)
        except StoreError as error:  # not InstanceNotFound: an unknown id is the caller's error
            yield instance_id, None, (), error
            continue
        yield instance_id, snapshot, history, None


def _read_instance(store: Store, instance_id: str) -> tuple[Instance, list[Event]]:
    """The snapshot and the events of an instance, read so that a concurrent fire does not pass for damage."""
    for _attempt in range(3):
        snapshot = store.load(instance_id)
        events = store.events(instance_id)
        if not events or events[-1].seq == snapshot.seq:
            break
    return snapshot, events


class _VerifiedInstances(Mapping[str, Instance]):
    """The snapshots of a verify report, without holding one per instance of the store.

    An instance with a problem keeps its replayed snapshot. One that verified
    is read back from the store when asked for: its stored snapshot is the
    replayed one, unless a fire moved it on since, and then the snapshot at
    the verified seq is replayed again from the stored history.
    """

    def __init__(
        self, store: Store, checker: HistoryCheck, verified: dict[str, int], replayed: dict[str, Instance]
    ) -> None:
        self._store = store
        self._checker = checker
        self._verified = verified
        self._replayed = replayed

    def __getitem__(self, instance_id: str) -> Instance:
        kept = self._replayed.get(instance_id)
        if kept is not None:
            return kept
        seq = self._verified[instance_id]
        stored = self._store.load(instance_id)
        if stored.seq == seq:
            return stored
        _, then = self._checker.check(instance_id, self._store.events(instance_id, upto_seq=seq))
        assert then is not None  # its events up to seq verified
        return then

    def __iter__(self) -> Iterator[str]:
        yield from self._verified
        yield from self._replayed

    def __len__(self) -> int:
        return len(self._verified) + len(self._replayed)

    def __contains__(self, instance_id: object) -> bool:
        return instance_id in self._verified or instance_id in self._replayed


def _snapshot_problem(stored: Instance, replayed: Instance) -> ReplayProblem | None:
    if stored.seq < replayed.seq:
        return ReplayProblem(
            ProblemKind.SNAPSHOT_MISMATCH,
            stored.id,
            stored.seq + 1,
            f"the stored snapshot is at seq {stored.seq}, but the history goes on to seq {replayed.seq}",
        )
    differing = [
        f"{name}: stored {getattr(stored, name)!r}, replayed {getattr(replayed, name)!r}"
        for name in ("protocol", "version", "digest", "state", "head")
        if getattr(stored, name) != getattr(replayed, name)
    ]
    differing += [
        f"{name}: stored {dict(getattr(stored, name))!r}, replayed {dict(getattr(replayed, name))!r}"
        for name in ("context", "signatures", "parties")
        if canonical_json(getattr(stored, name)) != canonical_json(getattr(replayed, name))
    ]
    if not differing:
        return None
    return ReplayProblem(
        ProblemKind.SNAPSHOT_MISMATCH,
        stored.id,
        stored.seq,
        f"the stored snapshot differs from the replayed one: {'; '.join(differing)}",
    )
