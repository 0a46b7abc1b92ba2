"""Persistence benchmark: ``engine.fire`` on a SQLiteStore against raw sqlite3 writing the same rows.

Run from the repository root: ``python -m bench.persistence`` (``--quick`` for a short run).

1. Throughput. The engine fires a trigger (with a small payload) on one
   instance, one event per fire, each in its own transaction. The baseline is
   plain ``sqlite3`` writing exactly the rows those fires wrote (the event row
   and the snapshot update, precomputed) into the same schema, under the same
   PRAGMAs, one commit per event. Both run in alternating rounds on fresh
   database files; the median round counts. Once with ``synchronous=NORMAL``
   (the store's default), once with ``FULL``. For reference, the baseline is
   also run writing the event row alone.
2. History length. One fire on an instance with 10 events against one on an
   instance with 100,000 events (built by importing a valid hash-chained
   history in one transaction), each in its own database file, alternating.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.store.memory import MemoryStore
from just_workflow.store.rows import (
    INSERT_EVENT,
    UPDATE_CONTENT,
    content_update,
    encode_snapshot,
    event_row,
)
from just_workflow.store.sqlite import SQLiteStore, Synchronous, configure_connection

NOTEBOOK = d.Definition(
    protocol="notebook",
    version=1,
    title=d.Text("A notebook: each note is one event"),
    roles=(d.Role("clerk"),),
    states=(d.State("open"), d.State("closed", final=True)),
    initial="open",
    context=(d.Field("note", d.FieldType.STR), d.Field("count", d.FieldType.INT)),
    transitions=(
        d.Transition("note", ("open",), ("clerk",), inputs=(d.Input("note"), d.Input("count"))),
        d.Transition("close", ("open",), ("clerk",), "closed"),
    ),
)
CLERK = jw.Actor("clerk-1", "clerk")

# Per event: the parameters of the store's INSERT of the event row and of its UPDATE of the snapshot row.
Rows = list[tuple[Sequence[object], Sequence[object]]]


def payload(n: int) -> dict[str, object]:
    """The payload of the n-th note."""
    return {"note": f"call with the career services, item {n}", "count": n}


def fixed_clock() -> Callable[[], datetime.datetime]:
    """A clock that ticks one second per call, so that generated histories are reproducible."""
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    ticks = iter(range(10**9))
    return lambda: start + datetime.timedelta(seconds=next(ticks))


def fresh_paths(folder: Path) -> Iterator[Path]:
    """Database paths in ``folder`` that are never reused."""
    n = 0
    while True:
        n += 1
        yield folder / f"bench-{n}.db"


def fire_notes(engine: jw.Engine, instance_id: str, fires: int) -> None:
    """Fire ``fires`` notes on an instance."""
    for n in range(fires):
        engine.fire(instance_id, "note", CLERK, payload(n))


def timed(work: Callable[[], None]) -> float:
    """Seconds ``work`` takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def engine_round(path: Path, fires: int, synchronous: Synchronous) -> float:
    """Seconds for ``fires`` fires through the engine on a fresh SQLiteStore."""
    with SQLiteStore(path, synchronous=synchronous) as store:
        engine = jw.Engine([NOTEBOOK], store=store)
        instance_id = engine.start("notebook", CLERK).id
        return timed(lambda: fire_notes(engine, instance_id, fires))


def same_rows(fires: int) -> tuple[tuple[jw.Instance, jw.Event], Rows]:
    """The start of an instance, and the rows ``fires`` fires on it write, computed ahead of the raw rounds."""
    store = MemoryStore()
    engine = jw.Engine([NOTEBOOK], store=store)
    first = engine.start("notebook", CLERK)
    rows: Rows = []
    for n in range(fires):
        after = engine.fire(first.id, "note", CLERK, payload(n))
        (event,) = store.events(first.id, after_seq=after.seq - 1)
        rows.append(
            # A note keeps the state and the parties: the store writes the content columns only, and so does the baseline.
            (event_row(event), content_update(after, encode_snapshot(after), event.at, after.seq - 1))
        )
    return (first, store.events(first.id)[0]), rows


def raw_round(
    path: Path,
    synchronous: Synchronous,
    start: tuple[jw.Instance, jw.Event],
    rows: Rows,
    with_snapshot: bool,
) -> float:
    """Seconds for plain sqlite3 to write ``rows`` one commit each, into the store's schema and PRAGMAs."""
    with SQLiteStore(path, synchronous=synchronous) as store:
        store.register_definition(NOTEBOOK)
        store.create(*start)
    conn = sqlite3.connect(path, isolation_level=None)
    configure_connection(conn, synchronous)

    def write() -> None:
        execute = conn.execute
        for event, snapshot in rows:
            execute("BEGIN IMMEDIATE")  # as the store begins every write
            execute(INSERT_EVENT, event)
            if with_snapshot:
                execute(UPDATE_CONTENT, snapshot)
            execute("COMMIT")

    try:
        return timed(write)
    finally:
        conn.close()


