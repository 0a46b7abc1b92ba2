"""replay of a log file: read and checked line by line, holding what it knows of each instance, never the log."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit.report import ProblemKind
from just_workflow.canonical import canonical_json
from just_workflow.testing import TickingClock

MOA = moa_definition()


def exported(instances: int = 2, *, with_definitions: bool = False) -> bytes:
    """A log of ``instances`` MoA instances, each started, contacted and defined."""
    engine = jw.Engine([MOA], clock=TickingClock())
    for number in range(instances):
        instance_id = f"i{number}"
        engine.start("moa", ANNA, instance_id=instance_id)
        engine.fire(instance_id, "contact", ANNA)
        engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "staff": number})
    out = io.BytesIO()
    jw.export_log(engine, out, include_definitions=with_definitions)
    return out.getvalue()


def problems(report: jw.ReplayReport) -> list[tuple[ProblemKind, str | None, int | None, int | None]]:
    return [(p.kind, p.instance, p.seq, p.line) for p in report.problems]


def test_a_file_replays_from_a_path_or_an_open_binary_file(tmp_path: Path) -> None:
    log = exported()
    path = tmp_path / "audit.jsonl"
    path.write_bytes(log)
    from_path = jw.replay(path, [MOA])
    assert from_path.ok and from_path.events == 6 and sorted(from_path.instances) == ["i0", "i1"]
    assert jw.replay(str(path), [MOA]) == from_path
    with path.open("rb") as file:
        assert jw.replay(file, [MOA]) == from_path
    assert jw.replay(jw.read_log(path), [MOA]) == from_path


def test_interleaved_instances_replay_as_written_one_after_another() -> None:
    """Readers take the events of several instances in any interleaving, each in its seq order."""
    header, *events, head_a, head_b = exported().splitlines(keepends=True)
    interleaved = [events[i // 2 + (3 if i % 2 else 0)] for i in range(6)]
    assert interleaved != events
    report = jw.replay(io.BytesIO(b"".join([header, *interleaved, head_a, head_b])), [MOA])
    assert report.ok and report.instances["i1"].context["staff"] == 1


def test_an_event_out_of_order_is_reordered_and_a_missing_one_a_gap() -> None:
    header, *lines = exported().splitlines(keepends=True)
    swapped = [lines[0], lines[2], lines[1], *lines[3:]]
    report = jw.replay(io.BytesIO(b"".join([header, *swapped])), [MOA])
    assert problems(report) == [(ProblemKind.REORDERED, "i0", 2, 3)]
    dropped = [lines[0], *lines[2:]]
    report = jw.replay(io.BytesIO(b"".join([header, *dropped])), [MOA])
    assert problems(report) == [(ProblemKind.GAP, "i0", 2, 3)]


def test_definitions_embedded_after_the_events_still_serve() -> None:
    """A definition line may stand anywhere after the header: the events it is for wait for it."""
    header, definition, *rest = exported(with_definitions=True).splitlines(keepends=True)
    assert json.loads(definition)["type"] == "definition"
    moved = b"".join([header, *rest[:-2], definition, *rest[-2:]])
    report = jw.replay(io.BytesIO(moved))
    assert report.ok and report.definitions == {("moa", 1): MOA.digest}
    assert report == jw.replay(jw.read_log(io.BytesIO(moved)))


def test_an_instance_whose_definition_never_comes_is_of_an_unknown_version_at_its_first_event() -> None:
    report = jw.replay(io.BytesIO(exported()))
    assert problems(report) == [
        (ProblemKind.UNKNOWN_VERSION, "i0", 1, 2),
        (ProblemKind.UNKNOWN_VERSION, "i1", 1, 5),
    ]


def test_a_head_line_before_the_events_is_checked_at_its_seq() -> None:
    """A head line read before the chain passes its seq keeps that seq's hash: a wrong one is named there."""
    header, *events, head_a, head_b = exported().splitlines(keepends=True)
    early = json.loads(head_a)
    early["seq"], early["hash"] = 2, "0" * 64
    log = b"".join([header, canonical_json(early) + b"\n", *events, head_b])
    assert problems(jw.replay(io.BytesIO(log), [MOA])) == [(ProblemKind.HEAD_MISMATCH, "i0", 2, 2)]


def test_a_head_line_after_the_events_that_ends_the_chain_early_is_a_mismatch_after_it() -> None:
    """Read after the chain passed its seq, such a head is reported at the first event beyond it."""
    header, *events, head_a, head_b = exported().splitlines(keepends=True)
    early = json.loads(head_a)
    early["seq"] = 2
    log = b"".join([header, *events, canonical_json(early) + b"\n", head_b])
    report = jw.replay(io.BytesIO(log), [MOA])
    assert problems(report) == [(ProblemKind.HEAD_MISMATCH, "i0", 3, 8)]
    assert "ends the instance at seq 2, but the log goes on to seq 3" in report.problems[0].message


def test_an_event_line_not_in_canonical_form_is_read_the_strict_way_and_verifies() -> None:
    """Keys in another order, or spaces: the line holds the same event, and its hash is over its canonical form."""
    header, first, *rest = exported().splitlines(keepends=True)
    data = json.loads(first)
    reordered = json.dumps(dict(reversed(list(data.items()))), separators=(", ", ": ")).encode() + b"\n"
    report = jw.replay(io.BytesIO(b"".join([header, reordered, *rest])), [MOA])
    assert report.ok


def test_progress_counts_the_bytes_of_the_file() -> None:
    log = exported(4)
    calls: list[tuple[int, int]] = []
    report = jw.replay(io.BytesIO(log), [MOA], progress=lambda done, total: calls.append((done, total)))
    assert report.ok and calls[0] == (0, len(log)) and calls[-1] == (len(log), len(log))


def long_log(path: Path, events: int) -> Path:
    """A log of one instance with ``events`` events, written to ``path``."""
    engine = jw.Engine([MOA], clock=TickingClock())
    engine.start("moa", ANNA, instance_id="long")
    engine.fire("long", "contact", ANNA)
    for number in range(events - 2):
        engine.fire("long", "define", DORA, {"fields": ["robotics"], "staff": number})
    jw.export_log(engine, path)
    return path


def peak_memory(task: Callable[[], object]) -> int:
    """The peak of the memory Python allocated while ``task`` ran, in bytes."""
    tracemalloc.start()
    try:
        task()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_replaying_a_file_holds_no_event(tmp_path: Path) -> None:
    """Ten times the events cost replay of the file no more memory; read whole first, they cost ten times as much."""
    short, long = long_log(tmp_path / "short.jsonl", 500), long_log(tmp_path / "long.jsonl", 5000)
    jw.replay(long, [MOA])  # once before measuring: the interpreter's caches and free lists fill up
    streamed = [peak_memory(lambda path=path: jw.replay(path, [MOA])) for path in (short, long)]
    whole = [peak_memory(lambda path=path: jw.replay(jw.read_log(path), [MOA])) for path in (short, long)]
    assert streamed[1] < 1.5 * streamed[0]
    assert whole[1] > 5 * whole[0]
