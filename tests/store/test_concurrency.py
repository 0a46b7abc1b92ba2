"""Many writers on one SQLite database: processes and threads, competing fires, and writers killed mid-write."""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.events import compute_hash, genesis_hash

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the workers are forked processes")

# Every fire records a token naming its writer and attempt, so that each acknowledged fire can be found.
COUNTER = d.Definition(
    protocol="counter",
    version=1,
    title=d.Text("Counter"),
    roles=(d.Role("clerk"),),
    states=(d.State("open"),),
    initial="open",
    context=(d.Field("token", d.FieldType.STR),),
    transitions=(
        d.Transition("tick", ("open",), ("clerk",), inputs=(d.Input("token"),)),
        d.Transition("tock", ("open",), ("clerk",), inputs=(d.Input("token"),)),
    ),
)
CLERK = jw.Actor("clerk", "clerk")
FORK = multiprocessing.get_context("fork")

# An outcome a worker reports: its name, the (token, seq) of each acknowledged fire, and every other error.
Report = tuple[str, list[tuple[str, int]], list[str]]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[jw.Engine]:
    """An engine on a fresh SQLite database, with one counter instance 'c' started."""
    store = jw.SQLiteStore(tmp_path / "concurrent.db")
    engine = jw.Engine([COUNTER], store=store)
    engine.start("counter", CLERK, instance_id="c")
    yield engine
    store.close()


def tick_until_acknowledged(engine: jw.Engine, name: str, fires: int, start: Barrier) -> Report:
    """Once every worker is ready, fire ``fires`` ticks, retrying each on ConcurrencyConflict.

    Any other error ends the worker and is reported.
    """
    acknowledged: list[tuple[str, int]] = []
    errors: list[str] = []
    start.wait()
    for n in range(fires):
        token = f"{name}-{n}"
        while True:
            try:
                acknowledged.append((token, engine.fire("c", "tick", CLERK, {"token": token}).seq))
                break
            except jw.ConcurrencyConflict:
                continue
            except Exception as error:  # reported to the test, which fails on any
                errors.append(repr(error))
                return name, acknowledged, errors
    return name, acknowledged, errors


def in_process(engine: jw.Engine, name: str, fires: int, start: Barrier, reports: Any) -> None:
    """tick_until_acknowledged in a forked process, its report sent back on a queue."""
    reports.put(tick_until_acknowledged(engine, name, fires, start))


def collect(reports: Any, processes: list[Any]) -> list[Any]:
    """One report from each process, failing fast when one of them died instead."""
    collected: list[Any] = []
    deadline = time.monotonic() + 60
    while len(collected) < len(processes):
        try:
            collected.append(reports.get(timeout=0.2))
        except queue.Empty:
            died = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            assert not died, f"worker processes died with exit codes {died}"
            assert time.monotonic() < deadline, "the workers did not report within 60 s"
    return collected


def in_rounds(worker: Callable[..., None], engine: jw.Engine, rounds: int, workers: int) -> list[Any]:
    """Run ``worker(engine, k, rounds, barrier, reports)`` in ``workers`` forked processes; one report from each."""
    barrier = FORK.Barrier(workers, timeout=60)
    reports_queue = FORK.Queue()
    processes = [
        FORK.Process(target=worker, args=(engine, k, rounds, barrier, reports_queue)) for k in range(workers)
    ]
    for process in processes:
        process.start()
    reports = collect(reports_queue, processes)
    for process in processes:
        process.join(timeout=60)
    return reports


def assert_chain(events: list[jw.Event], previous: str | None = None) -> None:
    """Each event is hashed over its content and linked to the one before (or to ``previous``)."""
    if previous is None:
        previous = genesis_hash(events[0].instance, events[0].protocol, events[0].version)
    for event in events:
        assert event.prev_hash == previous, f"event {event.seq} is not linked to the event before it"
        assert event.hash == compute_hash(event), f"event {event.seq} does not match its hash"
        previous = event.hash


@pytest.mark.slow
def test_processes_and_threads_store_every_acknowledged_fire_once(engine: jw.Engine) -> None:
    """8 processes and 8 threads x 100 fires on one instance: each acknowledged once, seq gapless, chain intact."""
    reports_queue = FORK.Queue()
    start = FORK.Barrier(16, timeout=60)
    processes = [
        FORK.Process(target=in_process, args=(engine, f"p{k}", 100, start, reports_queue)) for k in range(8)
    ]
    for process in processes:
        process.start()
    reports: list[Report] = []
    threads = [
        threading.Thread(
            target=lambda k=k: reports.append(tick_until_acknowledged(engine, f"t{k}", 100, start))
        )
        for k in range(8)
    ]
    for thread in threads:
        thread.start()
    reports.extend(collect(reports_queue, processes))
    for worker in [*threads, *processes]:
        worker.join(timeout=60)
    assert len(reports) == 16
    assert [error for _, _, errors in reports for error in errors] == []
    acknowledged = {token: seq for _, acks, _ in reports for token, seq in acks}
    assert len(acknowledged) == 1600
    history = engine.history("c")
    assert [e.seq for e in history] == list(range(1, 1602))
    stored = {e.payload["token"]: e.seq for e in history[1:]}
    assert stored == acknowledged
    assert_chain(history)
    assert engine.get("c").head == history[-1].hash


