"""`just-workflow diagram`: a file's diagram, a folder's page, a stored instance's path, and usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import just_workflow as jw
from fixtures import ANNA, DEFINITIONS, SME_STEPS
from just_workflow.cli import main
from just_workflow.diagrams import diagram, protocols_markdown
from just_workflow.formats.loading import load_definition, load_definitions
from just_workflow.store.sqlite import SQLiteStore

SME_FILE = DEFINITIONS / "sme_approaching_hei.yaml"


def invoke(*args: object) -> tuple[int, str, str]:
    """Run ``just-workflow`` with ``args``: exit code, stdout, stderr."""
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_prints_the_diagram_of_a_file() -> None:
    """`diagram FILE` prints the Mermaid text; --format and --lang choose dot and the language."""
    definition = load_definition(SME_FILE)
    assert invoke("diagram", SME_FILE) == (0, diagram(definition), "")
    code, out, _ = invoke("diagram", SME_FILE, "--format", "dot", "--lang", "sl")
    assert (code, out) == (0, diagram(definition, format="dot", lang="sl"))


def test_cli_prints_the_protocols_page_for_a_folder() -> None:
    """`diagram FOLDER` prints the Markdown page of all the folder's protocols."""
    code, out, _ = invoke("diagram", DEFINITIONS)
    assert (code, out) == (0, protocols_markdown(load_definitions(DEFINITIONS).values()))


@pytest.mark.parametrize(
    "args",
    [("--instance", "i-1"), ("--format", "dot"), ("--lang", "de")],
    ids=["instance-without-db", "dot-for-a-folder", "unknown-language"],
)
def test_cli_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    """--instance needs --db, a folder gives Mermaid only, languages are the partnership's."""
    target = SME_FILE if args[0] != "--format" else DEFINITIONS
    code, _, err = invoke("diagram", target, *args)
    assert code == 2
    assert "Error" in err


def test_cli_highlights_a_stored_instance(tmp_path: Path) -> None:
    """With --instance and --db the diagram shows the stored instance's path."""
    definition = load_definition(SME_FILE)
    database = tmp_path / "workflows.db"
    engine = jw.Engine([definition], store=SQLiteStore(database))
    instance = engine.start("sme_approaching_hei", ANNA, instance_id="s-1")
    engine.fire(instance.id, "contact_career_services", ANNA, SME_STEPS["contact_career_services"])
    history = engine.history(instance.id)
    code, out, _ = invoke("diagram", SME_FILE, "--instance", "s-1", "--db", database)
    assert (code, out) == (0, diagram(definition, engine.get("s-1"), history=history))
    assert "draft --> contacted: ✓ 2 · contact_career_services [sme]" in out


def test_cli_draws_the_stored_version_an_instance_runs_under(tmp_path: Path) -> None:
    """When the file holds another version, the stored definition the instance runs under is drawn."""
    old = load_definition(SME_FILE)
    database = tmp_path / "workflows.db"
    engine = jw.Engine([old], store=SQLiteStore(database))
    engine.start("sme_approaching_hei", ANNA, instance_id="s-1")
    newer = tmp_path / "sme_v4.yaml"
    newer.write_text(
        SME_FILE.read_text(encoding="utf-8").replace("version: 3", "version: 4"), encoding="utf-8"
    )
    code, out, err = invoke("diagram", newer, "--instance", "s-1", "--db", database)
    assert (code, out) == (0, diagram(old, engine.get("s-1"), history=engine.history("s-1")))
    assert "runs version 3" in err


def test_cli_reports_an_unknown_instance_or_another_protocol(tmp_path: Path) -> None:
    """An unknown instance id, or an instance of another protocol than the file's, exits 1 with the reason."""
    database = tmp_path / "workflows.db"
    engine = jw.Engine([load_definition(SME_FILE)], store=SQLiteStore(database))
    engine.start("sme_approaching_hei", ANNA, instance_id="s-1")
    code, _, err = invoke("diagram", SME_FILE, "--instance", "nope", "--db", database)
    assert (code, "No instance with id 'nope'") == (1, err.strip().removeprefix("Error: ").rstrip("."))
    other = DEFINITIONS / "hei_approaching_sme.yaml"
    code, _, err = invoke("diagram", other, "--instance", "s-1", "--db", database)
    assert code == 1
    assert "runs protocol 'sme_approaching_hei'" in err
