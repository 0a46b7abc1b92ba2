"""Tests of loading definition files: the broken corpus, the three syntaxes, folders, robustness."""

from __future__ import annotations

import json
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from fixtures import BUNDLED, DEFINITIONS, INVALID, ROOT
from just_workflow.definition import Definition
from just_workflow.errors import DefinitionError
from just_workflow.formats.document import definition_to_document
from just_workflow.formats.loading import (
    load_all_versions,
    load_definition,
    load_definitions,
    parse_definition,
    read_document,
)
from just_workflow.formats.safe_yaml import MAX_DOCUMENT_BYTES

EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((INVALID / "EXPECTED.yaml").read_text(encoding="utf-8"))
CORPUS = sorted(path for path in INVALID.iterdir() if path.name != "EXPECTED.yaml")


def problems_loading(path: Path) -> DefinitionError:
    """The error loading ``path`` raises."""
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    return caught.value


def toml_text(document: dict[str, Any]) -> str:
    """A TOML file of ``document``: one line per top-level key, inline tables and arrays below."""

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, str):  # JSON's string escapes are TOML's
            return json.dumps(item, ensure_ascii=False)
        if isinstance(item, list):
            return "[" + ", ".join(value(entry) for entry in item) + "]"
        return "{" + ", ".join(f"{json.dumps(key)} = {value(entry)}" for key, entry in item.items()) + "}"

    return "".join(f"{key} = {value(item)}\n" for key, item in document.items())


# The broken corpus: each file with its expected message, path and line


def test_every_corpus_file_has_an_expectation() -> None:
    """EXPECTED.yaml describes exactly the files of the corpus, and the corpus is large."""
    assert sorted(EXPECTED) == [path.name for path in CORPUS]
    assert len(CORPUS) >= 45


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_a_broken_definition_gives_its_expected_problem(path: Path) -> None:
    """Loading the file raises DefinitionError with the expected message at the expected path and line."""
    expected = EXPECTED.get(path.name)
    assert expected is not None, f"add {path.name} to {INVALID.name}/EXPECTED.yaml"
    problems = problems_loading(path).problems
    assert len(problems) == expected.get("problems", 1), problems
    assert all(problem.file == str(path) for problem in problems)
    matching = [problem for problem in problems if expected["message"] in problem.message]
    assert matching, f"no problem says {expected['message']!r}: {problems}"
    assert (matching[0].path, matching[0].line) == (expected["path"], expected["line"])


def test_problems_of_a_file_come_in_file_order() -> None:
    """Several problems of one file are sorted by line."""
    lines = [problem.line or 0 for problem in problems_loading(INVALID / "empty_states.yaml").problems]
    assert lines == sorted(lines)
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".toml"])
def test_files_over_the_size_limit_are_refused_unread(tmp_path: Path, suffix: str) -> None:
    """A file over 1 MiB is refused by its size, for every syntax."""
    path = tmp_path / f"huge{suffix}"
    path.write_bytes(b"#" * (MAX_DOCUMENT_BYTES + 1))
    (problem,) = problems_loading(path).problems
    assert problem.message == "The file has 1048577 bytes; definition files are limited to 1048576"
    assert problem.file == str(path)


def test_content_over_the_size_limit_is_refused() -> None:
    """parse_definition refuses content over 1 MiB as well."""
    with pytest.raises(DefinitionError, match="definition files are limited to 1048576"):
        parse_definition(" " * (MAX_DOCUMENT_BYTES + 1), syntax="json")


def test_unknown_extensions_are_refused(tmp_path: Path) -> None:
    """A file that is not .yaml, .yml, .json or .toml is refused, naming the accepted extensions."""
    path = tmp_path / "protocol.txt"
    path.write_text("protocol: x\n")
    (problem,) = problems_loading(path).problems
    assert problem.message == "Unknown file extension; definition files end in .yaml, .yml, .json, .toml"


