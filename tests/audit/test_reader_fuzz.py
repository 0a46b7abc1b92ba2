"""Fuzzing the reader: over any bytes, and over mutations of a real log, replay ends in a report.

Each log is replayed twice, read whole by ``read_log`` and as a file read line by line: the reports agree.
"""

from __future__ import annotations

import contextlib
import io
import json
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit import reader
from just_workflow.audit.report import ProblemKind
from just_workflow.testing import TickingClock
from just_workflow.testing.store_contract import MOA as NOTED  # its define takes a free-text note

MOA = moa_definition()


def exported_log() -> bytes:
    """A real export: two instances, their definitions embedded, and their heads."""
    engine = jw.Engine([MOA], clock=TickingClock())
    for instance_id in ("a", "b"):
        engine.start("moa", ANNA, instance_id=instance_id)
        engine.fire(instance_id, "contact", ANNA)
        engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "offer": "internships", "staff": 3})
    out = io.BytesIO()
    jw.export_log(engine, out, include_definitions=True)
    return out.getvalue()


LOG = exported_log()
LINES = LOG.splitlines(keepends=True)


def audit(data: bytes) -> jw.ReplayReport:
    """What an auditor runs on untrusted bytes: a lenient read, then replay. Must never raise.

    The file replayed as it is read gives the very same report as the log read whole first.
    """
    report = jw.replay(jw.read_log(io.BytesIO(data), strict=False), [MOA])
    report.format()
    report.to_json()
    assert jw.replay(io.BytesIO(data), [MOA]) == report
    # With no definition given, the ones the log embeds serve, wherever their lines stand.
    assert jw.replay(io.BytesIO(data)) == jw.replay(jw.read_log(io.BytesIO(data), strict=False))
    return report


def strict_read(data: bytes) -> None:
    """A strict read either reads the log or refuses it with an AuditError, nothing else."""
    with contextlib.suppress(jw.AuditError):
        jw.read_log(io.BytesIO(data))


# Edits of one line's JSON text: what a tamperer or a broken tool does to a field.
FIELD_EDITS = st.sampled_from(
    [
        (b'"seq":', b'"seq":9007199254740993,"x":'),
        (b'"seq":', b'"seq":1e400,"x":'),
        (b'"seq":', b'"seq":-0.5,"x":'),
        (b'"at":"', b'"at":"yesterday","x":"'),
        (b'"id":"', b'"id":"FORGED","id":"'),
        (b'"type":"', b'"type":"head","type":"'),
        (b'"prev_hash":"', b'"prev_hash":"\\ud800'),
        (b'"hash":"', b'"hash":"\xc3\xa9'),
        (b'"hash":"', b'"hash":"\xff'),
        (b'"version":', b'"version":"2.0","y":'),
        (b'"version":', b'"version":1.0,"y":'),
        (b'"payload":{', b'"payload":{"staff":' + b"9" * 400 + b","),
        (b'"document":{', b'"document":{"x":[[[[[[[[[[[[[]]]]]]]]]]]]],'),
        (b'"', b'"\\'),
        (b":", b":null,"),
        (b"}", b""),
    ]
)


@st.composite
def mutated_logs(draw: st.DrawFn) -> bytes:
    """The exported log after a few line-level mutations: swap, duplicate, drop, edit, or raw bytes."""
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["swap", "duplicate", "drop", "edit", "bytes", "flip"]))
        if action == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif action == "duplicate":
            lines.insert(draw(st.integers(0, len(lines))), lines[at])
        elif action == "drop":
            del lines[at]
        elif action == "edit":
            old, new = draw(FIELD_EDITS)
            lines[at] = lines[at].replace(old, new, 1)
        elif action == "bytes":
            lines[at] = draw(st.binary(max_size=40)) + lines[at][draw(st.integers(0, len(lines[at]))) :]
        else:
            position = draw(st.integers(0, len(lines[at]) - 1))
            line = bytearray(lines[at])
            line[position] = draw(st.integers(0, 255))
            lines[at] = bytes(line)
    return b"".join(lines)


@given(st.binary(max_size=300))
@settings(max_examples=200)
def test_any_bytes_end_in_a_report(data: bytes) -> None:
    strict_read(data)
    assert not audit(data).ok


@given(st.lists(st.sampled_from(LINES), max_size=8).map(b"".join))
def test_any_arrangement_of_real_lines_ends_in_a_report(data: bytes) -> None:
    strict_read(data)
    audit(data)


def read_strictly(data: bytes) -> jw.Log:
    """The log as the strict decoder alone reads it, every line: the fast way for canonical lines turned off."""
    with mock.patch.object(reader, "_canonical_event", lambda text, shared: None):
        return jw.read_log(io.BytesIO(data), strict=False)


@given(mutated_logs())
def test_the_fast_way_for_canonical_lines_reads_what_the_strict_decoder_reads(data: bytes) -> None:
    assert jw.read_log(io.BytesIO(data), strict=False) == read_strictly(data)


@given(mutated_logs())
def test_a_mutated_log_ends_in_a_report(data: bytes) -> None:
    strict_read(data)
    report = audit(data)
    if data != LOG:
        assert all(problem.line is None or problem.line >= 1 for problem in report.problems)


def test_the_unmutated_log_verifies() -> None:
    assert audit(LOG).ok


@pytest.mark.parametrize(
    ("old", "new"), [(b'"id":"', b'"id":"FORGED","id":"'), (b'"seq":', b'"seq":1e400,"x":')]
)
def test_a_field_edit_is_a_malformed_line(old: bytes, new: bytes) -> None:
    index = next(i for i, line in enumerate(LINES) if b'"type":"event"' in line)
    lines = [*LINES]
    lines[index] = lines[index].replace(old, new, 1)
    kinds = [problem.kind for problem in audit(b"".join(lines)).problems]
    assert kinds[0] is ProblemKind.MALFORMED
    assert json.loads(LINES[0]) == {"format": "just_workflow.log", "version": "1.0"}


@pytest.mark.parametrize(
    "note",
    ['},"prev_hash":"' + "0" * 64 + '","protocol":"moa"', 'a "quoted" \\ note', "tab\there", "Zürich · ½ 😀"],
)
def test_a_payload_holding_the_text_of_the_members_after_it_reads_the_same_both_ways(note: str) -> None:
    engine = jw.Engine([NOTED], clock=TickingClock())
    engine.start("moa", ANNA, instance_id="a")
    engine.fire("a", "contact", ANNA)
    engine.fire("a", "define", DORA, {"fields": ["labs"], "note": note})
    data = io.BytesIO()
    jw.export_log(engine, data)
    define_line = data.getvalue().splitlines(keepends=True)[3].decode()
    assert reader._canonical_event(define_line, {}) is not None  # the fast way takes it
    log = jw.read_log(io.BytesIO(data.getvalue()))
    assert log == read_strictly(data.getvalue())
    assert log.events[2].payload["note"] == note
    assert jw.replay(io.BytesIO(data.getvalue()), [NOTED]) == jw.replay(log, [NOTED])
    assert jw.replay(log, [NOTED]).ok
