"""The public surface: `__all__` is sorted and lists exactly the public names, the design's contract included."""

from __future__ import annotations

import inspect

import just_workflow as jw

#: The names other people's code relies on (DESIGN.md, "Public API contract").
CONTRACT = {
    "load_definition", "load_definitions", "check", "Engine", "SQLiteStore", "Actor", "Instance", "Event",
    "Option", "WorkflowError", "DefinitionError", "TransitionNotAllowed", "GuardFailed", "NotAuthorized",
    "InvalidPayload", "ConcurrencyConflict", "InstanceNotFound", "AuditError", "replay", "read_log",
    "ReplayReport", "diagram", "model_check", "testing",
}  # fmt: skip


def test_all_is_sorted_and_unique() -> None:
    """`__all__` is sorted, without repeats."""
    assert jw.__all__ == sorted(set(jw.__all__))


def test_all_lists_exactly_the_public_names() -> None:
    """Every public attribute of the package is in `__all__` and nothing else is (submodules aside, but testing)."""
    public = {
        name
        for name, value in vars(jw).items()
        if not name.startswith("_") and (not inspect.ismodule(value) or name == "testing")
    }
    assert set(jw.__all__) == public


def test_the_contract_names_are_public() -> None:
    """The names of the design's API contract are all exported."""
    assert set(jw.__all__) >= CONTRACT
