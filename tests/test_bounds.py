"""Bounds at the door: integers beyond ±(2**53 - 1) and text with a lone surrogate are refused where they enter.

Canonical JSON (RFC 8785) holds neither, so no event could record them: the
engine refuses them with a typed error that names the field or argument,
and writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import just_workflow as jw
from fixtures import ANNA, moa_definition
from just_workflow.testing import TickingClock

LONE_SURROGATE = json.loads('"\\ud800"')  # what a JSON parser returns for an unpaired \ud800 escape


@pytest.fixture
def engine() -> jw.Engine:
    """An engine on the small protocol, with a ticking clock."""
    return jw.Engine([moa_definition()], clock=TickingClock())


def defining(engine: jw.Engine) -> jw.Instance:
    """An instance moved to the `defining` state."""
    inst = engine.start("moa", actor=ANNA)
    return engine.fire(inst.id, "contact", actor=ANNA, expected_seq=inst.seq)


def assert_nothing_written(engine: jw.Engine, before: jw.Instance) -> None:
    """The snapshot and history are as they were."""
    assert engine.get(before.id) == before
    assert len(engine.history(before.id)) == before.seq


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"fields": ["x"], "staff": 10**5000}, "field 'staff': the integer is outside ±(2**53 - 1)"),
        ({"fields": ["x"], "staff": 2**53}, "field 'staff': the integer is outside ±(2**53 - 1)"),
        ({"fields": ["x"], "staff": -(2**53)}, "field 'staff': the integer is outside ±(2**53 - 1)"),
        ({"fields": ["x", LONE_SURROGATE]}, "field 'fields': '\\ud800' is not valid Unicode"),
        ({"fields": ["x"], "offer": LONE_SURROGATE}, "field 'offer': '\\ud800' is not valid Unicode"),
        ({"fields": ["x"], "start": LONE_SURROGATE}, "field 'start' expects a date"),
    ],
    ids=["10**5000", "2**53", "-2**53", "list item", "string", "date"],
)
def test_payload_values_beyond_the_bounds_are_invalid(
    engine: jw.Engine, payload: dict[str, Any], reason: str
) -> None:
    """An integer beyond ±(2**53 - 1) or a lone surrogate in a payload is an InvalidPayload naming the field."""
    inst = defining(engine)
    with pytest.raises(jw.InvalidPayload) as refused:
        engine.fire(inst.id, "define", actor=ANNA, payload=payload)
    assert any(text.startswith(reason) for text in refused.value.reasons), refused.value.reasons
    assert_nothing_written(engine, inst)


def test_the_largest_safe_integers_are_accepted(engine: jw.Engine) -> None:
    """±(2**53 - 1) are inside the bounds: recorded as they are."""
    inst = defining(engine)
    inst = engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["x"], "staff": 2**53 - 1})
    inst = engine.fire(inst.id, "define", actor=ANNA, payload={"fields": ["x"], "staff": -(2**53 - 1)})
    assert inst.context["staff"] == -(2**53 - 1)


@pytest.mark.parametrize(
    ("argument", "changes"),
    [
        ("instance_id", {"instance_id": LONE_SURROGATE}),
        ("trigger", {"trigger": LONE_SURROGATE}),
        ("actor.id", {"actor": jw.Actor(LONE_SURROGATE, "sme")}),
        ("actor.role", {"actor": jw.Actor("anna", "sme" + LONE_SURROGATE)}),
        ("idempotency_key", {"idempotency_key": "k" + LONE_SURROGATE}),
    ],
)
def test_fire_refuses_text_arguments_with_a_lone_surrogate(
    engine: jw.Engine, argument: str, changes: dict[str, Any]
) -> None:
    """A lone surrogate in an argument of fire is an InvalidRequest naming the argument; nothing is written."""
    inst = defining(engine)
    request: dict[str, Any] = {"instance_id": inst.id, "trigger": "define", "actor": ANNA}
    request["payload"] = {"fields": ["x"]}
    with pytest.raises(jw.InvalidRequest, match=f"^{argument} must be valid Unicode"):
        engine.fire(**(request | changes))
    assert_nothing_written(engine, inst)


@pytest.mark.parametrize(
    ("argument", "changes"),
    [
        ("instance_id", {"instance_id": "i" + LONE_SURROGATE}),
        ("actor.id", {"actor": jw.Actor(LONE_SURROGATE, "sme")}),
        ("actor.role", {"actor": jw.Actor("anna", LONE_SURROGATE)}),
    ],
)
def test_start_refuses_text_arguments_with_a_lone_surrogate(
    engine: jw.Engine, argument: str, changes: dict[str, Any]
) -> None:
    """A lone surrogate in an argument of start is an InvalidRequest naming the argument; no instance is made."""
    request: dict[str, Any] = {"protocol": "moa", "actor": ANNA} | changes
    with pytest.raises(jw.InvalidRequest, match=f"^{argument} must be valid Unicode"):
        engine.start(**request)
    assert list(engine.store.instance_ids()) == []
