"""Mermaid text of a :class:`~just_workflow.diagrams.model.Picture`, its boxes drawn by transitions.

What transitions does here, through its public API only: a ``GraphMachine``
with the ``mermaid`` graph engine holds a state per box, carrying the box's
title as its ``label``, and its ``get_combined_graph().draw(None)`` writes
the title front matter, the layout direction (its ``machine_attributes``), a
style class for each style of its palette (``style_attributes``) and every
box with its style class, set through the graph's ``set_node_style``.

What is written here, after those boxes: the end marker of each final state,
the arrows and the start arrow. transitions' flat Mermaid graph draws no end
marker, and writes all the transitions between two states on one line joined
by ``|``, grouped by source state; here transitions between the same two
states share an arrow too (Mermaid draws parallel arrows and loops on top of
each other), with a label line per transition, in declaration order. The
machine is therefore given no transitions and no initial state, so that its
drawing ends with the boxes.
"""

from __future__ import annotations

import json
import re

from transitions import State
from transitions.extensions import GraphMachine

from just_workflow.diagrams.model import DIRECTION, Picture

# Mermaid ends a transition label at ':' or ';', reads '"', '<', '>' and '#' as markup, '%%{' as a directive
# anywhere and a backtick as a Markdown string: write them as Mermaid's entity codes, and so every control
# character and line separator, which would end the statement (the next line would be read as one).
_ESCAPES = {"#": "#35;", '"': "#quot;", ":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_SPECIAL = re.compile(
    "[" + re.escape("".join(_ESCAPES)) + "%`\x00-\x1f\x7f-\x9f\u2028\u2029]"
    # Mermaid's lexer reads `direction tb` anywhere in a line as the layout statement (the line is lost, and the
    # next one too when a text ends with `direction`), ends a note at `end note`, and makes a box a fork with
    # `[[fork]]`: the space, the last letter or the bracket is written as a code.
    r"|(?i:(?<=direction)|(?<=end))\s|(?i:(?<=directio)n\Z)|\[(?=\[)"
)

# Words Mermaid's state diagram lexer (case-insensitive) reads as a statement, not a state, where an arrow
# names one; `default` even as the start of a longer word. Such a state is drawn with the id `_` + its name,
# which no declared name can be (names start with a letter).
_KEYWORD = re.compile(
    r"default.*|state|note|class|classdef|style|scale|direction|statediagram|acctitle|accdescr|hide|end|click"
)

# The indentation transitions gives the statements inside ``stateDiagram-v2``, kept for the lines added to them.
_INDENT = "  "


def _mermaid_text(text: str) -> str:
    """``text`` with the characters Mermaid would read as syntax written as entity codes."""
    return _SPECIAL.sub(lambda match: _ESCAPES.get(match.group()) or f"#{ord(match.group())};", text)


def _mermaid_id(name: str) -> str:
    """The id of state ``name`` in the Mermaid text: the name, unless Mermaid would read it as a keyword."""
    return "_" + name if _KEYWORD.fullmatch(name) else name


def _front_matter_title(title: str) -> str:
    """The title as a YAML string in the front matter: JSON's escapes, and those YAML or HTML would read."""
    text = json.dumps(title, ensure_ascii=False)
    return re.sub("[%<>`\x7f-\x9f\u2028\u2029]", lambda match: f"\\u{ord(match.group()):04x}", text)


def mermaid(picture: Picture) -> str:
    """The Mermaid ``stateDiagram-v2`` of ``picture``, each line without trailing spaces."""
    lines = _titled_boxes(picture)
    lines.extend(f"{_INDENT}{_mermaid_id(node.name)} --> [*]" for node in picture.nodes if node.final)
    lines.append("")
    lines.extend(
        f"{_INDENT}{_mermaid_id(source)} --> {_mermaid_id(target)}: {'<br>'.join(labels)}"
        for (source, target), labels in _labels_by_pair(picture).items()
    )
    initial = _mermaid_id(picture.initial)
    lines.append(f"{_INDENT}[*] --> {initial}")
    if picture.parties:
        lines.append(f"{_INDENT}note left of {initial}")
        lines.extend(f"{_INDENT}{_INDENT}{_mermaid_text(line)}" for line in ("Parties", *picture.parties))
        lines.append(f"{_INDENT}end note")
    return "\n".join(lines) + "\n"


def _labels_by_pair(picture: Picture) -> dict[tuple[str, str], list[str]]:
    """The label lines of each (source, target) pair of states, pairs and lines in declaration order."""
    labels: dict[tuple[str, str], list[str]] = {}
    for arrow in picture.arrows:
        labels.setdefault((arrow.source, arrow.target), []).append(_mermaid_text(arrow.label))
    return labels


class _TitledState(State):
    """A transitions state carrying the title its box shows, as the ``label`` transitions' markup reads."""

    def __init__(self, name: str, label: str) -> None:
        super().__init__(name)
        self.label = label


class _Drawn:
    """The object whose state the machine tracks; it holds nothing else."""


def _titled_boxes(picture: Picture) -> list[str]:
    """transitions' lines for the title, the style classes and the boxes, up to the last box."""
    machine = GraphMachine(
        model=None,
        states=[_TitledState(_mermaid_id(node.name), _mermaid_text(node.title)) for node in picture.nodes],
        initial=None,
        auto_transitions=False,
        graph_engine="mermaid",
        # transitions writes the title as the Mermaid front matter: make it a YAML `title:` entry.
        title="title: " + _front_matter_title(picture.title),
    )
    machine.machine_attributes = {**machine.machine_attributes, "rankdir": DIRECTION}
    model = _Drawn()
    # Given to the model, not to the machine, the initial state gets no start arrow from transitions: it would
    # come before the arrows written here.
    machine.add_model(model, initial=_mermaid_id(picture.initial))
    graph = machine.model_graphs[id(model)]
    # Every box gets its style, the initial one too: transitions styled it active when the model entered it.
    for node in picture.nodes:
        graph.set_node_style(_mermaid_id(node.name), node.style)
    source = machine.get_combined_graph().draw(None)  # the Mermaid graph draws to its text
    assert source is not None
    return [line.rstrip() for line in source.rstrip().splitlines()]
