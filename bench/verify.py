"""Verify at scale: the peak memory and the speed of verifying every instance of a large SQLite store.

Run from the repository root: ``python -m bench.verify [--instances N]`` (``--quick`` for a short run; ``python -m bench bench.verify --write-docs`` also puts the results in docs/performance.md).
It builds a SQLite store of N instances (default 1,000,000) of the replay
benchmark's ledger protocol, each with three events (a start and two
entries), by writing the store's own rows in one transaction; the store is
kept in the temporary folder and reused by the next run of the same size.
Then, in a fresh process, ``verify`` of the whole store (every hash, link
and step, and every snapshot compared with its replayed history), against
the floor of reading the same rows with plain ``sqlite3`` in the same
process; it reports both times, and the process's peak resident memory
beside that of a process that only opens the store (the target: under 300 MiB
at a million instances).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence

from bench.memory import peak_memory
from bench.replay import CATEGORIES, LEDGER
from just_workflow.events import Actor
from just_workflow.instance import Command
from just_workflow.step import begin, step
from just_workflow.store import rows
from just_workflow.store.sqlite import SQLiteStore
from just_workflow.table import compile_definition

#: Events per instance: a start and two entries.
EVENTS = 3
_BATCH = 10_000


def store_path(instances: int) -> str:
    """Where the store of ``instances`` instances is kept between runs."""
    return os.path.join(tempfile.gettempdir(), f"just_workflow-bench-verify-{instances}.db")


def build_store(instances: int) -> str:
    """The path of a store of ``instances`` ledgers, built unless a complete one is kept already."""
    path = store_path(instances)
    if os.path.exists(path):
        with sqlite3.connect(path) as conn:
            (count,) = conn.execute("SELECT count(*) FROM instances").fetchone()
        conn.close()
        if count == instances:
            return path
        os.remove(path)
    building = path + ".building"
    for leftover in (building, building + "-wal", building + "-shm"):
        if os.path.exists(leftover):
            os.remove(leftover)
    with SQLiteStore(building) as store:  # the schema, and the definition the instances run under
        store.register_definition(LEDGER)
    conn = sqlite3.connect(building, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for batch in _batches(instances):
            instance_rows, event_rows = zip(*batch, strict=True)
            conn.executemany(rows.INSERT_INSTANCE, instance_rows)
            conn.executemany(rows.INSERT_EVENT, [row for events in event_rows for row in events])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    os.replace(building, path)
    return path


def _batches(instances: int) -> Iterator[list[tuple[list[object], list[list[object]]]]]:
    """The rows of each instance (its snapshot row, its event rows), computed by the pure step, in batches."""
    table = compile_definition(LEDGER)
    clerk = Actor("clerk-1", "clerk")
    batch = []
    for number in range(instances):
        snapshot, event = begin(table, f"ledger-{number:07d}", clerk, "2026-01-01T00:00:00+00:00")
        events = [event]
        for entry in range(1, EVENTS):
            payload = {"amount": (number + entry) % 1000, "category": CATEGORIES[entry % 3]}
            at = f"2026-01-01T00:00:{entry:02d}+00:00"
            snapshot, event = step(table, snapshot, Command("record", clerk, payload), at)
            events.append(event)
        row = rows.instance_row(snapshot, rows.encode_snapshot(snapshot), events[0].at, events[-1].at)
        batch.append((row, [rows.event_row(e) for e in events]))
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


# Run in a fresh process: verify every instance (or only open the store), and time it against plain sqlite3
# reading the same rows.
_VERIFY = """
import json, sqlite3, sys, time
from just_workflow.store.sqlite import SQLiteStore
from just_workflow.store import rows
store = SQLiteStore(sys.argv[1])
if sys.argv[2] == "verify":
    from just_workflow.audit.verify import verify
    from bench.replay import LEDGER
    start = time.perf_counter()
    report = verify(store, definitions=[LEDGER])
    took = time.perf_counter() - start
    assert report.ok, report.problems[:3]
    conn = sqlite3.connect(sys.argv[1])
    start = time.perf_counter()
    read = sum(1 for _ in conn.execute(rows.SCAN_INSTANCES, (rows.LAST_SEQ,)))
    floor = time.perf_counter() - start
    print(json.dumps({"events": report.events, "instances": len(report.instances), "seconds": took,
                      "rows": read, "floor": floor}))
store.close()
"""


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.verify", description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="20,000 instances: rough numbers in seconds")
    options = parser.parse_args(argv)
    if options.quick:
        options.instances = 20_000
    path = build_store(options.instances)
    size = os.path.getsize(path)
    peak, output = peak_memory(_VERIFY, path, "verify")
    base, _ = peak_memory(_VERIFY, path, "open")
    run = json.loads(output)
    assert run["instances"] == options.instances and run["events"] == options.instances * EVENTS, run
    mib = 1 << 20
    rate = run["events"] / run["seconds"]
    return [
        f"A SQLite store of {options.instances:,} instances, {EVENTS} events each ({size / 1e6:,.0f} MB); "
        "one run of each, in a fresh process:",
        "",
        "| `verify` of every instance | reading the same rows with `sqlite3` | peak memory | "
        "a process that only opens the store |",
        "|---:|---:|---:|---:|",
        f"| {rate:,.0f} events/s ({run['seconds']:.1f} s) | {run['floor']:.1f} s | {peak / mib:,.0f} MiB "
        f"| {base / mib:,.0f} MiB |",
        "",
        "Target:",
        "",
        f"- [{'x' if peak < 300 * mib else ' '}] peak memory verifying {options.instances:,} instances "
        f"under 300 MiB: {peak / mib:,.0f} MiB",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its results."""
    lines = results(argv)
    print("verify: every instance of a large SQLite store, its time and its peak memory")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
