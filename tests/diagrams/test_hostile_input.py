"""Definitions from strangers: any name a definition may have draws in every format, and no text injects syntax.

The drawn text is read back here as Mermaid's and Graphviz's lexers would
read it (the rules quoted from their grammars): every statement is one the
writer meant, each box, arrow and style is there once, and every title and
label reads back as the text it was given.
"""

from __future__ import annotations

import keyword
import re

import attrs
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from transitions import State
from transitions.extensions import GraphMachine

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.checks.validation import IDENTIFIER, structural_findings
from just_workflow.diagrams import FORMATS, diagram, protocols_markdown
from just_workflow.diagrams.model import edge_label, picture_of

# Names that have a meaning somewhere on the way to a picture: Python, transitions' machine, model and states,
# Mermaid's and dot's keywords, and the writers' own node names.
RESERVED_SOMEWHERE = sorted(
    {
        name
        for name in (
            *keyword.kwlist,
            *dir(GraphMachine),
            *dir(State),
            *("state", "get_graph", "trigger", "to_draft", "is_draft", "may_trigger", "model", "machine"),
            *("default", "defaults", "default_state", "note", "end", "class", "classdef", "style", "scale"),
            *("direction", "tb", "lr", "statediagram", "acctitle", "accdescr", "hide", "click", "fork"),
            *("graph", "digraph", "subgraph", "node", "edge", "strict", "parties", "label", "initial"),
            *("x__init__", "is_", "to_", "may_", "on_enter_x", "lr_direction", "tb_x"),
        )
        if IDENTIFIER.fullmatch(name)
    }
)
NAMES = st.one_of(st.sampled_from(RESERVED_SOMEWHERE), st.from_regex(IDENTIFIER, fullmatch=True))

# Texts written to break out of a title or label, and any text at all.
NASTY = [
    "\n  Class first s_active",
    "x\n  first --> second: injected",
    '"; classDef x fill:red',
    "%%{init: {'securityLevel': 'loose'}}%%",
    "a --> b; c --> d",
    "<script>alert(1)</script>",
    "`code` **bold** [link](javascript:alert(1))",
    "up direction LR",
    "direction",
    "the end note",
    "Box [[fork]]",
    "<<choice>>",
    '\u2028state "x" as y',
    "a:::b",
    "# heading\n- item\n1. one",
    "\\N \\G \\",
    '"] ; "x" -> "y',
    "\r\n[*] --> second",
    "&amp; &lt;",
]
TEXTS = st.one_of(st.sampled_from(NASTY), st.text())


def protocol(states: tuple[str, str], trigger: str, role: str, field: str, value: str = "ok") -> d.Definition:
    """Two states, one role, one field, one transition from the first state to the second, guarded on the field."""
    return d.Definition(
        protocol="p",
        version=1,
        title=d.Text("P"),
        roles=(d.Role(role),),
        states=(d.State(states[0]), d.State(states[1], final=True)),
        initial=states[0],
        context=(d.Field(field, d.FieldType.STR),),
        transitions=(
            d.Transition(
                trigger,
                (states[0],),
                (role,),
                states[1],
                inputs=(d.Input(field),),
                conditions=(d.Condition(field, d.Op.EQ, value),),
            ),
        ),
    )


# -- reading Mermaid back ------------------------------------------------------------------------------

_ENTITY = re.compile(r"#(\d+|quot|lt|gt);")
_NAMED = {"quot": '"', "lt": "<", "gt": ">"}
# Mermaid replaces entity codes by placeholders before it lexes; so does this reader.
_PLACEHOLDER = "\ue000"
# The lexer's rules, in its order, that win over a state's id where an id is read (stateDiagram.jison).
_BEFORE_AN_ID = re.compile(
    r"default|scale\s|acctitle\s*:|accdescr\s*[:{]|classdef\s|class\s|state\s|note\s|statediagram|style\s"
    r"|hide empty description|\[\*\]|%%",
    re.IGNORECASE,
)
_ID = re.compile(r"[^:\s\-{]+")
_DIRECTION = re.compile(r"direction\s+(tb|bt|rl|lr)", re.IGNORECASE)
_FORK = re.compile(r"<<(fork|join|choice)>>|\[\[(fork|join|choice)\]\]", re.IGNORECASE)


def decoded(text: str) -> str:
    """A Mermaid text with its entity codes read."""
    return _ENTITY.sub(lambda match: _NAMED.get(match[1]) or chr(int(match[1])), text)


def an_id(text: str) -> str:
    """``text`` (the rest of a line) starts with a state's id, as the lexer reads it: the id."""
    assert not _BEFORE_AN_ID.match(text), f"the lexer reads {text!r} as a keyword"
    found = _ID.match(text)
    assert found, f"no id in {text!r}"
    return found.group()


