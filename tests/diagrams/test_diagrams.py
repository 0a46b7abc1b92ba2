"""Diagrams: Mermaid and dot text of a definition, titled in a language, with an instance's state and path."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

import just_workflow as jw
from fixtures import ANNA, DEFINITIONS, DORA, ROOT
from just_workflow import definition as d
from just_workflow.cli import main
from just_workflow.diagrams import diagram, protocols_markdown
from just_workflow.diagrams.model import edge_label
from just_workflow.formats.loading import load_definition, load_definitions
from just_workflow.store.sqlite import SQLiteStore

PROTOCOLS_DOC = ROOT / "docs" / "protocols.md"
SME_FILE = DEFINITIONS / "sme_approaching_hei.yaml"

MOA = d.Definition(
    protocol="moa",
    version=1,
    title=d.Text("Memorandum", sk="Memorandum o spolupráci"),
    roles=(d.Role("sme"), d.Role("department")),
    states=(
        d.State("draft", d.Text("Draft", sk="Koncept")),
        d.State("defining", d.Text('The "fields": defined; checked')),
        d.State("signed", d.Text("Signed"), final=True),
    ),
    initial="draft",
    context=(
        d.Field("fields", d.FieldType.LIST_STR, min_items=1),
        d.Field("abroad", d.FieldType.BOOL),
        d.Field("kind", d.FieldType.STR, choices=("a", "b")),
        d.Field("staff", d.FieldType.INT),
    ),
    transitions=(
        d.Transition("contact", ("draft",), ("sme",), "defining"),
        d.Transition("define", ("defining",), ("sme", "department"), inputs=(d.Input("fields"),)),
        d.Transition(
            "sign",
            ("defining",),
            ("sme", "department"),
            "signed",
            requires=("fields",),
            signoff=d.Signoff(("sme", "department")),
        ),
        d.Transition(
            "fast_track",
            ("draft", "defining"),
            ("department",),
            "signed",
            conditions=(
                d.Condition("abroad", d.Op.EQ, True),
                d.Condition("kind", d.Op.IN, ("a", "b")),
                d.Condition("staff", d.Op.GE, 2),
            ),
            guards=("budget_approved",),
        ),
    ),
)


def run_of_moa() -> tuple[jw.Engine, jw.Instance]:
    """An MoA instance that was contacted, defined twice and signed by the SME (waiting for the department)."""
    engine = jw.Engine([MOA], guards={"budget_approved": lambda context, actor: True})
    instance = engine.start("moa", ANNA, instance_id="m-1")
    engine.fire(instance.id, "contact", ANNA)
    engine.fire(instance.id, "define", ANNA, {"fields": ["ai"]})
    engine.fire(instance.id, "define", DORA, {"fields": ["ai", "robotics"]})
    return engine, engine.fire(instance.id, "sign", ANNA)


def arrows(text: str) -> list[str]:
    """The transition lines of a Mermaid diagram."""
    return [line.strip() for line in text.splitlines() if " --> " in line and "[*]" not in line]


# -- labels -------------------------------------------------------------------------------------


def test_an_edge_names_trigger_roles_signoff_and_guards() -> None:
    """Labels show the trigger, who may fire (any of / all sign) and every guard, in declaration order."""
    contact, define, sign, fast = MOA.transitions
    assert edge_label(contact) == "contact [sme]"
    assert edge_label(define) == "define [sme/department]"
    assert edge_label(sign) == "sign [sme+department sign] requires fields"
    assert edge_label(fast) == (
        "fast_track [department] if abroad = true · if kind in (a, b) · if staff ≥ 2 · guard budget_approved"
    )


# -- Mermaid ------------------------------------------------------------------------------------


def test_mermaid_has_a_title_states_an_initial_marker_and_final_markers() -> None:
    """The Mermaid text is a titled stateDiagram-v2 with every state, the start arrow and final-state ends."""
    text = diagram(MOA)
    assert text.startswith('---\ntitle: "Memorandum"\n---\nstateDiagram-v2\n')
    assert 'state "Draft" as draft' in text
    assert "[*] --> draft" in text
    assert "signed --> [*]" in text
    assert "draft --> [*]" not in text


def test_mermaid_draws_an_arrow_per_pair_of_states_and_a_line_per_transition() -> None:
    """Transitions between the same two states share an arrow, one label line each; one that stays loops."""
    guards = "if abroad = true · if kind in (a, b) · if staff ≥ 2 · guard budget_approved"
    assert arrows(diagram(MOA)) == [
        "draft --> defining: contact [sme]",
        "defining --> defining: define [sme/department]",
        f"defining --> signed: sign [sme+department sign] requires fields<br>fast_track [department] {guards}",
        f"draft --> signed: fast_track [department] {guards}",
    ]


def test_titles_follow_the_language_with_english_as_fallback() -> None:
    """With lang='sk' the Slovak titles are used, English where a state has no Slovak title."""
    text = diagram(MOA, lang="sk")
    assert 'title: "Memorandum o spolupráci"' in text
    assert 'state "Koncept" as draft' in text
    assert 'state "Signed" as signed' in text


def test_mermaid_special_characters_are_written_as_entities() -> None:
    """Quotes, colons and semicolons in titles and labels do not break the Mermaid syntax."""
    text = diagram(MOA)
    assert 'state "The #quot;fields#quot;#58; defined#59; checked" as defining' in text
    odd = attrs.evolve(
        MOA.transitions[3], conditions=(d.Condition("kind", d.Op.EQ, "a:b;c#d<e>"),), guards=()
    )
    labels = arrows(diagram(attrs.evolve(MOA, transitions=(odd,))))
    assert labels[0] == "draft --> signed: fast_track [department] if kind = a#58;b#59;c#35;d#lt;e#gt;"
    assert "<br>" not in labels[0]


def test_without_an_instance_no_state_is_highlighted() -> None:
    """A definition's diagram styles every state as default."""
    classes = re.findall(r"Class (\w+) s_(\w+)", diagram(MOA))
    assert classes == [("draft", "default"), ("defining", "default"), ("signed", "default")]


