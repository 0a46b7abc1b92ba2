"""The audit log file: export histories as JSON Lines, read them back, import them; verify a store.

A log is UTF-8 JSON Lines, each line one JSON object ending in ``\\n``:
a header ``{"format":"just_workflow.log","version":"1.0"}``, optionally the
definitions used (``{"type":"definition","digest":...,"document":...}``),
the events of each instance in seq order (``{"type":"event", ...event}``),
and each instance's head (``{"type":"head","instance":...,"seq":...,"hash":...}``).
``docs/audit.md`` states the format exactly, for anyone re-implementing the
verification. Checking the events is :mod:`just_workflow.audit.replay`'s job;
this module turns files into :class:`~just_workflow.audit.replay.Log` values and
stores into logs.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import itertools
import json
import math
import operator
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from just_workflow.audit.replay import Keeper
from just_workflow.audit.report import Head, Log, ProblemKind, ReplayProblem
from just_workflow.canonical import canonical_json
from just_workflow.definition import Definition
from just_workflow.errors import AuditError, DefinitionError
from just_workflow.events import ACTOR_FIELDS, FIELD_TYPES, FIELDS, Event
from just_workflow.formats.document import definition_from_document, definition_to_document
from just_workflow.store.base import Store

#: The log format's version: a reader refuses a log of a newer major version.
FORMAT_VERSION = "1.0"
#: The first line of every log.
HEADER: Mapping[str, Any] = {"format": "just_workflow.log", "version": FORMAT_VERSION}
# Logs written before the version became "major.minor" name it as the integer 1: the same format.
_READABLE_VERSIONS = frozenset({(str, FORMAT_VERSION), (int, 1)})
_VERSION_TEXT = re.compile(r"([0-9]+)\.([0-9]+)", re.ASCII).fullmatch

# An event line is the event's JSON data (Event.to_json) and its "type". The JSON types each value may
# have follow from the types the Event class declares (a field of a type not listed here fails at import).
_EVENT_KEYS = frozenset((*FIELDS, "type"))
_ACTOR_KEYS = frozenset(ACTOR_FIELDS)
_JSON_TYPES: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), str | None: (str, type(None))}
_TYPE_NAMES: dict[tuple[type, ...], str] = {
    (str,): "a string",
    (int,): "an integer >= 1",
    (str, type(None)): "a string or null",
}
_SCALAR_FIELDS = tuple(name for name in FIELDS if name not in ("actor", "payload"))
_SCALAR_TYPES = {name: _JSON_TYPES[FIELD_TYPES[name]] for name in _SCALAR_FIELDS}
# Every combination of the types the scalar values may have, in _SCALAR_FIELDS order: on the common path a
# single look-up checks them all.
_TYPE_ROWS = frozenset(itertools.product(*(_SCALAR_TYPES[name] for name in _SCALAR_FIELDS)))
_COUNT_FIELDS = tuple(name for name in _SCALAR_FIELDS if _SCALAR_TYPES[name] == (int,))
_scalar_values = operator.itemgetter(*_SCALAR_FIELDS)
_count_values = operator.itemgetter(*_COUNT_FIELDS)
_STR = frozenset((str,))
_HEAD_KEYS = frozenset(("type", "instance", "seq", "hash"))
_DEFINITION_KEYS = frozenset(("type", "digest", "document"))


#: The largest integer a log may hold: beyond it, JSON readers using doubles (JavaScript's) lose digits.
MAX_SAFE_INTEGER = 2**53 - 1
# What the engine's clock writes: an ISO 8601 time with seconds (and maybe microseconds) and a UTC offset.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([+-][0-9]{2}:[0-9]{2}|Z)", re.ASCII
).fullmatch
_HASH = re.compile(r"[0-9a-f]{64}", re.ASCII).fullmatch


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _safe_integer(text: str) -> int:
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    raise ValueError(f"the integer {text[:40]} is out of the range of ±(2**53 - 1)")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isfinite(value):
        return value
    raise ValueError(f"the number {text[:40]} is out of the range of a double")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Python's json keeps the last of two equal keys, other readers the first: a forger could show each
    # reader another value under the same hash. A key twice is refused.
    data = dict(pairs)
    if len(data) != len(pairs):
        keys = [key for key, _ in pairs]
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"the key {twice!r} appears twice in one object")
    return data


# raw_decode skips json.loads' white space scan (a line has none around its object). NaN, Infinity, numbers
# that overflow a double (1e400) or an exact double (integers beyond 2**53 - 1), and duplicate keys, which
# Python's json accepts, are refused: canonical JSON, hence the hash, has no such values, or other readers
# read them otherwise.
_DECODER = json.JSONDecoder(
    parse_constant=_no_constant,
    parse_int=_safe_integer,
    parse_float=_finite_float,
    object_pairs_hook=_object_without_duplicates,
)

#: A place to write a log to: a path, or a binary or text file open for writing.
Destination = str | os.PathLike[str] | IO[bytes] | IO[str]
#: A log to read: a path, or a binary file open for reading.
LogSource = str | os.PathLike[str] | IO[bytes]


class _Unreadable(Exception):
    """A log line that cannot be read; the message says why."""


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
    """
    store = source.store if isinstance(source, Keeper) else source
    ids = store.instance_ids() if instance_ids is None else dict.fromkeys(instance_ids)
    snapshots = [store.load(instance_id) for instance_id in ids]  # an unknown id fails before any write
    heads: dict[str, Head] = {}
    with _writer(destination) as write:
        write(_line(HEADER))
        if include_definitions:
            used = {(snapshot.protocol, snapshot.version) for snapshot in snapshots}
            for definition in store.definitions():
                if definition.key in used:
                    write(definition_line(definition))
        for snapshot in snapshots:
            for event in store.events(snapshot.id, upto_seq=snapshot.seq):
                write(event_line(event))
            heads[snapshot.id] = Head.of(snapshot)
        for head in heads.values():
            write(_line(head.to_json()))
    return heads


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
    """The log in ``source`` (a path or a binary file).

    ``strict`` (the default) raises :class:`AuditError` naming the line and
    what is wrong with it at the first line that cannot be read; with
    ``strict=False`` such lines are kept in :attr:`Log.malformed`, and
    :func:`replay` reports them at the event they stand in for.
    """
    if isinstance(source, str | os.PathLike):
        name = os.fspath(source)
        with open(source, "rb") as file:
            return _read(file, name, strict)
    return _read(source, getattr(source, "name", None) or "<log>", strict)


