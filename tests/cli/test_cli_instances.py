"""The instance commands (start, fire, options, history) and the demo, through click's test runner."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fixtures import DEFINITIONS
from just_workflow.cli import main


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a copy of definitions/."""
    shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    """`just-workflow ARGS`, failing the test on any traceback."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def started(instance_id: str = "i1") -> Result:
    """An SME-approaching-HEI instance started by anna."""
    return run("start", "sme_approaching_hei", "--actor", "anna", "--role", "sme", "--id", instance_id)


def test_start_creates_the_database_and_prints_the_instance(here: Path) -> None:
    """start makes ./workflows.db and prints the new instance."""
    result = started()
    assert result.exit_code == 0
    assert (here / "workflows.db").is_file()
    assert (
        "instance i1  sme_approaching_hei v3" in result.output and "state    draft (Draft)" in result.output
    )


def test_fire_with_set_and_payload(here: Path) -> None:
    """fire takes --set key=value (JSON when it parses) and --payload JSON; --json prints the snapshot."""
    started()
    contact = (
        "fire",
        "i1",
        "contact_career_services",
        "--actor",
        "anna",
        "--role",
        "sme",
        "--set",
        "purpose=data",
    )
    assert run(*contact).exit_code == 0
    result = run(
        "fire", "i1", "route_request", "--actor", "carla", "--role", "career_services",
        "--set", 'departments=["informatics"]', "--expected-seq", "2", "--json",
    )  # fmt: skip
    snapshot = json.loads(result.output)
    assert (snapshot["state"], snapshot["seq"], snapshot["context"]) == (
        "defining",
        3,
        {"purpose": "data", "departments": ["informatics"]},
    )
    result = run(
        "fire", "i1", "define_interest", "--actor", "anna", "--role", "sme",
        "--payload", '{"short_term_ambitions": "joint teaching", "medium_term_ambitions": "research",'
        ' "forms": "lectures"}',
    )  # fmt: skip
    assert "short_term_ambitions = 'joint teaching'" in result.output


def test_a_refused_fire_is_one_error_line_and_exit_1(here: Path) -> None:
    """A refusal prints the engine's reason as `Error: ...`, exits 1, and writes nothing."""
    started()
    result = run("fire", "i1", "route_request", "--actor", "anna", "--role", "sme", "--set", "departments=[]")
    assert result.exit_code == 1
    assert result.output.startswith("Error: Trigger 'route_request' is not available in state 'draft'")
    assert "Traceback" not in result.output
    history = json.loads(run("history", "i1", "--json").output)
    assert [event["seq"] for event in history] == [1]


def test_a_stale_expected_seq_is_refused(here: Path) -> None:
    """--expected-seq that is no longer the instance's seq is a conflict, exit 1."""
    started()
    run("fire", "i1", "contact_career_services", "--actor", "anna", "--role", "sme", "--set", "purpose=data")
    result = run("fire", "i1", "withdraw", "--actor", "anna", "--role", "sme", "--expected-seq", "1")
    assert result.exit_code == 1 and "not at the expected seq 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fire", "i1", "define_interest", "--actor", "a", "--role", "sme", "--payload", "{bad"], "not JSON"),
        (
            ["fire", "i1", "define_interest", "--actor", "a", "--role", "sme", "--payload", "[1]"],
            "JSON object",
        ),
        (
            ["fire", "i1", "define_interest", "--actor", "a", "--role", "sme", "--set", "novalue"],
            "not key=value",
        ),
        (["fire", "i1", "define_interest", "--actor", "a"], "Missing option '--role'"),
    ],
)
def test_usage_errors_exit_2(here: Path, args: list[str], message: str) -> None:
    """Malformed payloads and missing options are usage errors."""
    started()
    result = run(*args)
    assert result.exit_code == 2 and message in result.output


def test_options_explain_why_not(here: Path) -> None:
    """options lists every trigger with yes/no and the reasons; --json gives the same as data."""
    started()
    run("fire", "i1", "contact_career_services", "--actor", "anna", "--role", "sme", "--set", "purpose=data")
    result = run("options", "i1", "--actor", "anna", "--role", "sme")
    assert "no   route_request" in result.output
    assert "- role 'sme' may not fire it; roles that may: career_services" in result.output
    rows = json.loads(run("options", "i1", "--actor", "carla", "--role", "career_services", "--json").output)
    assert {row["trigger"]: row["allowed"] for row in rows}["route_request"] is True


def test_options_in_a_final_state(here: Path) -> None:
    """A finished instance has nothing to fire, and says so."""
    started()
    run("fire", "i1", "contact_career_services", "--actor", "anna", "--role", "sme", "--set", "purpose=data")
    run("fire", "i1", "withdraw", "--actor", "anna", "--role", "sme")
    result = run("options", "i1", "--actor", "anna", "--role", "sme")
    assert "final state 'withdrawn'" in result.output


