"""Findings and the phrasing their messages share: lists, did-you-mean, values as the file spells them."""

from __future__ import annotations

import json

import pytest

from fixtures import ROOT
from just_workflow.checks.findings import (
    Finding,
    FindingCode,
    Severity,
    error,
    listing,
    plural,
    show,
    suggestion,
    unknown,
    warning,
)


def test_error_and_warning_build_findings() -> None:
    """The two constructors set the severity; the path comes before the message in the text form."""
    assert error(FindingCode.NO_ACTOR, "$.x", "m") == Finding(
        Severity.ERROR, FindingCode.NO_ACTOR, "m", path="$.x"
    )
    assert str(warning(FindingCode.UNUSED_ROLE, "$.roles.x", "Role 'x' is never used")) == (
        "WARNING unused-role $.roles.x: Role 'x' is never used"
    )


def test_listing_says_none_when_empty() -> None:
    """An empty list of valid names reads 'none'."""
    assert (listing(["a", "b"]), listing([])) == ("a, b", "none")


def test_plural() -> None:
    """A noun takes an s for several names."""
    assert (plural("state", ["a"]), plural("state", ["a", "b"])) == ("state", "states")


def test_suggestion_only_for_close_names() -> None:
    """The closest known name is offered when it is close enough."""
    assert suggestion("moa_signd", ["draft", "moa_signed"]) == " (did you mean 'moa_signed'?)"
    assert suggestion("zzz", ["draft", "moa_signed"]) == ""


def test_unknown_names_the_kind_the_key_and_the_valid_names() -> None:
    """The message of an undeclared name: what, where, the valid ones, the closest."""
    assert unknown("state", "signed", "to", ["draft", "contacted", "moa_signed"]) == (
        "Unknown state 'signed' in `to`; states are: draft, contacted, moa_signed (did you mean 'moa_signed'?)"
    )
    assert unknown("guard", "ok", "guards", [], known_as="registered guards") == (
        "Unknown guard 'ok' in `guards`; registered guards are: none"
    )


@pytest.mark.parametrize(
    ("value", "shown"), [("a", "'a'"), (3, "3"), (True, "true"), (False, "false"), (("a", 1), "['a', 1]")]
)
def test_show_spells_values_as_the_file_does(value: object, shown: str) -> None:
    """Booleans in YAML spelling, lists in brackets, strings quoted."""
    assert show(value) == shown


def documented_codes() -> list[str]:
    """The first cell of every row of the tables of ``docs/validation.md`` whose first column is ``code``."""
    codes: list[str] = []
    in_code_table = False
    for line in (ROOT / "docs" / "validation.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            in_code_table = False
            continue
        first = line.split("|")[1].strip()
        if first == "code":
            in_code_table = True
        elif in_code_table and first.strip("-"):
            codes.append(first.strip("`"))
    return codes


def test_the_validation_page_documents_exactly_the_finding_codes() -> None:
    """Every code of FindingCode is in a table of docs/validation.md, and the tables hold no other code."""
    assert set(documented_codes()) == {str(code) for code in FindingCode}


def test_a_finding_code_is_its_text_in_json() -> None:
    """Codes are strings: JSON output and comparisons with plain text see the code itself."""
    assert FindingCode.TRAP_STATE == "trap-state"
    assert json.dumps({"code": FindingCode.TRAP_STATE}) == '{"code": "trap-state"}'