def read_mermaid(text: str) -> dict[str, list[tuple[str, ...]]]:
    """The statements of a Mermaid state diagram as its lexer sees them; fails on any other statement."""
    head, title_line, rest = text.split("\n", 2)
    assert head == "---"
    title = yaml.safe_load(title_line)["title"]
    separator, body = rest.split("\n", 1)
    assert separator == "---"
    lexed = _ENTITY.sub(_PLACEHOLDER, body)
    assert "%%" not in lexed
    read: dict[str, list[tuple[str, ...]]] = {
        "boxes": [],
        "classes": [],
        "ends": [],
        "arrows": [],
        "starts": [],
    }
    lines = lexed.split("\n")
    original = body.split("\n")
    assert lines[:2] == ["stateDiagram-v2", "  direction TB"]
    in_note = False
    for line, raw in zip(lines[2:], original[2:], strict=True):
        statement = line.strip()
        if in_note:
            assert not re.search(r"end\s+note", statement, re.IGNORECASE) or statement == "end note"
            in_note = statement != "end note"
            continue
        assert not _DIRECTION.search(line), f"read as the layout: {line!r}"
        if not statement or statement.startswith("classDef s_"):
            continue
        if box := re.fullmatch(r'state "([^"]*)" as (\S+)', statement):
            assert not _FORK.search(box[1])
            read["boxes"].append((box[2], decoded(re.fullmatch(r'\s*state "([^"]*)" as \S+', raw)[1])))
        elif style := re.fullmatch(r"Class (\w+) s_(\w+)", statement):
            read["classes"].append((style[1], style[2]))
        elif statement.startswith("[*] --> "):
            read["starts"].append((an_id(statement[len("[*] --> ") :]),))
        elif statement.startswith("note left of "):
            an_id(statement[len("note left of ") :])
            in_note = True
        else:
            source = an_id(statement)
            after = statement[len(source) :]
            if after == " --> [*]":
                read["ends"].append((source,))
                continue
            assert after.startswith(" --> "), f"unexpected statement {statement!r}"
            target = an_id(after[len(" --> ") :])
            label = after[len(" --> ") + len(target) :]
            assert re.fullmatch(r": [^:;#\n]*", label), f"the label ends early: {label!r}"
            raw_label = raw.split(": ", 1)[1]
            read["arrows"].append((source, target, *map(decoded, raw_label.split("<br>"))))
    assert not in_note
    assert len(_DIRECTION.findall(lexed)) == 1, "a line is read as the layout"  # its rule spans line breaks
    return {"title": [(title,)], **read}


# -- reading dot back ------------------------------------------------------------------------------------

_QUOTED = r'"(?:[^"\\\n]|\\.)*"'
_ATTRIBUTES = rf"\[(?:\w+=(?:{_QUOTED}|[\w.]+))(?:, \w+=(?:{_QUOTED}|[\w.]+))*\]"
_DOT_STATEMENT = re.compile(
    rf"  (?P<a>{_QUOTED})(?: -> (?P<b>{_QUOTED}))?(?: (?P<attributes>{_ATTRIBUTES}))?;"
)


def unquoted(text: str) -> str:
    """A quoted dot string as Graphviz reads it."""
    return re.sub(r"\\(.)", lambda match: "\n" if match[1] == "n" else match[1], text[1:-1])


def read_dot(text: str) -> dict[str, list[tuple[str, ...]]]:
    """The nodes and edges of the dot text, with their labels; fails on any other statement."""
    lines = text.split("\n")
    assert re.fullmatch(rf"digraph {_QUOTED} {{", lines[0]) and lines[-2:] == ["}", ""]
    read: dict[str, list[tuple[str, ...]]] = {"nodes": [], "edges": []}
    for line in lines[1:-2]:
        if re.fullmatch(rf"  (graph|node|edge) {_ATTRIBUTES};", line):
            continue
        statement = _DOT_STATEMENT.fullmatch(line)
        assert statement, f"unexpected statement {line!r}"
        label = re.search(rf"label=({_QUOTED})", statement["attributes"] or "")
        ends = tuple(unquoted(end) for end in (statement["a"], statement["b"]) if end)
        read["edges" if statement["b"] else "nodes"].append((*ends, unquoted(label[1]) if label else ""))
    return read


def dot_escaped(text: str) -> str:
    """What dot shows of ``text``: control characters (but newline and tab) as codes."""
    return re.sub(
        r"[\x00-\x08\x0a-\x1f\x7f]", lambda m: m[0] if m[0] == "\n" else f"\\x{ord(m[0]):02x}", text
    )


# -- the properties --------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(NAMES, min_size=5, max_size=5, unique=True))
def test_any_valid_name_draws_in_every_format(names: list[str]) -> None:
    """States, trigger, role and field named anything that passes the checks: every format draws every box and
    arrow, and the instance's state is marked once."""
    first, second, trigger, role, field = names
    definition = protocol((first, second), trigger, role, field)
    if structural_findings(definition):  # a reserved trigger (invite...): refused by check, not drawn
        assert trigger in d.PARTY_TRIGGERS
        return
    engine = jw.Engine([definition])
    actor = jw.Actor("anna", role)
    instance = engine.start("p", actor)
    for format in FORMATS:
        assert diagram(definition, instance, format)
    read = read_mermaid(diagram(definition, instance))
    drawn_as = {title: box for box, title in read["boxes"]}  # an untitled state's box shows its name
    assert list(drawn_as) == [first, second]
    start, end = drawn_as[first], drawn_as[second]
    assert (read["starts"], read["ends"]) == ([(start,)], [(end,)])
    assert read["arrows"] == [(start, end, edge_label(definition.transitions[0]))]
    assert read["classes"] == [(start, "active"), (end, "default")]
    dot_read = read_dot(diagram(definition, instance, "dot"))
    assert [node[0] for node in dot_read["nodes"]] == ["[*]", first, second]
    assert [edge[:2] for edge in dot_read["edges"]] == [("[*]", first), (first, second)]


