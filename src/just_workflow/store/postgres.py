"""The PostgreSQL store: the same rows as the SQLite store, on a server that several machines share.

Concurrency and durability rules, each for a reason:

- Every start and every fire is one statement in autocommit mode, so one
  transaction and one round trip: ``append`` is ``UPDATE instances ...
  WHERE id = $id AND seq = $expected`` with the inserts of the event (and
  the idempotency key) in data-modifying CTEs that insert only for the row
  the UPDATE returned. PostgreSQL runs a statement all or nothing: a lost
  connection, a killed backend or a refused key leaves nothing
  half-written. A batch (``write_many``) and an import are one transaction
  of such statements.
- Isolation is READ COMMITTED, the server's default; the UPDATE is the lock.
  Two fires on one instance both find it at the expected seq; the second
  waits on the first's row lock, and when the first commits PostgreSQL
  checks the WHERE again against the row as committed: seq has moved, no row
  is updated, nothing is inserted, and the store raises
  :class:`ConcurrencyConflict`. Exactly one of any number of fires at the same
  expected seq is stored. The primary keys ``(instance, seq)`` of ``events``
  and ``(instance, key)`` of ``idempotency_keys`` back this up in the
  database itself.
- ``lock_timeout`` (``busy_timeout`` seconds) bounds how long a write waits
  for a row another transaction holds; past it, :class:`StoreBusy`.
- One connection per thread, opened on first use, and a new one in a forked
  child (:mod:`just_workflow.store.connections`). A connection found broken (server restart, backend terminated) is
  replaced on the next call; a read that fails on a lost connection is tried
  once more on a new one. A write is never retried here: whether it
  committed is unknown, and the engine's idempotency keys are the way to ask
  again safely.
- The change feed orders events by the id of the transaction that wrote
  them and shows an event once every older transaction has ended
  (:meth:`PostgresStore.changes`); after each write the store sends a
  NOTIFY, which :meth:`PostgresStore.wait_for_changes` listens for.
- Snapshots are read from the server on every ``load``: other servers write
  too. The text of a snapshot's mappings is kept per connection, only to
  avoid encoding again what a step left unchanged.

The rows are those of :mod:`just_workflow.store.rows`; the schema and its
migrations are :mod:`just_workflow.store.postgres_schema`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg.errors

from just_workflow.canonical import is_valid_text
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
from just_workflow.store.postgres_schema import MIGRATIONS, migrate, schema_version
from just_workflow.store.reads import ReadStatements, SqlReads
from just_workflow.store.registry import changed_definition

T = TypeVar("T")
Connection = psycopg.Connection[tuple[Any, ...]]

#: How many rows a scan fetches from the server at a time.
SCAN_BATCH = 2000


def _params(count: int) -> str:
    return ", ".join(["%s"] * count)


#: How many events one transaction may write: an event's rank among them completes its feed position.
EVENTS_PER_TRANSACTION = 2**20
# The feed position of an event: the writing transaction's id (xid8: it never wraps), then the event's rank.
_POSITION = f"pg_current_xact_id()::text::bigint * {EVENTS_PER_TRANSACTION} + %s"
# Positions below this belong to transactions that have all ended: no event can still commit under it.
_HORIZON = f"pg_snapshot_xmin(pg_current_snapshot())::text::bigint * {EVENTS_PER_TRANSACTION}"
#: The channel every write notifies, after it committed; :meth:`PostgresStore.wait_for_changes` listens to it.
CHANNEL = "just_workflow_changes"
# Its own little transaction, after the write's: a NOTIFY holds a database-wide lock from its commit until
# the commit is flushed, so inside the write it would make concurrent fires wait for each other's disk
# syncs; here it does not wait for the disk (a notification is a hint to read the feed, not data).
_NOTIFY = f"BEGIN; SET LOCAL synchronous_commit = off; NOTIFY {CHANNEL}; COMMIT"

_INSTANCE_COLUMNS = ", ".join(rows.INSTANCE_COLUMNS)
_EVENT_COLUMNS = ", ".join(rows.EVENT_COLUMNS)
_EVENT_VALUES = f"{_params(len(rows.EVENT_COLUMNS))}, {_POSITION}"  # parameters: rows.event_row, the rank
_INSERT_EVENT = f"INSERT INTO events ({_EVENT_COLUMNS}, position) VALUES ({_EVENT_VALUES})"
_INSERT_INSTANCE = (
    f"INSERT INTO instances ({_INSTANCE_COLUMNS}) VALUES ({_params(len(rows.INSTANCE_COLUMNS))})"
)
# A new instance and its first event in one statement.
_CREATE = (
    f"WITH created AS ({_INSERT_INSTANCE} RETURNING id) "
    f"INSERT INTO events ({_EVENT_COLUMNS}, position) SELECT {_EVENT_VALUES} FROM created"
)


@functools.cache
def _appends(update: str) -> tuple[str, str]:
    """The append statements around one of the SQLite store's row updates (rows.snapshot_write chooses it).

    The snapshot, then the event, inserted only if the UPDATE found the
    instance at the expected seq; and the same, keeping the idempotency key
    with its request and answer.
    """
    move = f"{_postgres_parameters(update)} RETURNING id"
    append = f"INSERT INTO events ({_EVENT_COLUMNS}, position) SELECT {_EVENT_VALUES} FROM moved"
    keep = (
        "keyed AS (INSERT INTO idempotency_keys (instance, key, seq, request, answer) "
        "SELECT id, %s, %s, %s, %s FROM moved) "
    )
    return f"WITH moved AS ({move}) {append}", f"WITH moved AS ({move}), {keep}{append}"


def _postgres_parameters(sql: str) -> str:
    """A statement of :mod:`rows` with psycopg's parameter marks (its statements hold no literal ``?``)."""
    return sql.replace("?", "%s")


