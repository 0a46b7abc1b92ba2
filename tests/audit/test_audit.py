"""The audit log file (export, read, import) and verifying a store's histories and snapshots."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

import just_workflow as jw
from fixtures import ANNA, DORA
from just_workflow.audit import logfile as audit
from just_workflow.audit import verify as audit_verify
from just_workflow.audit.report import Head, ProblemKind
from just_workflow.canonical import canonical_json
from just_workflow.definition import Text
from just_workflow.formats.loading import parse_definition
from just_workflow.testing import TickingClock

MOA_YAML = """
protocol: moa
version: 1
title: MoA
roles: {sme: {}, department: {open: true}}
context:
  fields: {type: "list[str]", min_items: 1}
  note: {type: str}
initial: draft
start_by: [sme]
states:
  draft: {}
  defining: {}
  signed: {final: true}
transitions:
  - {trigger: contact, from: draft, to: defining, by: [sme]}
  - {trigger: define, from: defining, by: [sme, department], input: {fields: required, note: optional}}
  - {trigger: sign, from: defining, to: signed, requires: [fields], signoff: {all_of: [sme, department]}}
"""
MOA = parse_definition(MOA_YAML, syntax="yaml")
HEADER_LINE = b'{"format":"just_workflow.log","version":"1.0"}\n'


def populate(engine: jw.Engine) -> None:
    """Instance 'a' signed (5 events, a non-ASCII note), instance 'b' defining (2 events)."""
    engine.start("moa", ANNA, instance_id="a")
    engine.fire("a", "contact", ANNA)
    engine.fire("a", "define", DORA, {"fields": ["robotics"], "note": "Zoë — ✓"})
    engine.fire("a", "sign", ANNA)
    engine.fire("a", "sign", DORA)
    engine.start("moa", ANNA, instance_id="b")
    engine.fire("b", "contact", ANNA)


@pytest.fixture
def engine() -> jw.Engine:
    """An engine on the MoA protocol with instances 'a' and 'b'."""
    engine = jw.Engine([MOA], clock=TickingClock())
    populate(engine)
    return engine


def exported(source: jw.Engine | jw.Store, **options: Any) -> bytes:
    """The log of every instance, as bytes."""
    buffer = io.BytesIO()
    jw.export_log(source, buffer, **options)
    return buffer.getvalue()


def read(data: bytes, *, strict: bool = True) -> jw.Log:
    """The log in ``data``."""
    return jw.read_log(io.BytesIO(data), strict=strict)


# The format


def test_an_export_is_a_header_the_events_of_each_instance_then_the_heads(engine: jw.Engine) -> None:
    """Line 1 is the header; then each instance's events in seq order; the head lines come last."""
    lines = exported(engine).splitlines(keepends=True)
    assert lines[0] == HEADER_LINE
    data = [json.loads(line) for line in lines[1:]]
    assert [(x["type"], x["instance"], x["seq"]) for x in data] == [
        *[("event", "a", seq) for seq in range(1, 6)],
        ("event", "b", 1),
        ("event", "b", 2),
        ("head", "a", 5),
        ("head", "b", 2),
    ]
    assert data[-2] == {"type": "head", "instance": "a", "seq": 5, "hash": engine.get("a").head}


def test_each_line_is_canonical_json(engine: jw.Engine) -> None:
    """Every line is the canonical JSON of its object (sorted keys, no spaces, UTF-8 text) and a newline."""
    for line in exported(engine).splitlines(keepends=True):
        assert line == canonical_json(json.loads(line)) + b"\n"
    assert "Zoë — ✓".encode() in exported(engine)


def test_an_auditor_can_check_the_chain_with_the_standard_library(engine: jw.Engine) -> None:
    """The documented recipe: sha256(prev_hash + canonical JSON of the event without hash and type)."""
    previous: dict[str, str] = {}
    for line in exported(engine).splitlines()[1:]:
        event = json.loads(line)
        if event.pop("type") != "event":
            continue
        recorded = event.pop("hash")
        body = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert hashlib.sha256(event["prev_hash"].encode() + body).hexdigest() == recorded
        if event["seq"] == 1:
            seed = {"instance": event["instance"], "protocol": event["protocol"], "version": event["version"]}
            genesis = json.dumps(seed, sort_keys=True, separators=(",", ":")).encode()
            assert event["prev_hash"] == hashlib.sha256(genesis).hexdigest()
        else:
            assert event["prev_hash"] == previous[event["instance"]]
        previous[event["instance"]] = recorded


