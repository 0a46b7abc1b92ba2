"""The pytest plugin: every protocol definition file in the configured folders becomes four test items.

Configure the folders (or files) with ``--workflow-definitions PATH`` on the
command line (repeatable) or with the ini option ``workflow_definitions``
(paths relative to the ini file)::

    [tool.pytest.ini_options]
    workflow_definitions = ["definitions"]

Each file ``F`` gives ``F::load`` (it loads), ``F::check`` (the static checks
find no error), ``F::model_check`` (:func:`~just_workflow.checks.modelcheck.model_check`
finds nothing and completes) and ``F::property`` (the property test of
:mod:`just_workflow.testing.stateful` passes). A failure shows the findings or
the numbered counterexample trace, not a traceback.

Named Python guards come from ``--workflow-guards MODULE:NAME`` or the ini
option ``workflow_guards``: a mapping of guard names to functions. The ini
folders join a run that names no paths (plain ``pytest``); a run that names
paths collects the definition files among them, and the folders given with
``--workflow-definitions`` unless a path named lies inside them.

Every pytest run loads this plugin, wherever the library is installed: the
loader, the checks and the test kit (Hypothesis) are imported only by the
items of a definition file, so that a run without one pays for none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from just_workflow.checks import DEFAULT_MAX_STATES
from just_workflow.formats import SYNTAXES

if TYPE_CHECKING:
    from just_workflow.definition import Definition
    from just_workflow.errors import DefinitionError
    from just_workflow.guards import NamedGuard

#: The test items of each definition file, in the order they run.
ITEMS = ("load", "check", "model_check", "property")

_FOLDERS = pytest.StashKey[list[Path]]()
_SUMMARIES = pytest.StashKey[list[str]]()


class DefinitionCheckFailed(AssertionError):
    """A definition file failed one of its items; the message says why, with findings or a trace."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--workflow-definitions``, ``--workflow-guards``, ``--workflow-max-states`` and their ini options."""
    group = parser.getgroup("just_workflow", "protocol definitions (just_workflow)")
    group.addoption(
        "--workflow-definitions",
        action="append",
        default=[],
        metavar="PATH",
        help="Test every protocol definition file in PATH (a folder or a file); may be repeated.",
    )
    group.addoption(
        "--workflow-guards",
        metavar="MODULE:NAME",
        help="The named Python guards of the definitions: a mapping of guard names to functions.",
    )
    group.addoption(
        "--workflow-max-states",
        type=int,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"The most abstract states the model check explores (default {DEFAULT_MAX_STATES}).",
    )
    parser.addini("workflow_definitions", "Folders or files of protocol definitions to test.", type="paths")
    parser.addini("workflow_guards", "MODULE:NAME of the mapping of named Python guards.", default="")


def pytest_configure(config: pytest.Config) -> None:
    """Remember the definition folders; add them to the run's paths when it should test them."""
    given = [Path(p).resolve() for p in config.getoption("workflow_definitions")]
    configured = [Path(p).resolve() for p in config.getini("workflow_definitions")]
    config.stash[_FOLDERS] = given + configured
    joining = given if config.args_source is pytest.Config.ArgsSource.ARGS else given + configured
    collected = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    for folder in joining:
        # A path named inside the folder (or holding it) already says what to run of it.
        if not any(folder.is_relative_to(path) or path.is_relative_to(folder) for path in collected):
            config.args.append(str(folder))
            collected.append(folder)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> DefinitionFile | None:
    """A definition file inside one of the configured folders."""
    folders = parent.config.stash.get(_FOLDERS, [])
    if not folders or file_path.suffix.lower() not in SYNTAXES:
        return None
    path = file_path.resolve()
    if any(path == folder or path.is_relative_to(folder) for folder in folders):
        return DefinitionFile.from_parent(parent, path=file_path)
    return None


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """The size and time of each model check that ran."""
    summaries = config.stash.get(_SUMMARIES, [])
    if summaries:
        terminalreporter.section("model checks of protocol definitions")
        for line in summaries:
            terminalreporter.write_line(line)


class DefinitionFile(pytest.File):
    """A protocol definition file: its items load it once and share it."""

    _loaded: Definition | DefinitionError | None = None

    def collect(self) -> Iterator[DefinitionItem]:
        for name in ITEMS:
            yield DefinitionItem.from_parent(self, name=name)

    def definition(self) -> Definition:
        """The definition of the file; raises the :class:`DefinitionError` of a file that does not load."""
        from just_workflow.errors import DefinitionError
        from just_workflow.formats.loading import load_definition

        if self._loaded is None:
            try:
                self._loaded = load_definition(self.path)
            except DefinitionError as error:
                self._loaded = error
        if isinstance(self._loaded, DefinitionError):
            raise self._loaded
        return self._loaded


class DefinitionItem(pytest.Item):
    """One check of a definition file: ``load``, ``check``, ``model_check`` or ``property``."""

    parent: DefinitionFile

    def runtest(self) -> None:
        from just_workflow.errors import DefinitionError

        try:
            definition = self.parent.definition()
        except DefinitionError as error:
            if self.name == "load":
                raise DefinitionCheckFailed(str(error)) from None
            pytest.skip("the definition does not load (see its `load` item)")
        getattr(self, f"_{self.name}")(definition)

    def _load(self, definition: Definition) -> None:
        """Loading succeeded: nothing more to check."""

    def _check(self, definition: Definition) -> None:
        from just_workflow.checks.findings import Severity
        from just_workflow.checks.validation import check

        errors = [f for f in check(definition, _guards(self.config)) if f.severity is Severity.ERROR]
        if errors:
            raise DefinitionCheckFailed("\n".join(str(finding) for finding in errors))

    def _model_check(self, definition: Definition) -> None:
        from just_workflow.checks.modelcheck import model_check

        report = model_check(definition, max_states=self.config.getoption("workflow_max_states"))
        self.config.stash.setdefault(_SUMMARIES, []).append(report.summary())
        self.user_properties += [("abstract_states", report.states), ("seconds", round(report.seconds, 3))]
        if not report.ok:
            raise DefinitionCheckFailed("\n".join([report.summary(), *(str(f) for f in report.findings)]))

    def _property(self, definition: Definition) -> None:
        from just_workflow.errors import DefinitionError
        from just_workflow.testing.stateful import run_protocol_test

        try:
            run_protocol_test(definition, guards=_guards(self.config))
        except DefinitionError as error:  # a named guard missing from the registry
            raise DefinitionCheckFailed(
                f"{error}\nGive the guards with --workflow-guards MODULE:NAME"
            ) from None

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        """The findings or the counterexample trace, without a traceback."""
        from just_workflow.testing.harness import ProtocolViolation

        if isinstance(excinfo.value, DefinitionCheckFailed | ProtocolViolation):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.stem}::{self.name}"


def _guards(config: pytest.Config) -> Mapping[str, NamedGuard] | None:
    """The mapping named by ``--workflow-guards`` or ``workflow_guards`` (None when neither is given)."""
    spec = config.getoption("workflow_guards") or config.getini("workflow_guards")
    if not spec:
        return None
    module, _, name = str(spec).partition(":")
    if not name:
        raise pytest.UsageError(f"--workflow-guards expects MODULE:NAME, got {spec!r}")
    guards = getattr(importlib.import_module(module), name)
    if not isinstance(guards, Mapping):
        raise pytest.UsageError(
            f"{spec} is a {type(guards).__name__}, not a mapping of guard names to functions"
        )
    return guards
