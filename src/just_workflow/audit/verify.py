"""Checking what a store keeps: verify its histories and snapshots, import a log only when it verifies.

Both take a :class:`~just_workflow.store.base.Store`, or anything that keeps
one with its compiled tables (a :class:`Keeper`, as the engine is), and the
definitions to judge by; neither writes what fails. This module knows no
engine: the engine is above it and is judged by its shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from just_workflow.audit.logfile import LogSource, read_log
from just_workflow.audit.replay import Keeper, TableLookup, definitions_lookup, replay, replay_with
from just_workflow.audit.report import Head, Log, ProblemKind, ReplayProblem, ReplayReport
from just_workflow.canonical import canonical_json
from just_workflow.definition import Definition
from just_workflow.errors import AuditError, StoreError
from just_workflow.events import Event
from just_workflow.guards import NamedGuard
from just_workflow.instance import Instance
from just_workflow.store.base import Store


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
        report = replay(trusted, store.definitions(), guards=guards)
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
    problem of its instance, or of no instance for the definitions table;
    the other instances are verified all the same. :class:`InstanceNotFound`
    for an unknown id.
    """
    store, tables = _judged(source, tables)
    # A row edited past reading is a problem of its instance (or of the definitions), never an exception
    # that would hide the verdict on the others.
    unreadable: list[ReplayProblem] = []
    if tables is None or definitions is not None:
        try:
            trusted = {d.key: d for d in store.definitions()}
        except StoreError as error:
            trusted = {}
            unreadable.append(ReplayProblem(ProblemKind.MALFORMED, None, None, str(error)))
        given = definitions.values() if isinstance(definitions, Mapping) else definitions or ()
        trusted.update((d.key, d) for d in given)
        tables = definitions_lookup(trusted.values(), guards)
    ids = list(store.instance_ids()) if instance_ids is None else list(instance_ids)
    events: list[Event] = []
    snapshots: dict[str, Instance] = {}
    for instance_id in ids:
        try:
            snapshot, history = _read_instance(store, instance_id)
        except StoreError as error:
            unreadable.append(ReplayProblem(ProblemKind.MALFORMED, instance_id, None, str(error)))
            continue
        snapshots[instance_id] = snapshot
        events += history
    heads = {instance_id: Head.of(snapshot) for instance_id, snapshot in snapshots.items()}
    report = replay_with(Log(events), tables, heads, heads_required=False).with_problems(unreadable)
    mismatches = []
    for instance_id, stored in snapshots.items():
        replayed = report.instances.get(instance_id)
        if replayed is not None and report.problem_of(instance_id) is None:
            problem = _snapshot_problem(stored, replayed)
            if problem is not None:
                mismatches.append(problem)
    return report.with_problems(mismatches)


def _read_instance(store: Store, instance_id: str) -> tuple[Instance, list[Event]]:
    """The snapshot and the events of an instance, read so that a concurrent fire does not pass for damage."""
    for _attempt in range(3):
        snapshot = store.load(instance_id)
        events = store.events(instance_id)
        if not events or events[-1].seq == snapshot.seq:
            break
    return snapshot, events


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