def test_history_table_and_unknown_instance(here: Path) -> None:
    """history prints one row per event; an unknown id is an error, exit 1."""
    started()
    run("fire", "i1", "contact_career_services", "--actor", "anna", "--role", "sme", "--set", "purpose=data")
    lines = run("history", "i1").output.splitlines()
    assert len(lines) == 3 and "contact_career_services" in lines[2]
    missing = run("history", "ghost")
    assert missing.exit_code == 1 and "Error: No instance with id 'ghost'" in missing.output


def test_commands_on_a_missing_database_are_usage_errors(here: Path) -> None:
    """Reading commands need an existing database."""
    result = run("history", "i1", "--db", "nowhere.db")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_demo_runs_twice_on_its_file(here: Path) -> None:
    """The demo completes the protocol, refuses the early Memorandum, passes the audit, and can run again."""
    first = run("demo")
    assert first.exit_code == 0, first.output
    output = first.output
    assert "new file" in output
    assert "Cannot fire 'draft_agreement': required field 'fields_of_collaboration' is not set" in output
    assert "signed by sme; waiting for: department" in output
    assert "agreement_drafted -> moa_signed" in output
    assert "Hash chain of the stored history: verified" in output
    assert "Audit of 12 events, 1 instance: OK" in output
    assert "stateDiagram-v2" in output and "Class moa_signed s_active" in output
    second = run("demo")
    assert second.exit_code == 0 and "reused: a new instance is added" in second.output


def test_demo_on_another_path(here: Path) -> None:
    """--db puts the demo's database where the user wants it."""
    result = run("demo", "--db", str(here / "elsewhere.db"))
    assert result.exit_code == 0 and (here / "elsewhere.db").is_file()


LEASE = """
protocol: lease
version: 1
title: Lease
roles: {sme: {title: SME}, hei: {title: HEI, open: true}}
context: {note: {type: str}}
initial: contacted
states:
  contacted: {title: Contacted, deadline: {after: P14D, fire: expire}}
  agreed: {title: Agreed, final: true}
  expired: {title: Expired, final: true}
transitions:
  - {trigger: agree, from: contacted, to: agreed, by: hei}
  - {trigger: expire, from: contacted, to: expired, by: system}
"""


def test_tick_fires_passed_deadlines_once_and_the_views_show_them(here: Path) -> None:
    """tick prints what fired; start and options show the due time, history the clock's event."""
    (here / "definitions" / "lease.yaml").write_text(LEASE)
    result = run("start", "lease", "--actor", "anna", "--role", "sme", "--id", "l1")
    assert "  deadline: expire due " in result.output
    due = result.output.split("deadline: expire due ")[1].split()[0]
    options = json.loads(run("options", "l1", "--actor", "anna", "--role", "sme", "--json").output)
    assert next(o for o in options if o["trigger"] == "expire")["due"] == due
    assert run("tick").output == "No deadline has passed.\n"
    result = run("tick", "--now", "2100-01-01T00:00:00")
    assert result.exit_code == 0
    assert result.output == f"fired    l1  expire (due {due})  -> expired\n"
    assert run("tick", "--now", "2100-01-02").output == "No deadline has passed.\n"
    history = run("history", "l1").output.splitlines()
    assert (
        "2100-01-01T00:00:00+00:00  deadline (clock)" in history[-1] and "contacted -> expired" in history[-1]
    )
    assert run("verify").exit_code == 0


def test_tick_reports_a_skipped_deadline_and_fails(here: Path) -> None:
    """A deadline the protocol refuses is listed as skipped, with the reason, and the exit status is 1."""
    guarded = LEASE.replace("to: expired, by: system}", "to: expired, by: system, requires: [note]}")
    (here / "definitions" / "lease.yaml").write_text(guarded)
    run("start", "lease", "--actor", "anna", "--role", "sme", "--id", "l1")
    result = run("tick", "--now", "2100-01-01T00:00:00+00:00", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["fired"] == [] and [s["instance"] for s in report["skipped"]] == ["l1"]
    assert "required field 'note' is not set" in report["skipped"][0]["reason"]
    assert run("tick", "--now", "tomorrow").exit_code == 2


def test_a_stored_definition_that_no_longer_reads_back_leaves_the_other_protocols_usable(here: Path) -> None:
    """With no definition files at hand, the stored ones serve; a damaged one fails alone, named."""
    started("moa")
    assert (
        run("start", "hei_approaching_sme", "--actor", "hugo", "--role", "hei", "--id", "hei").exit_code == 0
    )
    shutil.rmtree(here / "definitions")
    with sqlite3.connect(here / "workflows.db") as conn:
        conn.execute("UPDATE definitions SET source = 'not json' WHERE protocol = 'sme_approaching_hei'")
    conn.close()
    healthy = run(
        "fire", "hei", "contact_departments", "--actor", "hugo", "--role", "hei",
        "--payload", '{"sme_departments": ["marketing"], "interest": "joint research"}',
    )  # fmt: skip
    assert healthy.exit_code == 0, healthy.output
    damaged = run("fire", "moa", "contact_career_services", "--actor", "anna", "--role", "sme")
    assert damaged.exit_code == 1
    assert "Protocol 'sme_approaching_hei' version 3 is stored, but cannot be read back" in damaged.output
