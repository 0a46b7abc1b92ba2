"""`just-workflow check`: findings per file, a summary, exit codes, --strict and --json."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fixtures import BUNDLED, DEFINITIONS
from just_workflow.cli import main

TINY = """\
protocol: tiny
version: 1
title: {en: Tiny, sk: Malý, es: Pequeño, it: Piccolo, sl: Majhen}
roles:
  clerk: {title: {en: Clerk, sk: Úradník, es: Empleado, it: Impiegato, sl: Uradnik}}
initial: open
states:
  open: {title: {en: Open, sk: Otvorené, es: Abierto, it: Aperto, sl: Odprto}}
  closed: {final: true, title: {en: Closed, sk: Zatvorené, es: Cerrado, it: Chiuso, sl: Zaprto}}
transitions:
  - trigger: close
    from: open
    to: closed
    by: clerk
    title: {en: Close, sk: Zatvoriť, es: Cerrar, it: Chiudere, sl: Zapreti}
"""


def write(folder: Path, name: str, text: str) -> Path:
    """A definition file in ``folder``."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> Result:
    """`just-workflow check ARGS`, failing the test on any traceback."""
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_clean_file_exits_0_with_a_summary(tmp_path: Path) -> None:
    """No finding: only the summary line, exit 0."""
    result = run(str(write(tmp_path, "tiny.yaml", TINY)))
    assert (result.exit_code, result.output) == (0, "1 definition, 0 errors, 0 warnings\n")


def test_errors_are_listed_per_file_and_exit_1(tmp_path: Path) -> None:
    """Each finding reads 'file: SEVERITY CODE $.path: message'."""
    text = TINY.replace("  closed:", "  limbo: {title: {en: Limbo, sk: L, es: L, it: L, sl: L}}\n  closed:")
    path = write(tmp_path, "tiny.yaml", text)
    result = run(str(path))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: ERROR unreachable-state $.states.limbo: State 'limbo' cannot be reached from the initial state 'open'",
        f"{path}: ERROR trap-state $.states.limbo: No final state can be reached from state 'limbo'; "
        "final states are: closed",
        "1 definition, 2 errors, 0 warnings",
    ]


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    """Warnings are reported and counted; they make the exit code 1 only under --strict."""
    path = write(
        tmp_path, "tiny.yaml", TINY.replace("title: {en: Close, sk: Zatvoriť,", "title: {en: Close,")
    )
    relaxed = run(str(path))
    assert relaxed.exit_code == 0
    assert f"{path}: WARNING missing-translation $.transitions[0].title: " in relaxed.output
    assert relaxed.output.endswith("1 definition, 0 errors, 1 warning\n")
    assert run("--strict", str(path)).exit_code == 1


def test_a_file_that_does_not_load_prints_its_problems_as_errors(tmp_path: Path) -> None:
    """Load problems come with the file and line, count as errors, and exit 1; no traceback."""
    path = write(tmp_path, "tiny.yaml", TINY.replace("to: closed", "to: shut"))
    result = run(str(path))
    assert result.exit_code == 1
    first, summary = result.output.splitlines()
    assert re.fullmatch(
        re.escape(str(path)) + r":\d+(:\d+)?: ERROR invalid-definition \$\.transitions\[0\]\.to: "
        r"Unknown state 'shut' in `to`; states are: open, closed.*",
        first,
    )
    assert summary == "1 definition, 1 error, 0 warnings"


def test_broken_yaml_is_reported_not_raised(tmp_path: Path) -> None:
    """A file that is not even YAML gives an error line and exit 1."""
    path = write(tmp_path, "broken.yaml", "protocol: [unclosed\n")
    result = run(str(path))
    assert result.exit_code == 1
    assert f"{path}" in result.output
    assert "ERROR invalid-definition" in result.output


def test_folders_are_expanded_and_every_file_counted(tmp_path: Path) -> None:
    """A folder stands for its definition files; other files in it are ignored."""
    write(tmp_path, "a.yaml", TINY)
    write(tmp_path, "b.yaml", TINY.replace("protocol: tiny", "protocol: tiny_b"))
    write(tmp_path, "notes.txt", "not a definition")
    result = run(str(tmp_path))
    assert (result.exit_code, result.output) == (0, "2 definitions, 0 errors, 0 warnings\n")


@pytest.mark.skipif(not BUNDLED, reason="no bundled definitions yet")
def test_the_bundled_definitions_pass_strict() -> None:
    """definitions/ is clean even under --strict, as CI runs it."""
    result = run("--strict", str(DEFINITIONS))
    assert result.exit_code == 0, result.output
    assert result.output.endswith(" 0 errors, 0 warnings\n")


def test_json_output(tmp_path: Path) -> None:
    """--json prints one object: totals and every finding with file, line, severity, code, path, message."""
    path = write(
        tmp_path, "tiny.yaml", TINY.replace("title: {en: Close, sk: Zatvoriť,", "title: {en: Close,")
    )
    result = run("--json", str(path))
    assert result.exit_code == 0
    assert json.loads(result.output) == {
        "definitions": 1,
        "errors": 0,
        "warnings": 1,
        "findings": [
            {
                "file": str(path),
                "line": None,
                "column": None,
                "severity": "warning",
                "code": "missing-translation",
                "path": "$.transitions[0].title",
                "message": "Title of transition 'close' has no translation in sk",
            }
        ],
    }


def test_json_output_of_a_load_failure_has_the_line(tmp_path: Path) -> None:
    """A load problem in JSON carries its line number."""
    path = write(tmp_path, "tiny.yaml", TINY.replace("to: closed", "to: shut"))
    result = run("--json", str(path))
    report = json.loads(result.output)
    assert (result.exit_code, report["errors"]) == (1, 1)
    assert isinstance(report["findings"][0]["line"], int)
    assert report["findings"][0]["code"] == "invalid-definition"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no/such/file.yaml"], "does not exist"),
        (["--bogus", "x"], "No such option"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    """Missing or wrong arguments are usage errors."""
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output


def test_no_path_checks_the_definitions_folder_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without PATH, ./definitions is checked; without that folder, it is a usage error."""
    monkeypatch.chdir(tmp_path)
    missing = run()
    assert missing.exit_code == 2 and "there is no ./definitions folder" in missing.output
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "x.yaml").write_text((DEFINITIONS / "sme_approaching_hei.yaml").read_text())
    found = run("--strict")
    assert found.exit_code == 0 and found.output.endswith("1 definition, 0 errors, 0 warnings\n")


def test_a_folder_without_definitions_is_a_usage_error(tmp_path: Path) -> None:
    """An empty folder is a mistake in the command line, not a clean result."""
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert f"No definition files (.yaml, .yml, .json, .toml) in folder {tmp_path}" in result.output
