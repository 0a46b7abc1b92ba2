"""Work lists and batches benchmark: pages of a large SQLite store against raw indexed SQL, starts as it grows, batches.

Run from the repository root: ``python -m bench.lists`` (``--quick`` for a short run, ``--instances N``
for another size).

1. The store is built through the batch API: ``--instances`` requests (1,000,000 by default), started
   and moved by 1,000 per batch, spread over four states and one SME each (100 requests per SME).
2. A page of 50, through the engine, against the raw SQL query that reads the same rows through the
   same index (plain ``sqlite3``, the rows left undecoded), on the same connection's database:
   ``find(state=)``, ``find(party=)``, ``inbox()`` of an SME (its requests where it may act) and of
   the office (an open role: every request in review). Each is timed on the first page and on a page
   in the middle of the list (the cursor of an instance half-way), the median of many reads.
3. Start throughput: single starts (each its own transaction) on the large store against the same on
   a store of 10,000 instances, the two taking turns over five rounds, the median.
4. 1,000 fires, one transaction each, against 1,000 fires in one batch (each fire reading its instance
   as it goes, and with the instances read upfront by ``batch.prefetch``), on the large store: on
   requests just started (an import), and on requests spread over the whole store (a nightly run of
   deadlines). Beside them, the same fires' rows (computed beforehand by the pure step) written by plain
   sqlite3 one transaction each and in one transaction, and the pure steps alone: the fastest any batch
   of these fires could be. Three rounds, the ways taking turns, the median.

Times are CPU time of this process (``time.process_time``, SQLite's reads and writes included), so
that other work on the machine skews them less.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.step import step_with
from just_workflow.store import rows
from just_workflow.store.sqlite import SQLiteStore, configure_connection

REQUEST = d.Definition(
    protocol="request",
    version=1,
    title=d.Text("A request an SME sends to a university office"),
    roles=(d.Role("sme"), d.Role("office", open=True)),
    states=(d.State("new"), d.State("review"), d.State("accepted"), d.State("closed", final=True)),
    initial="new",
    start_by=("sme",),
    context=(d.Field("topic", d.FieldType.STR),),
    transitions=(
        d.Transition("submit", ("new",), ("sme",), "review", inputs=(d.Input("topic"),)),
        d.Transition("accept", ("review",), ("office",), "accepted"),
        d.Transition("amend", ("review", "accepted"), ("sme",), inputs=(d.Input("topic"),)),
        d.Transition("close", ("accepted",), ("office",), "closed"),
    ),
)
OFFICE = jw.Actor("olga", "office")
#: The moves that bring a new request to each state, by the request's number modulo 4.
MOVES: tuple[tuple[tuple[str, str, dict[str, str]], ...], ...] = (
    (),
    (("submit", "sme", {"topic": "internships"}),),
    (("submit", "sme", {"topic": "internships"}), ("accept", "office", {})),
    (("submit", "sme", {"topic": "internships"}), ("accept", "office", {}), ("close", "office", {})),
)
BATCH = 1000
PER_SME = 100
COLUMNS = "i.id, i.protocol, i.version, i.digest, i.state, i.context, i.signatures, i.seq, i.head, i.parties"


def sme(number: int) -> jw.Actor:
    """The SME of the ``number``-th request."""
    return jw.Actor(f"sme-{number // PER_SME}", "sme")


def build(engine: jw.Engine, count: int) -> float:
    """Start ``count`` requests through batches of 1,000, each moved to its state; seconds per instance."""
    started = time.process_time()
    for first in range(0, count, BATCH):
        with engine.batch() as batch:
            for number in range(first, min(first + BATCH, count)):
                starter = sme(number)
                instance = batch.start("request", starter, instance_id=f"r{number:08d}")
                for trigger, role, payload in MOVES[number % 4]:
                    batch.fire(instance.id, trigger, starter if role == "sme" else OFFICE, payload)
    return (time.process_time() - started) / count


def median_time(work: Callable[[], object], reads: int) -> float:
    """Median CPU seconds of ``work`` over ``reads`` runs."""
    times = []
    for _ in range(reads):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def pages(engine: jw.Engine, path: Path, count: int, reads: int) -> list[tuple[str, float, float]]:
    """(what, engine seconds, raw SQL seconds) for each page measured."""
    conn = sqlite3.connect(path)
    smes = sme(count // 2)
    raw_state = (
        f"SELECT i.rowid, {COLUMNS} FROM instances AS i WHERE i.protocol = ? AND i.version = ? AND i.state = ? "
        "AND i.rowid > ? ORDER BY i.rowid LIMIT 51"
    )
    raw_party = (
        f"SELECT p.instance, {COLUMNS} FROM parties AS p JOIN instances AS i ON i.rowid = p.instance "
        "WHERE p.actor = ? AND p.instance > ? ORDER BY p.instance LIMIT 51"
    )
    raw_inbox = (
        f"SELECT p.instance, {COLUMNS} FROM parties AS p JOIN instances AS i ON i.rowid = p.instance "
        "WHERE p.actor = ? AND p.role = ? AND (i.protocol, i.version, i.state) IN (VALUES (?, ?, ?), (?, ?, ?), "
        "(?, ?, ?)) AND p.instance < ? ORDER BY p.instance DESC LIMIT 51"
    )
    # The office may accept in review and close when accepted: the two states' index ranges, merged.
    raw_office = (
        f"SELECT i.rowid, {COLUMNS} FROM instances AS i WHERE i.protocol = ? AND i.version = ? AND i.state = ? "
        f"AND i.rowid < ? UNION SELECT i.rowid, {COLUMNS} FROM instances AS i WHERE i.protocol = ? "
        "AND i.version = ? AND i.state = ? AND i.rowid < ? ORDER BY 1 DESC LIMIT 51"
    )
    in_review = count // 4
    review_cursor, review_number = half_way(lambda **page: engine.find(state="review", **page), in_review)
    inbox_cursor, inbox_number = half_way(lambda **page: engine.inbox(OFFICE, **page), in_review)
    review_position, inbox_position = (
        conn.execute("SELECT rowid FROM instances WHERE id = ?", (f"r{number:08d}",)).fetchone()[0]
        for number in (review_number, inbox_number)
    )
    sme_states = ("request", 1, "new", "request", 1, "review", "request", 1, "accepted")
    office_states = (("request", 1, "review"), ("request", 1, "accepted"))
    measured = [
        (
            "`find(state=)`, first page",
            lambda: engine.find(state="review"),
            lambda: conn.execute(raw_state, ("request", 1, "review", 0)).fetchall(),
        ),
        (
            "`find(state=)`, half-way",
            lambda: engine.find(state="review", after=review_cursor),
            lambda: conn.execute(raw_state, ("request", 1, "review", review_position)).fetchall(),
        ),
        (
            f"`find(party=)` ({PER_SME} requests)",
            lambda: engine.find(party=smes.id),
            lambda: conn.execute(raw_party, (smes.id, 0)).fetchall(),
        ),
        (
            "`inbox()` of an SME",
            lambda: engine.inbox(smes),
            lambda: conn.execute(raw_inbox, (smes.id, "sme", *sme_states, 2**62)).fetchall(),
        ),
        (
            "`inbox()` of the office, first page",
            lambda: engine.inbox(OFFICE),
            lambda: conn.execute(raw_office, (*office_states[0], 2**62, *office_states[1], 2**62)).fetchall(),
        ),
        (
            "`inbox()` of the office, half-way",
            lambda: engine.inbox(OFFICE, after=inbox_cursor),
            lambda: conn.execute(
                raw_office, (*office_states[0], inbox_position, *office_states[1], inbox_position)
            ).fetchall(),
        ),
    ]
    results = []
    for what, through_engine, raw in measured:
        results.append((what, median_time(through_engine, reads), median_time(raw, reads)))
    conn.close()
    return results


def half_way(read: Callable[..., jw.Page[jw.Instance]], count: int) -> tuple[str, int]:
    """A cursor half-way down a list, and the position it stands for, found by paging 1,000 at a time."""
    after = None
    seen = 0
    while True:
        page = read(limit=1000, after=after)
        seen += len(page.items)
        assert page.next is not None, "the list ended before half-way"
        after = page.next
        if seen >= count // 2:
            return after, int(page.items[-1].id[1:])


def start_rates(small: jw.Engine, large: jw.Engine, starts: int, rounds: int = 5) -> tuple[float, float]:
    """Single starts per CPU second on each store (median round), the two stores taking turns.

    A start's rate moves by a quarter from one moment to the next on a
    shared machine: one round on each store, one after the other, would
    compare two moments rather than two sizes.
    """
    rates: dict[str, list[float]] = {"small": [], "large": []}
    per_round = max(1, starts // rounds)
    for round_number in range(rounds):
        for name, engine in (("small", small), ("large", large)):
            begun = time.process_time()
            for number in range(per_round):
                engine.start("request", jw.Actor(f"newcomer-{round_number}-{number}", "sme"))
            rates[name].append(per_round / (time.process_time() - begun))
    return statistics.median(rates["small"]), statistics.median(rates["large"])


#: The ways 1,000 fires are written: through the engine one transaction each, in one batch, in one batch
#: read upfront; and their rows, computed beforehand, written by plain sqlite3 one commit each and in one
#: transaction (what SQLite alone costs for the same work).
WAYS = ("single", "batch", "prefetched", "raw single", "raw batch")
#: A batch's fire computes its step too: the pure step's rate, measured on the raw batch's snapshots.
STEP = "step"
TOPIC = {"topic": "labs"}


def fire_rates(engine: jw.Engine, path: Path, count: int, rounds: int) -> dict[str, dict[str, float]]:
    """Fires per CPU second (median round), by kind of request and way of writing, the ways taking turns.

    ``fresh``: on 1,000 requests just started (the commit is most of a single fire's cost); ``spread``:
    on 1,000 new requests spread over the whole store (each fire reads and writes pages of its own).
    Besides the ways, ``step``: the pure step of the same fires, computed on snapshots read beforehand.
    """
    spread = random.Random(7).sample(range(0, count, 4), len(WAYS) * 1000 * rounds)  # requests still new
    rates: dict[tuple[str, str], list[float]] = {}
    conn = sqlite3.connect(path, isolation_level=None)
    configure_connection(conn, "NORMAL")
    try:
        for round_number in range(rounds):
            with engine.batch() as batch:
                fresh = [f"fresh-{round_number}-{n}" for n in range(len(WAYS) * 1000)]
                for number, instance_id in enumerate(fresh):
                    batch.start("request", sme(number), instance_id=instance_id)
            for turn, way in enumerate(WAYS):
                first = (len(WAYS) * round_number + turn) * 1000
                for kind, targets in (
                    ("fresh", [(fresh[n], sme(n)) for n in range(turn * 1000, turn * 1000 + 1000)]),
                    ("spread", [(f"r{n:08d}", sme(n)) for n in spread[first : first + 1000]]),
                ):
                    if way.startswith("raw"):
                        planned, step_seconds = planned_rows(engine, targets)
                        rates.setdefault((kind, STEP), []).append(1000 / step_seconds)
                        begun = time.process_time()
                        write_rows(conn, planned, way)
                    else:
                        begun = time.process_time()
                        fire_all(engine, targets, way)
                    rates.setdefault((kind, way), []).append(1000 / (time.process_time() - begun))
    finally:
        conn.close()
    return {
        kind: {way: statistics.median(rates[(kind, way)]) for way in (*WAYS, STEP)}
        for kind in ("fresh", "spread")
    }


def fire_all(engine: jw.Engine, targets: list[tuple[str, jw.Actor]], way: str) -> None:
    """Submit each request of ``targets`` as its SME, written ``way`` (one of the engine's :data:`WAYS`)."""
    if way == "single":
        for instance_id, starter in targets:
            engine.fire(instance_id, "submit", starter, TOPIC)
        return
    with engine.batch() as batch:
        if way == "prefetched":
            batch.prefetch([instance_id for instance_id, _ in targets])
        for instance_id, starter in targets:
            batch.fire(instance_id, "submit", starter, TOPIC)


#: The rows of one fire as the SQLite store writes them: its UPDATE of the instance, with parameters, and
#: its event's INSERT parameters.
PlannedFire = tuple[str, tuple[object, ...], list[object]]


def planned_rows(engine: jw.Engine, targets: list[tuple[str, jw.Actor]]) -> tuple[list[PlannedFire], float]:
    """The rows submitting each request of ``targets`` writes, and the CPU seconds of the pure steps alone.

    The snapshots are read first, so that the steps' time is the steps'; the rows are the store's own
    (``rows.snapshot_write``: the state changes, the parties do not).
    """
    table = engine.table("request")
    snapshots = [engine.store.load(instance_id) for instance_id, _ in targets]
    now = engine.clock().isoformat()
    begun = time.process_time()
    steps = [
        step_with(table, snapshot, "submit", starter, TOPIC, now)
        for snapshot, (_, starter) in zip(snapshots, targets, strict=True)
    ]
    seconds = time.process_time() - begun
    planned = []
    for before, (after, event) in zip(snapshots, steps, strict=True):
        statement, parameters = rows.snapshot_write(
            after, rows.encode_snapshot(after), event.at, before.seq, before
        )
        planned.append((statement, parameters, rows.event_row(event)))
    return planned, seconds


def write_rows(conn: sqlite3.Connection, planned: list[PlannedFire], way: str) -> None:
    """Write the rows of ``planned`` with plain sqlite3: one transaction each (``raw single``), or all in one."""
    if way == "raw single":
        execute = conn.execute
        for statement, parameters, event in planned:
            execute("BEGIN IMMEDIATE")  # as the store begins every write
            execute(statement, parameters)
            execute(rows.INSERT_EVENT, event)
            execute("COMMIT")
        return
    conn.execute("BEGIN IMMEDIATE")
    by_statement: dict[str, list[tuple[object, ...]]] = {}
    # In id order (the id is the UPDATE's next-to-last parameter), as the store writes a batch's rows.
    for statement, parameters, _ in sorted(planned, key=lambda fire: str(fire[1][-2])):
        by_statement.setdefault(statement, []).append(parameters)
    for statement, parameters_of in by_statement.items():
        conn.executemany(statement, parameters_of)
    conn.executemany(rows.INSERT_EVENT, [event for _, _, event in planned])
    conn.execute("COMMIT")


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=1_000_000, help="instances in the large store")
    parser.add_argument("--reads", type=int, default=200, help="reads of each page; the median counts")
    parser.add_argument("--starts", type=int, default=3000, help="single starts timed on each store")
    parser.add_argument("--quick", action="store_true", help="100,000 instances, fewer reads: rough numbers")
    args = parser.parse_args(argv)
    if args.quick:
        args.instances, args.reads, args.starts = 100_000, 50, 1000
    with tempfile.TemporaryDirectory(prefix="jw-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "large.db"
        with SQLiteStore(folder / "small.db") as small_store, SQLiteStore(path) as store:
            small = jw.Engine([REQUEST], store=small_store)
            build(small, 10_000)
            engine = jw.Engine([REQUEST], store=store)
            per_instance = build(engine, args.instances)
            measured = pages(engine, path, args.instances, args.reads)
            small_rate, large_rate = start_rates(small, engine, args.starts)
            fires = fire_rates(engine, path, args.instances, 3)
            size = path.stat().st_size + (folder / "large.db-wal").stat().st_size
    lines = [
        f"A SQLite store of {args.instances:,} requests (four states, {PER_SME} per SME), built through "
        f"`engine.batch()` in batches of {BATCH:,}: {per_instance * 1e6:.0f} µs of CPU per request "
        f"(start and 1.5 fires on average), {size / args.instances:,.0f} bytes per request on disk.",
        "",
        f"A page of 50 (median of {args.reads} reads, CPU time), through the engine and as raw SQL reading "
        "the same rows through the same index:",
        "",
        "| page | engine | raw SQL | ratio |",
        "|---|---:|---:|---:|",
    ]
    worst = 0.0
    for what, through_engine, raw in measured:
        ratio = through_engine / raw
        worst = max(worst, ratio)
        lines.append(f"| {what} | {through_engine * 1e3:.2f} ms | {raw * 1e3:.2f} ms | {ratio:.1f}x |")
    start_ratio = large_rate / small_rate
    batch_ratios = {kind: rates["prefetched"] / rates["single"] for kind, rates in fires.items()}
    # The fastest a batch can be: its rows written in one transaction, its steps computed, nothing else.
    floors = {kind: 1 / (1 / rates["raw batch"] + 1 / rates[STEP]) for kind, rates in fires.items()}
    ceilings = {kind: floors[kind] / rates["single"] for kind, rates in fires.items()}
    lines += [
        "",
        "| throughput | rate |",
        "|---|---:|",
        f"| single starts on 10,000 instances | {small_rate:,.0f} starts/s |",
        f"| single starts on {args.instances:,} instances | {large_rate:,.0f} starts/s |",
        *(
            f"| 1,000 fires on requests {where}, {how} | {fires[kind][way]:,.0f} fires/s |"
            for kind, where in (("fresh", "just started"), ("spread", "spread over the store"))
            for way, how in (
                ("single", "one transaction each"),
                ("batch", "in one batch"),
                ("prefetched", "in one batch, read upfront by `prefetch`"),
                ("raw single", "their rows alone, plain sqlite3, one transaction each"),
                ("raw batch", "their rows alone, plain sqlite3, in one transaction"),
                (STEP, "their pure steps alone (no store)"),
            )
        ),
        "",
        "The fastest a batch of these fires could be is writing their rows in one transaction plus "
        "computing their steps, with nothing else: "
        + ", ".join(
            f"{floors[kind]:,.0f} fires/s on requests {where}, {ceilings[kind]:.1f}x the single fires"
            for kind, where in (("fresh", "just started"), ("spread", "spread over the store"))
        )
        + ".",
        "",
        "Targets:",
        "",
        f"- [{'x' if worst <= 5 else ' '}] every page within 5x the raw indexed SQL query: at worst {worst:.1f}x",
        f"- [{'x' if start_ratio >= 0.8 else ' '}] start throughput at {args.instances:,} at least 80% of "
        f"at 10,000: {start_ratio:.0%}",
        f"- [{'x' if min(batch_ratios.values()) >= 5 else ' '}] a batch of 1,000 fires at least 5x the "
        f"throughput of 1,000 single fires (the batch read upfront): {batch_ratios['fresh']:.1f}x on "
        f"requests just started, {batch_ratios['spread']:.1f}x on requests spread over the store (at most "
        f"{ceilings['fresh']:.1f}x and {ceilings['spread']:.1f}x possible, above)",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Print the tables and the targets."""
    print("lists: pages of a large SQLite store, starts as it grows, batches")
    print()
    print("\n".join(results(argv)))


if __name__ == "__main__":
    main()