def test_a_log_reads_back_as_the_engine_history_and_heads(engine: jw.Engine) -> None:
    """read_log gives the events as stored, their line numbers, and the heads of the snapshots."""
    log = read(exported(engine))
    assert list(log.events) == engine.history("a") + engine.history("b")
    assert list(log.lines) == list(range(2, 9))
    assert log.heads == {"a": Head.of(engine.get("a")), "b": Head.of(engine.get("b"))}
    assert log.heads["a"].line == 9 and log.line_count == 10
    assert log.malformed == () and log.definitions == ()


def test_export_returns_the_heads_to_keep_apart(engine: jw.Engine) -> None:
    """export_log returns the heads it wrote: the values to keep where the log's holder cannot write."""
    assert jw.export_log(engine, io.BytesIO()) == {
        "a": Head.of(engine.get("a")),
        "b": Head.of(engine.get("b")),
    }


def test_export_and_read_use_files_by_path(engine: jw.Engine, tmp_path: Path) -> None:
    """A path works for writing and reading, and a text stream for writing."""
    jw.export_log(engine, tmp_path / "log.jsonl", ["b"])
    assert [e.instance for e in jw.read_log(tmp_path / "log.jsonl").events] == ["b", "b"]
    text = io.StringIO()
    jw.export_log(engine, text, ["b"])
    assert text.getvalue().encode() == (tmp_path / "log.jsonl").read_bytes()


def test_export_of_an_unknown_instance_fails_before_writing(engine: jw.Engine, tmp_path: Path) -> None:
    """An unknown id raises InstanceNotFound and leaves no file behind."""
    with pytest.raises(jw.InstanceNotFound, match="No instance with id 'nope'"):
        jw.export_log(engine, tmp_path / "log.jsonl", ["a", "nope"])
    assert not (tmp_path / "log.jsonl").exists()


def test_export_writes_an_instance_named_twice_once(engine: jw.Engine) -> None:
    """Repeating an id in instance_ids does not repeat its events."""
    assert jw.replay(read(exported(engine, instance_ids=["b", "b"])), [MOA]).ok


def test_export_heads_writes_a_log_of_heads_only(engine: jw.Engine) -> None:
    """A heads file is the header and the head lines: read_log gives the heads and no event."""
    buffer = io.BytesIO()
    audit.export_heads(jw.export_log(engine, io.BytesIO()).values(), buffer)
    log = read(buffer.getvalue())
    assert log.events == [] and set(log.heads) == {"a", "b"}


def test_embedded_definitions_let_a_log_replay_on_its_own(engine: jw.Engine) -> None:
    """With include_definitions the log carries the definitions in document form, checked by their digest."""
    data = exported(engine, include_definitions=True)
    line = json.loads(data.splitlines()[1])
    assert line["type"] == "definition" and line["digest"] == MOA.digest
    log = read(data)
    assert log.definitions == (MOA,) and log.definition_lines == (2,)
    assert jw.replay(log).ok


def test_an_embedded_definition_that_lost_its_digest_is_unreadable(engine: jw.Engine) -> None:
    """A changed embedded definition no longer has the digest its line names."""
    data = exported(engine, include_definitions=True).replace(b'"en":"MoA"', b'"en":"MoB"')
    with pytest.raises(
        jw.AuditError, match=r"line 2: the embedded definition has digest \w+, but the line names"
    ):
        read(data)


# Reading refuses what is not a log, saying where


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"not json\n", "line 3: a log line is one JSON object"),
        (b'{"type": "event"\n', "line 3: a log line is one JSON object"),
        (b'{"type":"event",}\n', "line 3: not valid JSON: Expecting property name"),
        (b'{"type":"event"}{}\n', "line 3: not valid JSON: more data after the object at column 17"),
        (
            b'{"type":"note"}\n',
            "line 3: unknown line type 'note'; log lines are of type: definition, event, head",
        ),
        (b'{"seq":1}\n', "line 3: a line without 'type' is only allowed as the header"),
        (b'{"type":"event","seq":1}\n', "line 3: an event line lacks 'actor', 'at'"),
        (b'{"type":"event","seq":NaN}\n', "line 3: not valid JSON: NaN is not a JSON number"),
        (
            b'{"type":"head","instance":"a","seq":0,"hash":"x"}\n',
            "line 3: a head's 'seq' is an integer >= 1, got 0",
        ),
        (b'{"type":"head","instance":"a","seq":1}\n', "line 3: a head line lacks 'hash'"),
    ],
)
def test_an_unreadable_line_is_an_audit_error_naming_the_line(
    engine: jw.Engine, line: bytes, message: str
) -> None:
    """read_log raises AuditError with the line number and what is wrong, never a raw parsing error."""
    lines = exported(engine).splitlines(keepends=True)
    with pytest.raises(jw.AuditError, match=message):
        read(b"".join([*lines[:2], line, *lines[2:]]))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("seq", "2", "'seq' is an integer >= 1, got '2'"),
        ("seq", True, "'seq' is an integer >= 1, got True"),
        ("version", 0, "'version' is an integer >= 1, got 0"),
        ("actor", {"id": "anna"}, "'actor' is an object with 'id' and 'role'"),
        ("actor", {"id": "anna", "role": 1}, "'actor.role' is a string, got 1"),
        ("payload", [], "'payload' is an object, got []"),
        ("trigger", 3, "'trigger' is a string or null, got 3"),
        ("hash", None, "'hash' is a string, got None"),
        ("extra", 1, "an event line has unknown 'extra'"),
    ],
)
def test_an_event_line_with_a_field_of_the_wrong_type_is_refused(
    engine: jw.Engine, field: str, value: Any, message: str
) -> None:
    """Every field of an event line is checked for its type: the hash must cover exactly what was read."""
    lines = exported(engine).splitlines(keepends=True)
    event = json.loads(lines[2])
    event[field] = value
    with pytest.raises(jw.AuditError, match=re.escape(f"line 3: {message}")):
        read(b"".join([*lines[:2], canonical_json(event) + b"\n", *lines[3:]]))


