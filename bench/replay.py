"""Replay speed and memory: reading and replaying a long log, against the floor of reading its lines and hashing them.

Run from the repository root: ``python -m bench.replay [--events N] [--instances K] [--runs R]``
(``--quick`` for a short run; ``python -m bench bench.replay --write-docs`` also puts the results in docs/performance.md).
It writes a log of N events (default 1,000,000) of a small protocol with a
self-loop, spread over K instances, then times

* the floor: read each line, ``json.loads`` it, and check its hash the way
  any auditor would with the standard library (``sha256(prev_hash +
  canonical JSON of the event without hash)``);
* ``replay`` of the file: the same reading, strict, plus the whole audit
  (seq, links, definition digests, every step recomputed and compared), in
  one pass over the file;
* ``read_log`` + ``replay``: the same, the log first read whole into memory.

and reports events per second and the ratios to the floor (the target:
``replay`` of the file at least 60% of the floor's speed). Then it replays
the file once more in a fresh process and reports that process's peak
resident memory (the target: under 300 MiB for a million events), beside
that of a process that only imports the library.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.memory import peak_memory
from just_workflow import definition as d
from just_workflow.audit.logfile import HEADER, event_line, read_log
from just_workflow.audit.replay import replay
from just_workflow.audit.report import Head
from just_workflow.canonical import canonical_json
from just_workflow.events import Actor
from just_workflow.instance import Command
from just_workflow.step import begin, step
from just_workflow.table import compile_definition

LEDGER = d.Definition(
    protocol="ledger",
    version=1,
    title=d.Text("A long-running ledger: entries recorded until it is closed"),
    roles=(d.Role("clerk", open=True), d.Role("auditor", open=True)),
    states=(d.State("open"), d.State("closed", final=True)),
    initial="open",
    context=(
        d.Field("amount", d.FieldType.INT),
        d.Field("category", d.FieldType.STR, choices=("travel", "equipment", "staff")),
    ),
    transitions=(
        d.Transition(
            "record",
            ("open",),
            ("clerk",),
            inputs=(d.Input("amount"), d.Input("category", required=False)),
            conditions=(d.Condition("amount", d.Op.GE, 0),),
        ),
        d.Transition("close", ("open",), ("auditor",), "closed"),
    ),
)
CATEGORIES = ("travel", "equipment", "staff")


def write_log(path: str, events: int, instances: int) -> dict[str, Head]:
    """Write a log of ``events`` events over ``instances`` ledgers (each: a start, then records); the heads."""
    table = compile_definition(LEDGER)
    clerk = Actor("clerk-1", "clerk")
    heads: dict[str, Head] = {}
    per_instance = events // instances
    with open(path, "wb") as out:
        out.write(canonical_json(HEADER) + b"\n")
        for number in range(instances):
            instance_id = f"ledger-{number:04d}"
            snapshot, event = begin(table, instance_id, clerk, "2026-01-01T00:00:00+00:00")
            out.write(event_line(event))
            for index in range(1, per_instance):
                payload = {"amount": index % 1000, "category": CATEGORIES[index % 3]}
                at = f"2026-01-01T00:00:{index % 60:02d}.{index:06d}+00:00"
                snapshot, event = step(table, snapshot, Command("record", clerk, payload), at)
                out.write(event_line(event))
            heads[instance_id] = Head.of(snapshot)
        for head in heads.values():
            out.write(canonical_json(head.to_json()) + b"\n")
    return heads


def floor(path: str) -> int:
    """Read every line, parse it, and check each event's hash with the standard library; the events checked."""
    sha256 = hashlib.sha256
    loads = json.loads
    checked = 0
    with open(path, "rb") as lines:
        for raw in lines:
            data: dict[str, Any] = loads(raw)
            if data.get("type") != "event":
                continue
            recorded = data.pop("hash")
            del data["type"]
            if sha256(data["prev_hash"].encode("ascii") + canonical_json(data)).hexdigest() != recorded:
                raise AssertionError(f"hash mismatch at event {checked}")
            checked += 1
    return checked


def audit(path: str) -> int:
    """``replay`` of the log file, read and replayed in one pass; the events verified."""
    report = replay(path, [LEDGER])
    if not report.ok:
        raise AssertionError(report.format())
    return report.events


def audit_whole(path: str) -> int:
    """``read_log`` + ``replay``: the log read whole into memory, then replayed; the events verified."""
    report = replay(read_log(path), [LEDGER])
    if not report.ok:
        raise AssertionError(report.format())
    return report.events


# Run in a fresh process: replay the file given, or nothing (what importing the library costs).
_REPLAY = """
import sys
import just_workflow.audit.replay
if sys.argv[1]:
    from bench.replay import audit
    audit(sys.argv[1])
"""


def best_in_turns(runs: int, tasks: Sequence[Callable[[], int]]) -> list[tuple[float, int]]:
    """The best wall time of each task over ``runs`` rounds, the tasks taking turns in each round, and its result.

    Taking turns, a change in the machine's load touches every task alike.
    Garbage collection is off while a task is timed.
    """
    best = [(float("inf"), 0)] * len(tasks)
    for _ in range(runs):
        for index, task in enumerate(tasks):
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                result = task()
                took = time.perf_counter() - start
            finally:
                gc.enable()
            best[index] = min(best[index], (took, result))
    return best


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument(
        "--runs", type=int, default=3, help="rounds: time each side this many times, keep the best"
    )
    parser.add_argument(
        "--quick", action="store_true", help="100,000 events, one run: rough numbers in seconds"
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.events, options.runs = 100_000, 1
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ledger.jsonl")
        write_log(path, options.events, options.instances)
        size = os.path.getsize(path)
        best = best_in_turns(
            options.runs, [lambda: floor(path), lambda: audit(path), lambda: audit_whole(path)]
        )
        (floor_time, floor_events), (audit_time, audit_events), (whole_time, whole_events) = best
        peak, _ = peak_memory(_REPLAY, path)
        base, _ = peak_memory(_REPLAY, "")
    assert floor_events == audit_events == whole_events, (floor_events, audit_events, whole_events)
    floor_rate = floor_events / floor_time
    audit_rate = audit_events / audit_time
    whole_rate = whole_events / whole_time
    ratio = audit_rate / floor_rate
    mib = 1 << 20
    return [
        f"A log of {options.events:,} events over {options.instances} instances ({size / 1e6:.0f} MB of JSON "
        f"Lines); the best wall time of each side over {options.runs} round(s), the sides taking turns, "
        "garbage collection off while timing:",
        "",
        "| floor: read, parse, hash | `replay` of the file | ratio | `read_log` + `replay` | ratio |",
        "|---:|---:|---:|---:|---:|",
        f"| {floor_rate:,.0f} events/s ({floor_time:.1f} s) | {audit_rate:,.0f} events/s ({audit_time:.1f} s) "
        f"| {ratio:.0%} | {whole_rate:,.0f} events/s ({whole_time:.1f} s) | {whole_rate / floor_rate:.0%} |",
        "",
        f"Peak resident memory of a process replaying the file: {peak / mib:,.0f} MiB "
        f"(a process that only imports the library: {base / mib:,.0f} MiB).",
        "",
        "Targets:",
        "",
        f"- [{'x' if ratio >= 0.6 else ' '}] `replay` of the file at least 60% of the floor's speed: {ratio:.0%}",
        f"- [{'x' if peak < 300 * mib else ' '}] peak memory replaying {options.events:,} events under 300 MiB: "
        f"{peak / mib:,.0f} MiB",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its results."""
    lines = results(argv)
    print("replay: replay of a log file against reading, parsing and hashing the same log; its peak memory")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