def _read(file: IO[bytes], name: str, strict: bool) -> Log:
    events: list[Event] = []
    lines: list[int] = []
    heads: dict[str, Head] = {}
    embedded: dict[tuple[str, int], tuple[int, Definition]] = {}
    malformed: list[ReplayProblem] = []
    shared: dict[Any, Any] = {}  # a long log repeats a few strings and actors on every line: one copy of each
    decode = _DECODER.raw_decode
    number = 0
    for number, raw in enumerate(file, 1):
        try:
            if raw[:1] != b"{" or raw[-2:] != b"}\n":
                raise _Unreadable(_framing_problem(raw))
            try:
                text = raw.decode("utf-8")
                data, end = decode(text)
            except (UnicodeDecodeError, ValueError, RecursionError) as error:
                raise _Unreadable(f"not valid JSON: {error}") from None
            if end != len(text) - 1:
                raise _Unreadable(f"not valid JSON: more data after the object at column {end + 1}")
            if b"\\u" in raw:  # only an escape makes a lone surrogate, which is no text and cannot be hashed
                _check_text(data)
            kind = data.get("type")
            if number == 1 and kind is not None:
                # No header: a problem, but the line is still read, so that replay checks what it holds.
                header_problem = _unreadable(1, f"the log must start with the header {_header_text()}")
                if strict:
                    raise AuditError(f"{name}: line 1: {header_problem.message}")
                malformed.append(header_problem)
            if kind == "event":
                events.append(_event(data, shared))
                lines.append(number)
            elif kind is None:
                _check_header(data, number)
            elif kind == "head":
                head = _head(data, number)
                if head.instance in heads:
                    first = heads[head.instance].line
                    raise _Unreadable(
                        f"a second head line for instance {head.instance!r} (first at line {first})"
                    )
                heads[head.instance] = head
            elif kind == "definition":
                definition = _definition(data, f"{name}:{number}")
                if definition.key in embedded and embedded[definition.key][1].digest != definition.digest:
                    first_line = embedded[definition.key][0]
                    raise _Unreadable(
                        f"a second, different definition of {definition.protocol!r} version "
                        f"{definition.version} (first at line {first_line})"
                    )
                embedded.setdefault(definition.key, (number, definition))
            else:
                raise _Unreadable(
                    f"unknown line type {kind!r}; log lines are of type: definition, event, head"
                )
        except _Unreadable as error:
            if strict:
                raise AuditError(f"{name}: line {number}: {error}") from None
            malformed.append(_unreadable(number, str(error)))
    if number == 0:
        reason = f"the log is empty; it must start with the header {_header_text()}"
        if strict:
            raise AuditError(f"{name}: {reason}")
        malformed.append(_unreadable(1, reason))
    return Log(
        events=events,
        heads=heads,
        lines=lines,
        definitions=tuple(definition for _, definition in embedded.values()),
        definition_lines=tuple(line for line, _ in embedded.values()),
        malformed=tuple(malformed),
        line_count=max(number, 1),
        source=name,
    )


