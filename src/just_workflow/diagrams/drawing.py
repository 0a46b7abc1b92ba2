"""Diagrams of protocols, in Mermaid or Graphviz dot, with an instance's current state and path highlighted.

:func:`diagram` draws a definition: each state titled in a chosen language,
each transition an arrow labelled with its trigger, the roles that may fire
it (``sme/department``: any of them; ``sme+department sign``: a sign-off by
all of them) and its guards (``requires``, conditions, named guards); in
Mermaid, transitions between the same two states share an arrow, a label
line each. Given an instance or its history, the current state is styled
``active``, the states the instance went through ``previous``, and every
transition it took starts with ``✓`` and the seq numbers of the events that
took it.

Mermaid text comes from the Mermaid backend of ``transitions`` (a
``GraphMachine`` built from the definition). Dot text is written here with the
same palette: transitions' dot backends need the ``graphviz`` or
``pygraphviz`` packages, which this library does not depend on. Both outputs
follow the declaration order of the definition, so they are stable and
``docs/protocols.md`` (:func:`protocols_markdown`) can be regenerated and
compared (``just-workflow diagram definitions > docs/protocols.md``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import attrs
from transitions import State as MachineState
from transitions.extensions.diagrams import GraphMachine
from transitions.extensions.diagrams_mermaid import Graph as MermaidGraph

from just_workflow.definition import Condition, Definition, Op, Transition, Value
from just_workflow.diagrams import FORMATS
from just_workflow.errors import WorkflowError
from just_workflow.events import START, Event
from just_workflow.instance import Instance

_OPERATORS: Mapping[Op, str] = {
    Op.EQ: "=",
    Op.NE: "≠",
    Op.IN: "in",
    Op.NOT_IN: "not in",
    Op.CONTAINS: "contains",
    Op.GT: ">",
    Op.GE: "≥",
    Op.LT: "<",
    Op.LE: "≤",
}

# Top to bottom: Mermaid places loops and long labels clear of each other so, where left to right it does not.
_DIRECTION = "TB"

# Mermaid ends a transition label at ':' or ';', and reads '"', '<', '>' and '#' as markup:
# write them as Mermaid's entity codes.
_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", ":": "#58;", ";": "#59;", "<": "#lt;", ">": "#gt;"}
_MERMAID_SPECIAL = re.compile("[" + re.escape("".join(_MERMAID_ESCAPES)) + "]")


@attrs.frozen
class _Node:
    name: str
    title: str
    final: bool
    style: str  # "" (default), "previous" or "active": transitions' style names


@attrs.frozen
class _Arrow:
    trigger: str
    source: str
    target: str
    label: str
    taken: tuple[int, ...]  # seqs of the events that took this arrow


@attrs.frozen
class _Drawing:
    protocol: str
    title: str
    initial: str
    nodes: tuple[_Node, ...]
    arrows: tuple[_Arrow, ...]


def diagram(
    definition: Definition,
    instance: Instance | None = None,
    format: str = "mermaid",
    *,
    history: Sequence[Event] = (),
    lang: str = "en",
) -> str:
    """The state diagram of ``definition`` as Mermaid (default) or Graphviz ``dot`` text.

    ``instance`` marks its current state; ``history`` (the instance's events,
    as :meth:`Engine.history` returns them) marks the path taken. Titles are
    in ``lang``, English where a translation is missing.
    """
    if format not in FORMATS:
        raise ValueError(f"Unknown diagram format {format!r}; formats are: {', '.join(FORMATS)}.")
    drawing = _drawing(definition, instance, history, lang)
    return _mermaid(drawing) if format == "mermaid" else _dot(drawing)


def edge_label(transition: Transition) -> str:
    """How an arrow names a transition: ``sign_moa [sme+department sign] requires fields_of_collaboration``."""
    roles = transition.firing_roles
    who = "+".join(roles) + " sign" if transition.signoff else "/".join(roles)
    guards = [f"requires {', '.join(transition.requires)}"] if transition.requires else []
    guards.extend(_condition_text(condition) for condition in transition.conditions)
    guards.extend(f"guard {name}" for name in transition.guards)
    return " ".join([f"{transition.trigger} [{who}]", " · ".join(guards)]).rstrip()


def _condition_text(condition: Condition) -> str:
    return f"if {condition.field} {_OPERATORS[condition.op]} {_value_text(condition.value)}"


def _value_text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "(" + ", ".join(_value_text(item) for item in value) + ")"
    return str(value)


def _drawing(
    definition: Definition, instance: Instance | None, history: Sequence[Event], lang: str
) -> _Drawing:
    for event in history:
        if event.protocol != definition.protocol:
            raise WorkflowError(
                f"Event {event.seq} of instance {event.instance!r} belongs to protocol {event.protocol!r}, "
                f"not to {definition.protocol!r}: draw it with its own definition."
            )
    if instance is not None and instance.protocol != definition.protocol:
        raise WorkflowError(
            f"Instance {instance.id!r} runs protocol {instance.protocol!r}, not {definition.protocol!r}: "
            "draw it with its own definition."
        )
    current = instance.state if instance is not None else (history[-1].target if history else None)
    visited = {event.target for event in history} | {e.source for e in history if e.source is not None}
    taken = _taken(definition, history)

    def style(state: str) -> str:
        if state == current:
            return "active"
        return "previous" if state in visited else ""

    nodes = tuple(
        _Node(s.name, s.title.get(lang) if s.title else s.name, s.final, style(s.name))
        for s in definition.states
    )
    arrows = tuple(
        _Arrow(
            transition.trigger,
            source,
            transition.target or source,
            edge_label(transition),
            tuple(taken.get((index, source), ())),
        )
        for index, transition in enumerate(definition.transitions)
        for source in transition.sources
    )
    return _Drawing(definition.protocol, definition.title.get(lang), definition.initial, nodes, arrows)


def _taken(definition: Definition, history: Sequence[Event]) -> dict[tuple[int, str], list[int]]:
    """For each (transition index, source state) the seqs of the events that took it.

    An event names its trigger and source, not which transition fired; among
    the transitions sharing both, those leading to the event's target are
    taken (all of them when none does: a signature that does not move yet).
    """
    taken: dict[tuple[int, str], list[int]] = {}
    for event in history:
        if event.kind == START or event.source is None:
            continue
        source = event.source
        candidates = [
            index
            for index, transition in enumerate(definition.transitions)
            if transition.trigger == event.trigger and source in transition.sources
        ]
        leading = [i for i in candidates if (definition.transitions[i].target or source) == event.target]
        for index in leading or candidates:
            taken.setdefault((index, source), []).append(event.seq)
    return taken


def _arrow_label(arrow: _Arrow) -> str:
    if not arrow.taken:
        return arrow.label
    return "✓ " + ", ".join(str(seq) for seq in arrow.taken) + " · " + arrow.label


# -- Mermaid, through transitions ------------------------------------------------------------------


class _ProtocolGraph(MermaidGraph):
    """transitions' Mermaid graph, with an end marker on final states and a line per transition in a label.

    Like the stock graph, transitions between the same two states share one
    arrow (Mermaid draws parallel arrows and loops on top of each other); its
    label has one line per transition instead of one long line.
    """

    def _add_nodes(self, states: list[dict[str, Any]], container: list[str]) -> None:
        super()._add_nodes(states, container)
        container.extend(f"{state['name']} --> [*]" for state in states if state.get("final"))

    def _add_edges(self, transitions: list[dict[str, Any]], container: list[str]) -> None:
        labels: dict[tuple[str, str], list[str]] = {}
        for transition in transitions:
            labels.setdefault((transition["source"], transition["dest"]), []).append(transition["label"])
        container.extend(
            f"{source} --> {dest}: {'<br>'.join(lines)}" for (source, dest), lines in labels.items()
        )


class _ProtocolMachine(GraphMachine):
    """A GraphMachine that draws with :class:`_ProtocolGraph`, top to bottom."""

    # transitions keeps these on the class and never changes them; its type stubs call them instance data.
    machine_attributes = {**GraphMachine.machine_attributes, "rankdir": _DIRECTION}  # noqa: RUF012

    def _init_graphviz_engine(self, graph_engine: str) -> type[MermaidGraph]:
        return _ProtocolGraph


class _TitledState(MachineState):
    """A transitions state carrying the title the Mermaid graph shows (its ``label``)."""

    def __init__(self, name: str, label: str, final: bool) -> None:
        super().__init__(name, final=final)
        self.label = label


class _DiagramModel:
    """The object whose state the machine tracks; it holds nothing else."""


def _mermaid_text(text: str) -> str:
    return _MERMAID_SPECIAL.sub(lambda match: _MERMAID_ESCAPES[match.group()], text)


def _mermaid(drawing: _Drawing) -> str:
    model = _DiagramModel()
    machine = _ProtocolMachine(
        model=model,
        states=[_TitledState(node.name, _mermaid_text(node.title), node.final) for node in drawing.nodes],
        initial=drawing.initial,
        transitions=[
            {
                "trigger": arrow.trigger,
                "source": arrow.source,
                "dest": arrow.target,
                "label": _mermaid_text(_arrow_label(arrow)),
            }
            for arrow in drawing.arrows
        ],
        auto_transitions=False,
        graph_engine="mermaid",
        # transitions writes the title as the Mermaid front matter: make it a YAML `title:` entry.
        title="title: " + json.dumps(drawing.title, ensure_ascii=False),
    )
    graph = machine.model_graphs[id(model)]
    graph.reset_styling()
    for node in drawing.nodes:
        if node.style:
            graph.set_node_style(node.name, node.style)
    source = machine.get_combined_graph().draw(None)  # the Mermaid graph draws to its text
    assert source is not None
    return "\n".join(line.rstrip() for line in source.splitlines()) + "\n"


# -- Graphviz dot ----------------------------------------------------------------------------------


# transitions' styles (node and edge attributes by style name), shared by both formats.
_PALETTE = cast(Mapping[str, Mapping[str, Mapping[str, str]]], GraphMachine.style_attributes)


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_attributes(attributes: Mapping[str, str]) -> str:
    return "[" + ", ".join(f"{key}={_dot_text(value)}" for key, value in attributes.items()) + "]"


def _dot(drawing: _Drawing) -> str:
    node_styles, edge_styles = _PALETTE["node"], _PALETTE["edge"]
    lines = [
        f"digraph {_dot_text(drawing.protocol)} {{",
        "  graph " + _dot_attributes({"label": drawing.title, "labelloc": "t", "rankdir": _DIRECTION}) + ";",
        "  node " + _dot_attributes(node_styles["default"]) + ";",
        "  edge " + _dot_attributes(edge_styles["default"]) + ";",
        '  "[*]" [label="", shape=point, width=0.15];',
        f'  "[*]" -> {_dot_text(drawing.initial)};',
    ]
    for node in drawing.nodes:
        attributes = {"label": node.title}
        if node.final:
            attributes["peripheries"] = "2"
        if node.style:
            attributes.update(node_styles[node.style])
        lines.append(f"  {_dot_text(node.name)} {_dot_attributes(attributes)};")
    for arrow in drawing.arrows:
        attributes = {"label": _arrow_label(arrow)}
        if arrow.taken:
            attributes.update(edge_styles["previous"], penwidth="2")
        lines.append(
            f"  {_dot_text(arrow.source)} -> {_dot_text(arrow.target)} {_dot_attributes(attributes)};"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- docs/protocols.md -----------------------------------------------------------------------------

_DOC_HEAD = """\
# The bundled protocols

