"""Errors as HTTP answers: each error class's status and machine code, and a JSON-ready error body.

A web portal answers every error the engine raises with one HTTP status.
The table is data, :data:`HTTP_ERRORS` (an error class to its
:class:`HttpError`: status and short code); :func:`http_status` looks an
error up along its class hierarchy, so that a subclass (``NotAParty``) is
found before its base (``NotAuthorized``); :func:`error_body` is the JSON
answer: the code, the message and the details that locate the error (the
expected and actual seq of a conflict, the bad fields of a payload).
Statuses are plain integers: no web framework is imported here. The why of
each status is in ``docs/embedding.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

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
from just_workflow.events import START


@attrs.frozen
class HttpError:
    """How a portal answers an error: the HTTP ``status`` and a short, stable machine ``code``."""

    status: int
    code: str


#: Every error class of :mod:`just_workflow.errors`, with its answer (a test walks the class tree).
HTTP_ERRORS: Mapping[type[WorkflowError], HttpError] = MappingProxyType(
    {
        WorkflowError: HttpError(500, "workflow_error"),
        DefinitionError: HttpError(500, "definition_error"),  # a deployment fault: the engine's start
        UnknownProtocol: HttpError(404, "unknown_protocol"),
        Refusal: HttpError(422, "refused"),
        TransitionNotAllowed: HttpError(409, "transition_not_allowed"),
        NotAuthorized: HttpError(403, "not_authorized"),
        NotAParty: HttpError(403, "not_a_party"),
        GuardFailed: HttpError(422, "guard_failed"),
        InvalidPayload: HttpError(422, "invalid_payload"),
        InvalidRequest: HttpError(400, "invalid_request"),
        IdempotencyKeyReused: HttpError(422, "idempotency_key_reused"),
        ConcurrencyConflict: HttpError(409, "concurrency_conflict"),
        InstanceNotFound: HttpError(404, "instance_not_found"),
        InstanceExists: HttpError(409, "instance_exists"),
        StoreError: HttpError(500, "store_error"),
        StoreBusy: HttpError(503, "store_busy"),
        UnreadableDefinitions: HttpError(500, "unreadable_definitions"),
        BatchFailed: HttpError(422, "batch_failed"),  # the failing item's own status, when it has one
        # The event is stored; only a side effect failed: telling the user it failed would make them retry.
        HookError: HttpError(200, "hook_failed"),
        AuditError: HttpError(500, "audit_failed"),
    }
)


def http_error(error: WorkflowError) -> HttpError:
    """The answer to ``error``: that of the most specific of its classes in :data:`HTTP_ERRORS`."""
    return next(HTTP_ERRORS[kind] for kind in type(error).__mro__ if kind in HTTP_ERRORS)


def http_status(error: WorkflowError) -> int:
    """The HTTP status of ``error``, from :data:`HTTP_ERRORS`, but for two errors that say more.

    A :class:`HookError` after a start is 201 Created, as the start is
    stored; a :class:`BatchFailed` answers as the error of its failing item.
    """
    if isinstance(error, HookError) and getattr(error.event, "kind", None) == START:
        return 201
    if isinstance(error, BatchFailed) and isinstance(error.error, WorkflowError):
        return http_status(error.error)
    return http_error(error).status


def error_body(error: WorkflowError) -> dict[str, Any]:
    """The JSON answer to ``error``: ``code``, ``message`` and what locates it, in JSON types only.

    A refusal adds its ``trigger`` and ``reasons``, an invalid payload its
    ``fields`` (each bad input and why), a conflict the ``instance`` and the
    ``expected`` and ``actual`` seq, a failed batch the ``index`` and ``item``
    that failed and the ``error`` body of what it raised, and so on (see
    ``docs/portal-kit.md``).
    The message of a ``NotAParty`` leaves out the instance's parties, which
    the engine's message names: the stranger asking must not learn who they are.
    """
    body: dict[str, Any] = {"code": http_error(error).code, "message": str(error)}
    for kind, details in _DETAILS:
        if isinstance(error, kind):
            body.update(details(error))
    if isinstance(error, NotAParty):
        body["message"] = (
            f"{error.actor_id!r} is not a party to this instance as {error.role!r}; "
            f"only its parties may fire {error.trigger!r}."
        )
        body["reasons"] = [body["message"]]
    return body


def _refusal(error: Any) -> dict[str, Any]:
    return {"trigger": error.trigger, "reasons": list(error.reasons)}


def _hook(error: Any) -> dict[str, Any]:
    event = error.event
    return {
        "hook": error.hook,
        "instance": getattr(event, "instance", None),
        "seq": getattr(event, "seq", None),
    }


#: The details of each kind of error, in the order they are added (a base before its subclasses).
_DETAILS: tuple[tuple[type[WorkflowError], Callable[[Any], dict[str, Any]]], ...] = (
    (Refusal, _refusal),
    (TransitionNotAllowed, lambda e: {"state": e.state, "available": list(e.available)}),
    (NotAuthorized, lambda e: {"role": e.role, "allowed_roles": list(e.allowed_roles)}),
    (NotAParty, lambda e: {"actor_id": e.actor_id}),
    (InvalidPayload, lambda e: {"fields": dict(e.fields)}),
    (ConcurrencyConflict, lambda e: {"instance": e.instance_id, "expected": e.expected, "actual": e.actual}),
    (IdempotencyKeyReused, lambda e: {"instance": e.instance_id, "key": e.key, "seq": e.seq}),
    (InstanceNotFound, lambda e: {"instance": e.instance_id}),
    (InstanceExists, lambda e: {"instances": list(e.instance_ids)}),
    (UnknownProtocol, lambda e: {"protocol": e.protocol, "version": e.version, "known": list(e.known)}),
    (DefinitionError, lambda e: {"problems": [problem.to_json() for problem in e.problems]}),
    (HookError, _hook),
    (BatchFailed, lambda e: {"index": e.index, "item": e.item, "error": error_body(e.error)}),
)