def test_an_unreadable_file_is_a_definition_error(tmp_path: Path) -> None:
    """A missing file gives DefinitionError, not OSError."""
    assert problems_loading(tmp_path / "missing.yaml").problems[0].message.startswith("Cannot read the file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    """A FIFO (nobody writing to it) is refused before it is opened: reading it would wait forever."""
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    (problem,) = problems_loading(path).problems
    assert (problem.file, problem.message) == (
        str(path),
        f"Not a regular file: {str(path)!r} is a named pipe (FIFO); a definition file is a regular file",
    )


def test_a_folder_is_refused(tmp_path: Path) -> None:
    """A folder named like a definition file is refused as one."""
    (tmp_path / "folder.yaml").mkdir()
    (problem,) = problems_loading(tmp_path / "folder.yaml").problems
    assert problem.message.endswith("is a folder; a definition file is a regular file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_swapped_in_after_the_check_is_caught_on_the_open_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is repeated on what was opened (non-blocking), so a file replaced by a FIFO is still refused."""
    path = tmp_path / "swapped.yaml"
    path.write_text("protocol: x\n")
    real_open = os.open

    def swap_then_open(file: str, flags: int, *args: Any) -> int:
        if file == str(path):
            path.unlink()
            os.mkfifo(path)
        return real_open(file, flags, *args)

    monkeypatch.setattr(os, "open", swap_then_open)
    (problem,) = problems_loading(path).problems
    assert "is a named pipe (FIFO)" in problem.message


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 file starting with a byte order mark loads."""
    path = tmp_path / "bom.json"
    path.write_bytes(
        b"\xef\xbb\xbf" + json.dumps(definition_to_document(load_definition(BUNDLED[0]))).encode()
    )
    assert load_definition(path) == load_definition(BUNDLED[0])


@pytest.mark.parametrize(("syntax", "text"), [("json", '{"version": 1%s}'), ("toml", "version = 1%s")])
def test_integers_past_pythons_digit_limit_are_definition_errors(syntax: str, text: str) -> None:
    """An integer of 5000 digits is refused as invalid JSON or TOML, not with a ValueError."""
    with pytest.raises(DefinitionError, match=f"Invalid {syntax.upper()}: Exceeds the limit"):
        parse_definition(text % ("0" * 5000), syntax=syntax)


def test_read_document_gives_data_and_positions() -> None:
    """read_document parses without checking the shape, and locates the paths."""
    parsed = read_document(b"protocol: x\nstates:\n  draft: {final: maybe}\n", syntax="yaml")
    assert parsed.data == {"protocol": "x", "states": {"draft": {"final": "maybe"}}}
    assert parsed.positions["$.states.draft.final"] == (3, 18)


def test_the_format_page_examples_load() -> None:
    """The YAML, JSON and TOML examples of docs/definition-format.md are valid definitions (deadlines, choice titles)."""
    page = (ROOT / "docs" / "definition-format.md").read_text(encoding="utf-8")
    examples = re.findall(r"^```(yaml|json|toml)\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    assert [syntax for syntax, _ in examples] == ["yaml", "yaml", "yaml", "json", "toml"]
    for syntax, text in examples:
        assert parse_definition(text, syntax=syntax).transitions


# The same definition in YAML, JSON and TOML

YAML_FORM = """\
protocol: course_codesign
version: 2
title: {en: Course co-design, sk: Spoločný návrh kurzu}
roles:
  hei: {title: University}
  sme:
context:
  modules: {type: "list[str]", choices: [ai, data], min_items: 1}
  hours: {type: int}
  start: {type: date}
initial: proposed
states:
  proposed: {}
  agreed: {final: true}
transitions:
  - trigger: agree
    from: proposed
    to: agreed
    input: {modules: required, hours: optional, start: required}
    conditions:
      - {field: hours, op: le, value: 40}
      - {field: start, op: ge, value: 2025-09-01}
    signoff: {all_of: [hei, sme]}
"""

JSON_FORM = """\
{
  "protocol": "course_codesign",
  "version": 2,
  "title": {"en": "Course co-design", "sk": "Spoločný návrh kurzu"},
  "roles": {"hei": {"title": "University"}, "sme": null},
  "context": {
    "modules": {"type": "list[str]", "choices": ["ai", "data"], "min_items": 1},
    "hours": {"type": "int"},
    "start": {"type": "date"}
  },
  "initial": "proposed",
  "states": {"proposed": {}, "agreed": {"final": true}},
  "transitions": [
    {
      "trigger": "agree",
      "from": "proposed",
      "to": "agreed",
      "input": {"modules": "required", "hours": "optional", "start": "required"},
      "conditions": [
        {"field": "hours", "op": "le", "value": 40},
        {"field": "start", "op": "ge", "value": "2025-09-01"}
      ],
      "signoff": {"all_of": ["hei", "sme"]}
    }
  ]
}
"""

TOML_FORM = """\
protocol = "course_codesign"
version = 2
initial = "proposed"

[title]
en = "Course co-design"
sk = "Spoločný návrh kurzu"

[roles.hei]
title = "University"

[roles.sme]

[context.modules]
type = "list[str]"
choices = ["ai", "data"]
min_items = 1

[context.hours]
type = "int"

[context.start]
type = "date"

[states.proposed]

[states.agreed]
final = true

[[transitions]]
trigger = "agree"
from = "proposed"
to = "agreed"
input = {modules = "required", hours = "optional", start = "required"}
conditions = [
  {field = "hours", op = "le", value = 40},
  {field = "start", op = "ge", value = 2025-09-01},  # a TOML date: read as "2025-09-01"
]
signoff = {all_of = ["hei", "sme"]}
"""


def test_yaml_json_and_toml_forms_load_equal() -> None:
    """One protocol written in the three syntaxes gives equal definitions with equal digests."""
    forms = [
        parse_definition(YAML_FORM, syntax="yaml"),
        parse_definition(JSON_FORM, syntax="json"),
        parse_definition(TOML_FORM, syntax="toml"),
    ]
    assert forms[0] == forms[1] == forms[2]
    assert len({form.digest for form in forms}) == 1
    assert forms[2].transitions[0].conditions[1].value == "2025-09-01"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_a_bundled_definition_loads_equal_from_json_and_toml(path: Path, tmp_path: Path) -> None:
    """A bundled definition saved as JSON and as TOML loads back equal, with the same digest."""
    definition = load_definition(path)
    document = definition_to_document(definition)
    (tmp_path / "d.json").write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "d.toml").write_text(toml_text(document), encoding="utf-8")
    for copy in (tmp_path / "d.json", tmp_path / "d.toml"):
        loaded = load_definition(copy)
        assert loaded == definition
        assert loaded.digest == definition.digest
        assert loaded.origin == str(copy)


def test_toml_problems_are_located_at_their_table_or_key() -> None:
    """In TOML, a problem is located at its key, or at the table holding it."""
    text = TOML_FORM.replace('to = "agreed"', 'to = "agred"').replace(
        "[states.agreed]\n", "[states.agreed]\nfnal = 1\n"
    )
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, syntax="toml", origin="c.toml")
    assert [(p.path, p.line, p.column) for p in caught.value.problems] == [("$.states.agreed.fnal", 28, 8)]
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text.replace("fnal = 1\n", ""), syntax="toml", origin="c.toml")
    assert [(p.path, p.line, p.column) for p in caught.value.problems] == [("$.transitions[0].to", 33, 6)]


# Values whose text holds what looks like a string delimiter or a key line, each as a TOML file writes it.
TRICKY_TOML_VALUES = {
    "single quotes in a multi-line basic string": '"""a \'\'\' b\nc = 1\n"""',
    "double quotes in a multi-line literal string": "'''a \"\"\" b\nc = 1\n'''",
    "escaped quotes in a basic string": '"x \\"\\"\\" y"',
    "an escaped quote before a multi-line string's end": '"""x\\""" y\nc = 1\n"""',
    "a delimiter in a literal string": '\'x """ y\'',
    "quotes right before the delimiter": '"""a ""\nc = 1\n"""""',
    "a delimiter in a comment": '"a" # """ opens nothing',
    "a line separator in a string": '"a\u2028b"',
    "an empty multi-line string": "'''\n'''",
}


