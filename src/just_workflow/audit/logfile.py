"""The audit log file: export histories as JSON Lines, read them back whole.

A log is UTF-8 JSON Lines, each line one JSON object ending in ``\\n``:
a header ``{"format":"just_workflow.log","version":"1.0"}``, optionally the
definitions used (``{"type":"definition","digest":...,"document":...}``),
the events of each instance in seq order (``{"type":"event", ...event}``),
and each instance's head (``{"type":"head","instance":...,"seq":...,"hash":...}``).
``docs/audit.md`` states the format exactly, for anyone re-implementing the
verification. Reading each line is :mod:`just_workflow.audit.reader`'s job,
checking the events :mod:`just_workflow.audit.replay`'s; this module turns
stores into logs, and files into :class:`~just_workflow.audit.report.Log` values.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from just_workflow.audit.reader import (
    FORMAT_VERSION,
    HEADER,
    MAX_SAFE_INTEGER,
    LogSource,
    opened,
    read_lines,
)
from just_workflow.audit.replay import Keeper
from just_workflow.audit.report import Head, Log, ReplayProblem
from just_workflow.canonical import canonical_json
from just_workflow.definition import Definition
from just_workflow.events import Event
from just_workflow.formats.document import definition_to_document
from just_workflow.instance import Instance
from just_workflow.store.base import Store

__all__ = [
    "FORMAT_VERSION",
    "HEADER",
    "MAX_SAFE_INTEGER",
    "Destination",
    "LogSource",
    "definition_line",
    "event_line",
    "export_heads",
    "export_log",
    "read_log",
]

#: A place to write a log to: a path, or a binary or text file open for writing.
Destination = str | os.PathLike[str] | IO[bytes] | IO[str]

# Writing


def export_log(
    source: Store | Keeper,
    destination: Destination,
    instance_ids: Iterable[str] | None = None,
    *,
    include_definitions: bool = False,
) -> dict[str, Head]:
    """Write the histories of ``instance_ids`` (default: every instance) as a log; their heads.

    Keep the returned heads apart from the log (or the log's own head lines,
    in a place the log's holder cannot write): with them, :func:`replay`
    detects events cut off at the end. ``include_definitions`` embeds the
    definitions the instances run under, so that the log can be replayed
    without the definition files (see ``docs/audit.md`` for what that proves).
    Every instance is read by one scan of the store, one instance at a time
    (:meth:`~just_workflow.store.base.Store.scan`); an unknown id in
    ``instance_ids`` fails before anything is written, and a stored row that
    cannot be read raises the store's error.
    """
    store = source.store if isinstance(source, Keeper) else source
    histories = _histories(store, instance_ids)
    heads: dict[str, Head] = {}
    with _writer(destination) as write:
        write(_line(HEADER))
        if not include_definitions:
            _write_histories(histories, write, heads)
        else:
            # The definitions come first, but which ones are used is known only once every instance is read:
            # the events wait in a temporary file (in memory while small).
            with tempfile.SpooledTemporaryFile(_SPOOL_IN_MEMORY) as spool:
                used = _write_histories(histories, spool.write, heads)
                for definition in store.definitions():
                    if definition.key in used:
                        write(definition_line(definition))
                spool.seek(0)
                for chunk in iter(lambda: spool.read(_COPY_CHUNK), b""):
                    write(chunk)
        for head in heads.values():
            write(_line(head.to_json()))
    return heads


#: How many bytes of events an export with definitions keeps in memory before it spools them to disk.
_SPOOL_IN_MEMORY = 8 << 20
_COPY_CHUNK = 1 << 20


def _histories(
    store: Store, instance_ids: Iterable[str] | None
) -> Iterator[tuple[Instance, Sequence[Event]]]:
    """Each instance to export with its events: by one scan of the store, or by id (every id checked first)."""
    if instance_ids is None:
        return _scanned(store)
    snapshots = [store.load(instance_id) for instance_id in dict.fromkeys(instance_ids)]
    return ((snapshot, store.events(snapshot.id, upto_seq=snapshot.seq)) for snapshot in snapshots)


def _scanned(store: Store) -> Iterator[tuple[Instance, Sequence[Event]]]:
    for stored in store.scan():
        if stored.problem is not None:
            raise stored.problem
        assert stored.snapshot is not None  # a scanned instance without a problem has its snapshot
        yield stored.snapshot, stored.events


def _write_histories(
    histories: Iterable[tuple[Instance, Sequence[Event]]],
    write: Callable[[bytes], Any],
    heads: dict[str, Head],
) -> set[tuple[str, int]]:
    """Write the event lines of each history and note its head; the protocol versions written."""
    used: set[tuple[str, int]] = set()
    for snapshot, events in histories:
        for event in events:
            write(event_line(event))
        heads[snapshot.id] = Head.of(snapshot)
        used.add((snapshot.protocol, snapshot.version))
    return used


def export_heads(heads: Iterable[Head], destination: Destination) -> None:
    """Write a heads file: the header and one head line per instance (a log without events).

    Kept apart from the log, it is what ``replay``'s ``expected_heads`` (the
    CLI's ``--expect-heads``) reads.
    """
    with _writer(destination) as write:
        write(_line(HEADER))
        for head in heads:
            write(_line(head.to_json()))


def definition_line(definition: Definition) -> bytes:
    """The log line embedding ``definition`` in document form, with its digest.

    Not canonical JSON: the order of a document's mappings (states, roles,
    fields) is part of the definition, and of its digest.
    """
    data = {"type": "definition", "digest": definition.digest, "document": definition_to_document(definition)}
    return (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n"
    )


def event_line(event: Event) -> bytes:
    """The log line of ``event``: its JSON data with ``"type": "event"``, canonical, ending in a newline."""
    return _line({**event.to_json(), "type": "event"})


def _line(data: Mapping[str, Any]) -> bytes:
    return canonical_json(data) + b"\n"


@contextlib.contextmanager
def _writer(destination: Destination) -> Iterator[Any]:
    """A function writing bytes to ``destination`` (opened and closed here when it is a path)."""
    if isinstance(destination, str | os.PathLike):
        with open(destination, "wb") as file:
            yield file.write
    elif isinstance(destination, io.TextIOBase):
        yield lambda data: destination.write(data.decode("utf-8"))
    else:
        yield destination.write


# Reading


def read_log(source: LogSource, *, strict: bool = True) -> Log:
    """The log in ``source`` (a path or a binary file), held whole in memory.

    ``strict`` (the default) raises :class:`AuditError` naming the line and
    what is wrong with it at the first line that cannot be read; with
    ``strict=False`` such lines are kept in :attr:`Log.malformed`, and
    :func:`replay` reports them at the event they stand in for. To replay a
    long log, give :func:`replay` the file itself: it reads it line by line
    and holds only what it knows of each instance.
    """
    collected = _Collected()
    with opened(source) as (file, name):
        line_count = read_lines(file, name, strict, collected)
    return Log(
        events=collected.events,
        heads=collected.heads,
        lines=collected.lines,
        definitions=tuple(collected.definitions),
        definition_lines=tuple(collected.definition_lines),
        malformed=tuple(collected.malformed),
        line_count=line_count,
        source=name,
    )


class _Collected:
    """A :class:`~just_workflow.audit.reader.LogSink` keeping every line read, for a :class:`Log`."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lines: list[int] = []
        self.heads: dict[str, Head] = {}
        self.definitions: list[Definition] = []
        self.definition_lines: list[int] = []
        self.malformed: list[ReplayProblem] = []

    def event(self, event: Event, line: int, hashed: bool) -> None:
        self.events.append(event)
        self.lines.append(line)

    def head(self, head: Head) -> None:
        self.heads[head.instance] = head

    def definition(self, definition: Definition, line: int) -> None:
        self.definitions.append(definition)
        self.definition_lines.append(line)

    def unreadable(self, problem: ReplayProblem) -> None:
        self.malformed.append(problem)
