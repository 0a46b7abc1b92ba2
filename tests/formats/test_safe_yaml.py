"""Tests of the safe YAML reader: YAML 1.2 scalars, refusals, positions."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from just_workflow.errors import DefinitionError, Problem
from just_workflow.formats.safe_yaml import MAX_DEPTH, MAX_DOCUMENT_BYTES, locate, read_yaml, yaml_positions


def refusal(text: str) -> Problem:
    """The single problem reading ``text`` raises."""
    with pytest.raises(DefinitionError) as caught:
        read_yaml(text, file="f.yaml")
    (problem,) = caught.value.problems
    assert problem.file == "f.yaml"
    return problem


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "y", "n", "Yes", "NO", "On", "OFF"])
def test_yaml_1_1_booleans_stay_strings(word: str) -> None:
    """on/off/yes/no/y/n are strings, as in YAML 1.2."""
    assert read_yaml(f"a: {word}").data == {"a": word}


@pytest.mark.parametrize(
    ("word", "value"), [("true", True), ("False", False), ("TRUE", True), ("fAlSe", False)]
)
def test_true_and_false_in_any_case_are_booleans(word: str, value: bool) -> None:
    """true and false are booleans whatever their case."""
    assert read_yaml(f"a: {word}").data == {"a": value}


def test_scalars_follow_the_yaml_1_2_core_schema() -> None:
    """Timestamps and sexagesimals stay strings; 010 is decimal; 0o and 0x are octal and hexadecimal."""
    text = "date: 2024-05-01\nwhen: 2024-05-01T10:00:00Z\ntime: 12:30\nten: 010\neight: 0o10\nhex: 0x1F\nf: 1.5\nnone: ~\n"
    assert read_yaml(text).data == {
        "date": "2024-05-01",
        "when": "2024-05-01T10:00:00Z",
        "time": "12:30",
        "ten": 10,
        "eight": 8,
        "hex": 31,
        "f": 1.5,
        "none": None,
    }


def test_standard_tags_are_allowed() -> None:
    """Explicit standard tags (!!str, !!int) still work."""
    assert read_yaml("a: !!str 1\nb: !!int '7'\n").data == {"a": "1", "b": 7}


def test_an_explicit_bool_tag_takes_only_true_or_false() -> None:
    """!!bool yes is refused, with its line."""
    problem = refusal("a: 1\nb: !!bool yes\n")
    assert problem.message == "'yes' is not a boolean (true or false)"
    assert (problem.path, problem.line) == ("$.b", 2)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("!!python/object/apply:os.system ['ls']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!custom x", "!custom"),
        ("!!timestamp 2024-01-01", "!!timestamp"),
        ("!!binary aGk=", "!!binary"),
        ("!!set {a: null}", "!!set"),
    ],
)
def test_non_standard_tags_are_refused(value: str, shown: str) -> None:
    """Tags other than the standard ones are refused, at the tagged value."""
    problem = refusal(f"ok: 1\nbad: {value}\n")
    assert problem.message == f"The tag {shown} is not allowed; only standard YAML tags are"
    assert (problem.path, problem.line, problem.column) == ("$.bad", 2, 6)


def test_duplicate_keys_are_refused_with_both_lines() -> None:
    """A key given twice names both lines and is located at the second."""
    problem = refusal("states:\n  draft: {}\n  done: {}\n  draft: {final: true}\n")
    assert problem.message == "Duplicate key 'draft' on lines 2 and 4"
    assert (problem.path, problem.line, problem.column) == ("$.states.draft", 4, 3)


def test_keys_must_be_strings() -> None:
    """A key that reads as a number is refused."""
    problem = refusal("states:\n  404: {}\n")
    assert problem.message == "The key '404' is a !!int, not a string; keys are names (quote it)"
    assert problem.line == 2


def test_aliases_within_the_budget_are_expanded() -> None:
    """An alias repeats its anchor's value."""
    assert read_yaml("a: &roles [sme, department]\nb: *roles\n").data == {
        "a": ["sme", "department"],
        "b": ["sme", "department"],
    }


