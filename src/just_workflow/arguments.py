"""The checks of a start's or a fire's arguments, and the digest of a request, shared by the engine and its batches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from just_workflow.canonical import is_valid_text
from just_workflow.definition import SYSTEM_ROLE
from just_workflow.errors import InvalidRequest, NotAuthorized
from just_workflow.events import Actor
from just_workflow.messages import Reason


def request_digest(trigger: str, actor: Actor, payload: Mapping[str, Any]) -> str:
    """The digest of a fire's request (trigger, actor, payload), kept with its idempotency key.

    Values JSON does not know (dates) count by their text, as the step would
    normalize them.
    """
    body = {"actor": [actor.id, actor.role], "payload": dict(payload), "trigger": trigger}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def as_seq(expected_seq: object) -> int:
    """``expected_seq`` as the integer it stands for: a string of digits (from a form) is read as one."""
    if isinstance(expected_seq, str) and expected_seq.isascii() and expected_seq.isdigit():
        return int(expected_seq)
    raise InvalidRequest(
        f"expected_seq must be an integer (or a string of digits), got {expected_seq!r} "
        f"of type {type(expected_seq).__name__}."
    )


def check_text(argument: str, value: object) -> None:
    """Refuse a text argument that is not valid Unicode: it has no canonical JSON, so no event can hold it."""
    if type(value) is str and not is_valid_text(value):
        raise InvalidRequest(
            f"{argument} must be valid Unicode text, got {value!r}, which holds a lone surrogate."
        )


def check_request(instance_id: object, trigger: object, actor: Actor, key: object = None) -> None:
    """Refuse the text arguments of a start or fire that no event can hold, naming the argument."""
    try:  # ASCII text is valid Unicode: the common case is settled without looking at each character
        if (
            instance_id.isascii()  # type: ignore[attr-defined]
            and (trigger is None or trigger.isascii())  # type: ignore[attr-defined]
            and actor.id.isascii()
            and actor.role.isascii()
            and (key is None or key.isascii())  # type: ignore[attr-defined]
        ):
            return
    except AttributeError:
        pass  # not text, or no actor: the checks below name what they can, the step refuses the rest
    # getattr: a malformed actor is refused later, by the step, with its own message
    actor_id, role = getattr(actor, "id", None), getattr(actor, "role", None)
    check_text("instance_id", instance_id)
    check_text("trigger", trigger)
    check_text("actor.id", actor_id)
    check_text("actor.role", role)
    check_text("idempotency_key", key)


def clock_only(trigger: str) -> NotAuthorized:
    """The refusal of an actor claiming the ``system`` role, which only the engine's clock acts as."""
    default = (
        f"Role {SYSTEM_ROLE!r} is the engine's clock's: no caller fires {trigger!r} as it; "
        "deadlines fire on Engine.tick."
    )
    return NotAuthorized(
        Reason(default, "clock-only-caller", trigger=trigger),
        trigger=trigger,
        role=SYSTEM_ROLE,
        allowed_roles=[],
    )
