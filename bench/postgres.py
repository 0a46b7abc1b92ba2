"""PostgreSQL benchmark: ``engine.fire`` on a PostgresStore against raw psycopg writing the same rows.

Run from the repository root: ``python -m bench.postgres`` (``--quick`` for a short run). The server is
``JUST_WORKFLOW_BENCH_PG_URL`` when set, else two private ones started for the run (initdb in a
temporary folder, Unix socket only): one with the server's default durability (fsync on, each commit
waits for the disk), one with fsync off, where the time left is the CPU's (client and server). Without
PostgreSQL installed the benchmark says so and measures nothing.

1. Throughput. The engine fires a trigger (with a small payload) on one
   instance, one event per fire, each committed. The baseline is plain
   psycopg writing exactly the rows those fires wrote (the snapshot update
   and the event row, precomputed) with a commit each: ``UPDATE``,
   ``INSERT``, ``COMMIT``, as an application would. Both run in alternating
   rounds, each on a fresh schema; the median round counts. For reference,
   the same rows are also written by one statement per event, autocommit:
   the store's own way (its statement, without the engine); and the engine
   fires on a store made with ``notify=False`` (no NOTIFY after each write).
2. Batches. The same fires in one ``engine.batch()``: one transaction.
3. Scaling. 1 and 8 processes, each with its own store and engine, fire on
   instances of their own for the same number of fires each; the events per
   second of all together, from the moment all are ready to the last. The
   server runs on the same machine and uses its cores too.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg

import just_workflow as jw
from bench.persistence import CLERK, NOTEBOOK, Rows, fire_notes, payload, same_rows, timed
from just_workflow.store.postgres import _INSERT_EVENT, _appends, _postgres_parameters
from just_workflow.store.rows import UPDATE_CONTENT
from just_workflow.testing.postgres_server import ServerUnavailable, private_server

FORK = multiprocessing.get_context("fork")
# The rows of same_rows: a note keeps the state and the parties, so the store updates the content columns.
_UPDATE = _postgres_parameters(UPDATE_CONTENT)
_APPEND = _appends(UPDATE_CONTENT)[0]


def databases() -> Iterator[str]:
    """The URLs of the databases to measure on: the given server's, or a private durable server's then a fast one's."""
    given = os.environ.get("JUST_WORKFLOW_BENCH_PG_URL")
    if given:
        yield given
        return
    for durable in (True, False):
        with private_server(durable=durable) as server:
            yield server.create_database("just_workflow_bench")


@contextlib.contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A new schema on ``url``, dropped at the end; the URL whose connections use it."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in url else "?"
    try:
        yield f"{url}{separator}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def engine_round(url: str, fires: int, notify: bool = True) -> float:
    """Seconds for ``fires`` fires through the engine on a fresh PostgresStore."""
    with fresh_schema(url) as schema, jw.PostgresStore(schema, notify=notify) as store:
        engine = jw.Engine([NOTEBOOK], store=store)
        instance_id = engine.start("notebook", CLERK).id
        return timed(lambda: fire_notes(engine, instance_id, fires))


def batch_round(url: str, fires: int) -> float:
    """Seconds for ``fires`` fires in one batch (one transaction) through the engine on a fresh PostgresStore."""
    with fresh_schema(url) as schema, jw.PostgresStore(schema) as store:
        engine = jw.Engine([NOTEBOOK], store=store)
        instance_id = engine.start("notebook", CLERK).id

        def fire_in_a_batch() -> None:
            with engine.batch() as batch:
                for n in range(fires):
                    batch.fire(instance_id, "note", CLERK, payload(n))

        return timed(fire_in_a_batch)


def raw_round(url: str, start: tuple[jw.Instance, jw.Event], rows: Rows, one_statement: bool) -> float:
    """Seconds for plain psycopg to write ``rows`` with a commit each, into the store's schema."""
    with fresh_schema(url) as schema:
        with jw.PostgresStore(schema) as store:
            store.register_definition(NOTEBOOK)
            store.create(*start)
        with psycopg.connect(schema, autocommit=one_statement) as conn:
            execute = conn.execute

            def transactions() -> None:
                for event, snapshot in rows:
                    execute(_UPDATE, snapshot)
                    execute(_INSERT_EVENT, (*event, 0))  # 0: the first event of its transaction
                    conn.commit()

            def statements() -> None:
                for event, snapshot in rows:
                    execute(_APPEND, (*snapshot, *event, 0))

            return timed(statements if one_statement else transactions)


def throughput(url: str, fires: int, rounds: int) -> dict[str, float]:
    """Events per second (median round) of the engine and of the raw baselines."""
    start, rows = same_rows(fires)
    seconds: dict[str, list[float]] = {
        "engine": [],
        "raw": [],
        "raw_one_statement": [],
        "quiet": [],
        "batch": [],
    }
    for _ in range(rounds):
        seconds["raw"].append(raw_round(url, start, rows, one_statement=False))
        seconds["engine"].append(engine_round(url, fires))
        seconds["quiet"].append(engine_round(url, fires, notify=False))
        seconds["batch"].append(batch_round(url, fires))
        seconds["raw_one_statement"].append(raw_round(url, start, rows, one_statement=True))
    return {name: fires / statistics.median(times) for name, times in seconds.items()}


