"""Tests of the document form: from plain data to the model and back, every problem at once."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures import BUNDLED
from just_workflow.definition import (
    Condition,
    Definition,
    Field,
    FieldType,
    Input,
    Invariant,
    Op,
    Role,
    Signoff,
    State,
    Text,
    Transition,
    Value,
)
from just_workflow.errors import DefinitionError
from just_workflow.formats.document import definition_from_document, definition_to_document
from just_workflow.formats.loading import load_definition, parse_definition


def minimal(**changes: Any) -> dict[str, Any]:
    """A small valid document, with ``changes`` applied to its top level."""
    document: dict[str, Any] = {
        "protocol": "mini",
        "version": 1,
        "title": "Mini",
        "roles": {"sme": None, "department": {}},
        "initial": "draft",
        "states": {"draft": None, "done": {"final": True}},
        "transitions": [{"trigger": "finish", "from": "draft", "to": "done", "by": "sme"}],
    }
    document.update(changes)
    return document


def with_transition(**keys: Any) -> dict[str, Any]:
    """The minimal document whose one transition has ``keys`` (a None value removes the key)."""
    transition = {"trigger": "finish", "from": "draft", "to": "done", "by": "sme", **keys}
    return minimal(transitions=[{key: value for key, value in transition.items() if value is not None}])


def problems_of(document: Any) -> list[tuple[str, str]]:
    """(path, message) of every problem of ``document``."""
    with pytest.raises(DefinitionError) as caught:
        definition_from_document(document)
    return [(problem.path, problem.message) for problem in caught.value.problems]


# The bundled definitions and generated ones round-trip


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_definitions_round_trip(path: Path) -> None:
    """A bundled definition, turned into a document and back, is equal and has the same digest."""
    definition = load_definition(path)
    again = definition_from_document(definition_to_document(definition))
    assert again == definition
    assert again.digest == definition.digest


names = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
texts = st.builds(
    Text, en=words, sk=st.none() | words, es=st.none() | words, it=st.none(), sl=st.none() | words
)
dates = st.dates(datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)).map(datetime.date.isoformat)


@st.composite
def fields(draw: st.DrawFn, name: str) -> Field:
    """A context field named ``name``: any type, choices and min_items where its type allows them."""
    kind = draw(st.sampled_from(FieldType))
    listed = kind in (FieldType.STR, FieldType.LIST_STR)
    choices = (
        draw(st.none() | st.lists(names, min_size=1, max_size=3, unique=True).map(tuple)) if listed else None
    )
    min_items = draw(st.none() | st.integers(0, 3)) if kind is FieldType.LIST_STR else None
    return Field(name, kind, draw(st.none() | texts), draw(st.none() | texts), choices, min_items)


@st.composite
def conditions(draw: st.DrawFn, context: tuple[Field, ...]) -> Condition:
    """A condition that fits one of the ``context`` fields."""
    field = draw(st.sampled_from(context))
    strings = st.sampled_from(field.choices) if field.choices else names
    op: Op
    value: Value
    if field.type is FieldType.STR:
        op = draw(st.sampled_from([Op.EQ, Op.NE]))
        value = draw(strings)
    elif field.type is FieldType.LIST_STR:
        op, value = Op.CONTAINS, draw(strings)
    elif field.type is FieldType.BOOL:
        op, value = Op.EQ, draw(st.booleans())
    elif field.type is FieldType.INT:
        op, value = draw(st.sampled_from([Op.GE, Op.LT, Op.EQ])), draw(st.integers(-5, 500))
    else:
        op, value = draw(st.sampled_from([Op.GT, Op.LE])), draw(dates)
    return Condition(field.name, op, value)


@st.composite
def definitions(draw: st.DrawFn) -> Definition:
    """A structurally sound definition: every name it uses is declared."""
    roles = draw(st.lists(names, min_size=1, max_size=3, unique=True))
    states = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    field_names = draw(st.lists(names, max_size=4, unique=True))
    context = tuple(draw(fields(name)) for name in field_names)

    def some(pool: list[str], min_size: int = 0) -> tuple[str, ...]:
        return tuple(draw(st.lists(st.sampled_from(pool), min_size=min_size, unique=True))) if pool else ()

    def guard_conditions() -> tuple[Condition, ...]:
        return tuple(draw(st.lists(conditions(context), max_size=2))) if context else ()

    transitions = []
    for _ in range(draw(st.integers(1, 4))):
        signoff = draw(st.none() | st.just(Signoff(some(roles, 1))))
        transitions.append(
            Transition(
                trigger=draw(names),
                sources=some(states, 1),
                by=signoff.all_of if signoff else some(roles, 1),
                target=draw(st.sampled_from(states))
                if signoff
                else draw(st.none() | st.sampled_from(states)),
                inputs=tuple(Input(field, draw(st.booleans())) for field in some(field_names)),
                requires=some(field_names),
                conditions=guard_conditions(),
                guards=tuple(draw(st.lists(names, max_size=2, unique=True))),
                signoff=signoff,
                title=draw(st.none() | texts),
                description=draw(st.none() | texts),
            )
        )
    invariant_names = draw(st.lists(names, max_size=2, unique=True))
    return Definition(
        protocol=draw(names),
        version=draw(st.integers(1, 10**6)),
        title=draw(texts),
        roles=tuple(Role(name, draw(st.none() | texts), draw(st.none() | texts)) for name in roles),
        states=tuple(State(name, draw(st.none() | texts), None, draw(st.booleans())) for name in states),
        initial=draw(st.sampled_from(states)),
        transitions=tuple(transitions),
        context=context,
        invariants=tuple(
            Invariant(name, some(states, 1), some(field_names), guard_conditions(), draw(st.none() | texts))
            for name in invariant_names
        ),
        start_by=some(roles),
        source=draw(st.none() | words),
        description=draw(st.none() | texts),
    )


@given(definitions())
def test_generated_definitions_round_trip(definition: Definition) -> None:
    """Any sound definition survives the document form, and a JSON file of it, unchanged."""
    document = definition_to_document(definition)
    assert definition_from_document(document) == definition
    loaded = parse_definition(json.dumps(document, ensure_ascii=False), syntax="json", origin="gen.json")
    assert loaded == definition
    assert loaded.digest == definition.digest


# The file's spelling


def test_the_file_spelling_maps_to_the_model() -> None:
    """from/to/input/in, keyed sections, text shorthand and single names become the model's attributes."""
    definition = definition_from_document(
        minimal(
            context={"note": {"type": "str"}, "ok": {"type": "bool"}},
            transitions=[
                {
                    "trigger": "finish",
                    "from": "draft",
                    "to": "done",
                    "by": "sme",
                    "input": {"note": "required"},
                },
                {"trigger": "annotate", "from": ["draft"], "by": ["sme"], "input": {"ok": "optional"}},
            ],
            invariants=[{"name": "noted", "in": "done", "requires": ["note"]}],
        )
    )
    assert definition.title == Text(en="Mini")
    assert definition.roles == (Role("sme"), Role("department"))
    assert definition.states == (State("draft"), State("done", final=True))
    assert definition.context == (Field("note", FieldType.STR), Field("ok", FieldType.BOOL))
    first, second = definition.transitions
    assert (first.sources, first.target, first.by, first.inputs) == (
        ("draft",),
        "done",
        ("sme",),
        (Input("note"),),
    )
    assert (second.target, second.inputs) == (None, (Input("ok", required=False),))
    assert definition.invariants == (Invariant("noted", ("done",), ("note",)),)


