"""Reading a log: each line checked exactly, handed on as it is read, so that no log is held whole.

:func:`read_lines` reads a log file line by line and hands each event, head,
embedded definition and unreadable line to a :class:`LogSink` as it comes:
:func:`~just_workflow.audit.logfile.read_log` collects them into a
:class:`~just_workflow.audit.report.Log`, and
:func:`~just_workflow.audit.replay.replay` of a file checks them as they are
read, holding only what it knows of each instance. The reader is strict and
total: a line that does not hold exactly what the format says (a key twice,
a number out of range, a bad time stamp or hash, a broken escape) is a
``malformed`` problem at its line, never a guess and never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import json
import math
import operator
import os
import re
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Protocol

from just_workflow.audit.report import Head, ProblemKind, ReplayProblem
from just_workflow.canonical import canonical_json, canonical_text
from just_workflow.definition import Definition
from just_workflow.errors import AuditError, DefinitionError
from just_workflow.events import ACTOR_FIELDS, FIELD_TYPES, FIELDS, Event
from just_workflow.formats.document import definition_from_document

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
_TWO_HASHES = re.compile(r"[0-9a-f]{128}", re.ASCII).fullmatch


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

#: A log to read: a path, or a binary file open for reading.
LogSource = str | os.PathLike[str] | IO[bytes]

# The fast way to read an event line, taken only for a line that is exactly the canonical JSON of its event,
# as every export writes it: two regular expressions match the members before and after the payload, in
# canonical order, the strings without any escape (so their text is their value), the hashes as 64 hex
# digits, seq and version as canonical integers within the bounds; the payload is decoded alone and must be
# its own canonical JSON. Such a line holds no key twice, no number out of range and no escape, and cutting
# its "hash" and "type" members out of it gives the bytes its hash is over. Any other line is read the
# strict way above, which says what is wrong with it. No pattern can backtrack: every match is linear.
_TEXT = r'"([^"\\\x00-\x1f]*)"'
_TEXT_OR_NULL = r'(?:"([^"\\\x00-\x1f]*)"|null)'
_DIGEST = r'"([0-9a-f]{64})"'
_COUNT = r"([1-9][0-9]{0,14})"  # at most 15 digits: within 2**53 - 1
_BEFORE_PAYLOAD = re.compile(
    rf'\{{"actor":\{{"id":{_TEXT},"role":{_TEXT}\}},"at":{_TEXT},"digest":{_TEXT},"hash":{_DIGEST},'
    rf'"instance":{_TEXT},"kind":{_TEXT},"payload":'
).match
# In canonical JSON no string holds an unescaped quote: the last '},"prev_hash":"' of the line ends the payload.
_PAYLOAD_END = '},"prev_hash":"'
_AFTER_PAYLOAD = re.compile(
    rf',"prev_hash":{_DIGEST},"protocol":{_TEXT},"seq":{_COUNT},"source":{_TEXT_OR_NULL},"target":{_TEXT},'
    rf'"trigger":{_TEXT_OR_NULL},"type":"event","version":{_COUNT}\}}\n'
).fullmatch
_HASH_GROUP, _VERSION_GROUP = 5, 7  # in the patterns before and after the payload
_HASH_MEMBER = len(',"hash":"') + 64 + len('"')
_TYPE_MEMBER = ',"type":"event"'
_plain_scan: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009 (typeshed lacks it)
_sha256 = hashlib.sha256


class _Unreadable(Exception):
    """A log line that cannot be read; the message says why."""


class LogSink(Protocol):
    """What :func:`read_lines` hands each line it reads to, in the order of the log."""

    def event(self, event: Event, line: int, hashed: bool) -> None:
        """An event line; ``hashed``: its hash was found to be the hash of its content already."""

    def head(self, head: Head) -> None:
        """A head line (the first of its instance: a second one is unreadable)."""

    def definition(self, definition: Definition, line: int) -> None:
        """An embedded definition (the first of its protocol version: identical repeats are skipped)."""

    def unreadable(self, problem: ReplayProblem) -> None:
        """A line that could not be read, as a ``malformed`` problem at its line and of no instance yet."""


@contextlib.contextmanager
def opened(source: LogSource) -> Iterator[tuple[IO[bytes], str]]:
    """The binary file of ``source`` (opened and closed here when it is a path) and the name to report it by."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            yield file, os.fspath(source)
    else:
        yield source, getattr(source, "name", None) or "<log>"