def _firing_process(url: str, fires: int, ready: Any, go: Any, finished: Any) -> None:
    store = jw.PostgresStore(url)
    engine = jw.Engine([NOTEBOOK], store=store)
    instance_id = engine.start("notebook", CLERK).id
    fire_notes(engine, instance_id, 5)  # connection opened, statements prepared
    ready.release()
    go.wait()
    fire_notes(engine, instance_id, fires)
    finished.put(time.monotonic())  # the system's monotonic clock: the same in every process
    store.close()


def together(url: str, processes: int, fires: int) -> float:
    """Events per second of ``processes`` processes firing ``fires`` each on instances of their own.

    Timed from the go to the last process's last fire: the processes'
    start-up and exit are not counted.
    """
    ready, go, finished = FORK.Semaphore(0), FORK.Event(), FORK.Queue()
    workers = [
        FORK.Process(target=_firing_process, args=(url, fires, ready, go, finished)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.acquire()
    began = time.monotonic()
    go.set()
    ended = max(finished.get(timeout=600) for _ in workers)
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a firing process failed (exit {worker.exitcode})")
    return processes * fires / (ended - began)


def scaling(url: str, fires: int, rounds: int) -> dict[int, float]:
    """Events per second (median round) of 1 and of 8 processes together."""
    rates: dict[int, list[float]] = {1: [], 8: []}
    with fresh_schema(url) as schema:
        jw.PostgresStore(schema).close()  # the schema is made before the processes start
        for _ in range(rounds):
            for processes, found in rates.items():
                found.append(together(schema, processes, fires))
    return {processes: statistics.median(found) for processes, found in rates.items()}


def _rate(rate: float) -> str:
    return f"{rate:,.0f} events/s ({1e6 / rate:.0f} µs)"


def measure(url: str, fires: int, rounds: int) -> tuple[str, dict[str, float], dict[int, float]]:
    """The server's durability settings, the throughputs and the scaling on the database at ``url``."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT current_setting('server_version'), current_setting('fsync'), "
            "current_setting('synchronous_commit')"
        ).fetchone()
    assert found is not None
    version, fsync, synchronous_commit = found
    settings = f"{version.split()[0]}, fsync={fsync}, synchronous_commit={synchronous_commit}"
    return settings, throughput(url, fires, rounds), scaling(url, fires // 2, rounds)


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.postgres", description=__doc__.split("\n")[0])
    parser.add_argument("--fires", type=int, default=1000, help="fires per round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the median counts")
    parser.add_argument("--quick", action="store_true", help="300 fires, 3 rounds: rough numbers in a minute")
    args = parser.parse_args(argv)
    if args.quick:
        args.fires, args.rounds = 300, 3
    measured = []
    try:
        for url in databases():
            measured.append(measure(url, args.fires, args.rounds))
    except ServerUnavailable as reason:
        return [f"Not measured: no PostgreSQL server could be started ({reason})."]
    lines = [
        "PostgreSQL (its version in the first column) on the same machine, over a Unix socket. "
        f"Median of {args.rounds} alternating rounds of {args.fires:,} fires, each round on a fresh schema, "
        "one commit per event:",
        "",
        "| PostgreSQL | raw psycopg: UPDATE, INSERT, COMMIT | `engine.fire` on PostgresStore | ratio "
        "| the same, `notify=False` | raw psycopg: the store's one statement |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for settings, rates, _ in measured:
        lines.append(
            f"| {settings} | {_rate(rates['raw'])} | {_rate(rates['engine'])} "
            f"| {rates['engine'] / rates['raw']:.0%} | {_rate(rates['quiet'])} | {_rate(rates['raw_one_statement'])} |"
        )
    lines += [
        "",
        f"The same {args.fires:,} fires in one batch (`engine.batch()`: one transaction, one commit):",
        "",
        "| PostgreSQL | one batch | against single fires |",
        "|---|---:|---:|",
    ]
    for settings, rates, _ in measured:
        lines.append(f"| {settings} | {_rate(rates['batch'])} | {rates['batch'] / rates['engine']:.1f}x |")
    lines += [
        "",
        f"Processes firing at once, each on its own instance ({args.fires // 2:,} fires each, median of "
        f"{args.rounds} rounds; {os.cpu_count()} cores, shared by the clients and the server):",
        "",
        "| PostgreSQL | 1 process | 8 processes | 8 against 1 |",
        "|---|---:|---:|---:|",
    ]
    for settings, _, together_rates in measured:
        lines.append(
            f"| {settings} | {together_rates[1]:,.0f} events/s | {together_rates[8]:,.0f} events/s "
            f"| {together_rates[8] / together_rates[1]:.1f}x |"
        )
    durable, rates, together_rates = measured[0]
    ratio = rates["engine"] / rates["raw"]
    scale = together_rates[8] / together_rates[1]
    batched = rates["batch"] / rates["engine"]
    lines += [
        "",
        f"Targets (on the first server, {durable}):",
        "",
        f"- [{'x' if ratio >= 0.5 else ' '}] `engine.fire` at least 50% of raw psycopg writing the same rows "
        f"with a commit each: {ratio:.0%}",
        f"- [{'x' if scale >= 3 else ' '}] 8 processes at least 3x one process: {scale:.1f}x",
        f"- [{'x' if batched >= 5 else ' '}] a batch of {args.fires:,} fires at least 5x as many single fires: "
        f"{batched:.1f}x",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    """Print the throughput and scaling tables and the targets."""
    lines = results(argv)
    print("postgres: engine.fire on PostgresStore against raw psycopg writing the same rows")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
