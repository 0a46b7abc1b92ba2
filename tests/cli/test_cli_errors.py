"""Every command fails with one ``Error: ...`` line and exit 1, 2 or 130, never a traceback; with --json, as JSON too."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO

import click
import pytest
from click.testing import CliRunner, Result

import just_workflow as jw
from fixtures import ANNA, DEFINITIONS
from just_workflow.cli import main
from just_workflow.cli.failures import DEBUG_VARIABLE, ReportingCommand
from just_workflow.formats.loading import load_definitions
from just_workflow.testing import TickingClock

TOO_LONG = "1" * 5000  # more digits than Python reads as an int from text (4300)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with definitions/, a workflows.db holding instance 'i1', a folder and a non-SQLite file."""
    shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    with jw.SQLiteStore(tmp_path / "workflows.db") as store:
        engine = jw.Engine(load_definitions(DEFINITIONS), store=store, clock=TickingClock())
        engine.start("sme_approaching_hei", ANNA, instance_id="i1")
        engine.fire("i1", "contact_career_services", ANNA)
    (tmp_path / "folder").mkdir()
    (tmp_path / "junk.db").write_text("not a database, only text long enough to be read as a header\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str | os.PathLike[str]) -> Result:
    """`just-workflow ARGS`; the test fails on a traceback (anything but the exit click makes)."""
    result = CliRunner().invoke(main, [os.fspath(arg) for arg in args])
    assert isinstance(result.exception, SystemExit | None), result.exc_info
    return result


def assert_error(result: Result, exit_code: int, *fragments: str) -> None:
    """The command failed with ``exit_code`` and an ``Error: ...`` line holding ``fragments``, and no traceback."""
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def json_error(result: Result) -> dict[str, Any]:
    """The ``{"error": ...}`` a failed command printed on standard output."""
    error: dict[str, Any] = json.loads(result.stdout)["error"]
    assert error["message"] in result.stderr
    return error


def test_every_command_reports_its_failures() -> None:
    """Each command is a ReportingCommand, so none can print a traceback."""
    assert all(isinstance(command, ReportingCommand) for command in main.commands.values())


@pytest.mark.parametrize("command", ["verify", "export", "history i1", "options i1 --actor anna --role sme"])
@pytest.mark.parametrize(
    ("db", "exit_code", "message"),
    [
        ("folder", 2, "is a directory"),
        ("missing/workflows.db", 2, "does not exist"),
        ("junk.db", 1, "file is not a database"),
    ],
)
def test_a_database_that_cannot_be_opened(
    here: Path, command: str, db: str, exit_code: int, message: str
) -> None:
    """A folder, a missing file or a file that is no SQLite database is one error line, not a traceback."""
    assert_error(invoke(*command.split(), "--db", db), exit_code, message)


def test_start_in_a_missing_folder(here: Path) -> None:
    """start creates the database, but not the folders above it."""
    result = invoke(
        "start", "sme_approaching_hei", "--actor", "anna", "--role", "sme", "--db", "missing/w.db"
    )
    assert_error(result, 1, "missing/w.db", "could not open the database")


@pytest.mark.parametrize("option", ["-o", "--heads"])
def test_export_into_a_missing_folder(here: Path, option: str) -> None:
    """A log or heads file in a folder that does not exist is an error naming the file."""
    result = invoke(
        "export", option, "missing/out.jsonl", *(["-o", "log.jsonl"] if option == "--heads" else [])
    )
    assert_error(result, 1, "missing/out.jsonl: No such file or directory")
    assert not list(here.glob("*.jsonl"))  # no log without its heads file


def test_export_writes_nothing_under_the_name_when_interrupted(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while writing exits 130; the file already there is kept, and no temporary file is left."""

    def interrupted(_store: object, destination: BinaryIO, *_args: object, **_kwargs: object) -> None:
        destination.write(b'{"partial": ')
        raise KeyboardInterrupt

    monkeypatch.setattr("just_workflow.audit.logfile.export_log", interrupted)
    (here / "log.jsonl").write_text("the previous log\n")
    result = invoke("export", "-o", "log.jsonl")
    assert_error(result, 130, "interrupted")
    assert (here / "log.jsonl").read_text() == "the previous log\n"
    assert sorted(path.name for path in here.iterdir() if "log" in path.name) == ["log.jsonl"]


def test_export_replaces_the_file_whole(here: Path) -> None:
    """A successful export replaces the file and leaves no temporary file; the file is readable as usual."""
    (here / "log.jsonl").write_text("the previous log\n")
    assert invoke("export", "-o", "log.jsonl", "--heads", "heads.jsonl").exit_code == 0
    assert (here / "log.jsonl").read_text().count('"seq"') >= 2
    assert sorted(path.name for path in here.iterdir() if "jsonl" in path.name) == [
        "heads.jsonl",
        "log.jsonl",
    ]
    assert (here / "log.jsonl").stat().st_mode & 0o644 == 0o644


FIRE = ("fire", "i1", "route_request", "--actor", "carl", "--role", "career_services")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["--payload", f'{{"departments": {TOO_LONG}}}'], "--payload: an integer has more than 4300 digits"),
        (["--set", f"departments={TOO_LONG}"], "--set: departments: an integer has more than 4300 digits"),
        (["--payload", '["informatics"]'], "--payload: must be a JSON object"),
        (["--payload", "{departments}"], "--payload: not JSON"),
        (["--set", "departments"], "is not key=value"),
    ],
)
def test_a_payload_that_cannot_be_read_is_a_usage_error(here: Path, payload: list[str], message: str) -> None:
    """An integer too long for Python, a JSON list or text that is not JSON: exit 2, nothing written."""
    assert_error(invoke(*FIRE, *payload), 2, message)
    assert invoke("history", "i1", "--json").stdout.count('"seq"') == 2


@pytest.mark.parametrize("value", ["5", "[1]", '{"a": 1}', "null"])
def test_a_value_of_the_wrong_type_is_refused(here: Path, value: str) -> None:
    """A number, a list of numbers, an object or null where strings are due: the engine's refusal, exit 1."""
    result = invoke(*FIRE, "--set", f"departments={value}", "--json")
    assert_error(result, 1, "field 'departments' expects a list of strings")
    assert json_error(result)["type"] == "InvalidPayload"


def test_a_refusal_as_json(here: Path) -> None:
    """--json prints the error's type, message, trigger and reasons on standard output."""
    result = invoke("fire", "i1", "withdraw", "--actor", "bruno", "--role", "sme", "--json")
    assert_error(result, 1, "'bruno' is not a party")
    error = json_error(result)
    assert (error["type"], error["trigger"]) == ("NotAParty", "withdraw")
    assert error["reasons"] and all("bruno" in reason for reason in error["reasons"])


def test_an_invalid_definition_as_json(here: Path) -> None:
    """A definitions folder that does not load: its problems are in the JSON error, each located."""
    (here / "definitions" / "broken.yaml").write_text("protocol: broken\n")
    result = invoke("start", "sme_approaching_hei", "--actor", "anna", "--role", "sme", "--json")
    assert result.exit_code == 1 and "Traceback" not in result.output
    error = json_error(result)
    assert error["type"] == "DefinitionError"
    assert error["problems"] and all(problem["file"] for problem in error["problems"])


#: A failing call of each command that has --json: a database that is no database, or a usage error.
FAILING_WITH_JSON = {
    "check": (["check", "missing.yaml"], 2, "BadParameter"),
    "validate": (["validate", "missing.yaml"], 2, "BadParameter"),
    "replay": (["replay", "missing.jsonl"], 2, "BadParameter"),
    "start": (
        ["start", "sme_approaching_hei", "--actor", "a", "--role", "sme", "--db", "junk.db"],
        1,
        "StoreError",
    ),
    "fire": (["fire", "i1", "x", "--actor", "a", "--role", "sme", "--db", "junk.db"], 1, "StoreError"),
    "invite": (
        ["invite", "i1", "department", "d", "--actor", "a", "--role", "sme", "--db", "junk.db"],
        1,
        "StoreError",
    ),
    "options": (["options", "i1", "--actor", "a", "--role", "sme", "--db", "junk.db"], 1, "StoreError"),
    "history": (["history", "i1", "--db", "junk.db"], 1, "StoreError"),
    "tick": (["tick", "--db", "junk.db"], 1, "StoreError"),
    "list": (["list", "--db", "junk.db"], 1, "StoreError"),
    "inbox": (["inbox", "a", "--role", "sme", "--db", "junk.db"], 1, "StoreError"),
    "verify": (["verify", "--db", "junk.db"], 1, "StoreError"),
}


def test_every_command_with_json_is_covered() -> None:
    """The table below names every command that has a --json option."""
    with_json = {
        name
        for name, command in main.commands.items()
        if any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params)
    }
    assert with_json == set(FAILING_WITH_JSON)


@pytest.mark.parametrize("name", sorted(FAILING_WITH_JSON))
def test_every_command_reports_errors_as_json(here: Path, name: str) -> None:
    """With --json, the error (usage error or failure) is on standard output as JSON, and on stderr as a line."""
    args, exit_code, error_type = FAILING_WITH_JSON[name]
    result = invoke(*args, "--json")
    assert_error(result, exit_code)
    assert json_error(result)["type"] == error_type


def test_no_json_without_the_option(here: Path) -> None:
    """Without --json, standard output stays empty on an error."""
    result = invoke("history", "i1", "--db", "junk.db")
    assert_error(result, 1, "junk.db")
    assert result.stdout == ""


def test_an_os_error_is_one_line(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError from a command names the file and the reason, without its errno."""

    def denied() -> str:
        raise PermissionError(13, "Permission denied", "docs/definition.schema.json")

    monkeypatch.setattr("just_workflow.formats.json_schema.schema_json", denied)
    assert_error(invoke("schema"), 1, "docs/definition.schema.json: Permission denied")


def test_an_unexpected_exception_is_an_internal_error(here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug prints `Error: internal error: ...` and exits 1, unless JUST_WORKFLOW_DEBUG asks for the traceback."""

    def broken() -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr("just_workflow.formats.json_schema.schema_json", broken)
    monkeypatch.delenv(DEBUG_VARIABLE)
    assert_error(invoke("schema"), 1, "internal error: RuntimeError: a bug", DEBUG_VARIABLE)
    monkeypatch.setenv(DEBUG_VARIABLE, "1")
    result = CliRunner().invoke(main, ["schema"])
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize("as_json", [False, True])
def test_ctrl_c_exits_130(here: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool) -> None:
    """Ctrl-C in any command: `Error: interrupted`, exit 130 (and the JSON error with --json)."""

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("just_workflow.audit.verify.verify", interrupted)
    result = invoke("verify", *(["--json"] if as_json else []))
    assert_error(result, 130, "interrupted")
    if as_json:
        assert json_error(result)["type"] == "KeyboardInterrupt"


def test_ctrl_c_while_reading_the_arguments_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C before the command runs, while its arguments are parsed: exit 130 too, not click's `Aborted!`."""

    def interrupted(*_args: object, **_kwargs: object) -> list[str]:
        raise KeyboardInterrupt

    monkeypatch.setattr(ReportingCommand, "parse_args", interrupted)
    assert_error(invoke("schema"), 130, "interrupted")