def _unreadable(line: int, reason: str) -> ReplayProblem:
    """The problem of a line that could not be read: replay finds the instance it belongs to, if any."""
    return ReplayProblem(ProblemKind.MALFORMED, None, None, reason, line)


def _framing_problem(raw: bytes) -> str:
    if not raw.endswith(b"\n"):
        return "the line does not end with a newline: the log may be cut off"
    return "a log line is one JSON object: it starts with '{' and ends with '}' and a newline"


def _header_text() -> str:
    return _line(HEADER).decode().strip()


def _check_header(data: dict[str, Any], number: int) -> None:
    expected = _header_text()
    if number != 1:
        raise _Unreadable(f"a line without 'type' is only allowed as the header, on line 1: {expected}")
    if data.keys() != HEADER.keys() or data["format"] != HEADER["format"]:
        raise _Unreadable(f"not a just_workflow log: the header must be {expected}")
    version = data["version"]
    if (type(version), version) in _READABLE_VERSIONS:  # by type too: 1.0 and true equal 1 in Python
        return
    numbers = _VERSION_TEXT(version) if type(version) is str else None
    if numbers is not None and int(numbers[1]) > int(FORMAT_VERSION.partition(".")[0]):
        raise _Unreadable(
            f"the log is of format version {version}, newer than this reader's {FORMAT_VERSION}: "
            "read it with a newer just_workflow"
        )
    raise _Unreadable(
        f"not a just_workflow log of a known version: version {version!r}; this reader reads version "
        f"{FORMAT_VERSION} (header {expected})"
    )


def _check_text(value: Any) -> None:
    """Refuse a string (a key or a value, at any depth) that is not text: a lone surrogate from an escape."""
    if type(value) is str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Unreadable(f"the string {value[:40]!r} holds a lone surrogate: it is not text") from None
    elif type(value) is dict:
        for key, inner in value.items():
            _check_text(key)
            _check_text(inner)
    elif type(value) is list:
        for inner in value:
            _check_text(inner)