<!-- Generated by `just-workflow diagram definitions > docs/protocols.md`: do not edit by hand;
a test fails when this page is out of date. -->

Every protocol in `definitions/`, drawn from its definition file. A box is a
state (titled in English; a final state points to the end marker); each line
of an arrow's label is a transition between those two states: its trigger,
the roles that may fire it in brackets (`sme/department`: any of these roles;
`sme+department sign`: each of them signs, and the move happens with the last
signature), then its guards: `requires` (context fields that must be set),
`if` (conditions on context fields) and `guard` (named Python guards).

The same diagram, in another language, in Graphviz dot, or with an instance's
current state and path highlighted:

```python
import just_workflow as jw

definition = jw.load_definition("definitions/sme_approaching_hei.yaml")
print(jw.diagram(definition, lang="sk"))
print(jw.diagram(definition, format="dot"))

engine = jw.Engine([definition])
anna = jw.Actor("anna", role="sme")
instance = engine.start("sme_approaching_hei", actor=anna)
instance = engine.fire(instance.id, "contact_career_services", actor=anna)
print(jw.diagram(definition, instance, history=engine.history(instance.id)))
```

From the command line: `just-workflow diagram definitions/sme_approaching_hei.yaml --lang sk`,
or with `--instance ID --db workflows.db` for a stored instance.
"""


def protocols_markdown(definitions: Iterable[Definition], lang: str = "en") -> str:
    """The Markdown page of ``docs/protocols.md``: each definition's summary and Mermaid diagram."""
    sections = [_DOC_HEAD]
    for definition in sorted(definitions, key=lambda d: d.key):
        roles = ", ".join(
            f"`{role.name}` ({role.title.get(lang)})" if role.title else f"`{role.name}`"
            for role in definition.roles
        )
        lines = [
            f"## {definition.title.get(lang)}",
            "",
            f"`{definition.protocol}`, version {definition.version}. Roles: {roles}.",
        ]
        if definition.source:
            lines += ["", f"Source: {definition.source}"]
        if definition.description:
            lines += ["", definition.description.get(lang)]
        lines += ["", "```mermaid", diagram(definition, lang=lang).rstrip("\n"), "```", ""]
        sections.append("\n".join(lines))
    return "\n".join(sections)