def repeat_request(engine: jw.Engine, worker: int, rounds: int, barrier: Barrier, reports: Any) -> None:
    """Each round: wait for the others, then send the round's request with its idempotency key; report the seqs."""
    seqs: list[int] = []
    for round_ in range(rounds):
        barrier.wait()
        token = f"request-{round_}"
        seqs.append(engine.fire("c", "tick", CLERK, {"token": token}, idempotency_key=token).seq)
    reports.put(seqs)


@pytest.mark.slow
def test_a_request_repeated_at_once_by_many_processes_is_stored_once(engine: jw.Engine) -> None:
    """8 processes send the same keyed request at once, 30 rounds: one event per round, the same answer to all."""
    rounds, workers = 30, 8
    answers = in_rounds(repeat_request, engine, rounds, workers)
    assert answers == [list(range(2, rounds + 2))] * workers
    history = engine.history("c")
    assert [e.payload.get("token") for e in history[1:]] == [f"request-{r}" for r in range(rounds)]
    assert_chain(history)


def compete(engine: jw.Engine, worker: int, rounds: int, barrier: Barrier, reports: Any) -> None:
    """Each round: read the seq, wait for the others, then fire expecting that seq; report the outcomes."""
    outcomes: list[tuple[int, str, int, int]] = []
    trigger = "tick" if worker % 2 else "tock"
    for round_ in range(rounds):
        barrier.wait()
        seq = engine.get("c").seq
        barrier.wait()
        try:
            won = engine.fire("c", trigger, CLERK, {"token": f"{worker}-{round_}"}, expected_seq=seq)
            outcomes.append((round_, "won", seq, won.seq))
        except jw.ConcurrencyConflict as conflict:
            outcomes.append((round_, "lost", conflict.expected, conflict.actual))
        except Exception as error:  # reported to the test, which fails on any
            outcomes.append((round_, repr(error), seq, -1))
    reports.put(outcomes)


@pytest.mark.slow
def test_competing_fires_on_the_same_seq_have_exactly_one_winner(engine: jw.Engine) -> None:
    """8 workers fire at the same seq, 100 rounds: one wins each round, the others conflict and write nothing."""
    rounds, workers = 100, 8
    outcomes = [outcome for report in in_rounds(compete, engine, rounds, workers) for outcome in report]
    for round_ in range(rounds):
        this_round = sorted((kind, expected, actual) for r, kind, expected, actual in outcomes if r == round_)
        seq = round_ + 1
        assert this_round == [("lost", seq, seq + 1)] * (workers - 1) + [("won", seq, seq + 1)], round_
    history = engine.history("c")
    assert [e.seq for e in history] == list(range(1, rounds + 2))
    assert_chain(history)


def write_forever(engine: jw.Engine, name: str, acknowledgements: int) -> None:
    """Fire ticks until killed, writing 'seq token' to a pipe after each acknowledged fire."""
    for n in range(10**9):
        token = f"{name}-{n}"
        seq = engine.fire("c", "tick", CLERK, {"token": token}).seq
        os.write(acknowledgements, f"{seq} {token}\n".encode())


def read_all(fd: int) -> str:
    """Everything written to a pipe whose writers are gone."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_a_writer_killed_at_random_moments_loses_no_acknowledged_fire(
    engine: jw.Engine, tmp_path: Path
) -> None:
    """kill -9 a writer 60 times: the database passes integrity_check, and the history is a chained prefix
    of the writer's fires holding every acknowledged one."""
    path = tmp_path / "concurrent.db"
    seed = random.randrange(2**32)
    pause = random.Random(seed)
    verified = engine.history("c")
    for kill in range(60):
        read_end, write_end = os.pipe()
        writer = FORK.Process(target=write_forever, args=(engine, f"w{kill}", write_end))
        writer.start()
        os.close(write_end)
        time.sleep(pause.uniform(0.0, 0.04))
        os.kill(writer.pid, signal.SIGKILL)  # type: ignore[arg-type]
        writer.join()
        acknowledged = [line.split(" ") for line in read_all(read_end).splitlines()]
        where = f"kill {kill} (seed {seed})"

        with jw.SQLiteStore(path) as reopened:
            assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok", where
            new = reopened.events("c", after_seq=len(verified))
            snapshot = reopened.load("c")
        tokens = [e.payload["token"] for e in new]
        assert tokens == [f"w{kill}-{n}" for n in range(len(new))], where
        assert [e.seq for e in new] == list(range(len(verified) + 1, len(verified) + len(new) + 1)), where
        assert {(str(e.seq), e.payload["token"]) for e in new} >= {
            (seq, token) for seq, token in acknowledged
        }, where
        assert len(new) - len(acknowledged) in (0, 1), where
        assert_chain(new, verified[-1].hash)
        verified = [*verified, *new]
        assert (snapshot.seq, snapshot.head) == (verified[-1].seq, verified[-1].hash), where
