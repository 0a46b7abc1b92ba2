"""The SQLite store beyond the shared contract: schema, PRAGMAs, locking, migrations, threads, fork, definitions."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import pytest

import just_workflow as jw
from fixtures import BUNDLED
from just_workflow import definition as d
from just_workflow.instance import Command
from just_workflow.step import step
from just_workflow.store import migrations as schema
from just_workflow.store import rows
from just_workflow.store import sqlite as sqlite_store

TALLY = d.Definition(
    protocol="tally",
    version=1,
    title=d.Text("Tally"),
    roles=(d.Role("clerk", open=True),),
    states=(d.State("open"), d.State("closed", final=True)),
    initial="open",
    context=(d.Field("count", d.FieldType.INT),),
    transitions=(
        d.Transition("count", ("open",), ("clerk",), inputs=(d.Input("count"),)),
        d.Transition("close", ("open",), ("clerk",), "closed"),
    ),
)
CLERK = jw.Actor("ines", "clerk")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    """Where the test's database lives."""
    return tmp_path / "workflows.db"


@pytest.fixture
def store(path: Path) -> Iterator[jw.SQLiteStore]:
    """A SQLite store on a fresh file."""
    with jw.SQLiteStore(path) as opened:
        yield opened


def started(store: jw.SQLiteStore, instance_id: str = "t1") -> jw.Engine:
    """An engine on ``store`` with one started tally instance."""
    engine = jw.Engine([TALLY], store=store)
    engine.start("tally", CLERK, instance_id=instance_id)
    return engine


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the database, in autocommit mode."""
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False)


def traced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL statements of every connection the store opens from now on, in order."""
    statements: list[str] = []
    connect = sqlite3.connect

    def tracing_connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite_store.sqlite3, "connect", tracing_connect)
    return statements


# -- schema and settings ---------------------------------------------------------------------


def test_the_schema_has_definitions_instances_events_and_keys(store: jw.SQLiteStore, path: Path) -> None:
    """A new database gets the five tables, UNIQUE(instance, seq) on events and the current schema version."""
    conn = raw(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"definitions", "instances", "events", "idempotency_keys", "parties"}
    (unique,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_by_instance_seq'").fetchone()
    assert unique.startswith("CREATE UNIQUE INDEX") and '("instance", "seq")' in unique
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(schema.MIGRATIONS)
    instance_columns = [row[1] for row in conn.execute("PRAGMA table_info(instances)")]
    assert {"state", "context", "seq", "head", "created_at", "updated_at"} <= set(instance_columns)


def test_the_rows_have_the_columns_of_the_schema(store: jw.SQLiteStore, path: Path) -> None:
    """The instance and event rows the store writes have the columns of the migrated tables (named, in any order)."""
    conn = raw(path)
    for table, columns in (("instances", rows.INSTANCE_COLUMNS), ("events", rows.EVENT_COLUMNS)):
        assert sorted(row[1] for row in conn.execute(f"PRAGMA table_info({table})")) == sorted(columns)


def test_the_database_is_in_wal_mode_with_the_chosen_durability(path: Path) -> None:
    """Connections use WAL, synchronous NORMAL by default and FULL on request, and enforce foreign keys."""
    with jw.SQLiteStore(path) as store:
        conn = store._session().conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with jw.SQLiteStore(path, synchronous="FULL") as store:
        assert store._session().conn.execute("PRAGMA synchronous").fetchone()[0] == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"path": ":memory:"}, "needs a database file, got ':memory:'.*use MemoryStore"),
        ({"synchronous": "OFF"}, "Unknown synchronous level 'OFF'; levels are: NORMAL, FULL"),
        ({"busy_timeout": -1}, "busy_timeout must be 0 or more seconds, got -1"),
    ],
)
def test_bad_settings_are_refused(path: Path, kwargs: dict[str, object], message: str) -> None:
    """An in-memory path, an unknown durability level or a negative busy timeout is a StoreError."""
    arguments: dict[str, object] = {"path": path, **kwargs}
    with pytest.raises(jw.StoreError, match=message):
        jw.SQLiteStore(**arguments)  # type: ignore[arg-type]


def test_a_database_that_cannot_be_opened_names_its_path(tmp_path: Path) -> None:
    """A path in a missing folder is a StoreError naming the path."""
    missing = tmp_path / "no" / "such" / "folder" / "x.db"
    with pytest.raises(
        jw.StoreError, match=f"{missing}: could not open the database: unable to open database file"
    ):
        jw.SQLiteStore(missing)


