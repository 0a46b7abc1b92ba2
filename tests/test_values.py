"""Snapshots are values: nothing a caller does to what the engine returned changes what the next fire sees."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import DEFINITIONS, SME_STEPS
from just_workflow.testing import TickingClock

SME = jw.load_definition(DEFINITIONS / "sme_approaching_hei.yaml")
ANNA = jw.Actor("anna", "sme")
CARLA = jw.Actor("carla", "career_services")
DARIO = jw.Actor("dario", "department")

#: The fires of a run, in order; the mutations happen between any two of them.
RUN: tuple[tuple[str, jw.Actor, dict[str, Any]], ...] = (
    ("contact_career_services", ANNA, SME_STEPS["contact_career_services"]),
    ("route_request", CARLA, {"departments": ["informatics"]}),
    ("invite", CARLA, {"role": "department", "party": "dario"}),
    ("define_interest", ANNA, SME_STEPS["define_interest"]),
    ("define_offer", ANNA, SME_STEPS["define_offer"]),
    ("define_fit", ANNA, SME_STEPS["define_fit"]),
    ("define_ways", ANNA, SME_STEPS["define_ways"]),
    (
        "draft_agreement",
        DARIO,
        SME_STEPS["draft_agreement"],
    ),  # refused: the fields of collaboration are not defined
    ("define_fields", DARIO, {"fields_of_collaboration": ["ai"]}),
    ("draft_agreement", DARIO, SME_STEPS["draft_agreement"]),
    ("sign_moa", ANNA, {}),
    ("sign_moa", DARIO, {}),
)

FORGED = {"fields_of_collaboration": ("forged",), "departments": ("forged",)}


def _attempts(record: Any) -> Iterator[Callable[[], object]]:
    """Every way Python offers to change a returned record or the mappings it holds, short of gc and ctypes."""
    has_dict = hasattr(record, "__dict__")
    for name in (field.name for field in attrs.fields(type(record))):
        forged = FORGED if name != "state" else "agreement_drafted"
        yield lambda name=name: setattr(record, name, None)
        yield lambda name=name, forged=forged: object.__setattr__(record, name, forged)
        yield lambda name=name: delattr(record, name)
        if has_dict:
            yield lambda name=name: vars(record).__setitem__(name, FORGED)
        value = getattr(record, name, None)  # an earlier attempt may have removed it
        if hasattr(value, "keys"):
            yield from _mapping_attempts(value)
    if has_dict:
        yield lambda: vars(record).clear()


def _mapping_attempts(mapping: Any) -> Iterator[Callable[[], object]]:
    for key, value in FORGED.items():
        yield lambda key=key, value=value: mapping.__setitem__(key, value)
        yield lambda key=key, value=value: dict.__setitem__(mapping, key, value)
        yield lambda: mapping.update(FORGED)
        yield lambda: dict.update(mapping, FORGED)
        yield lambda key=key: mapping.__delitem__(key)
        yield lambda: mapping.clear()  # noqa: PLW0108  # the attribute lookup itself is part of the attempt
        yield lambda key=key, value=value: mapping.setdefault(key, value)
    for value in list(mapping.values()):
        if hasattr(value, "keys"):
            yield from _mapping_attempts(value)
        if isinstance(value, tuple):
            yield lambda value=value: list.append(value, "forged")  # type: ignore[arg-type]


def tamper(returned: object) -> int:
    """Try every change on ``returned`` (a snapshot, an event, an option, or a list of them); how many took."""
    records = returned if isinstance(returned, list) else [returned]
    took = 0
    for record in records:
        for attempt in list(_attempts(record)):
            with contextlib.suppress(Exception):
                attempt()
                took += 1
    return took


def run(engine: jw.Engine, meddle: Callable[[int], bool]) -> list[object]:
    """The run on ``engine``, tampering after each step where ``meddle(step)``; every outcome."""
    inst = engine.start("sme_approaching_hei", ANNA, instance_id="v1")
    outcomes: list[object] = []
    for number, (trigger, actor, payload) in enumerate(RUN):
        if meddle(number):
            for returned in (inst, engine.get("v1"), engine.history("v1"), engine.options("v1", DARIO)):
                tamper(returned)
        try:
            inst = engine.fire("v1", trigger, actor, payload)
            outcomes.append(("fired", engine.get("v1"), engine.history("v1")[-1]))
        except jw.WorkflowError as refusal:
            outcomes.append(("refused", type(refusal), str(refusal)))
    return outcomes


@contextlib.contextmanager
def store_of(kind: str, folder: Path) -> Iterator[jw.Store]:
    """A fresh store of the given kind."""
    if kind == "memory":
        yield jw.MemoryStore()
        return
    with jw.SQLiteStore(folder / f"values-{len(list(folder.iterdir()))}.db") as store:
        yield store


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(when=st.sets(st.integers(0, len(RUN) - 1), min_size=1))
def test_no_change_to_a_returned_object_reaches_the_next_fire(
    kind: str, when: set[int], tmp_path: Path
) -> None:
    """Whatever a caller does to returned snapshots, events and options, the run goes as an untouched one."""
    with store_of(kind, tmp_path) as store, store_of(kind, tmp_path) as twin_store:
        meddled = run(jw.Engine([SME], store=store, clock=TickingClock()), lambda step: step in when)
        untouched = run(jw.Engine([SME], store=twin_store, clock=TickingClock()), lambda _step: False)
    assert meddled == untouched
    assert meddled[7][0] == "refused" and meddled[-1][0] == "fired"


def test_the_mappings_of_a_snapshot_refuse_writes() -> None:
    """Context, parties and signatures are read-only views: item assignment and dict's own methods raise."""
    engine = jw.Engine([SME], clock=TickingClock())
    run(engine, lambda _step: False)
    inst = engine.get("v1")
    for mapping in (inst.context, inst.parties):
        with pytest.raises(TypeError):
            mapping["x"] = 1  # type: ignore[index]
        with pytest.raises(TypeError):
            dict.__setitem__(mapping, "x", 1)  # type: ignore[arg-type]
    assert tamper(inst) > 0  # object.__setattr__ does change the copy the caller holds...
    assert engine.get("v1") == engine.state_at("v1", engine.get("v1").seq)  # ...and nothing else
