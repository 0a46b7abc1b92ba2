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

The columns are written out here, not derived from the Instance and Event
classes as :mod:`just_workflow.store.rows` derives its rows: a released
version's tables must stay as they were whatever the classes become, and a
changed class needs a new migration (a test checks that the rows and the
migrated tables agree).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

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


#: ``MIGRATIONS[n]`` takes a database from schema version ``n`` to ``n + 1``.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_create_version_1,)


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