def test_a_reopened_database_holds_everything(path: Path) -> None:
    """Instances, histories and definitions survive closing and reopening the store."""
    with jw.SQLiteStore(path) as store:
        engine = started(store)
        last = engine.fire("t1", "count", CLERK, {"count": 3})
        history = engine.history("t1")
    with jw.SQLiteStore(path) as reopened:
        assert reopened.load("t1") == last
        assert reopened.events("t1") == history
        assert reopened.definitions() == [TALLY]


def test_timestamps_are_those_of_the_first_and_last_events(store: jw.SQLiteStore, path: Path) -> None:
    """The instance row records when its first and its last events happened."""
    engine = started(store)
    engine.fire("t1", "count", CLERK, {"count": 1})
    first, last = engine.history("t1")
    row = raw(path).execute("SELECT created_at, updated_at FROM instances WHERE id = 't1'").fetchone()
    assert row == (first.at, last.at)


# -- transactions and locking ----------------------------------------------------------------


def test_every_write_begins_immediate_and_a_fire_reads_no_history(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes open with BEGIN IMMEDIATE; a fire writes one event and one snapshot and never selects events."""
    statements = traced(monkeypatch)
    with jw.SQLiteStore(path) as store:
        engine = started(store)
        statements.clear()
        engine.fire("t1", "count", CLERK, {"count": 2})
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert [s.split()[0] for s in statements if not s.startswith("PRAGMA")] == [
        "BEGIN",
        "UPDATE",
        "INSERT",
        "COMMIT",
    ]
    assert not [s for s in statements if "FROM events" in s]
    # A fire that keeps the state and the parties writes neither: no index entry moves, no trigger runs.
    (update,) = [s for s in statements if s.startswith("UPDATE")]
    assert "state =" not in update and "parties =" not in update


def test_a_fire_writes_the_state_and_the_parties_only_when_it_changes_them(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move writes the state, not the parties; a snapshot the store did not read writes every column;
    each leaves the state index and the parties table right."""
    statements = traced(monkeypatch)
    with jw.SQLiteStore(path) as store:
        engine = started(store)
        engine.start("tally", CLERK, instance_id="t2")
        statements.clear()
        engine.fire("t1", "close", CLERK)
        (moved,) = [s for s in statements if s.startswith("UPDATE")]
        assert "state = 'closed'" in moved and "parties =" not in moved
        current = engine.get("t2")  # appended by a store that never read it: it cannot tell what changed
        after, event = step(
            engine.table("tally"), current, Command("count", CLERK, {"count": 1}), "2026-02-01T00:00:00+00:00"
        )
        statements.clear()
        with jw.SQLiteStore(path) as other:
            other.append(after, event, current.seq)
        (unknown,) = {
            s for s in statements if s.startswith("UPDATE")
        }  # the trigger it enters is traced as it
        assert "state =" in unknown and "parties =" in unknown
        assert [i.id for i in engine.find(state="closed").items] == ["t1"]
        assert [i.id for i in engine.find(state="open", party="ines").items] == ["t2"]


def test_a_writer_waits_for_the_lock_within_the_busy_timeout(store: jw.SQLiteStore, path: Path) -> None:
    """A fire while another connection holds the write lock waits for it, then succeeds."""
    engine = started(store)
    holder = raw(path)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, holder.execute, ["COMMIT"])
    release.start()
    begun = time.monotonic()
    assert engine.fire("t1", "count", CLERK, {"count": 1}).seq == 2
    assert time.monotonic() - begun >= 0.25
    release.join()


@pytest.mark.parametrize(
    "write",
    [
        lambda engine: engine.fire("t1", "count", CLERK, {"count": 1}),
        lambda engine: engine.start("tally", CLERK),
        lambda engine: engine.store.register_definition(attrs.evolve(TALLY, version=2)),
    ],
    ids=["fire", "start", "register"],
)
def test_a_lock_held_past_the_busy_timeout_is_store_busy(
    path: Path, write: Callable[[jw.Engine], object]
) -> None:
    """Past the busy timeout a write raises StoreBusy (never sqlite3's 'database is locked'), writing nothing."""
    with jw.SQLiteStore(path, busy_timeout=0.2) as store:
        engine = started(store)
        holder = raw(path)
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(
            jw.StoreBusy,
            match=r"could not .*: the database stayed locked by other writers for more than 0\.2 s",
        ):
            write(engine)
        holder.execute("ROLLBACK")
        assert store.load("t1").seq == 1
        assert list(store.instance_ids()) == ["t1"]
        assert store.definitions() == [TALLY]