def test_an_alias_bomb_is_refused_quickly() -> None:
    """Nine levels of nine aliases (387 million nodes) are refused in well under a second."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)]
    started = time.perf_counter()
    problem = refusal("\n".join(lines) + "\n")
    assert time.perf_counter() - started < 1
    assert problem.message.startswith("Aliases expand to more than 10000 nodes")


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    """A recursive structure is refused."""
    problem = refusal("a: &a [1, *a]\n")
    assert problem.message == "An alias refers to a collection that contains it"
    assert problem.path == "$.a[1]"


def test_nesting_is_bounded() -> None:
    """Collections nest up to MAX_DEPTH levels; one more is refused."""
    assert read_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH).data is not None
    problem = refusal("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert problem.message == f"Collections are nested deeper than {MAX_DEPTH} levels"
    assert (problem.line, problem.column) == (1, MAX_DEPTH + 1)


def test_very_deep_nesting_fails_cleanly() -> None:
    """A hundred thousand brackets give a DefinitionError, not a RecursionError."""
    assert "nested deeper" in refusal("[" * 100_000).message


def test_documents_over_the_size_limit_are_refused_before_parsing() -> None:
    """A text of more than MAX_DOCUMENT_BYTES UTF-8 bytes is refused, whatever it holds."""
    problem = refusal("a: [" + "é" * (MAX_DOCUMENT_BYTES // 2) + "\n")
    assert (
        problem.message
        == f"The file has {MAX_DOCUMENT_BYTES + 5} bytes; definition files are limited to 1048576"
    )


def test_one_document_per_file() -> None:
    """A second document is refused where it starts."""
    problem = refusal("a: 1\n---\nb: 2\n")
    assert "expected a single document in the stream" in problem.message
    assert problem.line == 2


def test_syntax_errors_have_a_line_and_a_column() -> None:
    """An unclosed bracket is reported where the parser noticed it, naming where it opened."""
    problem = refusal("a: 1\nb: [x, y\nc: 2\n")
    assert problem.message.startswith("Invalid YAML: while parsing a flow sequence (line 2, column 4)")
    assert (problem.line, problem.column) == (3, 2)


def test_tabs_get_a_hint() -> None:
    """Tab indentation says to indent with spaces."""
    problem = refusal("a:\n\tb: 1\n")
    assert problem.message.endswith("indent with spaces, not tabs")
    assert problem.line == 2


def test_control_characters_are_located() -> None:
    """A control character is reported at its line and column."""
    problem = refusal("a: 1\nb: x\x07y\n")
    assert problem.message.startswith("Character U+0007 is not allowed in YAML")
    assert (problem.line, problem.column) == (2, 5)


def test_an_empty_document_is_none() -> None:
    """An empty text reads as None, located at the start."""
    parsed = read_yaml("# nothing\n")
    assert parsed.data is None
    assert parsed.positions == {"$": (1, 1)}


def test_positions_of_values_keys_and_items() -> None:
    """Scalars and flow collections are located at their value, block collections at their key."""
    text = (
        "states:\n  draft: {title: Draft}\n  done:\n    final: true\nlist:\n  - trigger: go\n    to: done\n"
    )
    positions = read_yaml(text).positions
    assert positions["$.states"] == (1, 1)
    assert positions["$.states.draft"] == (2, 10)
    assert positions["$.states.draft.title"] == (2, 18)
    assert positions["$.states.done"] == (3, 3)
    assert positions["$.states.done.final"] == (4, 12)
    assert positions["$.list[0]"] == (6, 5)
    assert positions["$.list[0].to"] == (7, 9)


def test_locate_falls_back_to_the_nearest_ancestor() -> None:
    """A missing path is located at its nearest ancestor that has a position."""
    positions = read_yaml("a:\n  b: [1, 2]\n").positions
    assert locate(positions, "$.a.b[1]") == (2, 10)
    assert locate(positions, "$.a.b[7].c") == (2, 6)
    assert locate(positions, "$.x.y") == (1, 1)
    assert locate({}, "$.x") is None


def test_json_positions_come_from_reading_json_as_yaml() -> None:
    """JSON text, tabs included, gets positions; text that is not YAML gets none."""
    positions = yaml_positions('{\n\t"a": {"b": [1,\t2]}\n}')
    assert positions["$.a.b[1]"] == (2, 17)
    assert yaml_positions("{[}") == {}


@given(st.text(max_size=200))
def test_any_text_reads_or_raises_a_definition_error(text: str) -> None:
    """No text makes the reader raise anything but DefinitionError."""
    try:
        read_yaml(text)
    except DefinitionError as error:
        assert error.problems
