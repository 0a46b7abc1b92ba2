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

# Mermaid ends a transition label at ':' or ';', and reads '"', '<', '>' and '#' as markup:
# write them as Mermaid's entity codes.
_ESCAPES = {"#": "#35;", '"': "#quot;", ":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_SPECIAL = re.compile("[" + re.escape("".join(_ESCAPES)) + "]")

# The indentation transitions gives the statements inside ``stateDiagram-v2``, kept for the lines added to them.
_INDENT = "  "


def _mermaid_text(text: str) -> str:
    """``text`` with the characters Mermaid would read as syntax written as entity codes."""
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], text)


def mermaid(picture: Picture) -> str:
    """The Mermaid ``stateDiagram-v2`` of ``picture``, each line without trailing spaces."""
    lines = _titled_boxes(picture)
    lines.extend(f"{_INDENT}{node.name} --> [*]" for node in picture.nodes if node.final)
    lines.append("")
    lines.extend(
        f"{_INDENT}{source} --> {target}: {'<br>'.join(labels)}"
        for (source, target), labels in _labels_by_pair(picture).items()
    )
    lines.append(f"{_INDENT}[*] --> {picture.initial}")
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
        states=[_TitledState(node.name, _mermaid_text(node.title)) for node in picture.nodes],
        initial=None,
        auto_transitions=False,
        graph_engine="mermaid",
        # transitions writes the title as the Mermaid front matter: make it a YAML `title:` entry.
        title="title: " + json.dumps(picture.title, ensure_ascii=False),
    )
    machine.machine_attributes = {**machine.machine_attributes, "rankdir": DIRECTION}
    model = _Drawn()
    # Given to the model, not to the machine, the initial state gets no start arrow from transitions: it would
    # come before the arrows written here.
    machine.add_model(model, initial=picture.initial)
    graph = machine.model_graphs[id(model)]
    # Every box gets its style, the initial one too: transitions styled it active when the model entered it.
    for node in picture.nodes:
        graph.set_node_style(node.name, node.style)
    source = machine.get_combined_graph().draw(None)  # the Mermaid graph draws to its text
    assert source is not None
    return [line.rstrip() for line in source.rstrip().splitlines()]