def test_a_snapshot_changed_by_another_connection_is_read_afresh(path: Path) -> None:
    """A store never serves a snapshot another connection has since replaced."""
    with jw.SQLiteStore(path) as mine, jw.SQLiteStore(path) as theirs:
        engine = started(mine)
        assert mine.load("t1").seq == 1
        jw.Engine([TALLY], store=theirs).fire("t1", "count", CLERK, {"count": 7})
        assert mine.load("t1").seq == 2
        assert mine.load("t1").context == {"count": 7}
        assert engine.fire("t1", "count", CLERK, {"count": 8}, expected_seq=2).seq == 3


def test_load_many_reads_afresh_what_another_connection_changed_in_one_select(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``load_many`` serves the snapshots this session knows only while no other connection has committed;
    the others come in one SELECT, whatever their number."""
    statements = traced(monkeypatch)
    with jw.SQLiteStore(path) as mine, jw.SQLiteStore(path) as theirs:
        engine = started(mine)
        engine.start("tally", CLERK, instance_id="t2")
        engine.start("tally", CLERK, instance_id="t3")
        mine._session().snapshots.clear()  # as after many other reads: nothing of these kept
        statements.clear()
        assert [i.seq for i in mine.load_many(["t1", "t2", "t3"]).values()] == [1, 1, 1]
        assert len([s for s in statements if s.startswith("SELECT")]) == 1
        statements.clear()
        assert set(mine.load_many(["t1", "t2"])) == {"t1", "t2"}  # now known: no SELECT
        assert not [s for s in statements if s.startswith("SELECT")]
        jw.Engine([TALLY], store=theirs).fire("t1", "count", CLERK, {"count": 7})
        assert mine.load_many(["t1", "t2"])["t1"].context == {"count": 7}


def test_a_prefetched_batch_writes_only_the_changed_columns_in_id_order(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshots a batch reads ahead stay known to the session until the commit, even past the number it
    keeps, so each row is updated without its parties column (whose trigger rewrites the parties table); the
    rows are updated in id order, whatever the order of the fires."""
    monkeypatch.setattr(sqlite_store._Session, "LIMIT", 8)
    statements = traced(monkeypatch)
    with jw.SQLiteStore(path) as store:
        engine = started(store, "t00")
        ids = [f"t{number:02d}" for number in range(20, 0, -1)]
        for instance_id in ids:
            engine.start("tally", CLERK, instance_id=instance_id)
        store.load("t00")  # one snapshot the session knows already: kept with those read
        statements.clear()
        with engine.batch() as batch:
            batch.prefetch(["t00", *ids])
            for number, instance_id in enumerate(["t00", *ids]):
                batch.fire(instance_id, "count", CLERK, {"count": number})
        updates = [s for s in statements if s.startswith("UPDATE instances")]
        assert len(updates) == 21
        assert all(s.startswith("UPDATE instances SET context = ") for s in updates), updates[0]
        written = [s.split("WHERE id = ")[1].split("'")[1] for s in updates]
        assert written == sorted(["t00", *ids])
        assert [store.load(i).context["count"] for i in ("t00", "t20", "t01")] == [0, 1, 20]


@pytest.mark.parametrize("count", [3, 12])
def test_after_a_batch_the_session_knows_no_snapshot_it_replaced(
    path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    """A batch's snapshots replace those the session knew, whether they fit in it (3) or not (12, past 8)."""
    monkeypatch.setattr(sqlite_store._Session, "LIMIT", 8)
    with jw.SQLiteStore(path) as store:
        engine = started(store)
        ids = [f"t{number}" for number in range(1, count + 1)]
        for instance_id in ids[1:]:
            engine.start("tally", CLERK, instance_id=instance_id)
        assert store.load("t1").seq == 1  # known to the session before the batch, and kept by prefetch
        with engine.batch() as batch:
            batch.prefetch(ids)
            for instance_id in ids:
                batch.fire(instance_id, "count", CLERK, {"count": 5})
        assert store.load("t1").seq == 2
        assert engine.fire("t1", "count", CLERK, {"count": 6}, expected_seq=2).seq == 3


# -- connections: threads and fork -----------------------------------------------------------


def test_each_thread_has_its_own_connection(store: jw.SQLiteStore) -> None:
    """Threads using one store get different connections; close() closes them all."""
    seen: list[sqlite3.Connection] = [store._session().conn]
    thread = threading.Thread(target=lambda: seen.append(store._session().conn))
    thread.start()
    thread.join()
    assert seen[0] is not seen[1]
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        seen[1].execute("SELECT 1")
    assert store._session().conn is not seen[0]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_opens_its_own_connection(store: jw.SQLiteStore) -> None:
    """After fork the child never touches the parent's connection, and its writes reach the parent."""
    engine = started(store)
    parent_conn = store._session().conn
    pid = os.fork()
    if pid == 0:  # the child
        status = 1
        try:
            engine.fire("t1", "count", CLERK, {"count": 42})
            status = 0 if store._session().conn is not parent_conn else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert store.load("t1").context == {"count": 42}
    assert store._session().conn is parent_conn
    assert parent_conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- migrations ------------------------------------------------------------------------------


def test_a_database_from_a_newer_release_is_refused(path: Path) -> None:
    """A schema version above the known ones is a StoreError saying which versions this release knows."""
    jw.SQLiteStore(path).close()
    raw(path).execute("PRAGMA user_version = 99")
    with pytest.raises(
        jw.StoreError, match=r"schema version 99, newer than the versions this release knows \(up to 3\)"
    ):
        jw.SQLiteStore(path)


def test_a_later_release_migrates_todays_database_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new migration runs once on an existing database, keeps its data, and bumps the schema version."""
    with jw.SQLiteStore(path) as store:
        started(store)
    runs: list[int] = []

    def add_labels(db: object) -> None:
        runs.append(1)
        db.execute("ALTER TABLE instances ADD COLUMN label TEXT")  # type: ignore[attr-defined]

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, add_labels))
    for _ in range(2):
        with jw.SQLiteStore(path) as store:
            assert store.load("t1").seq == 1
    assert runs == [1]
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    assert "label" in [row[1] for row in conn.execute("PRAGMA table_info(instances)")]


def test_a_failing_migration_leaves_the_database_as_it_was(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A migration that fails half-way is rolled back whole: no new table, the version unchanged."""
    jw.SQLiteStore(path).close()

    def half_done(db: object) -> None:
        db.execute("CREATE TABLE half (x)")  # type: ignore[attr-defined]
        raise sqlite3.OperationalError("disk full, say")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, half_done))
    with pytest.raises(jw.StoreError, match="could not create or migrate the schema: disk full, say"):
        jw.SQLiteStore(path)
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 3
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0


