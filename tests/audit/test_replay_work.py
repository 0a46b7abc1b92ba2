"""Replay does work linear in the log size: counted, not timed, on logs of many instances with gaps."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit.report import Log, ProblemKind
from just_workflow.testing import TickingClock

MOA = moa_definition()


class CountingEvents(Sequence[jw.Event]):
    """The events of a log, counting every event replay reads from them."""

    def __init__(self, events: Sequence[jw.Event]) -> None:
        self.events = events
        self.reads = 0

    def __len__(self) -> int:
        return len(self.events)

    @overload
    def __getitem__(self, index: int) -> jw.Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[jw.Event]: ...
    def __getitem__(self, index: int | slice) -> jw.Event | Sequence[jw.Event]:
        self.reads += 1 if isinstance(index, int) else len(self.events[index])
        return self.events[index]

    def __iter__(self) -> Iterator[jw.Event]:
        for event in self.events:
            self.reads += 1
            yield event


def gapped_log(instances: int) -> list[jw.Event]:
    """The histories of ``instances`` instances, each without its second event."""
    engine = jw.Engine([MOA], clock=TickingClock())
    events: list[jw.Event] = []
    for number in range(instances):
        instance_id = f"i{number}"
        engine.start("moa", ANNA, instance_id=instance_id)
        engine.fire(instance_id, "contact", ANNA)
        engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "offer": "internships", "staff": 3})
        events += [event for event in engine.history(instance_id) if event.seq != 2]
    return events


def test_replay_of_a_log_with_a_gap_in_every_instance_reads_each_event_a_bounded_number_of_times() -> None:
    events = CountingEvents(gapped_log(200))
    report = jw.replay(Log(events), [MOA])
    assert [problem.kind for problem in report.problems] == [ProblemKind.GAP] * 200
    # A scan of the rest of the log at every gap would read about 200 * 400 / 2 events.
    assert events.reads <= 3 * len(events)
