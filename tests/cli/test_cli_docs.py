"""docs/cli.md is the CLI reference: its help texts match `--help`, and its example session runs."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures import ROOT
from just_workflow.cli import main

PAGE = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
HELP_BLOCK = re.compile(r"^```text\n\$ just-workflow ?(\S*) --help\n(.*?)^```", re.MULTILINE | re.DOTALL)
SESSION = re.search(r"^```console\n(.*?)^```", PAGE, re.MULTILINE | re.DOTALL)


def help_text(*args: str) -> str:
    """What `just-workflow ARGS --help` prints, at the page's width."""
    return CliRunner().invoke(main, [*args, "--help"], prog_name="just-workflow", terminal_width=100).output


def test_every_command_has_its_help_on_the_page() -> None:
    """The page shows the help of the tool and of each of its commands, and of nothing else."""
    documented = sorted(name for name, _ in HELP_BLOCK.findall(PAGE))
    assert documented == sorted(["", *main.commands])


@pytest.mark.parametrize(("command", "documented"), HELP_BLOCK.findall(PAGE), ids=lambda v: v[:20] or "main")
def test_the_page_matches_help(command: str, documented: str) -> None:
    """Each help block on the page is exactly what `--help` prints."""
    assert documented == help_text(*([command] if command else []))


def test_the_example_session_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command of the page's example session exits 0, in order, in a folder with definitions/."""
    shutil.copytree(ROOT / "definitions", tmp_path / "definitions")
    monkeypatch.chdir(tmp_path)
    assert SESSION is not None
    for line in SESSION.group(1).splitlines():
        args = shlex.split(line.removeprefix("$ "))
        assert args[0] == "just-workflow"
        result = CliRunner().invoke(main, args[1:])
        assert result.exit_code == 0, (line, result.output)