def test_a_signoff_names_the_roles_that_fire() -> None:
    """With a sign-off and no `by`, the model's `by` is the signers."""
    definition = definition_from_document(with_transition(by=None, signoff={"all_of": ["sme", "department"]}))
    assert definition.transitions[0].by == ("sme", "department")
    assert definition.transitions[0].signoff == Signoff(("sme", "department"))


def test_the_document_form_spells_the_file_keys_and_omits_defaults() -> None:
    """definition_to_document writes from/to/input, no `by` beside a sign-off, and no default values."""
    definition = definition_from_document(
        minimal(
            context={"note": {"type": "str"}},
            transitions=[
                {"trigger": "finish", "from": "draft", "to": "done", "signoff": {"all_of": ["sme"]}},
                {"trigger": "note", "from": "draft", "by": "sme", "input": {"note": "optional"}},
            ],
        )
    )
    document = definition_to_document(definition)
    assert document["transitions"] == [
        {"trigger": "finish", "from": ["draft"], "to": "done", "signoff": {"all_of": ["sme"]}},
        {"trigger": "note", "from": ["draft"], "by": ["sme"], "input": {"note": "optional"}},
    ]
    assert document["roles"] == {"sme": {}, "department": {}}
    assert document["states"] == {"draft": {}, "done": {"final": True}}
    assert document["title"] == {"en": "Mini"}
    assert "invariants" not in document
    assert "start_by" not in document


