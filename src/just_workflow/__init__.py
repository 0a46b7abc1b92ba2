"""just_workflow: collaboration protocols as explicit, audited finite-state machines."""

from just_workflow.definition import Definition
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
from just_workflow.store import MemoryStore, Store

__all__ = [
    "Actor",
    "AuditError",
    "ConcurrencyConflict",
    "Definition",
    "DefinitionError",
    "Engine",
    "Event",
    "GuardFailed",
    "HookError",
    "Instance",
    "InstanceNotFound",
    "InvalidPayload",
    "MemoryStore",
    "NotAuthorized",
    "Option",
    "Store",
    "StoreBusy",
    "StoreError",
    "TransitionNotAllowed",
    "WorkflowError",
]