def throughput(folder: Path, synchronous: Synchronous, fires: int, rounds: int) -> dict[str, float]:
    """Events per second (median round) of the engine and of the raw baselines."""
    paths = fresh_paths(folder)
    start, rows = same_rows(fires)
    seconds: dict[str, list[float]] = {"engine": [], "raw": [], "raw_event_only": []}
    for _ in range(rounds):
        seconds["raw"].append(raw_round(next(paths), synchronous, start, rows, with_snapshot=True))
        seconds["engine"].append(engine_round(next(paths), fires, synchronous))
        seconds["raw_event_only"].append(
            raw_round(next(paths), synchronous, start, rows, with_snapshot=False)
        )
    return {name: fires / statistics.median(times) for name, times in seconds.items()}


def long_history(path: Path, events: int) -> str:
    """A store at ``path`` holding one instance with ``events`` valid chained events; its id."""
    memory = MemoryStore()
    engine = jw.Engine([NOTEBOOK], store=memory, clock=fixed_clock())
    instance_id = engine.start("notebook", CLERK).id
    fire_notes(engine, instance_id, events - 1)
    with SQLiteStore(path) as store:
        store.register_definition(NOTEBOOK)
        store.import_events(memory.events(instance_id), [memory.load(instance_id)])
    return instance_id


def history_length(folder: Path, long: int, fires: int, rounds: int) -> tuple[float, float]:
    """Microseconds per fire (median round) on an instance with 10 events and on one with ``long`` events."""
    paths = fresh_paths(folder)
    large_path = next(paths)
    large_id = long_history(large_path, long)
    small_times: list[float] = []
    large_times: list[float] = []
    with SQLiteStore(next(paths)) as small_store, SQLiteStore(large_path) as large_store:
        small = jw.Engine([NOTEBOOK], store=small_store)
        large = jw.Engine([NOTEBOOK], store=large_store)
        for _ in range(rounds):
            small_id = small.start("notebook", CLERK).id
            fire_notes(small, small_id, 9)
            small_times.append(timed(functools.partial(fire_notes, small, small_id, fires)))
            large_times.append(timed(functools.partial(fire_notes, large, large_id, fires)))
    return (
        statistics.median(small_times) / fires * 1e6,
        statistics.median(large_times) / fires * 1e6,
    )


def _rate(rate: float) -> str:
    return f"{rate:,.0f} events/s ({1e6 / rate:.1f} µs)"


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.persistence", description=__doc__.split("\n")[0])
    parser.add_argument("--fires", type=int, default=4000, help="fires per round (synchronous=NORMAL)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating rounds; the median counts")
    parser.add_argument("--history", type=int, default=100_000, help="events of the long instance")
    parser.add_argument(
        "--quick", action="store_true", help="1,000 fires, 3 rounds: rough numbers in seconds"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.fires, args.rounds = 1000, 3
    levels: tuple[tuple[Synchronous, int], ...] = (("NORMAL", args.fires), ("FULL", max(args.fires // 8, 50)))
    lines = [
        f"Median of {args.rounds} alternating rounds on fresh database files; WAL, one commit per event "
        f"({args.fires:,} events per round with NORMAL, {levels[1][1]:,} with FULL):",
        "",
        "| synchronous | raw sqlite3, the same rows | `engine.fire` on SQLiteStore | ratio "
        "| raw sqlite3, the event row alone |",
        "|---|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory(prefix="jw-bench-") as tmp:
        folder = Path(tmp)
        ratios: dict[str, float] = {}
        for level, fires in levels:
            rates = throughput(folder, level, fires, args.rounds)
            ratios[level] = rates["engine"] / rates["raw"]
            lines.append(
                f"| {level} | {_rate(rates['raw'])} | {_rate(rates['engine'])} | {ratios[level]:.0%} "
                f"| {_rate(rates['raw_event_only'])} |"
            )
        small, large = history_length(folder, args.history, args.fires // 2, args.rounds)
    normal = ratios["NORMAL"]
    lines += [
        "",
        f"A fire by the length of the history (NORMAL, {args.fires // 2:,} fires per round, median round):",
        "",
        "| instance | µs per fire |",
        "|---|---:|",
        f"| with 10 events | {small:.1f} |",
        f"| with {args.history:,} events | {large:.1f} |",
        "",
        "Targets:",
        "",
        f"- [{'x' if normal >= 0.6 else ' '}] `engine.fire` at least 60% of raw sqlite3 writing the same rows "
        f"(NORMAL): {normal:.0%}",
        f"- [{'x' if large <= 1.2 * small else ' '}] a fire on the long history at most 1.2x one on the short: "
        f"{large / small:.2f}x",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Print the throughput table, the history-length table and the targets."""
    lines = results(argv)
    print("persistence: engine.fire on SQLiteStore against raw sqlite3 writing the same rows")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