def _event(data: dict[str, Any], shared: dict[Any, Any]) -> Event:
    """The event of an event line; every field present, of its type, and nothing else."""
    if data.keys() != _EVENT_KEYS:
        raise _Unreadable(_keys_problem("an event line", data, _EVENT_KEYS))
    actor = data["actor"]
    # One chained test on the common path; the slow path below says which field is wrong.
    if not (
        type(actor) is dict
        and actor.keys() == _ACTOR_KEYS
        and _STR.issuperset(map(type, actor.values()))
        and type(data["payload"]) is dict
        and tuple(map(type, _scalar_values(data))) in _TYPE_ROWS
        and min(_count_values(data)) >= 1
    ):
        raise _Unreadable(_field_problem(data))
    for name in ("prev_hash", "hash"):
        if not _HASH(data[name]):
            raise _Unreadable(f"{name!r} is a SHA-256 hex digest (64 of 0-9 a-f), got {data[name][:80]!r}")
    _check_timestamp(data["at"])
    return Event.from_json(data, shared)


def _check_timestamp(at: str) -> None:
    """Refuse an ``at`` that is not an ISO 8601 time with a UTC offset, as the engine's clock writes."""
    try:
        valid = bool(_TIMESTAMP(at)) and datetime.datetime.fromisoformat(at).tzinfo is not None
    except ValueError:  # a month 13, a hour 25
        valid = False
    if not valid:
        raise _Unreadable(
            f"'at' is an ISO 8601 time with a UTC offset (as 2026-03-02T09:00:00+00:00), got {at[:80]!r}"
        )


def _head(data: dict[str, Any], number: int) -> Head:
    if data.keys() != _HEAD_KEYS:
        raise _Unreadable(_keys_problem("a head line", data, _HEAD_KEYS))
    instance, seq, hash_ = data["instance"], data["seq"], data["hash"]
    if type(instance) is not str or type(hash_) is not str:
        raise _Unreadable(f"a head's 'instance' and 'hash' are strings, got {instance!r} and {hash_!r}")
    if type(seq) is not int or seq < 1:
        raise _Unreadable(f"a head's 'seq' is an integer >= 1, got {seq!r}")
    if not _HASH(hash_):
        raise _Unreadable(f"a head's 'hash' is a SHA-256 hex digest (64 of 0-9 a-f), got {hash_[:80]!r}")
    return Head(instance, seq, hash_, number)


def _definition(data: dict[str, Any], origin: str) -> Definition:
    if data.keys() != _DEFINITION_KEYS:
        raise _Unreadable(_keys_problem("a definition line", data, _DEFINITION_KEYS))
    try:
        definition = definition_from_document(data["document"], origin=origin)
    except DefinitionError as error:
        raise _Unreadable(f"the embedded definition is invalid: {error}") from None
    if definition.digest != data["digest"]:
        raise _Unreadable(
            f"the embedded definition has digest {definition.digest[:16]}, but the line names "
            f"{str(data['digest'])[:16]}: the definition was changed"
        )
    return definition


def _keys_problem(what: str, data: Mapping[str, Any], keys: frozenset[str]) -> str:
    missing = sorted(keys - data.keys())
    extra = sorted(data.keys() - keys)
    parts = [f"lacks {', '.join(map(repr, missing))}"] if missing else []
    parts += [f"has unknown {', '.join(map(repr, extra))}"] if extra else []
    return f"{what} {' and '.join(parts)}; its keys are: {', '.join(sorted(keys))}"


def _field_problem(data: Mapping[str, Any]) -> str:
    actor = data["actor"]
    if not isinstance(actor, dict) or actor.keys() != _ACTOR_KEYS:
        return f"'actor' is an object with {' and '.join(map(repr, ACTOR_FIELDS))}, got {actor!r}"
    for name in ACTOR_FIELDS:
        if type(actor[name]) is not str:
            return f"'actor.{name}' is a string, got {actor[name]!r}"
    if type(data["payload"]) is not dict:
        return f"'payload' is an object, got {data['payload']!r}"
    name = next(
        name
        for name in _SCALAR_FIELDS
        if type(data[name]) not in _SCALAR_TYPES[name] or (name in _COUNT_FIELDS and data[name] < 1)
    )
    return f"{name!r} is {_TYPE_NAMES[_SCALAR_TYPES[name]]}, got {data[name]!r}"


# Importing and verifying