def test_origin_is_kept_but_not_compared() -> None:
    """origin names the source; it takes no part in equality or the digest."""
    here = definition_from_document(minimal(), origin="a.yaml")
    there = definition_from_document(minimal(), origin="b.yaml")
    assert (here.origin, there.origin) == ("a.yaml", "b.yaml")
    assert here == there
    assert here.digest == there.digest


# Shape problems: nothing coerced, every problem at once


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("one", "Expected an integer, got 'one'"),
        ("1", "Expected an integer, got '1'"),
        (True, "Expected an integer, got true"),
        (1.0, "Expected an integer, got 1.0"),
        (None, "Expected an integer, got null"),
    ],
)
def test_version_must_be_an_integer(version: object, message: str) -> None:
    """A version that is not an int (booleans and numeric strings included) is refused."""
    assert problems_of(minimal(version=version)) == [("$.version", message)]


@pytest.mark.parametrize("word", ["yes", "true", "on", 1])
def test_final_must_be_a_boolean(word: object) -> None:
    """`final` takes true or false only."""
    document = minimal(states={"draft": {}, "done": {"final": word}})
    assert problems_of(document) == [("$.states.done.final", f"Expected true or false, got {word!r}")]


def test_a_string_is_not_a_list() -> None:
    """A single name where a list is expected is refused, not split into characters."""
    assert problems_of(with_transition(guards="budget_ok")) == [
        ("$.transitions[0].guards", "Expected a list, got 'budget_ok'")
    ]


def test_names_are_strings() -> None:
    """A number where a role is expected is refused, with the offending item's path."""
    assert problems_of(with_transition(by=3)) == [
        ("$.transitions[0].by", "Expected a name or a list of names, got 3")
    ]
    assert problems_of(with_transition(by=["sme", 3])) == [
        ("$.transitions[0].by[1]", "Expected a string, got 3")
    ]


def test_unknown_keys_suggest_the_right_one() -> None:
    """An unknown key names a close valid key, or the file's spelling of a model name, and lists the valid keys."""
    assert problems_of(with_transition(titel="Finish", target="done")) == [
        (
            "$.transitions[0].target",
            "Unknown key 'target' (did you mean 'to'?); valid keys: by, conditions, description, from, guards, "
            "input, joins, requires, signoff, title, to, trigger",
        ),
        (
            "$.transitions[0].titel",
            "Unknown key 'titel' (did you mean 'title'?); valid keys: by, conditions, description, from, guards, "
            "input, joins, requires, signoff, title, to, trigger",
        ),
    ]


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        (3, "$.title", "Expected a text: a string, or a mapping of languages (en, sk, es, it, sl); got 3"),
        ({"sk": "Mini"}, "$.title.en", "Missing required key 'en'"),
        ({"en": "Mini", "de": "Mini"}, "$.title.de", "Unknown key 'de'; valid keys: en, es, it, sk, sl"),
    ],
)
def test_texts_are_strings_or_languages(value: object, path: str, message: str) -> None:
    """A text is a string or a mapping with `en` and the partnership's languages."""
    assert problems_of(minimal(title=value)) == [(path, message)]