def read_lines(file: IO[bytes], name: str, strict: bool, sink: LogSink) -> int:
    """Read every line of ``file`` into ``sink``; the number of lines (at least 1).

    ``strict`` raises :class:`AuditError` naming the line and what is wrong
    with it at the first line that cannot be read; otherwise such lines go to
    ``sink.unreadable``.
    """
    heads: dict[str, int] = {}  # the line of each instance's head
    embedded: dict[tuple[str, int], tuple[int, str]] = {}  # the line and digest of each definition
    shared: dict[Any, Any] = {}  # a long log repeats a few strings and actors on every line: one copy of each
    number = 0
    for number, raw in enumerate(file, 1):
        try:
            if raw[:1] != b"{" or raw[-2:] != b"}\n":
                raise _Unreadable(_framing_problem(raw))
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise _Unreadable(f"not valid JSON: {error}") from None
            canonical = _canonical_event(text, shared) if number != 1 else None
            if canonical is not None:
                sink.event(canonical[0], number, canonical[1])
                continue
            data = _strict_decode(text)
            kind = data.get("type")
            if number == 1 and kind is not None:
                # No header: a problem, but the line is still read, so that replay checks what it holds.
                header_problem = _unreadable(1, f"the log must start with the header {_header_text()}")
                if strict:
                    raise AuditError(f"{name}: line 1: {header_problem.message}")
                sink.unreadable(header_problem)
            if kind == "event":
                sink.event(_event(data, shared), number, False)
            elif kind is None:
                _check_header(data, number)
            elif kind == "head":
                head = _head(data, number)
                if head.instance in heads:
                    raise _Unreadable(
                        f"a second head line for instance {head.instance!r} (first at line {heads[head.instance]})"
                    )
                heads[head.instance] = number
                sink.head(head)
            elif kind == "definition":
                definition = _definition(data, f"{name}:{number}")
                first = embedded.get(definition.key)
                if first is None:
                    embedded[definition.key] = (number, definition.digest)
                    sink.definition(definition, number)
                elif first[1] != definition.digest:
                    raise _Unreadable(
                        f"a second, different definition of {definition.protocol!r} version "
                        f"{definition.version} (first at line {first[0]})"
                    )
            else:
                raise _Unreadable(
                    f"unknown line type {kind!r}; log lines are of type: definition, event, head"
                )
        except _Unreadable as error:
            if strict:
                raise AuditError(f"{name}: line {number}: {error}") from None
            sink.unreadable(_unreadable(number, str(error)))
    if number == 0:
        reason = f"the log is empty; it must start with the header {_header_text()}"
        if strict:
            raise AuditError(f"{name}: {reason}")
        sink.unreadable(_unreadable(1, reason))
    return max(number, 1)


def _canonical_event(text: str, shared: dict[Any, Any]) -> tuple[Event, bool] | None:
    """The event of a line that is exactly its canonical JSON, and whether its hash holds; None for other lines."""
    before = _BEFORE_PAYLOAD(text)
    end = text.rfind(_PAYLOAD_END) + 1
    if before is None or end <= before.end():
        return None
    after = _AFTER_PAYLOAD(text, end)
    if after is None:
        return None
    actor, role, at, digest, hash_, instance, kind = before.groups()
    prev_hash, protocol, seq, source, target, trigger, version = after.groups()
    payload_text = text[before.end() : end]
    payload: Any = {}
    if payload_text != "{}":
        try:
            payload, payload_end = _plain_scan(payload_text, 0)
            if payload_end != len(payload_text) or canonical_text(payload) != payload_text:
                return None
        except (ValueError, TypeError, StopIteration, RecursionError):  # not JSON, or no canonical form
            return None
    try:
        _check_timestamp(at)
    except _Unreadable:
        return None
    data = {
        "instance": instance,
        "seq": int(seq),
        "kind": kind,
        "protocol": protocol,
        "version": int(version),
        "digest": digest,
        "trigger": trigger,
        "source": source,
        "target": target,
        "actor": {"id": actor, "role": role},
        "payload": payload,
        "at": at,
        "prev_hash": prev_hash,
        "hash": hash_,
    }
    hash_at = before.start(_HASH_GROUP) - len(',"hash":"')
    type_at = after.start(_VERSION_GROUP) - len(',"type":"event","version":')
    body = text[:hash_at] + text[hash_at + _HASH_MEMBER : type_at] + text[type_at + len(_TYPE_MEMBER) : -1]
    holds = _sha256((prev_hash + body).encode()).hexdigest() == hash_
    return Event.from_json(data, shared), holds


def _strict_decode(text: str) -> dict[str, Any]:
    """The JSON object of a line, every rule of the format's JSON checked; :class:`_Unreadable` otherwise."""
    try:
        data, end = _DECODER.raw_decode(text)
    except (ValueError, RecursionError) as error:
        raise _Unreadable(f"not valid JSON: {error}") from None
    if end != len(text) - 1:
        raise _Unreadable(f"not valid JSON: more data after the object at column {end + 1}")
    if "\\u" in text:  # only an escape makes a lone surrogate, which is no text and cannot be hashed
        _check_text(data)
    return data  # type: ignore[no-any-return]


def _header_text() -> str:
    return canonical_json(HEADER).decode()


def _unreadable(line: int, reason: str) -> ReplayProblem:
    """The problem of a line that could not be read: replay finds the instance it belongs to, if any."""
    return ReplayProblem(ProblemKind.MALFORMED, None, None, reason, line)


def _framing_problem(raw: bytes) -> str:
    if not raw.endswith(b"\n"):
        return "the line does not end with a newline: the log may be cut off"
    return "a log line is one JSON object: it starts with '{' and ends with '}' and a newline"


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
    if not _TWO_HASHES(data["prev_hash"] + data["hash"]):  # one match for both, on the common path
        for name in ("prev_hash", "hash"):
            if not _HASH(data[name]):
                raise _Unreadable(
                    f"{name!r} is a SHA-256 hex digest (64 of 0-9 a-f), got {data[name][:80]!r}"
                )
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
