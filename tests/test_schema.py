"""Tests of the JSON Schema of definition documents: up to date, and in agreement with the loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from fixtures import BUNDLED, INVALID, ROOT
from just_workflow.cli import main
from just_workflow.errors import DefinitionError
from just_workflow.formats import SYNTAXES
from just_workflow.formats.json_schema import definition_schema, schema_json
from just_workflow.formats.loading import load_definition, read_document

EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((INVALID / "EXPECTED.yaml").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(definition_schema())


def parsed_data(path: Path) -> Any:
    """The plain data of a definition file, as the loader reads it; DefinitionError when it does not parse."""
    return read_document(path.read_bytes(), syntax=SYNTAXES[path.suffix]).data


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    """The schema itself follows the JSON Schema 2020-12 meta-schema."""
    jsonschema.Draft202012Validator.check_schema(definition_schema())


def test_the_schema_file_is_up_to_date() -> None:
    """docs/definition.schema.json is exactly the schema: run `just-workflow schema > docs/definition.schema.json`."""
    assert (ROOT / "docs" / "definition.schema.json").read_text(encoding="utf-8") == schema_json()


def test_the_schema_command_prints_the_schema() -> None:
    """`just-workflow schema` prints the schema file's text."""
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert result.output == schema_json()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_definition_validates(path: Path) -> None:
    """Each bundled definition's data satisfies the schema."""
    errors = [error.message for error in VALIDATOR.iter_errors(parsed_data(path))]
    assert errors == []


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=str)
def test_the_schema_agrees_with_the_loader_on_the_broken_corpus(name: str) -> None:
    """On each broken file, the schema says what EXPECTED.yaml records, and the loader rejects the file.

    The loader rejects every file of the corpus. A schema sees only parsed
    data, so the agreement is stated per file in EXPECTED.yaml:

    - ``unparsed``: the file does not parse into data (syntax, encoding, the
      safe reader's rules: tags, duplicate keys, aliases, depth). There is
      nothing for a schema to validate; the test checks that it indeed does
      not parse.
    - ``rejects``: a problem of shape (types, keys, names, empty lists, the
      rules between keys of one mapping such as `by` or `signoff`). The
      schema must reject the data, as the loader does.
    - ``accepts``: a problem beyond a schema: references between keys (an
      undeclared state, role or field; a condition value that does not fit
      its field's type or choices), or a TOML ``1.0`` that JSON Schema counts
      as an integer. The schema accepts the data; only the loader sees the
      problem. Recording these keeps the schema's limits explicit: a schema
      change that starts rejecting one of them fails here and is noticed.
    """
    path = INVALID / name
    with pytest.raises(DefinitionError):
        load_definition(path)
    verdict = EXPECTED[name]["schema"]
    try:
        data = parsed_data(path)
    except (DefinitionError, ValueError):
        assert verdict == "unparsed"
        return
    assert verdict != "unparsed", f"{name} parses, so the schema has a verdict"
    errors = list(VALIDATOR.iter_errors(data))
    assert ("rejects" if errors else "accepts") == verdict, [error.message for error in errors]


def test_the_corpus_covers_each_verdict() -> None:
    """The broken corpus has files of each kind, most of them within the schema's reach."""
    verdicts = [entry["schema"] for entry in EXPECTED.values()]
    assert verdicts.count("rejects") > verdicts.count("accepts") > 0
    assert verdicts.count("unparsed") > 0
