"""Forms: the schema of a trigger's inputs, and form strings parsed into the payload the engine accepts."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, BUNDLED, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.canonical import MAX_SAFE_INTEGER
from just_workflow.table import CompiledTransition, compile_definition

MOA = moa_definition()
LIBRARY = [MOA, *(jw.load_definition(path) for path in BUNDLED)]


def _single_variant(definition: jw.Definition, transition: d.Transition) -> bool:
    """Whether every transition of the trigger takes the same inputs (the form of the trigger is its form)."""
    return all(
        t.inputs == transition.inputs for t in definition.transitions if t.trigger == transition.trigger
    )


#: Every transition with inputs whose trigger has one set of inputs, with its definition.
CASES = [
    (definition, transition)
    for definition in LIBRARY
    for transition in definition.transitions
    if transition.inputs and _single_variant(definition, transition)
]


def _move(definition: jw.Definition, transition: d.Transition) -> CompiledTransition:
    """The engine's compiled transition, its payload check included."""
    table = compile_definition(definition, dict.fromkeys(transition.guards, lambda _c, _a: True))
    return next(m for m in table.moves[transition.sources[0]][transition.trigger] if m.source == transition)


# -- the schema ------------------------------------------------------------------------------------


def test_the_schema_describes_each_input_in_the_language_asked() -> None:
    """Each field gives its type, whether required, title in the language, choices with titles, limits and value."""
    definition = jw.load_definition("definitions/sme_approaching_hei.yaml")
    form = jw.forms.schema(definition, "define_offer", lang="sk", context={"offer": ("joint_teaching",)})
    assert (form["trigger"], form["title"]) == ("define_offer", "Vymedzenie prínosu MSP")
    (offer,) = [field for field in form["fields"] if field["name"] == "offer"]
    assert offer["type"] == "list[str]" and offer["required"] is True and offer["min_items"] == 1
    assert offer["title"] == "Prínos MSP pre vysokú školu"
    assert offer["choices"][1] == {"value": "joint_teaching", "title": "Joint teaching"}
    assert offer["value"] == ["joint_teaching"]
    assert json.loads(json.dumps(form)) == form