def test_the_header_must_name_the_format_and_version(engine: jw.Engine) -> None:
    """A log of another format or version is refused at line 1."""
    data = exported(engine).replace(b'"version":"1.0"}', b'"version":2}', 1)
    with pytest.raises(jw.AuditError, match="line 1: not a just_workflow log of a known version"):
        read(data)
    with pytest.raises(jw.AuditError, match="the log is empty; it must start with the header"):
        read(b"")


def test_a_log_cut_inside_a_line_is_refused(engine: jw.Engine) -> None:
    """The last line must end with a newline: a file cut mid-line is not silently shorter."""
    with pytest.raises(
        jw.AuditError, match="line 10: the line does not end with a newline: the log may be cut off"
    ):
        read(exported(engine)[:-1])


def test_a_second_head_line_for_an_instance_is_refused(engine: jw.Engine) -> None:
    """Each instance has one head line."""
    data = exported(engine)
    last = data.splitlines(keepends=True)[-1]
    with pytest.raises(
        jw.AuditError, match=r"line 11: a second head line for instance 'b' \(first at line 10\)"
    ):
        read(data + last)


def test_a_lenient_read_keeps_unreadable_lines_for_the_report(engine: jw.Engine) -> None:
    """With strict=False the bad lines are kept, and replay reports one at the event it stands for."""
    lines = exported(engine).splitlines(keepends=True)
    lines[3] = b'{"broken\n'
    log = read(b"".join(lines), strict=False)
    assert [m.line for m in log.malformed] == [4]
    report = jw.replay(log, [MOA])
    assert [(p.kind, p.instance, p.seq, p.line) for p in report.problems] == [
        (ProblemKind.MALFORMED, "a", 3, 4)
    ]
    assert "the line stands where event 3 of the instance should be" in report.problems[0].message


def test_an_unreadable_line_where_no_event_is_missing_is_reported_alone(engine: jw.Engine) -> None:
    """An extra line that does not parse is reported on its line, with no instance."""
    lines = exported(engine).splitlines(keepends=True)
    log = read(b"".join([*lines[:3], b"garbage}\n", *lines[3:]]), strict=False)
    report = jw.replay(log, [MOA])
    assert [(p.kind, p.instance, p.seq, p.line) for p in report.problems] == [
        (ProblemKind.MALFORMED, None, None, 4)
    ]


def test_an_unreadable_last_event_is_placed_before_its_head(engine: jw.Engine) -> None:
    """A malformed last event of an instance is the event its head line says is missing."""
    lines = exported(engine).splitlines(keepends=True)
    lines[5] = lines[5][:40] + b"\n"
    report = jw.replay(read(b"".join(lines), strict=False), [MOA])
    assert [(p.kind, p.instance, p.seq, p.line) for p in report.problems] == [
        (ProblemKind.MALFORMED, "a", 5, 6)
    ]


# Import


def test_import_stores_a_verified_log_that_can_go_on(engine: jw.Engine) -> None:
    """Importing into another engine gives the same histories and snapshots, and the instances run on."""
    other = jw.Engine([MOA], clock=TickingClock())
    report = jw.import_log(other, io.BytesIO(exported(engine)))
    assert report.ok
    assert other.history("a") == engine.history("a") and other.get("b") == engine.get("b")
    assert other.fire("b", "define", ANNA, {"fields": ["ai"]}).seq == 3
    assert other.verify().ok


