"""The Mermaid writer: transitions' title, style classes and boxes, then end markers, arrows and the start arrow."""

from __future__ import annotations

import re

import attrs
from transitions.extensions import GraphMachine

import just_workflow as jw
from fixtures import DORA
from just_workflow import definition as d
from just_workflow.diagrams import diagram
from just_workflow.diagrams.mermaid import mermaid
from just_workflow.diagrams.model import Picture

# The whole text of the hand-made picture. transitions draws everything up to the last box: should its Mermaid
# graph change what it writes or where, this test says so.
TINY = """\
---
title: "A \\"tiny\\": protocol"
---
stateDiagram-v2
  direction TB
  classDef s_default fill:white,color:black
  classDef s_inactive fill:white,color:black
  classDef s_parallel color:black,fill:white
  classDef s_active color:red,fill:darksalmon
  classDef s_previous color:blue,fill:azure

  state "Open" as open
  Class open s_previous
  state "Done#59; at last" as done
  Class done s_active
  state "Dropped" as dropped
  Class dropped s_default
  done --> [*]
  dropped --> [*]

  open --> open: note [sme]
  open --> done: ✓ 2 · close [sme] if x = a#58;b<br>quit #lt;sme#gt; #35;1
  open --> dropped: quit [sme]
  [*] --> open
"""


def arrows(text: str) -> list[str]:
    """The transition lines of a Mermaid diagram."""
    return [line.strip() for line in text.splitlines() if " --> " in line and "[*]" not in line]


def test_the_text_of_a_picture(picture: Picture) -> None:
    """A titled stateDiagram-v2: style classes, styled boxes, end markers, an arrow per pair of states with a
    label line per transition, Mermaid's syntax characters as entity codes, the start arrow last."""
    assert mermaid(picture) == TINY


def test_the_style_classes_are_transitions_palette(picture: Picture) -> None:
    """Each node style of transitions' GraphMachine is a Mermaid class, in the palette's colours."""
    classes = re.findall(r"classDef s_(\w+) ", mermaid(picture))
    assert classes == list(GraphMachine.style_attributes["node"])


def test_mermaid_has_a_title_states_an_initial_marker_and_final_markers(moa: d.Definition) -> None:
    """The Mermaid text is a titled stateDiagram-v2 with every state, the start arrow and final-state ends."""
    text = diagram(moa)
    assert text.startswith('---\ntitle: "Memorandum"\n---\nstateDiagram-v2\n')
    assert 'state "Draft" as draft' in text
    assert "[*] --> draft" in text
    assert "signed --> [*]" in text
    assert "draft --> [*]" not in text


def test_mermaid_draws_an_arrow_per_pair_of_states_and_a_line_per_transition(moa: d.Definition) -> None:
    """Transitions between the same two states share an arrow, one label line each; one that stays loops."""
    guards = "if abroad = true · if kind in (a, b) · if staff ≥ 2 · guard budget_approved"
    assert arrows(diagram(moa)) == [
        "draft --> defining: contact [sme]",
        "defining --> defining: define [sme/department]",
        f"defining --> signed: sign [sme+department sign] requires fields<br>fast_track [department] {guards}",
        f"draft --> signed: fast_track [department] {guards}",
    ]


def test_titles_follow_the_language_with_english_as_fallback(moa: d.Definition) -> None:
    """With lang='sk' the Slovak titles are used, English where a state has no Slovak title."""
    text = diagram(moa, lang="sk")
    assert 'title: "Memorandum o spolupráci"' in text
    assert 'state "Koncept" as draft' in text
    assert 'state "Signed" as signed' in text


def test_mermaid_special_characters_are_written_as_entities(moa: d.Definition) -> None:
    """Quotes, colons and semicolons in titles and labels do not break the Mermaid syntax."""
    text = diagram(moa)
    assert 'state "The #quot;fields#quot;#58; defined#59; checked" as defining' in text
    odd = attrs.evolve(
        moa.transitions[3], conditions=(d.Condition("kind", d.Op.EQ, "a:b;c#d<e>"),), guards=()
    )
    labels = arrows(diagram(attrs.evolve(moa, transitions=(odd,))))
    assert labels[0] == "draft --> signed: fast_track [department] if kind = a#58;b#59;c#35;d#lt;e#gt;"
    assert "<br>" not in labels[0]


def test_without_an_instance_no_state_is_highlighted(moa: d.Definition) -> None:
    """A definition's diagram styles every state as default."""
    classes = re.findall(r"Class (\w+) s_(\w+)", diagram(moa))
    assert classes == [("draft", "default"), ("defining", "default"), ("signed", "default")]


def test_an_instance_shows_its_state_its_past_states_and_the_arrows_it_took(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """The current state is active, the states passed through previous; taken arrows carry their event seqs."""
    engine, instance = moa_run
    text = diagram(moa, instance, history=engine.history(instance.id))
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


def test_an_instance_without_its_history_shows_only_its_state(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """Given the snapshot alone, only the current state is highlighted and no arrow is marked."""
    _, instance = moa_run
    text = diagram(moa, instance)
    assert "Class defining s_active" in text
    assert "s_previous\n" not in text.split("\n\n", 1)[1]
    assert "✓" not in text


def test_a_history_alone_ends_in_its_last_target(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """Without a snapshot, the last event's target is the current state."""
    engine, instance = moa_run
    engine.fire(instance.id, "sign", DORA)
    text = diagram(moa, history=engine.history(instance.id))
    assert "Class signed s_active" in text
    assert "defining --> signed: ✓ 5, 6 · sign" in text