def test_the_schema_of_every_type() -> None:
    """An integer has the audit log's limits, a missing title is the name spaced, an unset field has no value."""
    form = jw.forms.schema(MOA, "define")
    by_name = {field["name"]: field for field in form["fields"]}
    assert [(f["name"], f["type"], f["required"]) for f in form["fields"]] == [
        ("fields", "list[str]", True),
        ("offer", "str", False),
        ("staff", "int", False),
        ("abroad", "bool", False),
        ("start", "date", False),
    ]
    assert (by_name["staff"]["minimum"], by_name["staff"]["maximum"]) == (-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    assert by_name["start"]["minimum"] is None and by_name["start"]["title"] == "Start"
    assert by_name["fields"]["choices"] is None and by_name["fields"]["value"] is None


def test_the_invite_form_offers_the_roles_with_parties_by_their_titles() -> None:
    """The invite form asks a role (the closed roles, by title) and a party id."""
    definition = jw.load_definition("definitions/sme_approaching_hei.yaml")
    form = jw.forms.schema(definition, "invite", lang="sk")
    role, party = form["fields"]
    assert [choice["value"] for choice in role["choices"]] == ["sme", "department"]
    assert role["choices"][1]["title"] == definition.role_map["department"].title.get("sk")  # type: ignore[union-attr]
    assert (party["name"], party["type"], party["required"]) == ("party", "str", True)
    assert jw.forms.parse(definition, "invite", {"role": "department", "party": "dario"}) == {
        "role": "department",
        "party": "dario",
    }


def test_an_options_form_is_that_of_the_variant_the_engine_chose() -> None:
    """Given the Option, the form is that of its transition; given the trigger alone, an input some variant lacks is optional."""
    definition = jw.load_definition("definitions/social_enterprise_placement.yaml")
    variants = [t for t in definition.transitions if t.trigger == "start_placement"]
    inputs = {tuple((i.field, i.required) for i in t.inputs) for t in variants}
    assert len(inputs) == 2
    widest = max(variants, key=lambda t: len(t.inputs))
    option = jw.Option("start_placement", True, inputs=tuple(i.field for i in widest.inputs))
    assert [(f.field.name, f.required) for f in jw.forms.fields(definition, option)] == [
        (i.field, i.required) for i in widest.inputs
    ]
    merged = {f.field.name: f.required for f in jw.forms.fields(definition, "start_placement")}
    assert merged == {"start_date": True, "mobility_arrangements": False}


def test_an_unknown_trigger_is_refused_naming_the_triggers() -> None:
    """A trigger the protocol does not have raises TransitionNotAllowed listing the ones it has."""
    with pytest.raises(
        jw.TransitionNotAllowed, match=r"Trigger 'fly' is unknown in protocol 'moa'. Triggers: contact"
    ):
        jw.forms.schema(MOA, "fly")
    with pytest.raises(jw.TransitionNotAllowed):
        jw.forms.parse(MOA, "fly", {})


# -- parsing -------------------------------------------------------------------------------------


class MultiDict:
    """A form as web frameworks hand it over: several values per name, ``getlist`` to read them all."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str, default: Any = None) -> Any:
        return next((value for key, value in self.pairs if key == name), default)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]


def test_form_strings_become_typed_values() -> None:
    """Numbers, dates, checkboxes and lists (several values, or one a line) are read from strings; other keys ignored."""
    form = MultiDict(
        [
            ("fields", "ai\r\n  robotics \n\n"),
            ("fields", "space"),
            ("offer", "internships"),
            ("staff", " 12 "),
            ("abroad", "on"),
            ("start", "2026-09-01"),
            ("expected_seq", "3"),
        ]
    )
    assert jw.forms.parse(MOA, "define", form) == {
        "fields": ("ai", "robotics", "space"),
        "offer": "internships",
        "staff": 12,
        "abroad": True,
        "start": "2026-09-01",
    }


def test_blanks_are_not_given_and_an_unchecked_box_is_false() -> None:
    """A blank text, number or date is left out; a checkbox that posted nothing is false."""
    form = {"fields": "ai", "offer": "", "staff": "  ", "start": ""}
    assert jw.forms.parse(MOA, "define", form) == {"fields": ("ai",), "abroad": False}
    assert jw.forms.parse(MOA, "define", {"fields": ["ai"], "abroad": ["false", "on"]})["abroad"] is True


def test_every_bad_field_is_reported_at_once() -> None:
    """A missing required list, a number that is none, a bad date, a bad choice and a bad checkbox: five field errors."""
    form = {"fields": " \n ", "offer": "lunches", "staff": "twelve", "abroad": "maybe", "start": "2026-02-30"}
    with pytest.raises(jw.InvalidPayload) as caught:
        jw.forms.parse(MOA, "define", form)
    error = caught.value
    assert error.fields == {
        "fields": "required input 'fields' is missing",
        "offer": "field 'offer': 'lunches' is not one of the choices: internships, joint_teaching",
        "staff": "field 'staff' expects an integer, got 'twelve'",
        "abroad": "field 'abroad' expects a checkbox (on, or nothing), got 'maybe'",
        "start": "field 'start' expects a date (YYYY-MM-DD), got '2026-02-30' (str)",
    }
    assert list(error.reasons) == list(error.fields.values()) and error.trigger == "define"
    assert jw.http_status(error) == 422 and jw.error_body(error)["fields"] == dict(error.fields)


def test_the_engine_fires_what_the_form_parsed() -> None:
    """The parsed payload goes straight to fire; the context holds the typed values."""
    engine = jw.Engine([MOA])
    instance = engine.fire(engine.start("moa", ANNA).id, "contact", ANNA)
    payload = jw.forms.parse(MOA, "define", {"fields": "ai\nrobotics", "staff": "4", "start": "2026-09-01"})
    after = engine.fire(instance.id, "define", ANNA, payload, expected_seq="2")
    assert dict(after.context) == {
        "fields": ("ai", "robotics"),
        "staff": 4,
        "abroad": False,
        "start": "2026-09-01",
    }


def test_an_integer_past_the_audit_logs_range_is_a_field_error() -> None:
    """Digits past ±(2**53 - 1), and thousands of them, are a field error, never a traceback."""
    for digits in (str(MAX_SAFE_INTEGER + 1), "9" * 5000):
        with pytest.raises(jw.InvalidPayload) as caught:
            jw.forms.parse(MOA, "define", {"fields": "ai", "staff": digits})
        assert "outside ±(2**53 - 1)" in caught.value.fields["staff"]


def test_leading_zeros_and_a_sign_read_as_the_integer() -> None:
    """Zeros before the digits and a plus sign read as the integer they write."""
    assert jw.forms.parse(MOA, "define", {"fields": "ai", "staff": "+" + "0" * 30 + "7"})["staff"] == 7


def test_a_value_given_twice_for_a_single_field_is_a_field_error() -> None:
    """Two values for a text input are refused, naming both."""
    with pytest.raises(jw.InvalidPayload) as caught:
        jw.forms.parse(
            MOA,
            "define",
            MultiDict([("fields", "ai"), ("offer", "internships"), ("offer", "joint_teaching")]),
        )
    assert caught.value.fields == {
        "offer": "field 'offer' takes one value, got 2: ['internships', 'joint_teaching']"
    }


# -- properties ------------------------------------------------------------------------------------

_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
#: Text a form carries as it is: not blank; a list item also has no line break and no blanks around it.
_TEXT = st.text(min_size=1, max_size=12).filter(lambda text: text.strip() != "")
_ITEM = st.text(min_size=1, max_size=12).filter(
    lambda text: text.strip() == text != "" and not any(c in text for c in _LINE_BREAKS)
)


def _form_value(field: d.Field) -> st.SearchStrategy[Any]:
    """Valid values of ``field`` that a form can post: what a person can type, tick or pick."""
    if field.type is d.FieldType.BOOL:
        return st.booleans()
    if field.type is d.FieldType.INT:
        return st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER)
    if field.type is d.FieldType.DATE:
        return st.dates().map(datetime.date.isoformat)
    if field.type is d.FieldType.STR:
        return st.sampled_from(field.choices) if field.choices else _TEXT
    items = st.sampled_from(field.choices) if field.choices else _ITEM
    least = max(field.min_items or 0, 1)
    return st.lists(items, min_size=least, max_size=least + 3).map(tuple)


@st.composite
def _form_payloads(draw: st.DrawFn) -> tuple[jw.Definition, d.Transition, dict[str, Any]]:
    definition, transition = draw(st.sampled_from(CASES))
    payload = {}
    for item in transition.inputs:
        field = definition.field_map[item.field]
        # An unchecked box posts nothing and is false: a form always says yes or no.
        if item.required or field.type is d.FieldType.BOOL or draw(st.booleans()):
            payload[field.name] = draw(_form_value(field))
    return definition, transition, payload


@given(_form_payloads())
def test_a_payload_written_as_form_strings_parses_back_to_itself(
    case: tuple[jw.Definition, d.Transition, dict[str, Any]],
) -> None:
    """For a valid payload, the strings a form posts parse back to it, and the engine's check accepts it as is."""
    definition, transition, payload = case
    posted = jw.forms.strings(definition, transition.trigger, payload)
    assert all(isinstance(text, str) for texts in posted.values() for text in texts)
    parsed = jw.forms.parse(definition, transition.trigger, posted)
    assert parsed == payload
    values, problems = _move(definition, transition).normalize_payload(parsed)
    assert problems == {} and values == parsed


_JUNK = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["", " ", "on", "off", "12", "-0", "+7", "1e3", "2026-02-30", "2026-09-01", "a\nb", "9" * 30]
    ),
)