def test_import_into_a_bare_store_checks_against_its_definitions(engine: jw.Engine, tmp_path: Path) -> None:
    """A store is checked against the definitions given (then kept), or those it already keeps."""
    store = jw.SQLiteStore(tmp_path / "w.db")
    try:
        with pytest.raises(jw.AuditError, match="unknown version"):
            jw.import_log(store, read(exported(engine)))
        jw.import_log(store, read(exported(engine, instance_ids=["a"])), definitions=[MOA])
        assert [d.key for d in store.definitions()] == [("moa", 1)]
        jw.import_log(store, read(exported(engine, instance_ids=["b"])))
        assert store.load("b") == engine.get("b")
    finally:
        store.close()


def test_import_refuses_a_log_that_fails_and_writes_nothing(engine: jw.Engine) -> None:
    """A tampered log raises AuditError with the report, and the store stays empty."""
    data = exported(engine).replace(b'"fields":["robotics"]', b'"fields":["chemistry"]')
    other = jw.Engine([MOA])
    with pytest.raises(jw.AuditError, match=r"(?s)fails verification\.\n.*seq 3: hash mismatch"):
        jw.import_log(other, io.BytesIO(data))
    assert list(other.store.instance_ids()) == []


def test_import_refuses_a_lenient_log_with_unreadable_lines(engine: jw.Engine) -> None:
    """Lines a lenient read kept as unreadable fail the import like any other problem."""
    lines = exported(engine).splitlines(keepends=True)
    lines[3] = b"{}\n"
    with pytest.raises(jw.AuditError, match="line 4, instance 'a', seq 3: malformed"):
        jw.import_log(jw.Engine([MOA]), read(b"".join(lines), strict=False))


def test_import_never_trusts_a_definition_embedded_in_the_log(engine: jw.Engine) -> None:
    """The importing side's definitions decide: a log carrying its own protocol does not bring it in."""
    with pytest.raises(jw.AuditError, match="unknown version"):
        jw.import_log(jw.MemoryStore(), read(exported(engine, include_definitions=True)))


# Verify


def test_verify_of_an_untouched_store_is_ok(engine: jw.Engine) -> None:
    """engine.verify replays every stored history and finds the snapshots equal."""
    report = engine.verify()
    assert report.ok and set(report.instances) == {"a", "b"}
    assert engine.verify("a").instances == {"a": engine.get("a")}


def test_verify_of_an_unknown_instance_raises(engine: jw.Engine) -> None:
    """An unknown id is InstanceNotFound, not an empty report."""
    with pytest.raises(jw.InstanceNotFound):
        engine.verify("nope")


def damaged_engine(engine: jw.Engine, events: list[jw.Event], snapshot: jw.Instance) -> jw.Engine:
    """An engine whose store holds ``events`` and ``snapshot`` for instance 'a', as given."""
    store = jw.MemoryStore()
    store.import_events(events, [snapshot])
    return jw.Engine([MOA], store=store)


def test_verify_finds_a_snapshot_that_disagrees_with_its_history(engine: jw.Engine) -> None:
    """A stored state or context the events do not give is a snapshot mismatch at the snapshot's seq."""
    wrong = attrs.evolve(engine.get("a"), context={"fields": ("chemistry",)})
    report = damaged_engine(engine, engine.history("a"), wrong).verify("a")
    assert [(p.kind, p.instance, p.seq) for p in report.problems] == [(ProblemKind.SNAPSHOT_MISMATCH, "a", 5)]
    assert "context: stored {'fields': ('chemistry',)}" in report.problems[0].message


def test_verify_finds_events_missing_under_the_snapshot(engine: jw.Engine) -> None:
    """A snapshot ahead of its stored events means the history lost its tail: truncated."""
    report = damaged_engine(engine, engine.history("a")[:3], engine.get("a")).verify("a")
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.TRUNCATED, 4)]


def test_verify_finds_a_snapshot_left_behind_its_events(engine: jw.Engine) -> None:
    """Events stored past the snapshot's seq are a snapshot mismatch at the first event it misses."""
    behind = engine.state_at("a", 3)
    report = damaged_engine(engine, engine.history("a"), behind).verify("a")
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.SNAPSHOT_MISMATCH, 4)]


def test_verify_finds_an_edited_stored_event(engine: jw.Engine) -> None:
    """An event edited in the store is a hash mismatch at its seq."""
    events = engine.history("a")
    events[1] = attrs.evolve(events[1], at="2020-01-01T00:00:00+00:00")
    report = damaged_engine(engine, events, engine.get("a")).verify()
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.HASH_MISMATCH, 2)]


def test_verify_a_store_with_given_definitions(engine: jw.Engine) -> None:
    """A bare store is checked against its own definitions, or the ones given in preference."""
    assert audit_verify.verify(engine.store).ok
    changed = attrs.evolve(MOA, title=Text("MoA, revised"))
    report = audit_verify.verify(engine.store, ["a"], definitions=[changed])
    assert [(p.kind, p.seq) for p in report.problems] == [(ProblemKind.DIGEST_MISMATCH, 1)]
