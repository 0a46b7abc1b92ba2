"""`just-workflow export`, `replay` and `verify`: logs from a database, audit reports, exit codes, --json."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import just_workflow as jw
from fixtures import ANNA, CARL, DEFINITIONS, SME_STEPS
from just_workflow.cli import main
from just_workflow.formats.loading import load_definitions
from just_workflow.testing import TickingClock


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with two instances of sme_approaching_hei: 'a' at seq 3, 'b' at seq 2."""
    path = tmp_path / "workflows.db"
    store = jw.SQLiteStore(path)
    try:
        engine = jw.Engine(load_definitions(DEFINITIONS), store=store, clock=TickingClock())
        for instance_id in ("a", "b"):
            engine.start("sme_approaching_hei", ANNA, instance_id=instance_id)
            engine.fire(instance_id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
        engine.fire("a", "route_request", CARL, {"departments": ["engineering"]})
    finally:
        store.close()
    return path


def invoke(*args: str | os.PathLike[str]) -> Result:
    """Run the CLI with ``args``."""
    return CliRunner().invoke(main, [os.fspath(arg) for arg in args])


def export(db: Path, folder: Path, *args: str) -> Path:
    """Export the database to ``folder/log.jsonl`` and return the path."""
    log = folder / "log.jsonl"
    result = invoke("export", "--db", db, "-o", log, *args)
    assert result.exit_code == 0, result.output
    return log


def test_export_writes_a_log_and_says_what(db: Path, tmp_path: Path) -> None:
    """export -o writes the log and reports the count on standard error."""
    result = invoke("export", "--db", db, "-o", tmp_path / "log.jsonl")
    assert result.exit_code == 0
    assert "Exported 5 events of 2 instances to" in result.output
    lines = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"format":"just_workflow.log","version":"1.0"}' and len(lines) == 8


def test_export_to_standard_output_of_chosen_instances(db: Path) -> None:
    """Without -o the log goes to standard output; --instance picks instances."""
    result = invoke("export", "--db", db, "--instance", "b")
    assert result.exit_code == 0
    kinds = [(line["type"], line.get("instance")) for line in map(json.loads, result.output.splitlines()[1:])]
    assert kinds == [("event", "b"), ("event", "b"), ("head", "b")]


def test_export_of_an_unknown_instance_exits_1(db: Path) -> None:
    """An unknown --instance is an error naming it."""
    result = invoke("export", "--db", db, "--instance", "nope")
    assert result.exit_code == 1 and "No instance with id 'nope'" in result.output


def test_replay_of_a_clean_log_exits_0_with_each_final_state(db: Path, tmp_path: Path) -> None:
    """replay prints the verdict, the definitions and each instance's verified events and state."""
    log = export(db, tmp_path)
    result = invoke("replay", log, "--definitions", DEFINITIONS)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Audit of 5 events, 2 instances: OK\n")
    assert "ok    a: sme_approaching_hei v3, events 1-3 verified, state 'defining'" in result.output


def test_replay_reports_the_first_bad_event_and_exits_1(db: Path, tmp_path: Path) -> None:
    """A changed event gives a readable problem with its line, instance, seq and kind, and exit code 1."""
    log = export(db, tmp_path)
    log.write_text(log.read_text(encoding="utf-8").replace("engineering", "chemistry"), encoding="utf-8")
    result = invoke("replay", log, "--definitions", DEFINITIONS)
    assert result.exit_code == 1
    assert "FAILED: 1 problem" in result.output
    assert "line 4, instance 'a', seq 3: hash mismatch" in result.output


def test_replay_reports_an_unreadable_line_instead_of_failing(db: Path, tmp_path: Path) -> None:
    """A line that does not parse is a problem in the report, not a crash."""
    log = export(db, tmp_path)
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1][:30] + "\n"
    log.write_text("".join(lines), encoding="utf-8")
    result = invoke("replay", log, "--definitions", DEFINITIONS)
    assert result.exit_code == 1
    assert "line 2, instance 'a', seq 1: malformed" in result.output