def test_enumerations_list_their_values() -> None:
    """Field types, operators and input modes name the valid values and a close one."""
    document = minimal(
        context={"note": {"type": "string"}},
        transitions=[
            {
                "trigger": "finish",
                "from": "draft",
                "by": "sme",
                "input": {"note": "mandatory"},
                "conditions": [{"field": "note", "op": "equals", "value": "x"}],
            }
        ],
    )
    assert problems_of(document) == [
        (
            "$.context.note.type",
            "Unknown field type 'string' (did you mean 'str'?); valid: str, int, bool, date, list[str]",
        ),
        ("$.transitions[0].input.note", "Unknown input mode 'mandatory'; valid: required, optional"),
        (
            "$.transitions[0].conditions[0].op",
            "Unknown operator 'equals'; valid: eq, ne, in, not_in, contains, gt, ge, lt, le",
        ),
    ]


@pytest.mark.parametrize(
    ("kind", "op", "value", "accepted"),
    [
        ("str", "eq", "x", "x"),
        ("int", "ge", 3, 3),
        ("bool", "eq", False, False),
        ("str", "in", ["a", "b"], ("a", "b")),
        ("int", "not_in", [1, 2], (1, 2)),
    ],
)
def test_condition_values_are_scalars_or_lists(kind: str, op: str, value: object, accepted: object) -> None:
    """A condition value is a string, an integer, a boolean or a list of them (lists become tuples)."""
    condition = {"field": "x", "op": op, "value": value}
    document = with_transition(conditions=[condition])
    document["context"] = {"x": {"type": kind}}
    definition = definition_from_document(document)
    assert definition.transitions[0].conditions == (Condition("x", Op(op), accepted),)


def test_every_shape_problem_is_reported_at_once() -> None:
    """Problems in several places of one document come together, each at its path."""
    document = minimal(
        version="2",
        roles=["sme"],
        states={"draft": {"final": "no"}},
        transitions=[{"from": "draft", "by": "sme"}, "finish"],
        extra=True,
    )
    assert [path for path, _ in problems_of(document)] == [
        "$.version",
        "$.roles",
        "$.states.draft.final",
        "$.transitions[0].trigger",
        "$.transitions[1]",
        "$.extra",
    ]


def test_by_and_signoff_together_are_refused() -> None:
    """A transition gives `by` or a `signoff`, not both, beside its other problems."""
    assert problems_of(with_transition(signoff={"all_of": ["sme"]}, trigger=7)) == [
        ("$.transitions[0].trigger", "Expected a string, got 7"),
        (
            "$.transitions[0].by",
            "Give `by` or `signoff`, not both: the signers of a sign-off are the roles that fire it; remove `by`",
        ),
    ]


def test_long_values_are_cut_short_in_messages() -> None:
    """A long offending value appears shortened, not whole."""
    ((_, message),) = problems_of(minimal(version="x" * 10_000))
    assert message == "Expected an integer, got 'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx'"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            None,
            "The document is empty; a definition is a mapping with the keys context, description, initial",
        ),
        (["protocol"], "Expected a mapping with the keys context, description, initial"),
        ("mini", "Expected a mapping with the keys context, description, initial"),
    ],
)
def test_a_document_is_a_mapping(data: object, message: str) -> None:
    """Anything but a mapping at the top is refused with the keys a definition has."""
    ((path, found),) = problems_of(data)
    assert path == "$"
    assert found.startswith(message)


# Structural problems: after the shape is right, once each


def test_structural_problems_come_from_validation() -> None:
    """Undeclared names are reported at the path the file spells."""
    assert problems_of(with_transition(to="closed")) == [
        ("$.transitions[0].to", "Unknown state 'closed' in `to`; states are: draft, done")
    ]