_SELECT_CHANGES = (
    f"SELECT position, {_EVENT_COLUMNS} FROM events WHERE position > %s AND position < {_HORIZON} "
    "ORDER BY position LIMIT %s"
)
_SELECT_INSTANCE = f"SELECT {', '.join(rows.INSTANCE_FIELDS)} FROM instances WHERE id = %s"
#: The snapshots of many instances: one parameter, the ids as an array.
_SELECT_INSTANCES = f"SELECT {', '.join(rows.INSTANCE_FIELDS)} FROM instances WHERE id = ANY(%s)"
_SELECT_EVENTS = (
    f"SELECT {_EVENT_COLUMNS} FROM events WHERE instance = %s AND seq > %s AND seq <= %s ORDER BY seq"
)
_SELECT_SEQ = "SELECT seq FROM instances WHERE id = %s"
_SELECT_KEY = "SELECT seq, request, answer FROM idempotency_keys WHERE instance = %s AND key = %s"
_SELECT_INSTANCE_IDS = "SELECT id FROM instances ORDER BY n"
_SELECT_PROTOCOL_INSTANCE_IDS = "SELECT id FROM instances WHERE protocol = %s ORDER BY n"
_SCAN = rows.scan_statement("n", "%s", of_protocol=False)
_SCAN_PROTOCOL = rows.scan_statement("n", "%s", of_protocol=True)
_INSERT_DEFINITION = "INSERT INTO definitions (protocol, version, digest, source) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
_SELECT_DEFINITION_DIGEST = "SELECT digest FROM definitions WHERE protocol = %s AND version = %s"
_SELECT_DEFINITIONS = "SELECT protocol, version, digest, source FROM definitions ORDER BY protocol, version"


