"""just_workflow: collaboration protocols as explicit, audited finite-state machines."""

from just_workflow import testing
from just_workflow.audit import export_log, import_log, read_log
from just_workflow.definition import Definition
from just_workflow.diagrams import diagram
from just_workflow.engine import Engine
from just_workflow.errors import (
    AuditError,
    ConcurrencyConflict,
    DefinitionError,
    GuardFailed,
    HookError,
    InstanceNotFound,
    InvalidPayload,
    NotAuthorized,
    StoreBusy,
    StoreError,
    TransitionNotAllowed,
    WorkflowError,
)
from just_workflow.events import Actor, Event
from just_workflow.instance import Instance, Option
from just_workflow.loading import load_all_versions, load_definition, load_definitions
from just_workflow.modelcheck import ModelCheckReport, ModelFinding, model_check
from just_workflow.replay import Head, Log, ProblemKind, ReplayProblem, ReplayReport, replay
from just_workflow.store import MemoryStore, SQLiteStore, Store
from just_workflow.validation import Finding, Severity, check

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
    "InstanceNotFound",
    "InvalidPayload",
    "Log",
    "MemoryStore",
    "ModelCheckReport",
    "ModelFinding",
    "NotAuthorized",
    "Option",
    "ProblemKind",
    "ReplayProblem",
    "ReplayReport",
    "SQLiteStore",
    "Severity",
    "Store",
    "StoreBusy",
    "StoreError",
    "TransitionNotAllowed",
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
