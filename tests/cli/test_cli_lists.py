"""The list and inbox commands: filters, pages and cursors, JSON, and errors as one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fixtures import DEFINITIONS
from just_workflow.cli import main


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a copy of definitions/ and three instances: two of anna's, one of bruno's."""
    shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    monkeypatch.chdir(tmp_path)
    for instance_id, actor in [("i1", "anna"), ("i2", "bruno"), ("i3", "anna")]:
        run("start", "sme_approaching_hei", "--actor", actor, "--role", "sme", "--id", instance_id)
    run("fire", "i1", "contact_career_services", "--actor", "anna", "--role", "sme", "--set", "purpose=data")
    return tmp_path


def run(*args: str) -> Result:
    """`just-workflow ARGS`, failing the test on any traceback."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def listed(result: Result) -> list[str]:
    """The instance ids a page printed, in order."""
    return [line.split()[0] for line in result.output.splitlines() if line.startswith("i")]


def test_list_filters_by_state_party_and_protocol(here: Path) -> None:
    """Each filter keeps what it names; the lines give id, protocol, state, seq and parties."""
    every = run("list")
    assert every.exit_code == 0 and listed(every) == ["i1", "i2", "i3"]
    assert "i1  sme_approaching_hei v3  contacted  seq 2  sme: anna" in every.output
    assert listed(run("list", "--state", "draft")) == ["i2", "i3"]
    assert listed(run("list", "--party", "anna", "--newest-first")) == ["i3", "i1"]
    assert listed(run("list", "--protocol", "sme_approaching_hei", "--active")) == ["i1", "i2", "i3"]
    assert listed(run("list", "--all", "--updated-after", "2000-01-01T00:00:00+00:00")) == ["i1", "i2", "i3"]
    assert run("list", "--party", "nobody").output == "No instances.\n"


def test_list_pages_with_cursors(here: Path) -> None:
    """--limit cuts a page and prints `next: CURSOR`; --after continues there; the last page has no next."""
    first = run("list", "--limit", "2")
    assert listed(first) == ["i1", "i2"]
    (cursor,) = [
        line.removeprefix("next: ") for line in first.output.splitlines() if line.startswith("next: ")
    ]
    rest = run("list", "--limit", "2", "--after", cursor)
    assert listed(rest) == ["i3"] and "next:" not in rest.output


def test_list_and_inbox_print_json(here: Path) -> None:
    """--json prints {"items": [...], "next": ...}, each item the instance as `start --json` prints it."""
    page = json.loads(run("list", "--state", "draft", "--limit", "1", "--json").output)
    assert [item["id"] for item in page["items"]] == ["i2"] and isinstance(page["next"], str)
    assert page["items"][0]["parties"] == {"sme": ["bruno"]}
    inbox = json.loads(run("inbox", "carla", "--role", "career_services", "--json").output)
    assert ([item["id"] for item in inbox["items"]], inbox["next"]) == (["i1"], None)


def test_inbox_lists_where_an_actor_may_act_newest_first(here: Path) -> None:
    """inbox ACTOR --role R: a party's own instances, an office's every instance where it may act."""
    assert listed(run("inbox", "anna", "--role", "sme")) == ["i3", "i1"]
    assert listed(run("inbox", "bruno", "--role", "sme")) == ["i2"]
    assert listed(run("inbox", "carla", "--role", "career_services")) == ["i1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("list", "--limit", "0"), "Error: limit must be an integer from 1 to 1000, got 0 of type int."),
        (("list", "--after", "nonsense"), "Error: after must be the `next` cursor of a page of this find"),
        (("list", "--state", "drafted"), "Error: state 'drafted' is not a state of any protocol"),
        (("list", "--protocol", "nope"), "Error: Unknown protocol 'nope'"),
        (
            ("list", "--updated-after", "yesterday"),
            "Error: updated_after must be a datetime with a time zone",
        ),
        (
            ("inbox", "anna", "--role", "sme", "--limit", "5000"),
            "Error: limit must be an integer from 1 to 1000",
        ),
    ],
)
def test_bad_arguments_are_one_error_line(here: Path, args: tuple[str, ...], message: str) -> None:
    """A bad filter, limit or cursor: exit 1 and one `Error:` line, no traceback; JSON with --json."""
    result = run(*args)
    assert result.exit_code == 1
    assert result.output.startswith(message) and len(result.output.strip().splitlines()) == 1
    error = json.loads(run(*args, "--json").stdout)["error"]
    assert error["type"] == ("UnknownProtocol" if "nope" in args else "InvalidRequest")
    assert message.removeprefix("Error: ") in error["message"]


def test_inbox_needs_a_role(here: Path) -> None:
    """Without --role: a usage error, exit 2."""
    assert run("inbox", "anna").exit_code == 2