def back_to_version_2(conn: sqlite3.Connection) -> None:
    """Take a database back to schema version 2: without the parties table, its triggers and the new indexes."""
    for kind, name in (
        ("TRIGGER", "parties_of_new_instances"),
        ("TRIGGER", "parties_of_changed_instances"),
        ("TABLE", "parties"),
        ("INDEX", "instances_by_state"),
    ):
        conn.execute(f"DROP {kind} {name}")
    conn.execute("PRAGMA user_version = 2")


def test_a_version_2_database_gains_the_parties_table_and_indexes(path: Path) -> None:
    """Migration 3 indexes every existing instance's parties and states; find and inbox work at once."""
    from fixtures import ANNA, moa_definition

    engine = jw.Engine([moa_definition()], store=jw.SQLiteStore(path))
    for number in range(3):
        engine.start("moa", jw.Actor(f"sme-{number}", "sme"), instance_id=f"m{number}")
    engine.fire("m1", "contact", jw.Actor("sme-1", "sme"))
    engine.start("moa", ANNA, instance_id="anna's")
    engine.store.close()  # type: ignore[attr-defined]
    conn = raw(path)
    back_to_version_2(conn)
    assert {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}.isdisjoint(
        {"parties", "instances_by_state"}
    )
    conn.close()
    with jw.SQLiteStore(path) as store:
        migrated = jw.Engine([moa_definition()], store=store)
        assert [i.id for i in migrated.find(party="sme-1").items] == ["m1"]
        assert [i.id for i in migrated.find(state="draft").items] == ["m0", "m2", "anna's"]
        assert [i.id for i in migrated.find(party="anna").items] == ["anna's"]
        plan = " ".join(
            str(row)
            for row in raw(path).execute("EXPLAIN QUERY PLAN SELECT instance FROM parties WHERE actor = 'x'")
        )
        assert "parties_by_actor" in plan
        migrated.start("moa", jw.Actor("sme-9", "sme"), instance_id="new")
        assert [i.id for i in migrated.find(party="sme-9").items] == ["new"]
    assert raw(path).execute("PRAGMA user_version").fetchone()[0] == 3


