"""just_workflow: collaboration protocols as explicit, audited finite-state machines.

Importing the package imports none of its modules: each public name is
imported on first use (PEP 562), so that what a program does not use costs
it nothing. The pytest plugin, which every pytest run loads wherever the
library is installed, relies on it. Of the modules behind the names, only
those of ``SQLiteStore`` (sqlite-utils), ``PostgresStore`` (psycopg),
``diagram`` (transitions) and ``testing`` (Hypothesis) import a heavy
dependency.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from just_workflow import forms, testing, views
    from just_workflow.audit.logfile import export_log, read_log
    from just_workflow.audit.replay import replay
    from just_workflow.audit.report import Head, Log, ProblemKind, ReplayProblem, ReplayReport
    from just_workflow.audit.verify import import_log
    from just_workflow.batch import Batch
    from just_workflow.checks.findings import Finding, FindingCode, Severity
    from just_workflow.checks.modelcheck import ModelCheckReport, ModelFinding, model_check
    from just_workflow.checks.validation import check
    from just_workflow.deadlines import SYSTEM
    from just_workflow.definition import Definition
    from just_workflow.diagrams import diagram
    from just_workflow.engine import Engine
    from just_workflow.errors import (
        AuditError,
        BatchFailed,
        ConcurrencyConflict,
        DefinitionError,
        GuardFailed,
        HookError,
        IdempotencyKeyReused,
        InstanceExists,
        InstanceNotFound,
        InvalidPayload,
        InvalidRequest,
        NotAParty,
        NotAuthorized,
        Refusal,
        StoreBusy,
        StoreError,
        TransitionNotAllowed,
        UnknownProtocol,
        UnreadableDefinitions,
        WorkflowError,
    )
    from just_workflow.events import Actor, Event
    from just_workflow.formats.loading import load_all_versions, load_definition, load_definitions
    from just_workflow.http import HTTP_ERRORS, HttpError, error_body, http_status
    from just_workflow.instance import Instance, Option
    from just_workflow.queries import Page
    from just_workflow.store.base import Store
    from just_workflow.store.memory import MemoryStore
    from just_workflow.store.opening import open_store
    from just_workflow.store.postgres import PostgresStore
    from just_workflow.store.sqlite import SQLiteStore

#: The public names, by the module that defines them (the imports above, for type checkers).
_EXPORTS = {
    "just_workflow.audit.logfile": ("export_log", "read_log"),
    "just_workflow.audit.replay": ("replay",),
    "just_workflow.audit.report": ("Head", "Log", "ProblemKind", "ReplayProblem", "ReplayReport"),
    "just_workflow.audit.verify": ("import_log",),
    "just_workflow.batch": ("Batch",),
    "just_workflow.checks.findings": ("Finding", "FindingCode", "Severity"),
    "just_workflow.checks.modelcheck": ("ModelCheckReport", "ModelFinding", "model_check"),
    "just_workflow.checks.validation": ("check",),
    "just_workflow.deadlines": ("SYSTEM",),
    "just_workflow.definition": ("Definition",),
    "just_workflow.diagrams": ("diagram",),
    "just_workflow.engine": ("Engine",),
    "just_workflow.errors": (
        "AuditError",
        "BatchFailed",
        "ConcurrencyConflict",
        "DefinitionError",
        "GuardFailed",
        "HookError",
        "IdempotencyKeyReused",
        "InstanceExists",
        "InstanceNotFound",
        "InvalidPayload",
        "InvalidRequest",
        "NotAParty",
        "NotAuthorized",
        "Refusal",
        "StoreBusy",
        "StoreError",
        "TransitionNotAllowed",
        "UnknownProtocol",
        "UnreadableDefinitions",
        "WorkflowError",
    ),
    "just_workflow.events": ("Actor", "Event"),
    "just_workflow.formats.loading": ("load_all_versions", "load_definition", "load_definitions"),
    "just_workflow.http": ("HTTP_ERRORS", "HttpError", "error_body", "http_status"),
    "just_workflow.instance": ("Instance", "Option"),
    "just_workflow.queries": ("Page",),
    "just_workflow.store.base": ("Store",),
    "just_workflow.store.memory": ("MemoryStore",),
    "just_workflow.store.opening": ("open_store",),
    "just_workflow.store.postgres": ("PostgresStore",),
    "just_workflow.store.sqlite": ("SQLiteStore",),
}
_HOMES = {name: module for module, names in _EXPORTS.items() for name in names}
#: The public names that are modules themselves.
_SUBMODULES = {
    "forms": "just_workflow.forms",
    "testing": "just_workflow.testing",
    "views": "just_workflow.views",
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name on first use, and keep it."""
    if name in _SUBMODULES:
        value = _importlib.import_module(_SUBMODULES[name])
    elif name in _HOMES:
        value = getattr(_importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'just_workflow' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, imported or not, and what the module holds."""
    return sorted({*globals(), *__all__})


# Sorted as sorted() sorts (a test holds it), which puts SYSTEM among the capitalized names, not first.
__all__ = [  # noqa: RUF022
    "Actor",
    "AuditError",
    "Batch",
    "BatchFailed",
    "ConcurrencyConflict",
    "Definition",
    "DefinitionError",
    "Engine",
    "Event",
    "Finding",
    "FindingCode",
    "GuardFailed",
    "HTTP_ERRORS",
    "Head",
    "HookError",
    "HttpError",
    "IdempotencyKeyReused",
    "Instance",
    "InstanceExists",
    "InstanceNotFound",
    "InvalidPayload",
    "InvalidRequest",
    "Log",
    "MemoryStore",
    "ModelCheckReport",
    "ModelFinding",
    "NotAParty",
    "NotAuthorized",
    "Option",
    "Page",
    "PostgresStore",
    "ProblemKind",
    "Refusal",
    "ReplayProblem",
    "ReplayReport",
    "SQLiteStore",
    "SYSTEM",
    "Severity",
    "Store",
    "StoreBusy",
    "StoreError",
    "TransitionNotAllowed",
    "UnknownProtocol",
    "UnreadableDefinitions",
    "WorkflowError",
    "check",
    "diagram",
    "error_body",
    "export_log",
    "forms",
    "http_status",
    "import_log",
    "load_all_versions",
    "load_definition",
    "load_definitions",
    "model_check",
    "open_store",
    "read_log",
    "replay",
    "testing",
    "views",
]