def shown_url(url: str) -> str:
    """``url`` with its password, if any (before the host or as ``password=``), as ``***``: for messages and ``repr``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{parts.username}:***@{host}")
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if any(name == "password" for name, _ in query):
        shown = [(name, "***" if name == "password" else value) for name, value in query]
        parts = parts._replace(query=urllib.parse.urlencode(shown, safe="*/"))
    return urllib.parse.urlunsplit(parts)


class PostgresStore(SqlReads):
    """A :class:`~just_workflow.store.base.Store` in a PostgreSQL database, shared by threads, processes and servers.

    ``url`` is a libpq connection URL (``postgresql://user:password@host:5432/db``;
    ``postgres://`` too, and any libpq parameter in the query string). The
    tables are created in the connection's schema on first use. ``busy_timeout``
    is how many seconds a write waits for a row another transaction holds
    before :class:`StoreBusy` is raised. ``notify`` (default True): after each
    write, wake the stores waiting in :meth:`wait_for_changes` (PostgreSQL's
    NOTIFY, one more round trip per write).
    """

    def __init__(self, url: str, *, busy_timeout: float = 5.0, notify: bool = True) -> None:
        if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
            raise StoreError(
                f"PostgresStore needs a postgresql:// (or postgres://) URL, got {url!r}: for example "
                "postgresql://user:password@127.0.0.1:5432/workflows."
            )
        if busy_timeout < 0:
            raise StoreError(f"busy_timeout must be 0 or more seconds, got {busy_timeout!r}.")
        self.url = url
        self.busy_timeout = busy_timeout
        self.notify = notify
        self._shown = shown_url(url)
        self._threads: ThreadConnections[Connection] = ThreadConnections()
        self._rebuilt: dict[tuple[str, int, str], Definition] = {}
        self._migrate()

    def __repr__(self) -> str:
        return f"PostgresStore({self._shown!r})"

    _reads = ReadStatements(
        events=_SELECT_EVENTS,
        seq=_SELECT_SEQ,
        key=_SELECT_KEY,
        instance_ids=_SELECT_INSTANCE_IDS,
        protocol_instance_ids=_SELECT_PROTOCOL_INSTANCE_IDS,
        definition_digest=_SELECT_DEFINITION_DIGEST,
        definitions=_SELECT_DEFINITIONS,
    )

    @property
    def _definitions_table(self) -> str:
        return f"The definitions table of {self._shown}"

    # -- connections -------------------------------------------------------------------------

    def _session(self) -> _Session:
        """This thread's session: opened on first use, again in a forked child and after a lost connection."""
        session: _Session | None = getattr(self._threads.here(), "session", None)
        if session is None or session.conn.closed:
            return self._open(session)
        return session

    def _open(self, broken: _Session | None) -> _Session:
        if broken is not None:
            self._threads.discard(broken.conn)
        try:
            conn = psycopg.connect(self.url, autocommit=True)
        except psycopg.Error as error:
            raise StoreError(f"{self._shown}: could not connect: {_reason(error)}") from None
        try:
            # set here, not as a connection option: that would replace any ``options`` the URL gives
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)", (f"{round(self.busy_timeout * 1000)}ms",)
            )
        except psycopg.Error as error:
            conn.close()
            raise self._failure(error, "configure the connection") from None
        self._threads.add(conn)
        session = _Session(conn)
        self._threads.here().session = session
        return session

    def _failure(self, error: psycopg.Error, doing: str) -> StoreError:
        """The store error for a failed database call (StoreBusy when a row stayed locked too long)."""
        if isinstance(error, psycopg.errors.LockNotAvailable):
            return StoreBusy(
                f"{self._shown}: could not {doing}: the rows stayed locked by other transactions for more "
                f"than {self.busy_timeout:g} s (the busy timeout); retry, or open the store with a longer "
                "busy_timeout."
            )
        if isinstance(error, psycopg.OperationalError):
            return StoreError(
                f"{self._shown}: could not {doing}: the connection was lost ({_reason(error)}); whether a "
                "write in flight was stored is unknown: retry it with its idempotency key."
            )
        return StoreError(f"{self._shown}: could not {doing}: {_reason(error)}")

    def _read(self, doing: str, read: Callable[[Connection], T]) -> T:
        """``read(conn)`` on this thread's connection, once more on a new one if the connection was lost."""
        for attempt in (1, 2):
            conn = self._session().conn
            try:
                return read(conn)
            except psycopg.OperationalError as error:
                if attempt == 2 or not conn.closed:
                    raise self._failure(error, doing) from None
            except psycopg.Error as error:
                raise self._failure(error, doing) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _migrate(self) -> None:
        def current(conn: Connection) -> bool:
            return schema_version(conn) == len(MIGRATIONS)

        if not self._read("read the schema version", current):
            conn = self._session().conn
            try:
                migrate(conn, self._shown)
            except psycopg.Error as error:
                raise self._failure(error, "create or migrate the schema") from None

    # -- definitions -------------------------------------------------------------------------

    def register_definition(self, definition: Definition) -> None:
        protocol, version = definition.key
        kept = self._stored_digest(protocol, version)
        if kept is None:
            # Not canonical JSON: the document's mappings keep their order, part of the definition and its digest.
            source = json.dumps(definition_to_document(definition), ensure_ascii=False, separators=(",", ":"))
            args = (protocol, version, definition.digest, source)
            self._written(
                f"register {protocol!r} version {version}",
                lambda conn: conn.execute(_INSERT_DEFINITION, args),
            )
            kept = self._stored_digest(protocol, version)
        if kept != definition.digest:
            raise changed_definition(definition, kept or "")

    # -- instances ---------------------------------------------------------------------------

    def _written(self, doing: str, write: Callable[[Connection], object]) -> None:
        """Run ``write(conn)`` on this thread's connection (in autocommit: each statement commits), then notify."""
        conn = self._session().conn
        try:
            write(conn)
        except psycopg.Error as error:
            raise self._failure(error, doing) from None
        self._notify(conn)

    def _notify(self, conn: Connection) -> None:
        """Tell the listeners that something was written (a lost connection here loses only the hint)."""
        if self.notify:
            with contextlib.suppress(psycopg.OperationalError):
                conn.execute(_NOTIFY)

    def create(self, instance: Instance, event: Event) -> None:
        session = self._session()
        encoded = rows.encode_snapshot(instance)
        self._written(
            f"create instance {instance.id!r}", lambda conn: _insert_new(conn, instance, encoded, event, 0)
        )
        session.remember(instance, encoded)

    def append(
        self,
        instance: Instance,
        event: Event,
        expected_seq: int,
        idempotency_key: str | None = None,
        request: str | None = None,
    ) -> None:
        """Store ``event`` and the snapshot after it in one statement, if the stored seq is ``expected_seq``."""
        session = self._session()
        before = session.snapshots.get(instance.id)
        encoded = rows.encode_snapshot(instance, before)
        self._written(
            f"append event {event.seq} to instance {instance.id!r}",
            lambda conn: _move(
                conn, instance, encoded, event, expected_seq, idempotency_key, request, 0, before
            ),
        )
        session.remember(instance, encoded)

    def write_many(self, writes: Sequence[Created | Appended]) -> None:
        """Carry out ``writes`` in order in one transaction, each checked as ``create`` or ``append`` checks it."""
        if not writes:
            return
        if len(writes) > EVENTS_PER_TRANSACTION:
            raise StoreError(
                f"A batch of {len(writes):,} writes is more than PostgresStore writes in one transaction "
                f"({EVENTS_PER_TRANSACTION:,}): split it."
            )
        session = self._session()
        written: dict[str, tuple[Instance, rows.Encoded]] = {}

        def write(conn: Connection) -> None:
            with conn.transaction():
                for rank, item in enumerate(writes):
                    instance = item.instance
                    try:
                        if isinstance(item, Created):
                            encoded = rows.encode_snapshot(instance)
                            _insert_new(conn, instance, encoded, item.event, rank)
                        else:
                            before = written.get(instance.id) or session.snapshots.get(instance.id)
                            encoded = rows.encode_snapshot(instance, before)
                            _move(
                                conn,
                                instance,
                                encoded,
                                item.event,
                                item.expected_seq,
                                item.idempotency_key,
                                item.request,
                                rank,
                                before,
                            )
                    except (ConcurrencyConflict, InstanceExists, InstanceNotFound) as error:
                        raise BatchFailed(rank, item.describe(), error) from error
                    written[instance.id] = (instance, encoded)

        self._written(f"write a batch of {len(writes)}", write)
        for instance, encoded in written.values():
            session.remember(instance, encoded)

    def load(self, instance_id: str) -> Instance:
        row = self._fetch_one(_SELECT_INSTANCE, (instance_id,))
        if row is None:
            raise InstanceNotFound(instance_id)
        instance, encoded = rows.instance_from_row(row)
        self._session().remember(instance, encoded)
        return instance

    def load_many(self, instance_ids: Sequence[str]) -> dict[str, Instance]:
        """The snapshots of the instances among ``instance_ids`` that exist, read in one query."""
        # An id that is not valid Unicode is no stored id (the engine refuses it), and the driver cannot send it.
        wanted = [i for i in dict.fromkeys(instance_ids) if is_valid_text(i)]
        if not wanted:
            return {}
        found: dict[str, Instance] = {}
        session = self._session()
        for row in self._fetch_all(_SELECT_INSTANCES, (wanted,), "instances"):
            instance, encoded = rows.instance_from_row(row)
            session.remember(instance, encoded)
            found[instance.id] = instance
        return found

    def scan(self, protocol: str | None = None) -> Iterator[StoredInstance]:
        """Every instance with its history, streamed through a server-side cursor on a connection of its own.

        One statement sees one snapshot of the database: each instance with
        its events as they were when the scan began, whatever is written
        meanwhile. Rows come in batches of :data:`SCAN_BATCH`.
        """
        args: tuple[Any, ...] = (rows.LAST_SEQ,) if protocol is None else (rows.LAST_SEQ, protocol)
        sql = _SCAN if protocol is None else _SCAN_PROTOCOL
        try:
            conn = psycopg.connect(
                self.url
            )  # a transaction of its own: the thread's connection may write meanwhile
        except psycopg.Error as error:
            raise StoreError(f"{self._shown}: could not connect: {_reason(error)}") from None
        try:
            with conn.cursor(name="just_workflow_scan") as cursor:
                cursor.itersize = SCAN_BATCH
                cursor.execute(sql, args)
                yield from rows.stored_instances(cursor)
        except psycopg.Error as error:
            raise self._failure(error, "read the instances and events tables") from None
        finally:
            conn.close()

    def import_events(self, events: Iterable[Event], snapshots: Iterable[Instance]) -> None:
        new = {snapshot.id: snapshot for snapshot in snapshots}
        staged: dict[str, list[Event]] = {instance_id: [] for instance_id in new}
        for event in events:
            if event.instance in staged:
                staged[event.instance].append(event)
        total = sum(map(len, staged.values()))
        if total > EVENTS_PER_TRANSACTION:
            raise StoreError(
                f"An import of {total:,} events is more than PostgresStore writes in one transaction "
                f"({EVENTS_PER_TRANSACTION:,}): import the instances in parts."
            )

        def write(conn: Connection) -> None:
            with conn.transaction(), conn.cursor() as cursor:
                found = cursor.execute("SELECT id FROM instances WHERE id = ANY(%s)", (list(new),)).fetchall()
                if found:
                    raise InstanceExists(sorted(instance_id for (instance_id,) in found))
                rank = 0
                for instance_id, snapshot in new.items():
                    history = sorted(staged[instance_id], key=lambda e: e.seq)
                    first, last = (history[0].at, history[-1].at) if history else ("", "")
                    cursor.execute(
                        _INSERT_INSTANCE,
                        rows.instance_row(snapshot, rows.encode_snapshot(snapshot), first, last),
                    )
                    ranks = range(rank, rank + len(history))
                    cursor.executemany(
                        _INSERT_EVENT, [(*rows.event_row(e), r) for e, r in zip(history, ranks, strict=True)]
                    )
                    rank += len(history)

        self._written("import histories", write)

    def find(self, query: InstanceQuery) -> list[Found]:
        statement = rows.find_statement(query, limit_each_arm=True)
        if statement is None:
            return []
        sql, args = statement
        found = self._fetch_all(_in_postgres_terms(sql), tuple(args), "instances")
        return [(int(row[0]), rows.instance_from_row(row[1:])[0]) for row in found]

    def changes(self, after: int = 0, limit: int = 100) -> list[Change]:
        """The events after position ``after``, in feed order: only those no transaction still running can precede.

        A position is the writing transaction's id then the event's rank in
        it. Transaction ids are handed out in the order writes begin, not in
        the order they commit; so the feed stops short of the oldest
        transaction still running anywhere on the server (its snapshot
        ``xmin``): every event below that has committed or never will, and no
        event can later appear before one the reader has passed.
        """
        found = self._fetch_all(_SELECT_CHANGES, (after, limit), "events")
        return [(int(row[0]), rows.event_from_row(row[1:])) for row in found]

    def wait_for_changes(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a write to the database by any PostgresStore; whether one came.

        Listens on :data:`CHANNEL` through a connection of this thread's own.
        Its first call starts listening and returns True at once (read the
        feed again: a write may have landed just before); after that, every
        write committed since the previous call wakes it. A True is a hint
        to read :meth:`changes`: the feed may still hold the new events back
        while an older transaction runs, and a write by another program, or
        with ``notify=False``, wakes no one, so wait with a timeout.
        """
        slots = self._threads.here()
        listener: Connection | None = getattr(slots, "listener", None)
        if listener is None or listener.closed:
            try:
                listener = psycopg.connect(self.url, autocommit=True)
                listener.execute(f"LISTEN {CHANNEL}")
            except psycopg.Error as error:
                raise self._failure(error, "listen for changes") from None
            self._threads.add(listener)
            slots.listener = listener
            return True
        try:
            woken = any(True for _ in listener.notifies(timeout=timeout, stop_after=1))
            for _ in listener.notifies(timeout=0):  # those that came with it: one wake-up is enough
                pass
        except psycopg.OperationalError:
            self._threads.discard(listener)
            return True  # listening again on the next call; meanwhile, read the feed
        return woken

    # -- reading -----------------------------------------------------------------------------

    def _fetch_one(self, sql: str, args: tuple[Any, ...]) -> Any:
        return self._read("read", lambda conn: conn.execute(sql, args).fetchone())

    def _fetch_all(self, sql: str, args: tuple[Any, ...], table: str) -> list[Any]:
        return self._read(f"read the {table} table", lambda conn: conn.execute(sql, args).fetchall())


def _insert_new(conn: Connection, instance: Instance, encoded: rows.Encoded, event: Event, rank: int) -> None:
    """Insert a new instance and its first event, the event ``rank``-th of its transaction's."""
    args = (*rows.instance_row(instance, encoded, event.at, event.at), *rows.event_row(event), rank)
    try:
        conn.execute(_CREATE, args)
    except psycopg.errors.UniqueViolation:
        raise InstanceExists([instance.id]) from None


def _move(
    conn: Connection,
    instance: Instance,
    encoded: rows.Encoded,
    event: Event,
    expected_seq: int,
    idempotency_key: str | None,
    request: str | None,
    rank: int,
    before: tuple[Instance, rows.Encoded] | None,
) -> None:
    """Write the snapshot, the key and the event in one statement, if the stored seq is ``expected_seq``.

    ``before`` is the snapshot the session last read or wrote: the row update
    is the one :func:`rows.snapshot_write` chooses, as in the SQLite store.
    """
    update, move = rows.snapshot_write(
        instance, encoded, event.at, expected_seq, None if before is None else before[0]
    )
    plain, keyed = _appends(update)
    if idempotency_key is None:
        sql, args = plain, (*move, *rows.event_row(event), rank)
    else:
        key = (idempotency_key, event.seq, request, rows.answer_text(instance, encoded))
        sql, args = keyed, (*move, *key, *rows.event_row(event), rank)
    try:
        written = conn.execute(sql, args).rowcount
    except psycopg.errors.UniqueViolation:  # the key is kept already: the engine looks it up again
        raise ConcurrencyConflict(instance.id, expected_seq, expected_seq) from None
    if written != 1:
        row = conn.execute(_SELECT_SEQ, (instance.id,)).fetchone()
        if row is None:
            raise InstanceNotFound(instance.id)
        raise ConcurrencyConflict(instance.id, expected_seq, int(row[0]))


def _in_postgres_terms(sql: str) -> str:
    """A statement of :func:`rows.find_statement` for PostgreSQL: ``%s`` parameters, positions in ``n``.

    The statements name no value inline (every value is a parameter), so
    ``?`` and ``rowid`` appear in them only as parameter marks and as the
    column of positions.
    """
    return _postgres_parameters(sql).replace("rowid", "n").replace(" WHERE 1 ", " WHERE TRUE ")


def _reason(error: psycopg.Error) -> str:
    """The server's (or libpq's) message of ``error``, on one line."""
    return " ".join(str(error).split()) or type(error).__name__


class _Session:
    """One thread's connection, and the stored text of the snapshots it has read or written.

    The text is kept only to write it again unchanged when a step leaves a
    mapping as it was; ``load`` always asks the server.
    """

    __slots__ = ("conn", "snapshots")

    #: How many snapshots a session keeps before it starts afresh.
    LIMIT = 1024

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.snapshots: dict[str, tuple[Instance, rows.Encoded]] = {}

    def remember(self, instance: Instance, encoded: rows.Encoded) -> None:
        """Keep ``instance``, as just read or committed, with its mappings as stored."""
        if len(self.snapshots) >= self.LIMIT:
            self.snapshots.clear()
        self.snapshots[instance.id] = (instance, encoded)