def test_an_instance_shows_its_state_its_past_states_and_the_arrows_it_took() -> None:
    """The current state is active, the states passed through previous; taken arrows carry their event seqs."""
    engine, instance = run_of_moa()
    text = diagram(MOA, instance, history=engine.history(instance.id))
    assert re.findall(r"Class (\w+) s_(\w+)", text) == [
        ("draft", "previous"),
        ("defining", "active"),
        ("signed", "default"),
    ]
    assert arrows(text)[:3] == [
        "draft --> defining: ✓ 2 · contact [sme]",
        "defining --> defining: ✓ 3, 4 · define [sme/department]",
        "defining --> signed: ✓ 5 · sign [sme+department sign] requires fields<br>fast_track [department] if "
        "abroad = true · if kind in (a, b) · if staff ≥ 2 · guard budget_approved",
    ]


def test_an_instance_without_its_history_shows_only_its_state() -> None:
    """Given the snapshot alone, only the current state is highlighted and no arrow is marked."""
    _, instance = run_of_moa()
    text = diagram(MOA, instance)
    assert "Class defining s_active" in text
    assert "s_previous\n" not in text.split("\n\n", 1)[1]
    assert "✓" not in text


def test_a_history_alone_ends_in_its_last_target() -> None:
    """Without a snapshot, the last event's target is the current state."""
    engine, instance = run_of_moa()
    engine.fire(instance.id, "sign", DORA)
    text = diagram(MOA, history=engine.history(instance.id))
    assert "Class signed s_active" in text
    assert "defining --> signed: ✓ 5, 6 · sign" in text


def test_an_instance_of_another_protocol_is_refused() -> None:
    """Drawing an instance or a history on the wrong definition names both protocols."""
    engine, instance = run_of_moa()
    other = attrs.evolve(MOA, protocol="other")
    with pytest.raises(jw.WorkflowError, match="runs protocol 'moa', not 'other'"):
        diagram(other, instance)
    with pytest.raises(jw.WorkflowError, match="belongs to protocol 'moa', not to 'other'"):
        diagram(other, history=engine.history(instance.id))


def test_an_unknown_format_lists_the_formats() -> None:
    """format must be mermaid or dot."""
    with pytest.raises(ValueError, match="Unknown diagram format 'svg'; formats are: mermaid, dot"):
        diagram(MOA, format="svg")


def test_diagrams_are_deterministic() -> None:
    """The same definition and instance always give the same text, in both formats."""
    engine, instance = run_of_moa()
    history = engine.history(instance.id)
    for form in ("mermaid", "dot"):
        assert diagram(MOA, instance, form, history=history) == diagram(MOA, instance, form, history=history)


# -- dot ----------------------------------------------------------------------------------------


def test_dot_has_the_states_edges_and_highlights() -> None:
    """The dot text is a digraph with titled nodes, double borders on final states and the path in blue."""
    engine, instance = run_of_moa()
    text = diagram(MOA, instance, "dot", history=engine.history(instance.id), lang="sk")
    assert text.startswith('digraph "moa" {\n  graph [label="Memorandum o spolupráci"')
    assert text.endswith("}\n")
    assert '"[*]" -> "draft";' in text
    assert '"signed" [label="Signed", peripheries="2"];' in text
    assert (
        '"defining" [label="The \\"fields\\": defined; checked", color="red", fillcolor="darksalmon"' in text
    )
    assert '"draft" [label="Koncept", color="blue", fillcolor="azure"' in text
    assert '"draft" -> "defining" [label="✓ 2 · contact [sme]", color="blue", penwidth="2"];' in text
    assert '"draft" -> "signed" [label="fast_track [department]' in text


# -- docs/protocols.md --------------------------------------------------------------------------


def test_the_protocols_page_is_up_to_date() -> None:
    """docs/protocols.md is exactly what the bundled definitions generate."""
    expected = protocols_markdown(load_definitions(DEFINITIONS).values())
    assert PROTOCOLS_DOC.read_text(encoding="utf-8") == expected, (
        "docs/protocols.md is out of date: regenerate it with `just-workflow diagram definitions > docs/protocols.md`"
    )


def test_the_protocols_page_has_a_diagram_per_protocol() -> None:
    """Each bundled protocol has a section with its title and one Mermaid block."""
    page = protocols_markdown(load_definitions(DEFINITIONS).values())
    bundled = load_definitions(DEFINITIONS).values()
    assert page.count("```mermaid") == len(bundled)
    for definition in bundled:
        assert f"## {definition.title.get()}" in page


# -- the command line ---------------------------------------------------------------------------


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
    engine.fire(instance.id, "contact_career_services", ANNA)
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
    newer = tmp_path / "sme_v2.yaml"
    newer.write_text(
        SME_FILE.read_text(encoding="utf-8").replace("version: 1", "version: 2"), encoding="utf-8"
    )
    code, out, err = invoke("diagram", newer, "--instance", "s-1", "--db", database)
    assert (code, out) == (0, diagram(old, engine.get("s-1"), history=engine.history("s-1")))
    assert "runs version 1" in err


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
