"""The error tree: one root, the refusals under one base, and the drawing in the docs true to the classes."""

from __future__ import annotations

import re

import just_workflow as jw
from fixtures import ANNA, ROOT, moa_definition
from just_workflow import errors

_BRANCH = re.compile(r"^(?P<lead>[│ ]*)[├└]── (?P<name>\w+)")


def _drawn_tree(text: str) -> dict[str, str]:
    """Each class of a drawn tree with its parent, read from the indentation of its branch."""
    parents: dict[str, str] = {}
    stack = ["WorkflowError"]
    for line in text.splitlines():
        match = _BRANCH.match(line.strip("\n").removeprefix("    "))
        if match is None:
            continue
        depth = len(match["lead"]) // 4 + 1
        del stack[depth:]
        parents[match["name"]] = stack[-1]
        stack.append(match["name"])
    return parents


def test_the_drawn_tree_is_the_class_tree() -> None:
    """Every class drawn in the errors module's docstring has the drawn parent, and every error is drawn."""
    drawn = _drawn_tree(errors.__doc__ or "")
    for name, parent in drawn.items():
        assert getattr(errors, name).__bases__ == (getattr(errors, parent),), name
    defined = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type)
        and issubclass(value, errors.WorkflowError)
        and value is not errors.WorkflowError
    }
    assert set(drawn) == defined


def test_the_engine_page_draws_the_same_tree() -> None:
    """docs/engine.md shows the tree of the errors module, not an older one."""
    page = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    section = page[page.index("## Errors") :]
    assert _drawn_tree(section) == _drawn_tree(errors.__doc__ or "")


def test_every_refusal_has_a_trigger_and_reasons() -> None:
    """The four refusals share `Refusal`: the trigger asked and one sentence per reason."""
    refusals = [
        jw.TransitionNotAllowed("No.", trigger="t", state="s", available=("u",)),
        jw.NotAuthorized("No.", trigger="t", role="r", allowed_roles=("q",)),
        jw.GuardFailed("No.", trigger="t", reasons=["a", "b"]),
        jw.InvalidPayload("No.", trigger="t", reasons=["c"]),
    ]
    assert all(isinstance(refusal, jw.Refusal) for refusal in refusals)
    assert [(r.trigger, r.reasons) for r in refusals] == [
        ("t", ("No.",)),
        ("t", ("No.",)),
        ("t", ("a", "b")),
        ("t", ("c",)),
    ]


def test_an_unknown_protocol_names_the_known_ones() -> None:
    """Starting a protocol the engine does not run raises UnknownProtocol, listing what it runs."""
    engine = jw.Engine([moa_definition()])
    try:
        engine.start("nope", ANNA)
    except jw.UnknownProtocol as error:
        assert (error.protocol, error.version, error.known) == ("nope", None, ("moa",))
    else:
        raise AssertionError("no UnknownProtocol")


def test_a_second_instance_with_the_same_id_is_refused() -> None:
    """Starting with an id already stored raises InstanceExists and keeps the first instance."""
    engine = jw.Engine([moa_definition()])
    first = engine.start("moa", ANNA, instance_id="i1")
    try:
        engine.start("moa", ANNA, instance_id="i1")
    except jw.InstanceExists as error:
        assert error.instance_ids == ("i1",)
        assert str(error) == "An instance with id 'i1' already exists."
    else:
        raise AssertionError("no InstanceExists")
    assert engine.get("i1") == first
