"""just_workflow: collaboration protocols as explicit, audited finite-state machines.

Importing the package loads the core only: definitions, the engine and its
in-memory store, events and errors, what every fire needs. The rest is
imported on first use (PEP 562), so that an application, and the command
line, start fast: the file formats (``load_definition`` and its siblings, on
YAML and cattrs), the checks (``check``, ``model_check``), the audit
(``read_log``, ``replay`` and their records), ``SQLiteStore`` (sqlite-utils),
``diagram`` (transitions) and ``testing`` (Hypothesis).
"""

import importlib as _importlib
import typing as _typing

from just_workflow.definition import Definition
from just_workflow.engine import Engine
from just_workflow.errors import (
    AuditError,
    ConcurrencyConflict,
    DefinitionError,
    GuardFailed,
    HookError,
    InstanceExists,
    InstanceNotFound,
    InvalidPayload,
    NotAuthorized,
    Refusal,
    StoreBusy,
    StoreError,
    TransitionNotAllowed,
    UnknownProtocol,
    WorkflowError,
)
from just_workflow.events import Actor, Event
from just_workflow.instance import Instance, Option
from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore

if _typing.TYPE_CHECKING:
    from just_workflow import testing
    from just_workflow.audit.logfile import export_log, read_log
    from just_workflow.audit.replay import replay
    from just_workflow.audit.report import Head, Log, ProblemKind, ReplayProblem, ReplayReport
    from just_workflow.audit.verify import import_log
    from just_workflow.checks.findings import Finding, Severity
    from just_workflow.checks.modelcheck import ModelCheckReport, ModelFinding, model_check
    from just_workflow.checks.validation import check
    from just_workflow.diagrams.drawing import diagram
    from just_workflow.formats.loading import load_all_versions, load_definition, load_definitions
    from just_workflow.store.sqlite import SQLiteStore

# The public names imported on first use, and where they live (None: the module itself).
_LAZY = {
    "Finding": ("just_workflow.checks.findings", "Finding"),
    "Head": ("just_workflow.audit.report", "Head"),
    "Log": ("just_workflow.audit.report", "Log"),
    "ModelCheckReport": ("just_workflow.checks.modelcheck", "ModelCheckReport"),
    "ModelFinding": ("just_workflow.checks.modelcheck", "ModelFinding"),
    "ProblemKind": ("just_workflow.audit.report", "ProblemKind"),
    "ReplayProblem": ("just_workflow.audit.report", "ReplayProblem"),
    "ReplayReport": ("just_workflow.audit.report", "ReplayReport"),
    "SQLiteStore": ("just_workflow.store.sqlite", "SQLiteStore"),
    "Severity": ("just_workflow.checks.findings", "Severity"),
    "check": ("just_workflow.checks.validation", "check"),
    "diagram": ("just_workflow.diagrams.drawing", "diagram"),
    "export_log": ("just_workflow.audit.logfile", "export_log"),
    "import_log": ("just_workflow.audit.verify", "import_log"),
    "load_all_versions": ("just_workflow.formats.loading", "load_all_versions"),
    "load_definition": ("just_workflow.formats.loading", "load_definition"),
    "load_definitions": ("just_workflow.formats.loading", "load_definitions"),
    "model_check": ("just_workflow.checks.modelcheck", "model_check"),
    "read_log": ("just_workflow.audit.logfile", "read_log"),
    "replay": ("just_workflow.audit.replay", "replay"),
    "testing": ("just_workflow.testing", None),
}


def __getattr__(name: str) -> _typing.Any:
    """Import a lazily loaded public name on first use, and keep it."""
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'just_workflow' has no attribute {name!r}") from None
    module = _importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lazily loaded public names included before their first use."""
    return sorted({*globals(), *__all__})


__all__ = [
    "Actor",
    "AuditError",
    "ConcurrencyConflict",
    "Definition",
    "DefinitionError",
    "Engine",
    "Event",
    "Finding",
    "GuardFailed",
    "Head",
    "HookError",
    "Instance",
    "InstanceExists",
    "InstanceNotFound",
    "InvalidPayload",
    "Log",
    "MemoryStore",
    "ModelCheckReport",
    "ModelFinding",
    "NotAuthorized",
    "Option",
    "ProblemKind",
    "Refusal",
    "ReplayProblem",
    "ReplayReport",
    "SQLiteStore",
    "Severity",
    "Store",
    "StoreBusy",
    "StoreError",
    "TransitionNotAllowed",
    "UnknownProtocol",
    "WorkflowError",
    "check",
    "diagram",
    "export_log",
    "import_log",
    "load_all_versions",
    "load_definition",
    "load_definitions",
    "model_check",
    "read_log",
    "replay",
    "testing",
]