def test_replay_with_expected_heads_finds_a_cut_log(db: Path, tmp_path: Path) -> None:
    """A log cut after an event, head line rewritten, passes alone but not against the heads kept apart."""
    heads = tmp_path / "heads.jsonl"
    log = export(db, tmp_path, "--heads", str(heads))
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    cut_head = json.loads(lines[-2]) | {"seq": 2, "hash": json.loads(lines[2])["hash"]}
    forged = [*lines[:3], *lines[4:-2], json.dumps(cut_head) + "\n", lines[-1]]
    log.write_text("".join(forged), encoding="utf-8")
    assert invoke("replay", log, "--definitions", DEFINITIONS).exit_code == 0
    result = invoke("replay", log, "--definitions", DEFINITIONS, "--expect-heads", heads)
    assert result.exit_code == 1
    assert (
        "instance 'a', seq 3: truncated: the expected head names seq 3, but the log ends at seq 2"
        in result.output
    )


def test_replay_as_json(db: Path, tmp_path: Path) -> None:
    """--json prints the report as one JSON object."""
    result = invoke("replay", export(db, tmp_path), "--definitions", DEFINITIONS, "--json")
    data = json.loads(result.output)
    assert data["ok"] is True and data["events"] == 5
    assert data["instances"]["a"]["verified"]["state"] == "defining" and data["problems"] == []


def test_replay_uses_definitions_in_the_current_folder_or_in_the_log(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --definitions, ./definitions is used when present; else the definitions the log embeds."""
    log = export(db, tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke("replay", log)
    assert result.exit_code == 1 and "unknown version" in result.output
    assert invoke("replay", export(db, tmp_path, "--with-definitions")).exit_code == 0
    monkeypatch.chdir(DEFINITIONS.parent)
    assert invoke("replay", log).exit_code == 0


def test_replay_refuses_an_unreadable_heads_file(db: Path, tmp_path: Path) -> None:
    """A heads file that is not a log is a usage error (exit 2)."""
    bad = tmp_path / "heads.jsonl"
    bad.write_text("nonsense\n", encoding="utf-8")
    result = invoke("replay", export(db, tmp_path), "--definitions", DEFINITIONS, "--expect-heads", bad)
    assert result.exit_code == 2 and "--expect-heads" in result.output


def test_verify_a_database(db: Path) -> None:
    """verify replays every stored instance, or those named, and exits 0 when all agree."""
    result = invoke("verify", "--db", db)
    assert result.exit_code == 0 and "Audit of 5 events, 2 instances: OK" in result.output
    result = invoke("verify", "--db", db, "b", "--json")
    assert result.exit_code == 0 and list(json.loads(result.output)["instances"]) == ["b"]


def test_verify_finds_a_stored_snapshot_that_disagrees(db: Path) -> None:
    """A snapshot changed in the database is a snapshot mismatch, exit 1."""
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE instances SET state = 'agreement_drafted' WHERE id = 'a'")
    result = invoke("verify", "--db", db)
    assert result.exit_code == 1
    assert "instance 'a', seq 3: snapshot mismatch" in result.output


def test_verify_of_an_unknown_instance_exits_1(db: Path) -> None:
    """An unknown id is an error naming it."""
    result = invoke("verify", "--db", db, "nope")
    assert result.exit_code == 1 and "No instance with id 'nope'" in result.output


def test_replay_of_a_long_log_shows_a_progress_bar(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log past the progress threshold gets a bar on standard error; short ones do not."""
    log = export(db, tmp_path)
    quiet = invoke("replay", log, "--definitions", DEFINITIONS)
    assert "Replaying" not in quiet.output
    monkeypatch.setattr("just_workflow.cli.common.PROGRESS_THRESHOLD", 1)
    shown = invoke("replay", log, "--definitions", DEFINITIONS)
    assert shown.exit_code == 0 and f"Replaying {log.name}" in shown.stderr
