"""The SQLite store's schema and its migrations, kept in ``PRAGMA user_version``.

Each entry of :data:`MIGRATIONS` takes the schema from one version to the
next; :func:`migrate` applies the missing ones in a single write transaction,
so a database is never left half-migrated and a release can open every
database an older release wrote. A database written by a newer release is
refused rather than guessed at.

Version 1:

- ``definitions``: every definition version the store was given: protocol,
  version, digest and ``source``, the canonical JSON of its document form.
- ``instances``: one row per instance, its current snapshot (state, context,
  signatures, seq, head hash) and the times of its first and last events.
- ``events``: the append-only history, one row per event, ``UNIQUE(instance, seq)``.
- ``idempotency_keys``: the key a fire was made with, and the seq it stored.

Version 2 (parties and exact idempotency):

- ``instances.parties``: the actors bound to each role, as canonical JSON;
  the starter of each existing instance (the actor of its first event) is
  bound to their role. ``instances.signatures`` changes shape, from the roles
  that signed to each role's signers: the signer of each role is the actor
  of the last ``sign`` event of that trigger and role.
- ``idempotency_keys.request``: the digest of the request a key was used
  for; ``idempotency_keys.answer``: the snapshot the request produced, as
  canonical JSON, so that a retry is answered without reading the history.
  Keys stored before have neither and are answered by replay.

Version 3 (work lists and the change feed):

- ``parties``: one row per bound party, ``(instance, role, actor)``, where
  ``instance`` is the instance's rowid, its position; indexed by actor, so
  that an actor's instances are found without reading the others. Two
  triggers keep it equal to ``instances.parties`` on every insert, and on
  every update that changes that column (a fire that binds nobody costs a
  comparison of two texts); existing instances get their rows here.
- ``instances_by_state``: ``instances(protocol, version, state)``, each
  entry ending with the rowid, so that a page of one state is read in
  creation order straight from the index.

``instances.updated_at`` has no index of its own: every fire changes it, and
keeping an index of it made a persisted fire about 10% slower. A find by
update time reads the instances its other filters find (or all of them, in
position order); the change feed answers "what changed since" instead.

Positions are the rowids of ``instances`` (creation order) and of ``events``
(commit order: one writer at a time). Rows are never deleted, so a new
rowid is always one more than the largest, and VACUUM, which may renumber
the rowids of a table without an ``INTEGER PRIMARY KEY``, finds them dense
and in order already: a position never changes.

The columns are written out here, not derived from the Instance and Event
classes as :mod:`just_workflow.store.rows` derives its rows: a released
version's tables must stay as they were whatever the classes become, and a
changed class needs a new migration (a test checks that the rows and the
migrated tables agree).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlite_utils

from just_workflow.canonical import canonical_text
from just_workflow.errors import StoreError


def _create_version_1(db: sqlite_utils.Database) -> None:
    db.table("definitions").create(
        {"protocol": str, "version": int, "digest": str, "source": str},
        pk=("protocol", "version"),
        not_null={"digest", "source"},
    )
    db.table("instances").create(
        {
            "id": str,
            "protocol": str,
            "version": int,
            "digest": str,
            "state": str,
            "context": str,
            "signatures": str,
            "seq": int,
            "head": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        not_null={
            "protocol",
            "version",
            "digest",
            "state",
            "context",
            "signatures",
            "seq",
            "head",
            "created_at",
            "updated_at",
        },
    )
    db.table("instances").create_index(["protocol"], index_name="instances_by_protocol")
    db.table("events").create(
        {
            "instance": str,
            "seq": int,
            "kind": str,
            "protocol": str,
            "version": int,
            "digest": str,
            "trigger": str,
            "source": str,
            "target": str,
            "actor_id": str,
            "actor_role": str,
            "payload": str,
            "at": str,
            "prev_hash": str,
            "hash": str,
        },
        not_null={
            "instance",
            "seq",
            "kind",
            "protocol",
            "version",
            "digest",
            "target",
            "actor_id",
            "actor_role",
            "payload",
            "at",
            "prev_hash",
            "hash",
        },
        foreign_keys=[("instance", "instances", "id")],
    )
    db.table("events").create_index(["instance", "seq"], index_name="events_by_instance_seq", unique=True)
    db.table("idempotency_keys").create(
        {"instance": str, "key": str, "seq": int},
        pk=("instance", "key"),
        not_null={"seq"},
        foreign_keys=[("instance", "instances", "id")],
    )


def _add_parties_and_requests(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE instances ADD COLUMN parties TEXT NOT NULL DEFAULT '{}'")
    db.execute("ALTER TABLE idempotency_keys ADD COLUMN request TEXT")
    db.execute("ALTER TABLE idempotency_keys ADD COLUMN answer TEXT")
    starters = db.execute("SELECT instance, actor_role, actor_id FROM events WHERE seq = 1").fetchall()
    db.conn.executemany(
        "UPDATE instances SET parties = ? WHERE id = ?",
        [(canonical_text({role: [actor]}), instance) for instance, role, actor in starters],
    )
    pending = db.execute("SELECT id, signatures FROM instances WHERE signatures != '{}'").fetchall()
    for instance, text in pending:
        signers = {}
        for trigger, roles in json.loads(text).items():
            signers[trigger] = {
                role: [
                    db.execute(
                        "SELECT actor_id FROM events WHERE instance = ? AND kind = 'sign' AND trigger = ? "
                        "AND actor_role = ? ORDER BY seq DESC LIMIT 1",
                        (instance, trigger, role),
                    ).fetchone()[0]
                ]
                for role in roles
            }
        db.execute("UPDATE instances SET signatures = ? WHERE id = ?", (canonical_text(signers), instance))


# The rows of the parties table for one instance row (``NEW``), from its parties as JSON. A row altered by
# hand past reading binds nobody here (verify reports it), rather than failing the write that altered it.
_PARTY_ROWS = (
    "INSERT INTO parties (instance, role, actor) SELECT NEW.rowid, role.key, actor.value "
    "FROM json_each(CASE WHEN json_valid(NEW.parties) THEN NEW.parties ELSE '{}' END) AS role, "
    "json_each(role.value) AS actor"
)


def _add_parties_table_and_indexes(db: sqlite_utils.Database) -> None:
    db.execute(
        "CREATE TABLE parties (instance INTEGER NOT NULL, role TEXT NOT NULL, actor TEXT NOT NULL, "
        "PRIMARY KEY (instance, role, actor)) WITHOUT ROWID"
    )
    db.execute("CREATE INDEX parties_by_actor ON parties (actor, instance)")
    db.execute(f"CREATE TRIGGER parties_of_new_instances AFTER INSERT ON instances BEGIN {_PARTY_ROWS}; END")
    db.execute(
        "CREATE TRIGGER parties_of_changed_instances AFTER UPDATE OF parties ON instances "
        "WHEN OLD.parties IS NOT NEW.parties BEGIN "
        "DELETE FROM parties WHERE instance = OLD.rowid; "
        f"{_PARTY_ROWS}; END"
    )
    db.execute(
        "INSERT INTO parties (instance, role, actor) SELECT instances.rowid, role.key, actor.value "
        "FROM instances, json_each(CASE WHEN json_valid(parties) THEN parties ELSE '{}' END) AS role, "
        "json_each(role.value) AS actor"
    )
    db.execute("CREATE INDEX instances_by_state ON instances (protocol, version, state)")


#: ``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    _create_version_1,
    _add_parties_and_requests,
    _add_parties_table_and_indexes,
)


def schema_version(db: sqlite_utils.Database) -> int:
    """The schema version a database is at (0: empty)."""
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def is_current(db: sqlite_utils.Database) -> bool:
    """Whether the database is at the schema version of this release (read without taking the write lock)."""
    return schema_version(db) == len(MIGRATIONS)


def migrate(db: sqlite_utils.Database, path: str) -> int:
    """Bring the schema up to date inside the caller's write transaction; the version it is at now."""
    current = schema_version(db)
    latest = len(MIGRATIONS)
    if current > latest:
        raise StoreError(
            f"The database {path!r} has schema version {current}, newer than the versions this release "
            f"knows (up to {latest}): open it with the release that wrote it, or a newer one."
        )
    for step in MIGRATIONS[current:]:
        step(db)
    if current != latest:
        db.execute(f"PRAGMA user_version = {latest:d}")
    return latest
