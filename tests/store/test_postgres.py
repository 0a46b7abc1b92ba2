"""What only a server shows: PostgresStore's schema and migrations, lost connections, locks, many processes.

The store contract runs on PostgresStore in test_contract.py; here, what it
cannot show: engines in separate processes ("app servers") on one database,
races between them, a backend killed in the middle of a fire.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier
from typing import Any

import psycopg
import pytest

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.step import begin
from just_workflow.store import postgres_schema, rows
from just_workflow.store.postgres import _insert_new, shown_url
from just_workflow.testing.store_contract import assert_chain

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the app servers are forked processes")

COUNTER = d.Definition(
    protocol="counter",
    version=1,
    title=d.Text("Counter"),
    roles=(d.Role("clerk", open=True),),
    states=(d.State("open"),),
    initial="open",
    context=(d.Field("token", d.FieldType.STR),),
    transitions=(d.Transition("tick", ("open",), ("clerk",), inputs=(d.Input("token"),)),),
)
CLERK = jw.Actor("clerk", "clerk")
FORK = multiprocessing.get_context("fork")


@pytest.fixture
def store(postgres_url: str) -> Iterator[jw.PostgresStore]:
    """A PostgresStore on a fresh schema."""
    with jw.PostgresStore(postgres_url) as made:
        yield made


@pytest.fixture
def engine(store: jw.PostgresStore) -> jw.Engine:
    """An engine on the store, with the counter 'c' started."""
    engine = jw.Engine([COUNTER], store=store)
    engine.start("counter", CLERK, instance_id="c")
    return engine


def sql(url: str, statement: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run ``statement`` on a connection of its own; its rows, if any."""
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement, args)
        return cursor.fetchall() if cursor.description else []


# -- schema and migrations ---------------------------------------------------------------------


