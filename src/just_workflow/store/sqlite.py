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

The per-fire path is plain ``sqlite3`` (prepared statements, no
introspection); sqlite-utils creates and migrates the schema
(:mod:`just_workflow.store.migrations`) and runs the other queries.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Literal

import sqlite_utils

from just_workflow.canonical import canonical_text
from just_workflow.definition import Definition
from just_workflow.errors import ConcurrencyConflict, InstanceExists, InstanceNotFound, StoreBusy, StoreError
from just_workflow.events import Actor, Event
from just_workflow.formats.document import definition_from_document, definition_to_document
from just_workflow.instance import Instance
from just_workflow.store.migrations import is_current, migrate
from just_workflow.store.registry import changed_definition

#: Durability levels: NORMAL survives any crash of the application; FULL also a power cut or OS crash.
Synchronous = Literal["NORMAL", "FULL"]

_INSERT_EVENT = (
    "INSERT INTO events (instance, seq, kind, protocol, version, digest, trigger, source, target, "
    "actor_id, actor_role, payload, at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_INSTANCE = (
    "INSERT INTO instances (id, protocol, version, digest, state, context, signatures, seq, head, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The WHERE on seq is the optimistic concurrency check: no row updated means another fire landed first.
_UPDATE_SNAPSHOT = (
    "UPDATE instances SET state = ?, context = ?, signatures = ?, seq = ?, head = ?, updated_at = ? "
    "WHERE id = ? AND seq = ?"
)
_SELECT_SNAPSHOT = (
    "SELECT protocol, version, digest, state, context, signatures, seq, head FROM instances WHERE id = ?"
)
_EVENT_COLUMNS = (
    "instance, seq, kind, protocol, version, digest, trigger, source, target, "
    "actor_id, actor_role, payload, at, prev_hash, hash"
)

# Connections a forked child inherited: referenced forever so that they are never closed there.
_INHERITED: list[sqlite3.Connection] = []


class SQLiteStore:
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
        self._pid = os.getpid()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._rebuilt: dict[tuple[str, int, str], Definition] = {}
        self._migrate()

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r}, synchronous={self.synchronous!r})"

    # -- connections -------------------------------------------------------------------------

    def _session(self) -> _Session:
        """This thread's session, opened on first use (and again in a forked child)."""
        try:
            session: _Session = self._local.session
        except AttributeError:
            return self._open()
        if session.pid != os.getpid():
            return self._open()
        return session

    def _open(self) -> _Session:
        pid = os.getpid()
        if pid != self._pid:
            self._forget_parent_connections(pid)
        try:
            # isolation_level=None: the driver opens no transaction of its own; this module says BEGIN.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise self._failure(error, "open the database") from error
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            conn.execute("PRAGMA foreign_keys = ON")
            session = _Session(conn, pid)
        except sqlite3.Error as error:
            conn.close()
            raise self._failure(error, "configure the connection") from error
        if mode != "wal":
            conn.close()
            raise StoreError(
                f"{self.path}: the database cannot use write-ahead logging (journal mode {mode!r}); "
                "put it on a local file system."
            )
        with self._connections_lock:
            self._connections.append(conn)
        self._local.session = session
        return session

    def _forget_parent_connections(self, pid: int) -> None:
        """In a forked child: set aside the parent's connections and start afresh."""
        _INHERITED.extend(self._connections)
        self._connections = []
        self._connections_lock = threading.Lock()  # the parent's lock may have been held at fork time
        self._local = threading.local()
        self._pid = pid

    def close(self) -> None:
        """Close every connection this process opened; the store reopens one on its next use."""
        with self._connections_lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for conn in connections:
            conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

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
                conn.execute(
                    "INSERT OR IGNORE INTO definitions (protocol, version, digest, source) VALUES (?, ?, ?, ?)",
                    (protocol, version, definition.digest, source),
                )
            kept = self._stored_digest(protocol, version)
        if kept != definition.digest:
            raise changed_definition(definition, kept or "")

    def _stored_digest(self, protocol: str, version: int) -> str | None:
        row = self._fetch_one(
            "SELECT digest FROM definitions WHERE protocol = ? AND version = ?", (protocol, version)
        )
        return None if row is None else str(row[0])

    def definitions(self) -> list[Definition]:
        rows = self._rows("definitions", None, (), "protocol, version", "protocol, version, digest, source")
        kept: list[Definition] = []
        for row in rows:
            key = (row["protocol"], row["version"], row["digest"])
            definition = self._rebuilt.get(key)
            if definition is None:
                definition = definition_from_document(json.loads(row["source"]))
                if definition.digest != row["digest"]:
                    raise StoreError(
                        f"The stored definition {row['protocol']!r} version {row['version']} in {self.path!r} "
                        f"reads back with digest {definition.digest[:12]}…, not the digest it was stored "
                        f"under, {row['digest'][:12]}…: the definitions table was altered."
                    )
                self._rebuilt[key] = definition
            kept.append(definition)
        return kept

    # -- instances ---------------------------------------------------------------------------

    def create(self, instance: Instance, event: Event) -> None:
        session = self._session()
        context, signatures = encode_values(instance.context), encode_values(instance.signatures)
        with _WriteTransaction(self, session.conn, f"create instance {instance.id!r}") as conn:
            try:
                conn.execute(
                    _INSERT_INSTANCE, _instance_row(instance, context, signatures, event.at, event.at)
                )
            except sqlite3.IntegrityError:
                raise InstanceExists([instance.id]) from None
            conn.execute(_INSERT_EVENT, event_row(event))
        session.remember(instance, context, signatures)

    def append(
        self, instance: Instance, event: Event, expected_seq: int, idempotency_key: str | None = None
    ) -> None:
        """Store ``event`` and the snapshot after it in one transaction, if the stored seq is ``expected_seq``."""
        session = self._session()
        context, signatures = session.encoded(instance)
        with _WriteTransaction(
            self, session.conn, f"append event {event.seq} to instance {instance.id!r}"
        ) as conn:
            updated = conn.execute(
                _UPDATE_SNAPSHOT,
                (
                    instance.state,
                    context,
                    signatures,
                    instance.seq,
                    instance.head,
                    event.at,
                    instance.id,
                    expected_seq,
                ),
            )
            if updated.rowcount != 1:
                row = conn.execute("SELECT seq FROM instances WHERE id = ?", (instance.id,)).fetchone()
                if row is None:
                    raise InstanceNotFound(instance.id)
                raise ConcurrencyConflict(instance.id, expected_seq, row[0])
            if idempotency_key is not None:
                try:
                    conn.execute(
                        "INSERT INTO idempotency_keys (instance, key, seq) VALUES (?, ?, ?)",
                        (instance.id, idempotency_key, event.seq),
                    )
                except sqlite3.IntegrityError:
                    raise ConcurrencyConflict(instance.id, expected_seq, expected_seq) from None
            conn.execute(_INSERT_EVENT, event_row(event))
        session.remember(instance, context, signatures)

    def load(self, instance_id: str) -> Instance:
        session = self._session()
        try:
            cached = session.recall(instance_id)
            if cached is not None:
                return cached
            row = session.conn.execute(_SELECT_SNAPSHOT, (instance_id,)).fetchone()
        except sqlite3.Error as error:
            raise self._failure(error, "read") from error
        if row is None:
            raise InstanceNotFound(instance_id)
        protocol, version, digest, state, context, signatures, seq, head = row
        instance = Instance(
            instance_id, protocol, version, digest, state, _decode(context), _decode(signatures), seq, head
        )
        session.remember(instance, context, signatures)
        return instance

    def events(self, instance_id: str, after_seq: int = 0, upto_seq: int | None = None) -> list[Event]:
        where, args = "instance = ? AND seq > ?", [instance_id, after_seq]
        if upto_seq is not None:
            where += " AND seq <= ?"
            args.append(upto_seq)
        events = [_event(row) for row in self._rows("events", where, args, "seq", _EVENT_COLUMNS)]
        if not events and self._fetch_one("SELECT 1 FROM instances WHERE id = ?", (instance_id,)) is None:
            raise InstanceNotFound(instance_id)
        return events

    def seq_for_key(self, instance_id: str, idempotency_key: str) -> int | None:
        row = self._fetch_one(
            "SELECT seq FROM idempotency_keys WHERE instance = ? AND key = ?", (instance_id, idempotency_key)
        )
        return None if row is None else int(row[0])

    def instance_ids(self, protocol: str | None = None) -> Iterator[str]:
        where, args = ("protocol = ?", [protocol]) if protocol is not None else (None, [])
        return iter([row["id"] for row in self._rows("instances", where, args, "rowid", "id")])

    def import_events(self, events: Iterable[Event], snapshots: Iterable[Instance]) -> None:
        new = {snapshot.id: snapshot for snapshot in snapshots}
        staged: dict[str, list[Event]] = {instance_id: [] for instance_id in new}
        for event in events:
            if event.instance in staged:
                staged[event.instance].append(event)
        with self._write("import histories") as conn:
            clash = sorted(
                i for i in new if conn.execute("SELECT 1 FROM instances WHERE id = ?", (i,)).fetchone()
            )
            if clash:
                raise InstanceExists(clash)
            for instance_id, snapshot in new.items():
                history = sorted(staged[instance_id], key=lambda e: e.seq)
                first, last = (history[0].at, history[-1].at) if history else ("", "")
                row = _instance_row(
                    snapshot, encode_values(snapshot.context), encode_values(snapshot.signatures), first, last
                )
                conn.execute(_INSERT_INSTANCE, row)
                conn.executemany(_INSERT_EVENT, [event_row(event) for event in history])

    # -- reading -----------------------------------------------------------------------------

    def _fetch_one(self, sql: str, args: tuple[Any, ...]) -> Any:
        try:
            return self._session().conn.execute(sql, args).fetchone()
        except sqlite3.Error as error:
            raise self._failure(error, "read") from error

    def _rows(
        self, table: str, where: str | None, args: Iterable[Any], order_by: str, select: str
    ) -> list[dict[str, Any]]:
        try:
            return list(
                self._session().db[table].rows_where(where, list(args), order_by=order_by, select=select)
            )
        except sqlite3.Error as error:
            raise self._failure(error, f"read the {table} table") from error


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

    __slots__ = ("conn", "data_version", "db", "pid", "snapshots")

    #: How many snapshots a session keeps before it starts afresh.
    LIMIT = 1024

    def __init__(self, conn: sqlite3.Connection, pid: int) -> None:
        self.conn = conn
        self.pid = pid
        self.db = sqlite_utils.Database(conn)
        self.data_version = conn.execute("PRAGMA data_version").fetchone()[0]
        self.snapshots: dict[str, tuple[Instance, str, str]] = {}

    def recall(self, instance_id: str) -> Instance | None:
        """The snapshot of ``instance_id`` if it is known to be current."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self.data_version:
            self.snapshots.clear()
            self.data_version = version
            return None
        kept = self.snapshots.get(instance_id)
        return None if kept is None else kept[0]

    def remember(self, instance: Instance, context: str, signatures: str) -> None:
        """Keep ``instance``, as just read or committed, with its stored context and signatures."""
        if len(self.snapshots) >= self.LIMIT:
            self.snapshots.clear()
        self.snapshots[instance.id] = (instance, context, signatures)

    def encoded(self, instance: Instance) -> tuple[str, str]:
        """The stored form of the context and signatures of ``instance``, reusing what the last snapshot had."""
        kept = self.snapshots.get(instance.id)
        if kept is None:
            return encode_values(instance.context), encode_values(instance.signatures)
        before = kept[0]
        context = kept[1] if instance.context is before.context else encode_values(instance.context)
        signatures = (
            kept[2] if instance.signatures is before.signatures else encode_values(instance.signatures)
        )
        return context, signatures


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


# -- rows and values -------------------------------------------------------------------------


def encode_values(values: Mapping[str, Any]) -> str:
    """A context, signatures or payload mapping as canonical JSON text (tuples become arrays)."""
    return canonical_text(values) if values else "{}"


def _decode(text: str) -> dict[str, Any]:
    """The mapping :func:`encode_values` wrote, with its arrays back as tuples."""
    if text == "{}":
        return {}
    return {
        key: tuple(value) if isinstance(value, list) else value for key, value in json.loads(text).items()
    }


def _instance_row(
    instance: Instance, context: str, signatures: str, created_at: str, updated_at: str
) -> tuple[Any, ...]:
    return (
        instance.id,
        instance.protocol,
        instance.version,
        instance.digest,
        instance.state,
        context,
        signatures,
        instance.seq,
        instance.head,
        created_at,
        updated_at,
    )


def event_row(event: Event) -> tuple[Any, ...]:
    """The parameters of the INSERT of ``event`` into the events table."""
    return (
        event.instance,
        event.seq,
        event.kind,
        event.protocol,
        event.version,
        event.digest,
        event.trigger,
        event.source,
        event.target,
        event.actor.id,
        event.actor.role,
        encode_values(event.payload),
        event.at,
        event.prev_hash,
        event.hash,
    )


def _event(row: Mapping[str, Any]) -> Event:
    return Event(
        row["instance"],
        row["seq"],
        row["kind"],
        row["protocol"],
        row["version"],
        row["digest"],
        row["trigger"],
        row["source"],
        row["target"],
        Actor(row["actor_id"], row["actor_role"]),
        _decode(row["payload"]),
        row["at"],
        row["prev_hash"],
        row["hash"],
    )
