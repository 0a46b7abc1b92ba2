"""The SQLite store: instances, their hash-chained histories and their definitions in one database file.

Durability and concurrency rules, each for a reason:

- WAL journal: readers never block the writer, nor the writer the readers.
- Every write transaction begins with ``BEGIN IMMEDIATE``. A plain ``BEGIN``
  starts as a reader and upgrades to a writer at its first write; when two
  connections do that at once, SQLite fails one of them at once, whatever the
  busy timeout. ``IMMEDIATE`` takes the write lock first, and waiting for it
  honours the busy timeout; past it the caller gets :class:`StoreBusy`.
- An event and the snapshot after it are written in one transaction, the
  snapshot row only if its seq is still the one the caller decided on
  (optimistic concurrency, see :meth:`SQLiteStore.append`).
- One connection per thread, and a new one in a forked child: a SQLite
  connection must not be used by two processes. Connections inherited across
  ``fork`` are kept, never used nor closed (closing one in the child could
  remove the parent's WAL files under its feet).

Every query is plain ``sqlite3`` with the statements and row mappings of
:mod:`just_workflow.store.rows` (prepared statements, no introspection);
sqlite-utils creates and migrates the schema
(:mod:`just_workflow.store.migrations`).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Literal

import sqlite_utils

from just_workflow.definition import Definition
from just_workflow.errors import (
    BatchFailed,
    ConcurrencyConflict,
    InstanceExists,
    InstanceNotFound,
    StoreBusy,
    StoreError,
)
from just_workflow.events import Event
from just_workflow.formats.document import definition_to_document
from just_workflow.instance import Instance
from just_workflow.queries import InstanceQuery
from just_workflow.store import rows
from just_workflow.store.base import Appended, Change, Created, Found, StoredInstance
from just_workflow.store.connections import ThreadConnections
from just_workflow.store.migrations import is_current, migrate
from just_workflow.store.reads import ReadStatements, SqlReads
from just_workflow.store.registry import changed_definition

#: Durability levels: NORMAL survives any crash of the application; FULL also a power cut or OS crash.
Synchronous = Literal["NORMAL", "FULL"]


class SQLiteStore(SqlReads):
    """A :class:`~just_workflow.store.base.Store` in a SQLite database file, safe across threads and processes.

    ``synchronous`` is ``"NORMAL"`` (the default: an acknowledged fire survives
    any crash of the application; a power cut or OS crash may lose the last
    ones, never corrupt the database) or ``"FULL"`` (every commit is synced to
    disk first: several times slower). ``busy_timeout`` is how many seconds a
    write waits for other writers before :class:`StoreBusy` is raised.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, synchronous: Synchronous = "NORMAL", busy_timeout: float = 5.0
    ) -> None:
        self.path = os.fspath(path)
        if self.path == ":memory:" or not self.path:
            raise StoreError(
                f"SQLiteStore needs a database file, got {self.path!r}: each thread opens its own connection, "
                "and in-memory databases are not shared between them; use MemoryStore instead."
            )
        if synchronous not in ("NORMAL", "FULL"):
            raise StoreError(f"Unknown synchronous level {synchronous!r}; levels are: NORMAL, FULL.")
        if busy_timeout < 0:
            raise StoreError(f"busy_timeout must be 0 or more seconds, got {busy_timeout!r}.")
        self.synchronous = synchronous
        self.busy_timeout = busy_timeout
        self._threads: ThreadConnections[sqlite3.Connection] = ThreadConnections()
        self._rebuilt: dict[tuple[str, int, str], Definition] = {}
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, synchronous={self.synchronous!r})"

    _reads = ReadStatements(
        events=rows.SELECT_EVENTS,
        seq=rows.SELECT_SEQ,
        key=rows.SELECT_KEY,
        instance_ids=rows.SELECT_INSTANCE_IDS,
        protocol_instance_ids=rows.SELECT_PROTOCOL_INSTANCE_IDS,
        definition_digest=rows.SELECT_DEFINITION_DIGEST,
        definitions=rows.SELECT_DEFINITIONS,
    )

    @property
    def _definitions_table(self) -> str:
        return f"The definitions table of {self.path!r}"

    # -- connections -------------------------------------------------------------------------

    def _session(self) -> _Session:
        """This thread's session, opened on first use (and again in a forked child)."""
        session: _Session | None = getattr(self._threads.here(), "session", None)
        if session is None:
            return self._open()
        return session

    def _open(self) -> _Session:
        try:
            # isolation_level=None: the driver opens no transaction of its own; this module says BEGIN.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._failure(error, "open the database") from error
        try:
            mode = configure_connection(conn, self.synchronous)
            session = _Session(conn)
        except sqlite3.Error as error:
            conn.close()
            raise self._failure(error, "configure the connection") from error
        if mode != "wal":
            conn.close()
            raise StoreError(
                f"{self.path}: the database cannot use write-ahead logging (journal mode {mode!r}); "
                "put it on a local file system."
            )
        self._threads.add(conn)
        self._threads.here().session = session
        return session

    def _write(self, doing: str) -> _WriteTransaction:
        """A write transaction on this thread's connection, ``doing`` what its errors will say it was doing."""
        return _WriteTransaction(self, self._session().conn, doing)

    def _failure(self, error: sqlite3.Error, doing: str) -> StoreError:
        """The store error for a failed database call (StoreBusy when other writers held the lock too long)."""
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(error):
            return StoreBusy(
                f"{self.path}: could not {doing}: the database stayed locked by other writers for more than "
                f"{self.busy_timeout:g} s (the busy timeout); retry, or open the store with a longer busy_timeout."
            )
        return StoreError(f"{self.path}: could not {doing}: {error}.")

    def _migrate(self) -> None:
        db = self._session().db
        try:
            current = is_current(db)
        except sqlite3.Error as error:
            raise self._failure(error, "read the schema version") from error
        if not current:
            with self._write("create or migrate the schema"):
                migrate(db, self.path)

    # -- definitions -------------------------------------------------------------------------

    def register_definition(self, definition: Definition) -> None:
        protocol, version = definition.key
        kept = self._stored_digest(protocol, version)
        if kept is None:
            # Not canonical JSON: the document's mappings (states, roles, fields) keep their order, which
            # is part of the definition and of its digest.
            source = json.dumps(definition_to_document(definition), ensure_ascii=False, separators=(",", ":"))
            with self._write(f"register {protocol!r} version {version}") as conn:
                conn.execute(rows.INSERT_DEFINITION, (protocol, version, definition.digest, source))
            kept = self._stored_digest(protocol, version)
        if kept != definition.digest:
            raise changed_definition(definition, kept or "")

    # -- instances ---------------------------------------------------------------------------

    def create(self, instance: Instance, event: Event) -> None:
        session = self._session()
        encoded = rows.encode_snapshot(instance)
        with _WriteTransaction(self, session.conn, f"create instance {instance.id!r}") as conn:
            self._insert_instance(conn, instance, encoded, event)
        session.remember(instance, encoded)

    @staticmethod
    def _insert_instance(
        conn: sqlite3.Connection, instance: Instance, encoded: rows.Encoded, event: Event
    ) -> None:
        """Insert a new instance row and its first event (in the caller's transaction)."""
        try:
            conn.execute(rows.INSERT_INSTANCE, rows.instance_row(instance, encoded, event.at, event.at))
        except sqlite3.IntegrityError:
            raise InstanceExists([instance.id]) from None
        conn.execute(rows.INSERT_EVENT, rows.event_row(event))

    def append(
        self,
        instance: Instance,
        event: Event,
        expected_seq: int,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> None:
        """Store ``event`` and the snapshot after it in one transaction, if the stored seq is ``expected_seq``."""
        session = self._session()
        before = session.snapshots.get(instance.id)
        encoded = rows.encode_snapshot(instance, before)
        with _WriteTransaction(
            self, session.conn, f"append event {event.seq} to instance {instance.id!r}"
        ) as conn:
            self._update_instance(
                conn, instance, encoded, event, expected_seq, idempotency_key, request, before
            )
        session.remember(instance, encoded)

    @staticmethod
    def _update_instance(
        conn: sqlite3.Connection,
        instance: Instance,
        encoded: rows.Encoded,
        event: Event,
        expected_seq: int,
        idempotency_key: str | None,
        request: str | None,
        before: tuple[Instance, rows.Encoded] | None,
    ) -> None:
        """Write the snapshot after ``event`` if the stored seq is ``expected_seq``, the key, and the event.

        ``before`` is the snapshot this session last read or wrote: when it
        is the stored one (its seq is ``expected_seq``) and the step kept its
        state and parties, only the columns a step changes are written.
        """
        statement, parameters = rows.snapshot_write(
            instance, encoded, event.at, expected_seq, None if before is None else before[0]
        )
        updated = conn.execute(statement, parameters)
        if updated.rowcount != 1:
            row = conn.execute(rows.SELECT_SEQ, (instance.id,)).fetchone()
            if row is None:
                raise InstanceNotFound(instance.id)
            raise ConcurrencyConflict(instance.id, expected_seq, row[0])
        if idempotency_key is not None:
            try:
                answer = rows.answer_text(instance, encoded)
                conn.execute(rows.INSERT_KEY, (instance.id, idempotency_key, event.seq, request, answer))
            except sqlite3.IntegrityError:
                raise ConcurrencyConflict(instance.id, expected_seq, expected_seq) from None
        conn.execute(rows.INSERT_EVENT, rows.event_row(event))

    def load(self, instance_id: str) -> Instance:
        session = self._session()
        try:
            cached = session.recall(instance_id)
            if cached is not None:
                return cached
            row = session.conn.execute(rows.SELECT_INSTANCE, (instance_id,)).fetchone()
        except sqlite3.Error as error:
            raise self._failure(error, "read") from error
        if row is None:
            raise InstanceNotFound(instance_id)
        instance, encoded = rows.instance_from_row(row)
        session.remember(instance, encoded)
        return instance

    def load_many(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        """The snapshots of the instances among ``instance_ids`` that exist: those this session knows to be
        current, and the others read in one query (the ids go in as one JSON array, so that the statement
        is the same whatever their number, prepared once)."""
        session = self._session()
        found: dict[str, Instance] = {}
        try:
            kept = session.current()
            missing = []
            for instance_id in instance_ids:
                known = kept.get(instance_id)
                if known is None:
                    missing.append(instance_id)
                else:
                    found[instance_id] = known[0]
            if not missing:
                return found
            # In id order: the rows are looked up through the id index, neighbours one after the other.
            missing.sort()
            read = session.conn.execute(rows.SELECT_INSTANCES, (json.dumps(missing),)).fetchall()
        except sqlite3.Error as error:
            raise self._failure(error, "read") from error
        snapshots = session.make_room(len(read), found)
        for row in read:
            instance, encoded = rows.instance_from_row(row)
            snapshots[instance.id] = (instance, encoded)
            found[instance.id] = instance
        return found

    def scan(self, protocol: str | None = None) -> Iterator[StoredInstance]:
        """Every instance with its history, streamed by one query on a connection of its own.

        One statement is one read transaction: the scan sees the database as
        it was when it began, whatever is written meanwhile (under WAL, writers
        go on; the write-ahead log cannot be checkpointed past the scan's view
        until it ends).
        """
        args: tuple[Any, ...]
        if protocol is None:
            sql, args = rows.SCAN_INSTANCES, (rows.LAST_SEQ,)
        else:
            sql, args = rows.SCAN_PROTOCOL_INSTANCES, (rows.LAST_SEQ, protocol)
        try:
            # A connection of its own: the thread's connection may write while the scan's statement is open.
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as error:
            raise self._failure(error, "open the database") from error
        try:
            yield from rows.stored_instances(conn.execute(sql, args))
        except sqlite3.Error as error:
            raise self._failure(error, "read the instances and events tables") from error
        finally:
            conn.close()

    def import_events(self, events: Iterable[Event], snapshots: Iterable[Instance]) -> None:
        new = {snapshot.id: snapshot for snapshot in snapshots}
        staged: dict[str, list[Event]] = {instance_id: [] for instance_id in new}
        for event in events:
            if event.instance in staged:
                staged[event.instance].append(event)
        with self._write("import histories") as conn:
            clash = sorted(i for i in new if conn.execute(rows.SELECT_SEQ, (i,)).fetchone())
            if clash:
                raise InstanceExists(clash)
            for instance_id, snapshot in new.items():
                history = sorted(staged[instance_id], key=lambda e: e.seq)
                first, last = (history[0].at, history[-1].at) if history else ("", "")
                row = rows.instance_row(snapshot, rows.encode_snapshot(snapshot), first, last)
                conn.execute(rows.INSERT_INSTANCE, row)
                conn.executemany(rows.INSERT_EVENT, [rows.event_row(event) for event in history])

    def write_many(self, writes: Sequence[Created | Appended]) -> None:
        """Carry out ``writes`` in order in one transaction, each checked as ``create`` or ``append`` checks it.

        The writes are grouped: each instance's row is written once, with the
        snapshot of its last write (and the seq before its first as the
        check), every event in one ``executemany``. When anything fails, the
        transaction is rolled back and the writes are carried out again one
        by one, to name the one that fails.
        """
        if not writes:
            return
        session = self._session()
        plan = _GroupedWrites.plan(writes, session.snapshots)
        try:
            with _WriteTransaction(self, session.conn, f"write a batch of {len(writes)}") as conn:
                if plan is None or not plan.write(conn):
                    raise _OneByOne
        except _OneByOne:
            self._write_one_by_one(session, writes)
            return
        session.remember_all(plan.snapshots)

    def _write_one_by_one(self, session: _Session, writes: Sequence[Created | Appended]) -> None:
        """``write_many`` without grouping: BatchFailed names the first write that fails."""
        written: dict[str, tuple[Instance, rows.Encoded]] = {}
        with _WriteTransaction(self, session.conn, f"write a batch of {len(writes)}") as conn:
            for index, write in enumerate(writes):
                instance = write.instance
                try:
                    if isinstance(write, Created):
                        encoded = rows.encode_snapshot(instance)
                        self._insert_instance(conn, instance, encoded, write.event)
                    else:
                        before = written.get(instance.id) or session.snapshots.get(instance.id)
                        encoded = rows.encode_snapshot(instance, before)
                        self._update_instance(
                            conn,
                            instance,
                            encoded,
                            write.event,
                            write.expected_seq,
                            write.idempotency_key,
                            write.request,
                            before,
                        )
                except (ConcurrencyConflict, InstanceExists, InstanceNotFound) as error:
                    raise BatchFailed(index, write.describe(), error) from error
                written[instance.id] = (instance, encoded)
        for instance, encoded in written.values():
            session.remember(instance, encoded)

    # -- reading -----------------------------------------------------------------------------

    def find(self, query: InstanceQuery) -> list[Found]:
        statement = rows.find_statement(query)
        if statement is None:
            return []
        sql, args = statement
        return [
            (row[0], rows.instance_from_row(row[1:])[0])
            for row in self._fetch_all(sql, tuple(args), "instances")
        ]

    def changes(self, after: int = 0, limit: int = 100) -> list[Change]:
        found = self._fetch_all(rows.SELECT_CHANGES, (after, limit), "events")
        return [(row[0], rows.event_from_row(row[1:])) for row in found]

    def _fetch_one(self, sql: str, args: tuple[Any, ...]) -> Any:
        try:
            return self._session().conn.execute(sql, args).fetchone()
        except sqlite3.Error as error:
            raise self._failure(error, "read") from error

    def _fetch_all(self, sql: str, args: tuple[Any, ...], table: str) -> list[Any]:
        try:
            return self._session().conn.execute(sql, args).fetchall()
        except sqlite3.Error as error:
            raise self._failure(error, f"read the {table} table") from error


def configure_connection(conn: sqlite3.Connection, synchronous: Synchronous) -> str:
    """Set the PRAGMAs every connection of the store has (WAL, ``synchronous``, foreign keys); the journal mode.

    The journal mode is what SQLite granted: not ``"wal"`` on a file system
    without the shared memory write-ahead logging needs.
    """
    mode = str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("PRAGMA foreign_keys = ON")
    return mode


class _Session:
    """One thread's connection to the database, and the snapshots it has read or written.

    A snapshot is served from memory only while ``PRAGMA data_version`` says
    no other connection has committed since: SQLite changes that number on
    every commit made by another connection, and never for this one's own.
    Serving it costs one pragma instead of a query and two JSON decodes, on
    the path every fire takes. Each snapshot is kept with its context and
    signatures as stored, so that a fire which changes neither does not
    encode them again.
    """

    __slots__ = ("conn", "data_version", "db", "snapshots")

    #: How many snapshots a session keeps before it starts afresh.
    LIMIT = 1024

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        self.snapshots: dict[str, tuple[Instance, rows.Encoded]] = {}

    def recall(self, instance_id: str) -> Instance | None:
        """The snapshot of ``instance_id`` if it is known to be current."""
        kept = self.current().get(instance_id)
        return None if kept is None else kept[0]

    def current(self) -> dict[str, tuple[Instance, rows.Encoded]]:
        """The snapshots known to be current (none once another connection has committed)."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self.data_version:
            self.snapshots.clear()
            self.data_version = version
        return self.snapshots

    def remember(self, instance: Instance, encoded: rows.Encoded) -> None:
        """Keep ``instance``, as just read or committed, with its mappings as stored."""
        if len(self.snapshots) >= self.LIMIT:
            self.snapshots.clear()
        self.snapshots[instance.id] = (instance, encoded)

    def remember_all(self, snapshots: dict[str, tuple[Instance, rows.Encoded]]) -> None:
        """Keep these snapshots, as just committed, if they fit; none of them otherwise (nor any older one)."""
        if len(self.snapshots) + len(snapshots) > self.LIMIT:
            self.snapshots.clear()  # the older snapshots of these instances are stale: none may stay
        if len(snapshots) <= self.LIMIT:
            self.snapshots.update(snapshots)

    def make_room(self, count: int, keeping: Iterable[str]) -> dict[str, tuple[Instance, rows.Encoded]]:
        """The snapshots, emptied first but for those of ``keeping`` when ``count`` more would pass the limit.

        For the snapshots a batch reads ahead (``load_many``): all of them are
        kept, past the limit if need be (the batch holds them anyway) until
        the next ``remember``, so that its commit finds them, reuses their
        stored text and writes only the columns each fire changed.
        """
        snapshots = self.snapshots
        if len(snapshots) + count > self.LIMIT:
            kept = [(instance_id, snapshots[instance_id]) for instance_id in keeping]
            snapshots.clear()
            snapshots.update(kept)
        return snapshots


class _OneByOne(Exception):
    """Raised inside a grouped batch write to roll it back and write one by one (see ``write_many``)."""


class _GroupedWrites:
    """The rows of a batch, grouped: one insert or update per instance, then every key and event."""

    def __init__(self, kept: dict[str, tuple[Instance, rows.Encoded]]) -> None:
        self.kept = kept  # the snapshots the session last read or wrote
        self.snapshots: dict[str, tuple[Instance, rows.Encoded]] = {}  # each instance's last snapshot
        self.created: dict[str, str] = {}  # instance -> the time of its first event
        self.expected: dict[str, int] = {}  # instance appended to -> the seq stored before the batch
        self.updated_at: dict[str, str] = {}
        self.keys: list[tuple[str, str, int, str | None, str]] = []
        self.events: list[list[Any]] = []

    @classmethod
    def plan(
        cls, writes: Sequence[Created | Appended], kept: dict[str, tuple[Instance, rows.Encoded]]
    ) -> _GroupedWrites | None:
        """The grouped rows of ``writes``; None when they do not chain (the one-by-one path names the fault)."""
        grouped = cls(kept)
        snapshots = grouped.snapshots
        used_keys: set[tuple[str, str]] = set()
        for write in writes:
            instance, event = write.instance, write.event
            instance_id = instance.id
            last = snapshots.get(instance_id)
            if isinstance(write, Created):
                if last is not None:
                    return None
                grouped.created[instance_id] = event.at
                encoded = rows.encode_snapshot(instance)
            else:
                if last is None:
                    grouped.expected[instance_id] = write.expected_seq
                    encoded = rows.encode_snapshot(instance, kept.get(instance_id))
                elif last[0].seq != write.expected_seq:
                    return None
                else:
                    encoded = rows.encode_snapshot(instance, last)
                key = write.idempotency_key
                if key is not None:
                    if (instance_id, key) in used_keys:
                        return None
                    used_keys.add((instance_id, key))
                    grouped.keys.append(
                        (instance_id, key, event.seq, write.request, rows.answer_text(instance, encoded))
                    )
            snapshots[instance_id] = (instance, encoded)
            grouped.updated_at[instance_id] = event.at
            grouped.events.append(rows.event_row(event))
        return grouped

    def write(self, conn: sqlite3.Connection) -> bool:
        """Write the rows in the caller's transaction; False (some written) when a check fails."""
        snapshots, updated_at = self.snapshots, self.updated_at
        inserts = [
            rows.instance_row(*snapshots[instance_id], created_at, updated_at[instance_id])
            for instance_id, created_at in self.created.items()
        ]
        updates: dict[str, list[tuple[Any, ...]]] = {}  # statement -> parameters
        # In id order: each UPDATE finds its row through the id index, so consecutive ones read and dirty
        # neighbouring pages, which stay in the page cache, instead of pages all over a large table.
        expected_seqs = self.expected
        for instance_id in sorted(expected_seqs):
            expected = expected_seqs[instance_id]
            instance, encoded = snapshots[instance_id]
            before = self.kept.get(instance_id)
            statement, parameters = rows.snapshot_write(
                instance, encoded, updated_at[instance_id], expected, None if before is None else before[0]
            )
            updates.setdefault(statement, []).append(parameters)
        try:
            conn.executemany(rows.INSERT_INSTANCE, inserts)
            for statement, rows_of in updates.items():
                if conn.executemany(statement, rows_of).rowcount != len(rows_of):
                    return False
            conn.executemany(rows.INSERT_KEY, self.keys)
        except sqlite3.IntegrityError:
            return False
        conn.executemany(rows.INSERT_EVENT, self.events)
        return True


class _WriteTransaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception; database errors become StoreErrors."""

    __slots__ = ("conn", "doing", "store")

    def __init__(self, store: SQLiteStore, conn: sqlite3.Connection, doing: str) -> None:
        self.store = store
        self.conn = conn
        self.doing = doing

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self.store._failure(error, self.doing) from error
        return self.conn

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        conn = self.conn
        if error is None:
            try:
                conn.execute("COMMIT")
                return
            except sqlite3.Error as failure:
                error = failure
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise self.store._failure(error, self.doing) from error
