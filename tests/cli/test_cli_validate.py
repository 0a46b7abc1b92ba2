"""Tests of `just-workflow validate`: one line per file, located problems, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures import BUNDLED, DEFINITIONS, INVALID
from just_workflow.cli import main
from just_workflow.formats.loading import load_definition


def run(*args: str) -> tuple[int, str]:
    """Exit code and output of `just-workflow validate ARGS`."""
    result = CliRunner().invoke(main, ["validate", *args])
    return result.exit_code, result.output


def test_a_folder_of_valid_definitions_exits_0() -> None:
    """Each valid file gets `ok  FILE  PROTOCOL vVERSION`, and the exit code is 0."""
    code, output = run(str(DEFINITIONS))
    assert code == 0
    expected = []
    for path in BUNDLED:
        definition = load_definition(path)
        expected.append(f"ok  {path}  {definition.protocol} v{definition.version}")
    assert output.splitlines() == expected


def test_an_invalid_file_prints_located_problems_and_exits_1() -> None:
    """An invalid file gets `invalid  FILE` and a `FILE:LINE:COLUMN: $.path: message` line per problem."""
    valid = BUNDLED[0]
    broken = INVALID / "unknown_state_to.yaml"
    code, output = run(str(valid), str(broken))
    assert code == 1
    lines = output.splitlines()
    assert lines[0].startswith(f"ok  {valid}  ")
    assert lines[1:] == [
        f"invalid  {broken}",
        f"{broken}:35:9: $.transitions[2].to: Unknown state 'rejectd' in `to`; states are: draft, submitted, "
        "accepted, rejected (did you mean 'rejected'?)",
    ]


def test_two_files_of_one_protocol_version_exit_1(tmp_path: Path) -> None:
    """The same protocol version in two files is a problem, though each file is valid."""
    source = BUNDLED[0]
    shutil.copy(source, tmp_path / "a.yaml")
    shutil.copy(source, tmp_path / "b.yaml")
    code, output = run(str(tmp_path))
    assert code == 1
    assert "is defined twice: in " in output.splitlines()[-1]


def test_the_whole_broken_corpus_fails_without_a_traceback() -> None:
    """Every broken file is reported as invalid, and none makes the command crash."""
    result = CliRunner().invoke(main, ["validate", str(INVALID)])
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    invalid = [line for line in result.output.splitlines() if line.startswith("invalid  ")]
    # EXPECTED.yaml, the corpus' expectations, is no definition either.
    assert len(invalid) == len(list(INVALID.iterdir()))


def test_usage_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No path where there is no ./definitions folder, or a path that does not exist, is a usage error."""
    monkeypatch.chdir(tmp_path)
    assert run()[0] == 2
    assert run(str(tmp_path / "missing.yaml"))[0] == 2


def test_no_path_validates_the_definitions_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a path, ./definitions is validated."""
    monkeypatch.chdir(DEFINITIONS.parent)
    code, output = run()
    assert code == 0 and output.count("ok  definitions/") == len(BUNDLED)


def test_json_output(tmp_path: Path) -> None:
    """--json lists every file with its problems, each located."""
    (tmp_path / "bad.yaml").write_text("protocol: x\nversion: one\n")
    code, output = run("--json", str(tmp_path / "bad.yaml"))
    report = json.loads(output)
    assert code == 1 and report["problems"] >= 1
    assert report["files"][0]["ok"] is False and report["files"][0]["problems"][0]["line"] is not None
