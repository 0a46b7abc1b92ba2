"""Findings and the phrasing their messages share: lists, did-you-mean, values as the file spells them."""

from __future__ import annotations

import pytest

from just_workflow.checks.findings import (
    Finding,
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
    assert error("c", "$.x", "m") == Finding(Severity.ERROR, "c", "m", "$.x")
    assert str(warning("unused-role", "$.roles.x", "Role 'x' is never used")) == (
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