@settings(max_examples=80, deadline=None)
@given(titles=st.lists(TEXTS, min_size=3, max_size=3), value=TEXTS, actor=TEXTS)
def test_no_title_or_value_injects_a_statement(titles: list[str], value: str, actor: str) -> None:
    """Whatever the protocol's and states' titles, a condition's value and a party's id hold, each format has
    exactly the statements it draws, the current state is marked once, and every text reads back as given."""
    definition = protocol(("first", "second"), "go", "sme", "note", value)
    definition = attrs.evolve(
        definition,
        title=d.Text(titles[0]),
        roles=(d.Role("sme", invited_by=("sme",)),),
        states=(d.State("first", d.Text(titles[1])), d.State("second", d.Text(titles[2]), final=True)),
    )
    assert not structural_findings(definition)
    engine = jw.Engine([definition])
    instance = engine.start("p", jw.Actor(actor or "x", "sme"))
    label = edge_label(definition.transitions[0])
    first, second = (node.title for node in picture_of(definition).nodes)  # a state's name when untitled

    mermaid_read = read_mermaid(diagram(definition, instance))
    assert mermaid_read["title"] == [(titles[0],)]
    assert mermaid_read["boxes"] == [("first", first), ("second", second)]
    assert mermaid_read["arrows"] == [("first", "second", label)]
    assert mermaid_read["classes"] == [("first", "active"), ("second", "default")]
    assert (mermaid_read["starts"], mermaid_read["ends"]) == ([("first",)], [("second",)])

    dot_read = read_dot(diagram(definition, instance, "dot"))
    parties = "\n".join(("Parties", f"sme: invited by sme or starts · {actor or 'x'}"))
    assert dot_read["nodes"] == [
        ("[*]", ""),
        ("first", dot_escaped(first)),
        ("second", dot_escaped(second)),
        ("[parties]", dot_escaped(parties)),
    ]
    assert dot_read["edges"] == [("[*]", "first", ""), ("first", "second", dot_escaped(label))]


def test_a_label_ending_in_direction_keeps_the_next_arrow() -> None:
    """Mermaid's layout rule reads `direction` then any spaces and line breaks then `LR`: a label ending in
    `direction` before an arrow from a state `lr_...` would swallow both lines."""
    definition = protocol(("first", "lr_review"), "go", "sme", "note", "direction")
    back = d.Transition("back", ("lr_review",), ("sme",), "first")
    definition = attrs.evolve(
        definition,
        states=(d.State("first"), d.State("lr_review")),
        transitions=(*definition.transitions, back),
    )
    definition = attrs.evolve(definition, states=(*definition.states, d.State("done", final=True)))
    read = read_mermaid(diagram(definition))
    assert [arrow[:2] for arrow in read["arrows"]] == [("first", "lr_review"), ("lr_review", "first")]


def test_a_state_named_parties_keeps_its_box_beside_the_parties_note() -> None:
    """The note of the parties has an id no state can have."""
    definition = attrs.evolve(protocol(("parties", "done"), "go", "sme", "note"), start_by=("sme",))
    definition = attrs.evolve(definition, roles=(d.Role("sme", invited_by=("sme",)),))
    nodes = read_dot(diagram(definition, format="dot"))["nodes"]
    assert [node[:2] for node in nodes] == [
        ("[*]", ""),
        ("parties", "parties"),
        ("done", "done"),
        ("[parties]", "Parties\nsme: invited by sme or starts"),
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXTS, min_size=4, max_size=4))
def test_the_protocols_page_shows_texts_without_markup(texts: list[str]) -> None:
    """Titles, a role's title, the source and the description may hold Markdown or HTML: the page shows them as
    text, each section keeps its heading, summary and one Mermaid block, and no tag gets in."""
    title, role_title, source, description = texts
    definition = attrs.evolve(
        protocol(("first", "second"), "go", "sme", "note"),
        title=d.Text(title),
        roles=(d.Role("sme", d.Text(role_title)),),
        source=source,
        description=d.Text(description),
    )
    page = protocols_markdown([definition])
    section = page.split("\n## ", 1)[1]
    prose, block = section.split("```mermaid\n", 1)
    assert block.endswith("```\n") and "```" not in block[:-4]
    assert "<" not in prose
    assert not re.search(r"(?<!\\)`", prose.replace("`p`", "").replace("`sme`", ""))
    _, blank, summary, *paragraphs = prose.split("\n")
    assert (blank, summary[: summary.index("(")]) == ("", "`p`, version 1. Roles: `sme` ")
    assert not any(re.match(r"\s*([-+*>#=]|\d+[.)])", line) for line in paragraphs)