# -- definitions -----------------------------------------------------------------------------


@pytest.mark.parametrize("file", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_definition_reads_back_with_its_digest(path: Path, file: Path) -> None:
    """A bundled definition stored and read back (by a new store) is equal, with the same digest."""
    definition = jw.load_definition(file)
    with jw.SQLiteStore(path) as store:
        store.register_definition(definition)
    with jw.SQLiteStore(path) as store:
        (kept,) = store.definitions()
    assert kept == definition and kept.digest == definition.digest


def test_an_altered_definitions_table_is_detected(store: jw.SQLiteStore, path: Path) -> None:
    """A stored definition whose source no longer matches its digest is a StoreError, not a silent swap."""
    store.register_definition(TALLY)
    conn = raw(path)
    (source,) = conn.execute("SELECT source FROM definitions").fetchone()
    conn.execute("UPDATE definitions SET source = ?", (source.replace('"Tally"', '"Tampered"'),))
    with (
        jw.SQLiteStore(path) as fresh,
        pytest.raises(jw.StoreError, match="the definitions table was altered"),
    ):
        fresh.definitions()


def test_a_version_1_database_gains_parties_and_signers(path: Path) -> None:
    """Migration 2 binds each instance's starter and names the signer of each pending signature."""
    from fixtures import ANNA, DORA, moa_definition

    engine = jw.Engine([moa_definition()], store=jw.SQLiteStore(path))
    engine.start("moa", ANNA, instance_id="m1")
    engine.fire("m1", "contact", ANNA)
    engine.fire("m1", "define", DORA, {"fields": ["ai"]})
    engine.fire("m1", "sign", DORA)
    engine.store.close()  # type: ignore[attr-defined]
    conn = raw(path)  # back to how release 1 kept it: no parties, signatures as the roles that signed
    back_to_version_2(conn)
    conn.execute('UPDATE instances SET signatures = \'{"sign":["department"]}\'')
    for table, column in (
        ("instances", "parties"),
        ("idempotency_keys", "request"),
        ("idempotency_keys", "answer"),
    ):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with jw.SQLiteStore(path) as store:
        migrated = store.load("m1")
        assert (migrated.parties, migrated.signatures) == (
            {"sme": ("anna",)},
            {"sign": {"department": ("dora",)}},
        )
        assert jw.Engine([moa_definition()], store=store).verify().ok


def test_a_scan_reads_the_indexes_in_order_without_sorting(store: jw.SQLiteStore) -> None:
    """The scan's query walks instances by rowid and events by (instance, seq): no temporary b-tree to sort in."""
    conn = store._session().conn
    for sql, args in [
        (rows.SCAN_INSTANCES, (rows.LAST_SEQ,)),
        (rows.SCAN_PROTOCOL_INSTANCES, (rows.LAST_SEQ, "tally")),
    ]:
        plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
        assert "TEMP B-TREE" not in plan, plan
        assert "USING INDEX events_by_instance_seq" in plan, plan


def test_an_unreadable_row_is_the_problem_of_its_instance_in_a_scan(
    store: jw.SQLiteStore, path: Path
) -> None:
    """A row edited past reading is its instance's problem; the scan goes on to the next instances."""
    engine = started(store, "t1")
    for instance_id in ("t2", "t3", "t4"):
        engine.start("tally", CLERK, instance_id=instance_id)
        engine.fire(instance_id, "count", CLERK, {"count": 1})
    with raw(path) as conn:
        conn.execute("UPDATE events SET payload = '{' WHERE instance = 't2' AND seq = 2")
        conn.execute("UPDATE instances SET seq = 'x' WHERE id = 't3'")
        conn.execute("DELETE FROM events WHERE instance = 't4'")
    found = {scanned.id: scanned for scanned in store.scan()}
    assert list(found) == ["t1", "t2", "t3", "t4"]
    assert found["t1"].problem is None and [e.seq for e in found["t1"].events] == [1]
    assert "event 2 of instance 't2' is unreadable: column 'payload'" in str(found["t2"].problem)
    assert [e.seq for e in found["t2"].events] == [1]
    assert "column 'seq' holds 'x'" in str(found["t3"].problem)
    assert (found["t3"].snapshot, found["t3"].events) == (None, ())
    assert found["t4"].problem is None and found["t4"].events == ()
    assert found["t4"].snapshot == store.load("t4")
