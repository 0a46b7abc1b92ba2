"""read_log is strict and total: whatever a line holds, it is read exactly or it is a problem at its line."""

from __future__ import annotations

import json
import re

import pytest

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit import logfile
from just_workflow.audit.report import ProblemKind
from just_workflow.canonical import canonical_json
from just_workflow.testing import TickingClock

MOA = moa_definition()


@pytest.fixture(scope="module")
def log() -> bytes:
    """An exported log of one instance: the header, three events, the head."""
    engine = jw.Engine([MOA], clock=TickingClock())
    engine.start("moa", ANNA, instance_id="a")
    engine.fire("a", "contact", ANNA)
    engine.fire("a", "define", DORA, {"fields": ["robotics"], "offer": "internships", "staff": 3})
    out = logfile.io.BytesIO()
    logfile.export_log(engine, out)
    return out.getvalue()


def read(data: bytes, *, strict: bool = True) -> jw.Log:
    return jw.read_log(logfile.io.BytesIO(data), strict=strict)


def with_line(log: bytes, number: int, line: bytes) -> bytes:
    """The log with its line ``number`` (from 1) replaced by ``line``."""
    lines = log.splitlines(keepends=True)
    lines[number - 1] = line
    return b"".join(lines)


def test_the_header_is_version_1_0(log: bytes) -> None:
    assert log.splitlines()[0] == b'{"format":"just_workflow.log","version":"1.0"}'


def test_a_log_written_with_the_integer_version_1_is_still_read(log: bytes) -> None:
    old = with_line(log, 1, b'{"format":"just_workflow.log","version":1}\n')
    assert jw.replay(read(old), [MOA]).ok


def test_a_newer_major_version_is_refused_naming_both_versions(log: bytes) -> None:
    newer = with_line(log, 1, b'{"format":"just_workflow.log","version":"2.0"}\n')
    with pytest.raises(
        jw.AuditError, match=re.escape("line 1: the log is of format version 2.0, newer than")
    ):
        read(newer)
    with pytest.raises(jw.AuditError, match=re.escape("this reader's 1.0")):
        read(newer)


@pytest.mark.parametrize("version", [b"1.0", b"true", b'"1.x"', b'"1.0 "', b'"01.0"', b"null"])
def test_any_other_version_is_a_problem(log: bytes, version: bytes) -> None:
    data = with_line(log, 1, b'{"format":"just_workflow.log","version":' + version + b"}\n")
    with pytest.raises(jw.AuditError, match="line 1: not a just_workflow log of a known version"):
        read(data)


def test_a_log_without_a_header_is_a_problem_at_line_1(log: bytes) -> None:
    headless = b"".join(log.splitlines(keepends=True)[1:])
    with pytest.raises(jw.AuditError, match="line 1: the log must start with the header"):
        read(headless)
    report = jw.replay(read(headless, strict=False), [MOA])
    assert not report.ok
    assert (report.problems[0].kind, report.problems[0].line) == (ProblemKind.MALFORMED, 1)


def edited_event(log: bytes, number: int, text: str) -> bytes:
    """The log with line ``number`` replaced by ``text`` (not re-hashed: the reader must refuse it first)."""
    return with_line(log, number, text.encode("utf-8") + b"\n")


def event_text(log: bytes, number: int) -> str:
    return log.splitlines()[number - 1].decode("utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"kind":"fire"', '"kind":"fire","kind":"start"', "the key 'kind' appears twice in one object"),
        ('"id":"anna"', '"id":"FORGED","id":"anna"', "the key 'id' appears twice in one object"),
        ('"seq":2', '"seq":2.0', "'seq' is an integer >= 1, got 2.0"),
        ('"seq":2', '"seq":9007199254740992', "the integer 9007199254740992 is out of the range"),
        ('"seq":2', '"seq":1e400', "the number 1e400 is out of the range of a double"),
        ('"seq":2', '"seq":' + "9" * 5000, "not valid JSON"),
        ('"target":"defining"', '"target":"\\ud800"', "holds a lone surrogate"),
        ('"target":"defining"', '"target":"\\x41"', "not valid JSON"),
        ('"prev_hash":"', '"prev_hash":"é', "'prev_hash' is a SHA-256 hex digest"),
        ('"hash":"', '"hash":"G', "'hash' is a SHA-256 hex digest"),
    ],
)
def test_a_line_the_reader_cannot_read_exactly_is_a_problem_at_its_line(
    log: bytes, old: str, new: str, message: str
) -> None:
    text = event_text(log, 3)
    assert old in text
    data = edited_event(log, 3, text.replace(old, new, 1))
    with pytest.raises(jw.AuditError, match=re.escape("line 3: ") + ".*" + re.escape(message)):
        read(data)
    report = jw.replay(read(data, strict=False), [MOA])
    first = report.problems[0]
    assert (first.kind, first.line, first.instance, first.seq) == (ProblemKind.MALFORMED, 3, "a", 2)


@pytest.mark.parametrize(
    "at", ["yesterday", "2026-03-02T09:00:00", "2026-13-02T09:00:00+00:00", "2026-03-02 09:00:00+00:00"]
)
def test_a_time_stamp_without_a_utc_offset_or_not_iso_8601_is_a_problem(log: bytes, at: str) -> None:
    data = json.loads(event_text(log, 3))
    data["at"] = at
    with pytest.raises(jw.AuditError, match=re.escape("line 3: 'at' is an ISO 8601 time with a UTC offset")):
        read(edited_event(log, 3, canonical_json(data).decode()))


@pytest.mark.parametrize(
    "at", ["2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00.123456+00:00", "2026-03-02T09:00:00Z"]
)
def test_the_time_stamps_the_engine_writes_are_read(log: bytes, at: str) -> None:
    data = json.loads(event_text(log, 3))
    data["at"] = at
    assert read(edited_event(log, 3, canonical_json(data).decode())).events[1].at == at


def test_a_head_hash_that_is_no_hex_digest_is_a_problem(log: bytes) -> None:
    lines = log.splitlines(keepends=True)
    head = json.loads(lines[-1])
    head["hash"] = "é" * 64
    with pytest.raises(jw.AuditError, match="a head's 'hash' is a SHA-256 hex digest"):
        read(b"".join([*lines[:-1], canonical_json(head) + b"\n"]))


@pytest.mark.parametrize(
    "payload",
    [
        b'{"fields":["robotics"],"offer":"internships","staff":3,"staff":4}',
        b'{"fields":[{"a":1,"a":2}],"offer":"internships","staff":3}',
        b'{"fields":["robotics"],"offer" :"x","offer":"internships","staff":3}',
        b'{"fields":["x\\":"],"offer":"internships","offer":"y","staff":3}',
        b'{"fields":["robotics"],"offer":"internships","staff":[9007199254740993]}',
        b'{"fields":["robotics"],"offer":"internships","staff":-1e999}',
    ],
)
def test_a_payload_read_the_fast_way_is_refused_as_the_strict_reader_refuses_it(
    log: bytes, payload: bytes
) -> None:
    """Event lines are read without Python hooks when that cannot differ: a duplicate or a huge number never slips through."""
    text = event_text(log, 4).encode()
    start = text.index(b'"payload":') + len(b'"payload":')
    end = text.index(b',"prev_hash"')
    with pytest.raises(jw.AuditError, match="line 4: not valid JSON: "):
        read(with_line(log, 4, text[:start] + payload + text[end:] + b"\n"))
