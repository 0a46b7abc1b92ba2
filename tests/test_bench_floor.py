"""The engine benchmark's floor does a fire's work: the events and snapshots ``Engine.fire`` makes, kept alike.

``bench.engine`` gives the ratio of its floor to transitions as the most a
fire built on the step can reach: that ceiling means something only if the
floor leaves out none of the work whose result a fire returns or keeps.
"""

from __future__ import annotations

import datetime

import pytest
from bench import engine as bench_engine
from bench.engine import CYCLE, CYCLE_FIRES, CYCLE_SETUP, HAPPY_PATH, JwFloor, _calls, happy_definition

from just_workflow.engine import Engine
from just_workflow.errors import ConcurrencyConflict
from just_workflow.events import Actor

MOMENT = datetime.datetime(2026, 1, 5, 9, 30, 15, 250000, tzinfo=datetime.UTC)
INSTANCE_ID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def floor_at_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The floor's clock stopped at MOMENT and its instance id fixed, as the engine's are below."""
    moment_ns = (MOMENT - datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)) // datetime.timedelta(
        microseconds=1
    )
    monkeypatch.setattr(bench_engine, "time_ns", lambda: moment_ns * 1000)
    monkeypatch.setattr(bench_engine, "new_instance_id", lambda: INSTANCE_ID)


WORKLOADS = {
    "guarded cycle": (CYCLE, "owner", CYCLE_SETUP + CYCLE_FIRES * 3),
    "happy path": (happy_definition(), "sme", HAPPY_PATH),
}


@pytest.mark.usefixtures("floor_at_moment")
@pytest.mark.parametrize("workload", WORKLOADS)
def test_the_floor_keeps_and_returns_what_the_engine_does(workload: str) -> None:
    """The same fires through the floor and the engine: equal events, kept snapshots and returned snapshots."""
    definition, start_role, fires = WORKLOADS[workload]
    floor = JwFloor(definition, start_role)
    engine = Engine([definition], clock=lambda: MOMENT)
    starter = Actor(f"{start_role}-1", start_role)
    assert floor.start() == engine.start(definition.protocol, starter, instance_id=INSTANCE_ID)
    for trigger, actor, payload in _calls(fires):
        returned = floor.fire(INSTANCE_ID, trigger, actor, payload)
        assert returned == engine.fire(INSTANCE_ID, trigger, actor, payload)
        assert returned is not floor.snapshots[INSTANCE_ID]  # a copy, as the engine hands out
    history = [event.to_json() for event in engine.history(INSTANCE_ID)]
    assert [event.to_json() for event in floor.histories[INSTANCE_ID]] == history
    assert [event.to_json() for event in floor.feed] == history
    assert floor.snapshots[INSTANCE_ID] == engine.store.load(INSTANCE_ID)
    assert engine.verify(INSTANCE_ID).ok


@pytest.mark.usefixtures("floor_at_moment")
def test_the_floor_keeps_nothing_when_its_snapshot_moved_on() -> None:
    """A step from a snapshot the floor no longer keeps is refused as a store refuses it, and nothing is kept."""
    floor = JwFloor(CYCLE, "owner")
    started = floor.start()
    ((trigger, actor, payload),) = _calls(CYCLE_SETUP)
    floor.fire(INSTANCE_ID, trigger, actor, payload)
    kept, history = floor.snapshots[INSTANCE_ID], list(floor.histories[INSTANCE_ID])
    with pytest.raises(ConcurrencyConflict):
        floor.keep(started.seq, kept, history[-1])
    assert floor.snapshots[INSTANCE_ID] is kept
    assert floor.histories[INSTANCE_ID] == history
    assert floor.feed == history
