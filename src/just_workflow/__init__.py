"""just_workflow: collaboration protocols as explicit, audited finite-state machines."""

from just_workflow.definition import Definition
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

__all__ = [
    "AuditError",
    "ConcurrencyConflict",
    "Definition",
    "DefinitionError",
    "GuardFailed",
    "HookError",
    "InstanceNotFound",
    "InvalidPayload",
    "NotAuthorized",
    "StoreBusy",
    "StoreError",
    "TransitionNotAllowed",
    "WorkflowError",
]
