"""The PostgreSQL store's schema and its migrations, kept in the table ``just_workflow_schema``.

Each entry of :data:`MIGRATIONS` takes the schema from one version to the
next, as SQL statements. :func:`migrate` applies the missing ones in one
transaction holding an advisory lock, so that two servers starting at once on
an empty database do not both create the tables, and a database is never
left half-migrated (PostgreSQL's DDL is transactional). A database written by
a newer release is refused rather than guessed at.

Version 1 holds what the SQLite store's version 2 holds, with PostgreSQL's
types, in the schema the connection's ``search_path`` names first:

- ``definitions``: every definition version: protocol, version, digest and
  ``source``, its document form as JSON text.
- ``instances``: one row per instance, its current snapshot and the times of
  its first and last events; ``n``, a sequence number, orders them by
  creation.
- ``events``: the append-only history, primary key ``(instance, seq)``.
- ``idempotency_keys``: primary key ``(instance, key)``, with the seq the
  fire stored, the digest of its request and the snapshot it answered.
- ``events.position``: the event's place in the change feed,
  ``xid * 2**20 + k``: the id of the transaction that wrote it (``xid8``,
  which never wraps) and its rank ``k`` among that transaction's events
  (see :mod:`just_workflow.store.postgres`).
- ``parties``: one row per bound party, ``(instance, role, actor)`` where
  ``instance`` is the instance's ``n``; indexed by actor. Two triggers keep
  it equal to ``instances.parties``: on insert, and on an update that
  changes that column.
- ``instances_by_state``: ``(protocol, version, state, n)``, so that a page of
  one state is read in creation order from the index. ``updated_at`` has
  no index (every fire changes it).

Mappings (context, signatures, parties, payloads) are canonical JSON kept as
``text``, not ``jsonb``: ``jsonb`` reorders keys and rewrites numbers, and a
value must read back exactly as it was hashed. The columns are written out
here, not derived from the classes: a released version's tables stay as they
were (a test checks that the rows and the tables agree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from just_workflow.errors import StoreError

if TYPE_CHECKING:
    import psycopg

#: The key of the advisory lock held while the schema is read and migrated (any fixed number, ours).
MIGRATION_LOCK = 0x6A77_5F73_6368_656D  # "jw_schem"

_VERSION_1 = (
    """CREATE TABLE definitions (
        protocol text NOT NULL,
        version integer NOT NULL,
        digest text NOT NULL,
        source text NOT NULL,
        PRIMARY KEY (protocol, version))""",
    """CREATE TABLE instances (
        n bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        protocol text NOT NULL,
        version integer NOT NULL,
        digest text NOT NULL,
        state text NOT NULL,
        context text NOT NULL,
        signatures text NOT NULL,
        parties text NOT NULL,
        seq bigint NOT NULL,
        head text NOT NULL,
        created_at text NOT NULL,
        updated_at text NOT NULL)""",
    "CREATE INDEX instances_by_protocol ON instances (protocol, n)",
    """CREATE TABLE events (
        instance text NOT NULL REFERENCES instances (id),
        seq bigint NOT NULL,
        kind text NOT NULL,
        protocol text NOT NULL,
        version integer NOT NULL,
        digest text NOT NULL,
        trigger text,
        source text,
        target text NOT NULL,
        actor_id text NOT NULL,
        actor_role text NOT NULL,
        payload text NOT NULL,
        at text NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        position bigint NOT NULL UNIQUE,
        PRIMARY KEY (instance, seq))""",
    """CREATE TABLE idempotency_keys (
        instance text NOT NULL REFERENCES instances (id),
        key text NOT NULL,
        seq bigint NOT NULL,
        request text,
        answer text,
        PRIMARY KEY (instance, key))""",
    "CREATE INDEX instances_by_state ON instances (protocol, version, state, n)",
    """CREATE TABLE parties (
        instance bigint NOT NULL,
        role text NOT NULL,
        actor text NOT NULL,
        PRIMARY KEY (instance, role, actor))""",
    "CREATE INDEX parties_by_actor ON parties (actor, instance)",
    """CREATE FUNCTION just_workflow_bind_parties() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM parties WHERE instance = OLD.n;
        END IF;
        INSERT INTO parties (instance, role, actor)
            SELECT NEW.n, role.key, actor.value
            FROM jsonb_each(NEW.parties::jsonb) AS role, jsonb_array_elements_text(role.value) AS actor;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER parties_of_new_instances AFTER INSERT ON instances
        FOR EACH ROW EXECUTE FUNCTION just_workflow_bind_parties()""",
    """CREATE TRIGGER parties_of_changed_instances AFTER UPDATE OF parties ON instances
        FOR EACH ROW WHEN (OLD.parties IS DISTINCT FROM NEW.parties) EXECUTE FUNCTION just_workflow_bind_parties()""",
)

#: ``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_VERSION_1,)

_CREATE_VERSION_TABLE = "CREATE TABLE IF NOT EXISTS just_workflow_schema (version integer NOT NULL)"


def schema_version(conn: psycopg.Connection[tuple[object, ...]]) -> int:
    """The schema version of the database (0: empty), read without any lock."""
    # pg_tables, not to_regclass: a scan sees what committed before the statement, while the name cache
    # may not yet know of a table another server created while this one waited for the migration lock.
    found = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename = 'just_workflow_schema')"
    ).fetchone()
    if found is None or not found[0]:
        return 0
    row = conn.execute("SELECT max(version) FROM just_workflow_schema").fetchone()
    return 0 if row is None or row[0] is None else int(str(row[0]))


def migrate(conn: psycopg.Connection[tuple[object, ...]], where: str) -> int:
    """Bring the schema up to date in one transaction, under the migration lock; the version it is at now."""
    latest = len(MIGRATIONS)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        current = schema_version(conn)  # again, under the lock: another server may have migrated meanwhile
        if current > latest:
            raise StoreError(
                f"The database {where} has schema version {current}, newer than the versions this release "
                f"knows (up to {latest}): open it with the release that wrote it, or a newer one."
            )
        for statements in MIGRATIONS[current:]:
            for statement in statements:
                conn.execute(statement)
        if current != latest:
            conn.execute(_CREATE_VERSION_TABLE)
            conn.execute("DELETE FROM just_workflow_schema")
            conn.execute("INSERT INTO just_workflow_schema (version) VALUES (%s)", (latest,))
    return latest