def test_the_tables_have_the_columns_of_the_rows(store: jw.PostgresStore) -> None:
    """instances and events hold exactly the columns the row codec writes (and instances its order n)."""

    def columns(table: str) -> set[str]:
        found = sql(
            store.url,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {name for (name,) in found}

    assert columns("instances") == {*rows.INSTANCE_COLUMNS, "n"}
    assert columns("events") == {*rows.EVENT_COLUMNS, "position"}
    assert columns("parties") == {"instance", "role", "actor"}
    assert columns("idempotency_keys") == {"instance", "key", "seq", "request", "answer"}
    assert sql(store.url, "SELECT version FROM just_workflow_schema") == [(len(postgres_schema.MIGRATIONS),)]


def test_a_database_from_a_newer_release_is_refused(postgres_url: str) -> None:
    """A schema version above this release's is a StoreError saying so; nothing is changed."""
    jw.PostgresStore(postgres_url).close()
    sql(postgres_url, "UPDATE just_workflow_schema SET version = 99")
    with pytest.raises(jw.StoreError, match="schema version 99, newer than"):
        jw.PostgresStore(postgres_url)


def test_a_later_release_migrates_todays_database_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new migration runs once on a database at today's version, keeping its data; reopening runs nothing."""
    with jw.PostgresStore(postgres_url) as store:
        jw.Engine([COUNTER], store=store).start("counter", CLERK, instance_id="kept")
    later = (*postgres_schema.MIGRATIONS, ("ALTER TABLE instances ADD COLUMN note text",))
    monkeypatch.setattr(postgres_schema, "MIGRATIONS", later)
    monkeypatch.setattr(jw.store.postgres, "MIGRATIONS", later)  # type: ignore[attr-defined]
    with jw.PostgresStore(postgres_url) as store:
        assert store.load("kept").state == "open"
    assert sql(postgres_url, "SELECT version FROM just_workflow_schema") == [(len(later),)]
    assert sql(postgres_url, "SELECT id, note FROM instances") == [("kept", None)]
    with jw.PostgresStore(postgres_url) as store:  # at the latest version: no migration runs again
        assert store.load("kept").seq == 1


def test_a_failing_migration_leaves_the_database_as_it_was(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails halfway is rolled back whole: version and tables as before."""
    jw.PostgresStore(postgres_url).close()
    broken = (*postgres_schema.MIGRATIONS, ("ALTER TABLE instances ADD COLUMN note text", "SELECT 1/0"))
    monkeypatch.setattr(jw.store.postgres, "MIGRATIONS", broken)  # type: ignore[attr-defined]
    monkeypatch.setattr(postgres_schema, "MIGRATIONS", broken)
    with pytest.raises(jw.StoreError, match="could not create or migrate the schema: division by zero"):
        jw.PostgresStore(postgres_url)
    assert sql(postgres_url, "SELECT version FROM just_workflow_schema") == [(1,)]
    found = sql(postgres_url, "SELECT 1 FROM information_schema.columns WHERE column_name = 'note'")
    assert found == []


def test_servers_starting_at_once_on_an_empty_database_create_the_schema_once(postgres_url: str) -> None:
    """Eight processes opening an empty database together all succeed; the schema is made once."""
    start = FORK.Barrier(8)
    failures = FORK.Queue()

    def open_store() -> None:
        start.wait()
        try:
            jw.PostgresStore(postgres_url).close()
        except Exception as error:  # sent to the test, which fails on any
            failures.put(repr(error))

    run_processes([FORK.Process(target=open_store) for _ in range(8)])
    assert failures.empty(), failures.get()
    assert sql(postgres_url, "SELECT version FROM just_workflow_schema") == [(1,)]


# -- connections -------------------------------------------------------------------------------


def test_a_url_that_is_not_postgresql_is_refused() -> None:
    """PostgresStore takes postgresql:// and postgres:// URLs only."""
    with pytest.raises(jw.StoreError, match="needs a postgresql:// .* URL, got 'sqlite:///w.db'"):
        jw.PostgresStore("sqlite:///w.db")


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    """A server that does not answer is a StoreError naming the URL, its password masked, also in repr."""
    url = "postgresql://app:s3cret@127.0.0.1:1/nowhere?connect_timeout=2"
    with pytest.raises(jw.StoreError, match=r"postgresql://app:\*\*\*@127.0.0.1:1/nowhere") as failure:
        jw.PostgresStore(url)
    assert "s3cret" not in str(failure.value)
    assert shown_url("postgresql://app@db/w?password=s3cret&sslmode=require") == (
        "postgresql://app@db/w?password=***&sslmode=require"
    )
    assert shown_url("postgresql://app@db/w?host=/tmp/x") == "postgresql://app@db/w?host=/tmp/x"


def backend_of(url: str, waiting: bool) -> int:
    """The pid of the one just_workflow backend on the database (the one waiting for a lock, if ``waiting``)."""
    for _ in range(500):
        found = sql(
            url,
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query NOT LIKE 'SELECT pid FROM pg_stat_activity%%' "
            + ("AND wait_event_type = 'Lock'" if waiting else "AND query LIKE 'WITH moved AS%%'"),
        )
        if len(found) == 1:
            return int(found[0][0])
        time.sleep(0.01)
    raise AssertionError("the backend was not found")


def test_a_backend_killed_mid_fire_writes_nothing_and_the_engine_goes_on(
    engine: jw.Engine, store: jw.PostgresStore
) -> None:
    """A fire whose backend is terminated while it writes fails with StoreError, writes nothing; the next works."""
    before = engine.fire("c", "tick", CLERK, {"token": "first"})
    holder = psycopg.connect(store.url)  # holds the instance's row, so that the fire waits mid-statement
    holder.execute("SELECT 1 FROM instances WHERE id = 'c' FOR UPDATE")
    outcome: list[BaseException] = []

    def fire() -> None:
        try:
            engine.fire("c", "tick", CLERK, {"token": "lost"})
        except BaseException as error:
            outcome.append(error)

    firing = threading.Thread(target=fire)
    firing.start()
    victim = backend_of(store.url, waiting=True)
    assert sql(store.url, "SELECT pg_terminate_backend(%s)", (victim,)) == [(True,)]
    firing.join(10)
    holder.rollback()
    holder.close()
    assert len(outcome) == 1 and isinstance(outcome[0], jw.StoreError)
    assert "the connection was lost" in str(outcome[0])
    assert engine.get("c") == before
    assert [e.payload.get("token") for e in engine.history("c")] == [None, "first"]
    after = engine.fire("c", "tick", CLERK, {"token": "next"})  # on a new connection
    assert after.seq == before.seq + 1
    assert_chain(engine.history("c"))


def test_a_backend_killed_mid_batch_writes_nothing_of_it(engine: jw.Engine, store: jw.PostgresStore) -> None:
    """A batch whose backend is terminated after its first write, while its second waits, leaves both undone."""
    engine.start("counter", CLERK, instance_id="d")
    holder = psycopg.connect(store.url)  # holds d's row: the batch writes c, then waits for d
    holder.execute("SELECT 1 FROM instances WHERE id = 'd' FOR UPDATE")
    outcome: list[BaseException] = []

    def batch() -> None:
        try:
            with engine.batch() as writes:
                writes.fire("c", "tick", CLERK, {"token": "c in the batch"})
                writes.fire("d", "tick", CLERK, {"token": "d in the batch"})
        except BaseException as error:
            outcome.append(error)

    firing = threading.Thread(target=batch)
    firing.start()
    victim = backend_of(store.url, waiting=True)
    sql(store.url, "SELECT pg_terminate_backend(%s)", (victim,))
    firing.join(10)
    holder.rollback()
    holder.close()
    assert len(outcome) == 1 and isinstance(outcome[0], jw.StoreError), outcome
    assert (engine.get("c").seq, engine.get("d").seq) == (1, 1)
    assert sql(store.url, "SELECT count(*) FROM events") == [(2,)]
    assert engine.fire("d", "tick", CLERK, {"token": "after"}).seq == 2


def test_a_connection_lost_between_calls_is_replaced(engine: jw.Engine, store: jw.PostgresStore) -> None:
    """After the server ends an idle connection (restart, idle timeout), reads and fires go on."""
    engine.fire("c", "tick", CLERK, {"token": "one"})
    idle = sql(
        store.url,
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name <> 'psql'",
    )
    for (pid,) in idle:
        sql(store.url, "SELECT pg_terminate_backend(%s)", (pid,))
    assert engine.get("c").seq == 2  # the read is tried again on a new connection
    assert engine.fire("c", "tick", CLERK, {"token": "two"}).seq == 3


def test_a_row_locked_past_the_busy_timeout_is_store_busy(postgres_url: str) -> None:
    """A fire waiting longer than busy_timeout for a row another transaction holds is StoreBusy; nothing written."""
    with jw.PostgresStore(postgres_url, busy_timeout=0.2) as store:
        engine = jw.Engine([COUNTER], store=store)
        engine.start("counter", CLERK, instance_id="c")
        with psycopg.connect(postgres_url) as holder:
            holder.execute("SELECT 1 FROM instances WHERE id = 'c' FOR UPDATE")
            with pytest.raises(jw.StoreBusy, match="busy timeout"):
                engine.fire("c", "tick", CLERK, {"token": "t"})
        assert engine.get("c").seq == 1


def test_a_forked_child_opens_its_own_connection(engine: jw.Engine, store: jw.PostgresStore) -> None:
    """A child process firing through the parent's store leaves the parent's connection working."""
    engine.fire("c", "tick", CLERK, {"token": "parent"})
    child = FORK.Process(target=lambda: engine.fire("c", "tick", CLERK, {"token": "child"}))
    run_processes([child])
    assert child.exitcode == 0
    assert engine.get("c").seq == 3
    assert engine.fire("c", "tick", CLERK, {"token": "parent again"}).seq == 4


# -- app servers -------------------------------------------------------------------------------


def run_processes(processes: list[Any]) -> None:
    """Start every process and wait for all (60 s at most)."""
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode is not None, "a process did not finish"


def app_server(url: str, name: str, job: str, start: Barrier, reports: Any) -> None:
    """An app server: its own store and engine on ``url``; does ``job`` once every server is ready."""
    store = jw.PostgresStore(url)
    engine = jw.Engine([COUNTER], store=store)
    start.wait()
    try:
        if job == "ticks":  # 25 fires without expected_seq: the engine retries on conflicts
            seqs = [engine.fire("c", "tick", CLERK, {"token": f"{name}-{n}"}).seq for n in range(25)]
            reports.put((name, "ok", seqs))
        elif job == "same seq":
            reports.put((name, "ok", engine.fire("c", "tick", CLERK, {"token": name}, expected_seq=1).seq))
        elif job == "same key":
            done = engine.fire("c", "tick", CLERK, {"token": "once"}, expected_seq=1, idempotency_key="k")
            reports.put((name, "ok", (done.seq, done.head)))
    except jw.ConcurrencyConflict as conflict:
        reports.put((name, "conflict", (conflict.expected, conflict.actual)))
    except Exception as error:  # any other error fails the test
        reports.put((name, "error", repr(error)))
    finally:
        store.close()


def race(url: str, job: str, servers: int) -> list[tuple[str, str, Any]]:
    """Run ``job`` on ``servers`` app servers at once; their reports."""
    start, reports = FORK.Barrier(servers), FORK.Queue()
    run_processes(
        [FORK.Process(target=app_server, args=(url, f"s{n}", job, start, reports)) for n in range(servers)]
    )
    return [reports.get(timeout=5) for _ in range(servers)]


def test_app_servers_store_every_acknowledged_fire_once(engine: jw.Engine, store: jw.PostgresStore) -> None:
    """Four app servers firing 25 times each on one instance: 100 events, one chain, each acknowledged seq once."""
    reports = race(store.url, "ticks", 4)
    assert all(outcome == "ok" for _, outcome, _ in reports), reports
    acknowledged = sorted(seq for _, _, seqs in reports for seq in seqs)
    assert acknowledged == list(range(2, 102))
    history = engine.history("c")
    assert_chain(history)
    tokens = {e.payload["token"] for e in history[1:]}
    assert tokens == {f"s{s}-{n}" for s in range(4) for n in range(25)}
    assert engine.verify().ok


def test_fires_at_the_same_expected_seq_have_exactly_one_winner(
    engine: jw.Engine, store: jw.PostgresStore
) -> None:
    """Eight app servers firing at expected_seq 1 at once: one stores seq 2, seven get ConcurrencyConflict(1, 2)."""
    reports = race(store.url, "same seq", 8)
    won = [report for report in reports if report[1] == "ok"]
    assert len(won) == 1 and won[0][2] == 2
    assert sorted(r[2] for r in reports if r[1] == "conflict") == [(1, 2)] * 7
    history = engine.history("c")
    assert len(history) == 2 and history[1].payload["token"] == won[0][0]


def test_one_idempotency_key_from_many_servers_is_one_event_and_one_answer(
    engine: jw.Engine, store: jw.PostgresStore
) -> None:
    """Eight app servers sending the same keyed request at once: one event, every one answered the same."""
    reports = race(store.url, "same key", 8)
    assert [outcome for _, outcome, _ in reports] == ["ok"] * 8, reports
    assert {answer for _, _, answer in reports} == {(2, engine.get("c").head)}
    assert len(engine.history("c")) == 2


def test_a_conflict_and_an_idempotent_retry_across_servers(postgres_url: str) -> None:
    """Server B's stale fire is a conflict; B's retry of A's keyed request gets A's answer, writing nothing."""
    with jw.PostgresStore(postgres_url) as one, jw.PostgresStore(postgres_url) as other:
        a, b = jw.Engine([COUNTER], store=one), jw.Engine([COUNTER], store=other)
        seen = a.start("counter", CLERK, instance_id="c")
        moved = a.fire("c", "tick", CLERK, {"token": "a"}, expected_seq=seen.seq, idempotency_key="a-1")
        with pytest.raises(jw.ConcurrencyConflict) as conflict:
            b.fire("c", "tick", CLERK, {"token": "b"}, expected_seq=seen.seq)
        assert (conflict.value.expected, conflict.value.actual) == (1, 2)
        again = b.fire("c", "tick", CLERK, {"token": "a"}, expected_seq=seen.seq, idempotency_key="a-1")
        assert again == moved
        with pytest.raises(jw.IdempotencyKeyReused):
            b.fire("c", "tick", CLERK, {"token": "other"}, idempotency_key="a-1")
        assert len(b.history("c")) == 2


# -- the change feed ---------------------------------------------------------------------------


def test_the_feed_waits_for_an_older_transaction_and_skips_nothing(
    engine: jw.Engine, store: jw.PostgresStore
) -> None:
    """An event committed while an older transaction runs is held back; the older one's event comes first."""
    (start, _), *_ = store.changes()
    late = psycopg.connect(store.url)  # a slow writer: its transaction began (and has its id) first
    late.execute("SELECT pg_current_xact_id()")
    engine.fire("c", "tick", CLERK, {"token": "quick"})  # committed, by a younger transaction
    assert store.changes(after=start) == []  # held back: the slow writer may still commit before it
    instance, event = begin(engine.table("counter"), "slow", CLERK, "2026-01-01T00:00:00+00:00")
    _insert_new(late, instance, rows.encode_snapshot(instance), event, 0)
    late.commit()
    late.close()
    feed = store.changes(after=start)
    assert [(e.instance, e.seq) for _, e in feed] == [("slow", 1), ("c", 2)]
    assert [p for p, _ in feed] == sorted(p for p, _ in feed)


def test_a_waiting_store_is_woken_by_a_write_from_another_server(postgres_url: str) -> None:
    """wait_for_changes returns True soon after another process's fire, False after a quiet timeout."""
    with jw.PostgresStore(postgres_url) as waiting, jw.PostgresStore(postgres_url, notify=False) as quiet:
        engine = jw.Engine([COUNTER], store=waiting)
        engine.start("counter", CLERK, instance_id="c")
        assert waiting.wait_for_changes(0) is True  # the first call starts listening: read the feed now
        assert waiting.wait_for_changes(0.2) is False
        jw.Engine([COUNTER], store=quiet).fire("c", "tick", CLERK, {"token": "unheard"})
        assert waiting.wait_for_changes(0.2) is False  # notify=False: nobody is told

        def fire_elsewhere() -> None:
            time.sleep(0.3)
            with jw.PostgresStore(postgres_url) as other:
                jw.Engine([COUNTER], store=other).fire("c", "tick", CLERK, {"token": "heard"})

        writer = FORK.Process(target=fire_elsewhere)
        writer.start()
        began = time.monotonic()
        assert waiting.wait_for_changes(20) is True
        assert time.monotonic() - began < 10
        writer.join(10)
        page = engine.changes()
        assert [e.payload.get("token") for e in page.items] == [None, "unheard", "heard"]