@pytest.mark.parametrize("value", TRICKY_TOML_VALUES.values(), ids=list(TRICKY_TOML_VALUES))
def test_toml_problems_after_any_string_are_located(value: str) -> None:
    """A problem after a string holding delimiters, comments or line separators is still located at its key."""
    text = TOML_FORM.replace("[roles.hei]", f"[description]\nen = {value}\n\n[roles.hei]").replace(
        'to = "agreed"', 'to = "agred"'
    )
    assert "en" in tomllib.loads(text)["description"]  # the value is valid TOML
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, syntax="toml", origin="c.toml")
    line = text.split("\n").index('to = "agred"') + 1
    assert [(p.path, p.line, p.column) for p in caught.value.problems] == [("$.transitions[0].to", line, 6)]


@pytest.mark.parametrize("value", TRICKY_TOML_VALUES.values(), ids=list(TRICKY_TOML_VALUES))
@pytest.mark.parametrize(
    ("bad", "column"), [("oops = ?", 8), ("[states.]", 9), ("x = 1 2", 7), ('y = "open', 10)]
)
def test_toml_syntax_errors_after_any_string_are_located(value: str, bad: str, column: int) -> None:
    """tomllib's line and column become the problem's, wherever the error is."""
    text = TOML_FORM.replace("[roles.hei]", f"[description]\nen = {value}\n{bad}\n[roles.hei]")
    with pytest.raises(DefinitionError) as caught:
        parse_definition(text, syntax="toml", origin="c.toml")
    (problem,) = caught.value.problems
    line = text.split("\n").index(bad) + 1
    assert (problem.line, problem.column) == (line, column), problem.message
    assert problem.message.startswith("Invalid TOML: ") and "(at line" not in problem.message


# Folders


def test_load_definitions_maps_protocol_names_to_definitions() -> None:
    """Every bundled definition loads, by protocol name, each with its file as origin."""
    library = load_definitions(DEFINITIONS)
    assert sorted(library) == sorted(load_definition(path).protocol for path in BUNDLED)
    for definition in library.values():
        assert isinstance(definition, Definition)
        assert definition.origin is not None
        assert Path(definition.origin).parent == DEFINITIONS