@st.composite
def _forms(draw: st.DrawFn) -> tuple[jw.Definition, d.Transition, dict[str, list[str]]]:
    definition, transition = draw(st.sampled_from(CASES))
    names = [item.field for item in transition.inputs] + ["expected_seq", "csrf"]
    form = draw(st.dictionaries(st.sampled_from(names), st.lists(_JUNK, max_size=3)))
    return definition, transition, form


@given(_forms())
def test_any_form_parses_to_what_the_engine_accepts_or_to_field_errors(
    case: tuple[jw.Definition, d.Transition, dict[str, list[str]]],
) -> None:
    """Whatever strings are posted: a payload the engine's check accepts unchanged, or InvalidPayload naming inputs."""
    definition, transition, form = case
    try:
        parsed = jw.forms.parse(definition, transition.trigger, form)
    except jw.InvalidPayload as error:
        inputs = {item.field for item in transition.inputs}
        assert error.fields and set(error.fields) <= inputs
        assert list(error.reasons) == list(error.fields.values())
        return
    values, problems = _move(definition, transition).normalize_payload(parsed)
    assert problems == {} and values == parsed


def test_a_required_checkbox_cannot_be_missing() -> None:
    """A required bool input is false when its box posted nothing: forms have no 'missing' checkbox."""
    definition = with_transition(MOA, "define", inputs=(d.Input("fields"), d.Input("abroad")))
    assert jw.forms.parse(definition, "define", {"fields": "ai"}) == {"fields": ("ai",), "abroad": False}
