"""Bounds at the door: integers beyond ±(2**53 - 1) and text with a lone surrogate are refused where they enter.

Canonical JSON (RFC 8785) holds neither, so no event could record them: the
engine refuses them with a typed error that names the field or argument,
and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import just_workflow as jw
from fixtures import ANNA, moa_definition
from just_workflow import definition as d
from just_workflow.diagrams import diagram
from just_workflow.formats.document import definition_to_document
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


OUT_OF_BOUNDS_DEFINITIONS = [
    pytest.param({"title": d.Text("MoA" + LONE_SURROGATE)}, "$.title.en", "is not valid Unicode", id="title"),
    pytest.param({"version": 2**70}, "$.version", "The integer is outside ±(2**53 - 1)", id="version"),
    pytest.param(
        {"roles": (d.Role("sme", title=d.Text(LONE_SURROGATE)),)},
        "$.roles[0].title.en",
        "is not valid Unicode",
        id="role title",
    ),
]


@pytest.mark.parametrize(("changes", "path", "reason"), OUT_OF_BOUNDS_DEFINITIONS)
def test_check_reports_values_out_of_bounds_located(changes: dict[str, Any], path: str, reason: str) -> None:
    """jw.check reports a lone surrogate or an integer beyond ±(2**53 - 1) as an out-of-bounds error at its path."""
    findings = [f for f in jw.check(moa_definition(**changes)) if f.code == "out-of-bounds"]
    assert [(f.path, f.severity) for f in findings] == [(path, jw.Severity.ERROR)]
    assert reason in findings[0].message


@pytest.mark.parametrize(("changes", "path", "reason"), OUT_OF_BOUNDS_DEFINITIONS)
@pytest.mark.parametrize("use", ["engine", "sqlite", "digest", "diagram"])
def test_a_definition_out_of_bounds_is_a_definition_error(
    changes: dict[str, Any], path: str, reason: str, use: str, tmp_path: Path
) -> None:
    """Engine(), a SQLite store, the digest and diagram refuse it with a located DefinitionError, storing nothing."""
    definition = moa_definition(**changes)
    store = jw.SQLiteStore(tmp_path / "db.sqlite") if use == "sqlite" else None
    uses: dict[str, Callable[[], object]] = {
        "engine": lambda: jw.Engine([definition]),
        "sqlite": lambda: jw.Engine([definition], store=store),
        "digest": lambda: definition.digest,
        "diagram": lambda: diagram(definition),
    }
    with pytest.raises(jw.DefinitionError) as refused:
        uses[use]()
    assert [(p.path, reason in p.message) for p in refused.value.problems] == [(path, True)]
    if store is not None:
        assert store.definitions() == []


@pytest.mark.parametrize(
    ("text", "located", "reason"),
    [
        ('"title": "MoA\\ud800"', "$.title", "is not valid Unicode"),
        ('"version": 1180591620717411303424', "$.version", "The integer is outside ±(2**53 - 1)"),
    ],
    ids=["title", "version"],
)
def test_the_loader_refuses_values_out_of_bounds_located(
    text: str, located: str, reason: str, tmp_path: Path
) -> None:
    """A JSON definition file with a lone surrogate escape or a huge version is a DefinitionError at its line."""
    key = text.split(":", maxsplit=1)[0].strip('"')
    document = definition_to_document(moa_definition()) | {key: "@"}  # "@" marks where the text goes
    source = json.dumps(document, indent=1).replace(f'"{key}": "@"', text)
    (tmp_path / "moa.json").write_text(source)
    with pytest.raises(jw.DefinitionError) as refused:
        jw.load_definition(tmp_path / "moa.json")
    (problem,) = refused.value.problems
    assert problem.path.startswith(located) and reason in problem.message
    assert problem.line is not None


def test_invite_refuses_a_party_with_a_lone_surrogate(engine: jw.Engine) -> None:
    """The party of invite, remove_party and replace_party is text an event records: InvalidPayload naming it."""
    inst = defining(engine)
    with pytest.raises(jw.InvalidPayload) as refused:
        engine.invite(inst.id, role="sme", actor_id=LONE_SURROGATE, by=ANNA)
    assert (
        "input 'party' is not valid Unicode text: '\\ud800' holds a lone surrogate" in refused.value.reasons
    )
    assert_nothing_written(engine, inst)