def test_an_unknown_signer_is_reported_once() -> None:
    """A sign-off naming an undeclared role gives one problem, at `signoff.all_of`, not a second at `by`."""
    document = with_transition(by=None, signoff={"all_of": ["sme", "dean"]})
    assert problems_of(document) == [
        (
            "$.transitions[0].signoff.all_of[1]",
            "Unknown role 'dean' in `signoff.all_of`; roles are: sme, department",
        )
    ]


# Titles of choices


def with_choices(choices: Any) -> dict[str, Any]:
    """The minimal document with a field ``pick`` of the given ``choices``."""
    return minimal(context={"pick": {"type": "str", "choices": choices}})


def test_choices_may_map_each_value_to_its_title() -> None:
    """The mapping form gives the values in order, a title to each titled one; a bare value has none."""
    definition = definition_from_document(
        with_choices({"yes_please": {"en": "Yes, please", "sk": "Áno, prosím"}, "no": "No", "maybe": None})
    )
    field = definition.field_map["pick"]
    assert field.choices == ("yes_please", "no", "maybe")
    assert field.choice_titles == {"yes_please": Text("Yes, please", sk="Áno, prosím"), "no": Text("No")}
    assert definition.title_of("choice", "yes_please", "sk", field="pick") == "Áno, prosím"
    assert definition.title_of("choice", "yes_please", "it", field="pick") == "Yes, please"
    assert definition.title_of("choice", "maybe", "sk", field="pick") == "maybe"
    document = definition_to_document(definition)
    assert document["context"]["pick"]["choices"] == {
        "yes_please": {"en": "Yes, please", "sk": "Áno, prosím"},
        "no": {"en": "No"},
        "maybe": None,
    }
    assert definition_from_document(document) == definition


def test_choices_without_titles_keep_the_list_form_and_the_digest() -> None:
    """A list of choices, or a mapping with no title at all, is the same definition with the same digest."""
    listed = definition_from_document(with_choices(["a", "b"]))
    mapped = definition_from_document(with_choices({"a": None, "b": None}))
    assert listed == mapped and listed.digest == mapped.digest
    assert definition_to_document(listed)["context"]["pick"]["choices"] == ["a", "b"]
    titled = definition_from_document(with_choices({"a": "A", "b": None}))
    assert titled.digest != listed.digest


@pytest.mark.parametrize(
    ("choices", "path", "message"),
    [
        (
            "a",
            "$.context.pick.choices",
            "Expected a list of choices, or a mapping of choices to their titles",
        ),
        ({"a": 3}, "$.context.pick.choices.a", "Expected a text: a string, or a mapping of languages"),
        ({"a": {"en": "A", "fr": "A"}}, "$.context.pick.choices.a.fr", "Unknown key 'fr'"),
    ],
)
def test_bad_choice_titles_are_located(choices: object, path: str, message: str) -> None:
    """A choice title that is not a text is reported at the choice."""
    [(where, what)] = problems_of(with_choices(choices))
    assert where == path and what.startswith(message), (where, what)


def test_title_of_looks_up_every_kind_of_name() -> None:
    """Protocol, state, role, trigger and field titles in a language; an untitled or unknown name is itself."""
    definition = load_definition(BUNDLED[0])
    state = definition.states[0]
    assert definition.title_of("protocol", "", "sk") == definition.title.get("sk")
    assert definition.title_of("state", state.name, "es") == (
        state.title.get("es") if state.title else state.name
    )
    assert definition.title_of("role", "nobody", "sl") == "nobody"
    assert definition.title_of("choice", "x", "sl", field="no_field") == "x"
    transition = next(t for t in definition.transitions if t.title)
    assert definition.title_of("trigger", transition.trigger, "it") == transition.title.get("it")
    with pytest.raises(ValueError):
        definition.title_of("colour", "red")
