"""The dot writer: a digraph in transitions' palette, a double border on final states, the path in blue."""

from __future__ import annotations

import attrs

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.diagrams import diagram
from just_workflow.diagrams.dot import dot
from just_workflow.diagrams.model import Picture

# The whole text of the hand-made picture; the node, edge and style attributes are transitions' palette.
TINY = """\
digraph "tiny" {
  graph [label="A \\"tiny\\": protocol", labelloc="t", rankdir="TB"];
  node [style="rounded,filled", shape="rectangle", fillcolor="white", color="black", peripheries="1"];
  edge [color="black"];
  "[*]" [label="", shape=point, width=0.15];
  "[*]" -> "open";
  "open" [label="Open", color="blue", fillcolor="azure", peripheries="1"];
  "done" [label="Done; at last", peripheries="2", color="red", fillcolor="darksalmon"];
  "dropped" [label="Dropped", peripheries="2"];
  "open" -> "open" [label="note [sme]"];
  "open" -> "done" [label="✓ 2 · close [sme] if x = a:b", color="blue", penwidth="2"];
  "open" -> "dropped" [label="quit [sme]"];
  "open" -> "done" [label="quit <sme> #1"];
}
"""


def test_the_text_of_a_picture(picture: Picture) -> None:
    """Title on top, the start point, a node per box with its style, an edge per arrow, taken ones thicker."""
    assert dot(picture) == TINY


def test_backslashes_quotes_and_newlines_are_escaped(picture: Picture) -> None:
    """Every identifier and value is quoted, with dot's escapes."""
    odd = attrs.evolve(picture.nodes[0], title='say "hi"\\\nbye')
    assert '"open" [label="say \\"hi\\"\\\\\\nbye",' in dot(attrs.evolve(picture, nodes=(odd,)))


def test_dot_has_the_states_edges_and_highlights(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """The dot text is a digraph with titled nodes, double borders on final states and the path in blue."""
    engine, instance = moa_run
    text = diagram(moa, instance, "dot", history=engine.history(instance.id), lang="sk")
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


def test_the_parties_are_a_note_node(picture: Picture) -> None:
    """Party lines become one note-shaped node, its lines joined by newlines."""
    text = dot(attrs.evolve(picture, parties=("sme: starts", "department: open")))
    assert '  "[parties]" [label="Parties\\nsme: starts\\ndepartment: open", shape="note"];\n}\n' in text