def test_a_folder_keeps_the_newest_version_and_all_versions(tmp_path: Path) -> None:
    """load_definitions gives the highest version; load_all_versions gives each one; other files are ignored."""
    (tmp_path / "a_v2.yaml").write_text(YAML_FORM, encoding="utf-8")
    (tmp_path / "b_v1.toml").write_text(TOML_FORM.replace("version = 2", "version = 1"), encoding="utf-8")
    (tmp_path / "c_v3.json").write_text(JSON_FORM.replace('"version": 2', '"version": 3'), encoding="utf-8")
    (tmp_path / "README.md").write_text("not a definition")
    assert load_definitions(tmp_path)["course_codesign"].version == 3
    versions = load_all_versions(tmp_path)
    assert sorted(versions) == [("course_codesign", 1), ("course_codesign", 2), ("course_codesign", 3)]
    assert versions["course_codesign", 1].origin == str(tmp_path / "b_v1.toml")


def test_two_files_with_the_same_version_are_refused(tmp_path: Path) -> None:
    """Two files defining one protocol version are refused, naming both files."""
    (tmp_path / "one.yaml").write_text(YAML_FORM, encoding="utf-8")
    (tmp_path / "two.json").write_text(JSON_FORM, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    (problem,) = caught.value.problems
    assert problem.message == (
        f"Protocol 'course_codesign' version 2 is defined twice: in {tmp_path / 'one.yaml'} and in {tmp_path / 'two.json'}"
    )
    assert problem.file == str(tmp_path / "two.json")


def test_the_problems_of_every_file_of_a_folder_are_raised_together(tmp_path: Path) -> None:
    """A folder with two broken files and a good one raises one error holding both files' problems."""
    for name in ("unknown_state_to.yaml", "version_string.yaml"):
        shutil.copy(INVALID / name, tmp_path / name)
    shutil.copy(BUNDLED[0], tmp_path / BUNDLED[0].name)
    with pytest.raises(DefinitionError) as caught:
        load_definitions(tmp_path)
    assert [Path(problem.file or "").name for problem in caught.value.problems] == [
        "unknown_state_to.yaml",
        "version_string.yaml",
    ]


def test_a_missing_folder_is_a_definition_error(tmp_path: Path) -> None:
    """A folder that does not exist, or a file given as a folder, is reported clearly."""
    with pytest.raises(DefinitionError, match="does not exist"):
        load_definitions(tmp_path / "nowhere")
    with pytest.raises(DefinitionError, match="is not a folder"):
        load_definitions(BUNDLED[0])


# Robustness: mutated files load or raise DefinitionError, nothing else

GARBAGE = ["3", "true", "[]", "{}", "null", "yes", "1.5", "'x'", "-", "[a, {b: }]", "*alias", "!tag x", ": :"]


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[bytes, str]:
    """A bundled definition, as YAML, JSON or TOML, with one random mutation: (content, syntax)."""
    path = draw(st.sampled_from(BUNDLED))
    syntax = draw(st.sampled_from(["yaml", "json", "toml"]))
    text = path.read_text(encoding="utf-8")
    if syntax != "yaml":
        document = definition_to_document(load_definition(path))
        text = json.dumps(document, indent=2, ensure_ascii=False) if syntax == "json" else toml_text(document)
    lines = text.splitlines(keepends=True)
    mutation = draw(st.sampled_from(["delete line", "rename", "retype", "truncate", "garbage"]))
    if mutation == "delete line":
        del lines[draw(st.integers(0, len(lines) - 1))]
    elif mutation == "rename":
        state = draw(st.sampled_from(load_definition(path).states)).name
        new = draw(st.sampled_from(["", "Draft", "x y", state + "_2", "1"]))
        text = text.replace(state, new, draw(st.integers(1, 5)))
        lines = text.splitlines(keepends=True)
    elif mutation == "retype":
        index = draw(st.integers(0, len(lines) - 1))
        head, separator, _ = lines[index].partition(":" if syntax != "toml" else "=")
        lines[index] = head + separator + " " + draw(st.sampled_from(GARBAGE)) + "\n"
    content = "".join(lines).encode("utf-8")
    if mutation == "truncate":
        content = content[: draw(st.integers(0, len(content)))]
    elif mutation == "garbage":
        at = draw(st.integers(0, len(content)))
        content = content[:at] + draw(st.binary(min_size=1, max_size=8)) + content[at:]
    return content, syntax


@given(mutated_files())
def test_mutated_definitions_load_or_raise_definition_error(mutated: tuple[bytes, str]) -> None:
    """Deleting a line, renaming a state, retyping a value, truncating or inserting bytes never escapes DefinitionError."""
    content, syntax = mutated
    try:
        parse_definition(content, syntax=syntax, origin=f"mutated.{syntax}")
    except DefinitionError as error:
        assert error.problems
        assert all(problem.file == f"mutated.{syntax}" for problem in error.problems)
