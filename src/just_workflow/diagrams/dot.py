"""Graphviz dot text of a :class:`~just_workflow.diagrams.model.Picture`.

The text is written here, in the colours of transitions' diagram palette
(``GraphMachine.style_attributes``, the same the Mermaid diagram's style
classes come from): transitions' own dot backends need the ``graphviz`` or
``pygraphviz`` packages, which this library does not depend on. A final
state has a double border; an arrow the instance took is drawn in the
palette's ``previous`` colour, thicker; a deadline's arrow is dashed. Every
transition has its own arrow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast

from transitions.extensions import GraphMachine

from just_workflow.diagrams.model import DIRECTION, Picture, Style

# transitions' node and edge attributes, by style name.
_PALETTE = cast(Mapping[str, Mapping[str, Mapping[str, str]]], GraphMachine.style_attributes)


# Within quotes dot reads a backslash as an escape and a quote as the end; a line break is written as its
# escape, and other control characters (which Graphviz may take for the end of its input) as visible codes.
_SPECIAL = re.compile(r'[\\"\x00-\x08\x0a-\x1f\x7f]')  # a tab is kept: dot takes it as text
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n"}

#: The id of the parties' note: in brackets, as no state can be named (a state ``parties`` would be drawn over).
_PARTIES = '"[parties]"'


def _dot_text(text: str) -> str:
    """``text`` as a quoted dot identifier: backslashes, quotes, newlines and control characters escaped."""
    return '"' + _SPECIAL.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    """The escape of one special character: dot's own, or ``\\xNN`` shown as such."""
    character = match.group()
    return _ESCAPES.get(character) or f"\\\\x{ord(character):02x}"


def _dot_attributes(attributes: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{key}={_dot_text(value)}" for key, value in attributes.items()) + "]"


def dot(picture: Picture) -> str:
    """The dot ``digraph`` of ``picture``, named after its protocol."""
    node_styles, edge_styles = _PALETTE["node"], _PALETTE["edge"]
    lines = [
        f"digraph {_dot_text(picture.protocol)} {{",
        "  graph " + _dot_attributes({"label": picture.title, "labelloc": "t", "rankdir": DIRECTION}) + ";",
        "  node " + _dot_attributes(node_styles[Style.DEFAULT]) + ";",
        "  edge " + _dot_attributes(edge_styles[Style.DEFAULT]) + ";",
        '  "[*]" [label="", shape=point, width=0.15];',
        f'  "[*]" -> {_dot_text(picture.initial)};',
    ]
    for node in picture.nodes:
        attributes = {"label": node.title}
        if node.final:
            attributes["peripheries"] = "2"
        if node.style is not Style.DEFAULT:
            attributes.update(node_styles[node.style])
        lines.append(f"  {_dot_text(node.name)} {_dot_attributes(attributes)};")
    for arrow in picture.arrows:
        attributes = {"label": arrow.label}
        if arrow.deadline:
            attributes["style"] = "dashed"
        if arrow.taken:
            attributes.update(edge_styles[Style.PREVIOUS], penwidth="2")
        lines.append(
            f"  {_dot_text(arrow.source)} -> {_dot_text(arrow.target)} {_dot_attributes(attributes)};"
        )
    if picture.parties:
        note = {"label": "\n".join(("Parties", *picture.parties)), "shape": "note"}
        lines.append(f"  {_PARTIES} {_dot_attributes(note)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
