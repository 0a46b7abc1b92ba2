"""The public surface: `__all__` is sorted and lists exactly the public names, the design's contract included."""

from __future__ import annotations

import inspect
import subprocess
import sys

import just_workflow as jw
from fixtures import BUNDLED

#: The names other people's code relies on: the public API contract the docs' examples use.
CONTRACT = {
    "load_definition", "load_definitions", "check", "Engine", "SQLiteStore", "Actor", "Instance", "Event",
    "Option", "WorkflowError", "DefinitionError", "TransitionNotAllowed", "GuardFailed", "NotAuthorized",
    "InvalidPayload", "ConcurrencyConflict", "InstanceNotFound", "AuditError", "replay", "read_log",
    "ReplayReport", "diagram", "model_check", "testing", "Page", "open_store", "PostgresStore",
}  # fmt: skip

#: The portal kit's names: JSON views, forms, and errors as HTTP answers.
PORTAL_KIT = {"views", "forms", "http_status", "error_body", "HTTP_ERRORS", "HttpError"}

#: The public names that are modules.
PUBLIC_MODULES = {"testing", "views", "forms"}


def test_all_is_sorted_and_unique() -> None:
    """`__all__` is sorted, without repeats."""
    assert jw.__all__ == sorted(set(jw.__all__))


def test_all_lists_exactly_the_public_names() -> None:
    """Every public attribute of the package is in `__all__` and nothing else is (submodules aside, but the public ones)."""
    for name in jw.__all__:
        getattr(jw, name)  # the lazy names too, so that each is resolved and counted below
    public = {
        name
        for name, value in vars(jw).items()
        if not name.startswith("_") and (not inspect.ismodule(value) or name in PUBLIC_MODULES)
    }
    assert set(jw.__all__) == public


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name the package does not have raises AttributeError, naming it."""
    try:
        jw.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:
        raise AssertionError("jw.NoSuchThing did not raise")


def test_importing_the_package_imports_none_of_its_modules() -> None:
    """`import just_workflow` is nearly free: every public name is imported on first use."""
    probe = (
        "import sys, just_workflow\nprint(sorted(m for m in sys.modules if m.startswith('just_workflow')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["['just_workflow']"]


def test_the_public_names_load_no_heavy_dependency_but_their_own() -> None:
    """Every public name loads neither Hypothesis, transitions, sqlite-utils, psycopg, click nor pytest, but these four.

    `SQLiteStore` loads sqlite-utils, `PostgresStore` psycopg and `testing` Hypothesis on their first use;
    `diagram` loads transitions when it first draws.
    """
    probe = (
        "import sys, just_workflow as jw\n"
        "heavy = ('hypothesis', 'transitions', 'sqlite_utils', 'psycopg', 'click', 'pytest')\n"
        "for name in jw.__all__:\n"
        "    if name not in ('SQLiteStore', 'PostgresStore', 'testing'):\n"
        "        getattr(jw, name)\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "jw.SQLiteStore, jw.PostgresStore, jw.testing\n"
        f"jw.diagram(jw.load_definition({str(BUNDLED[0])!r}))\n"
        "print(sorted(m for m in heavy[:4] if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['hypothesis', 'psycopg', 'sqlite_utils', 'transitions']"]


def _loaded_after(code: str, watched: tuple[str, ...]) -> list[str]:
    """The modules of ``watched`` that a fresh interpreter has loaded after running ``code``."""
    probe = f"import sys\n{code}\nprint(sorted(m for m in {watched!r} if m in sys.modules))\n"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return out.splitlines()


#: What the package and the command line's help leave unloaded until used: the formats, checks and audit.
LAZY_PARTS = (
    "yaml",
    "cattrs",
    "just_workflow.formats.loading",
    "just_workflow.checks.modelcheck",
    "just_workflow.audit.replay",
    "just_workflow.store.sqlite",
    "just_workflow.store.postgres",
    "psycopg",
    "transitions",
)


def test_importing_the_package_loads_only_the_core() -> None:
    """`import just_workflow` leaves the formats, checks and audit for first use; using a name loads its part."""
    listed = "import just_workflow as jw\nassert set(jw.__all__) <= set(dir(jw))"
    assert _loaded_after(listed, LAZY_PARTS) == ["[]"]
    loaded = _loaded_after("import just_workflow as jw\njw.load_definition", LAZY_PARTS)
    assert loaded == ["['cattrs', 'just_workflow.formats.loading', 'yaml']"]


def test_the_command_line_help_loads_only_click_and_the_core() -> None:
    """`just-workflow --help` and a command's help import no command's work: they answer at once."""
    for args in (["--help"], ["diagram", "--help"], ["check", "--help"]):
        code = f"from just_workflow.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass"
        assert _loaded_after(code, LAZY_PARTS)[-1] == "[]", args


def test_the_contract_names_are_public() -> None:
    """The names of the design's API contract are all exported."""
    assert set(jw.__all__) >= CONTRACT


def test_the_portal_kit_names_are_public() -> None:
    """The portal kit's views, forms and HTTP mapping are exported, and load no heavy dependency."""
    assert set(jw.__all__) >= PORTAL_KIT
    heavy = ("hypothesis", "transitions", "sqlite_utils", "click", "pytest", "yaml", "cattrs")
    code = "import just_workflow as jw\n" + "\n".join(f"jw.{name}" for name in sorted(PORTAL_KIT))
    assert _loaded_after(code, heavy) == ["[]"]
