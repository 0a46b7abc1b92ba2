"""Sizes on disk: bytes per event and per instance in a SQLiteStore and a PostgresStore.

Run from the repository root: ``python -m bench.sizes``. Each store gets
the same instances of the bundled ``sme_approaching_hei`` protocol, each run
through the same 7 fires (8 events with the start); then, for two counts of
instances, the store's size (SQLite: the file after ``VACUUM``; PostgreSQL:
``pg_total_relation_size`` of the tables, indexes included, after
``VACUUM FULL``) is measured, and the difference between the two counts
gives the bytes one more instance with its 8 events costs. The PostgreSQL
server is ``JUST_WORKFLOW_BENCH_PG_URL`` when set, else a private one.
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg

import just_workflow as jw
from bench.postgres import databases, fresh_schema

TABLES = ("definitions", "instances", "events", "idempotency_keys")
CARLA = jw.Actor("carla", "career_services")
#: The fires each instance goes through, after its start: (trigger, by career services?, payload).
RUN = (
    ("contact_career_services", False, {}),
    ("route_request", True, {"departments": ["informatics", "economics"]}),
    (
        "define_interest",
        False,
        {"interest": "Joint teaching in applied machine learning, from the autumn term."},
    ),
    ("define_offer", False, {"offer": ["internship_programmes", "joint_teaching"]}),
    ("define_fit", False, {"fit": ["reputation", "ambition"]}),
    ("define_ways", False, {"ways_of_collaboration": ["traineeship", "sme_in_teaching"]}),
)


def fill(engine: jw.Engine, count: int, first: int) -> None:
    """Start ``count`` instances and run each through RUN, each fire with an idempotency key."""
    for n in range(first, first + count):
        sme = jw.Actor(f"sme-{n}", "sme")
        instance = engine.start("sme_approaching_hei", sme, instance_id=f"moa-{n:07d}")
        for trigger, by_career_services, payload in RUN:
            actor = CARLA if by_career_services else sme
            engine.fire(instance.id, trigger, actor, payload, idempotency_key=f"{instance.id}-{trigger}")


def sqlite_bytes(path: Path) -> int:
    """The size of the SQLite file at ``path`` once vacuumed (the WAL checkpointed)."""
    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_count, page_size = (
        conn.execute("PRAGMA page_count").fetchone()[0],
        conn.execute("PRAGMA page_size").fetchone()[0],
    )
    conn.close()
    return int(page_count * page_size)


def postgres_bytes(url: str) -> int:
    """The size of the store's tables at ``url``, indexes and TOAST included, once vacuumed."""
    with psycopg.connect(url, autocommit=True) as conn:
        total = 0
        for table in TABLES:
            conn.execute(f"VACUUM FULL {table}")
            row = conn.execute("SELECT pg_total_relation_size(%s)", (table,)).fetchone()
            assert row is not None
            total += int(row[0])
        return total


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Measure; the Markdown of the results."""
    parser = argparse.ArgumentParser(prog="python -m bench.sizes", description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=2000, help="instances of the larger count")
    args = parser.parse_args(argv)
    small, large = args.instances // 4, args.instances
    library = jw.load_definitions("definitions/")
    measured: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sizes.db"
        with jw.SQLiteStore(path) as store:
            engine = jw.Engine(library, store=store)
            fill(engine, small, 0)
            first = sqlite_bytes(path)
            fill(engine, large - small, small)
            measured["SQLiteStore"] = (first, sqlite_bytes(path))
    with (
        contextlib.closing(databases()) as servers,
        fresh_schema(next(servers)) as schema,
        jw.PostgresStore(schema) as store,
    ):
        engine = jw.Engine(library, store=store)
        fill(engine, small, 0)
        first = postgres_bytes(schema)
        fill(engine, large - small, small)
        measured["PostgresStore"] = (first, postgres_bytes(schema))
    events = 1 + len(RUN)
    lines = [
        f"Instances of sme_approaching_hei with {events} events each (and {len(RUN)} idempotency keys), "
        f"{small:,} then {large:,} instances:",
        "",
        "| store | total at the larger count | bytes per instance with its events | bytes per event, all included |",
        "|---|---:|---:|---:|",
    ]
    for name, (first, second) in measured.items():
        per_instance = (second - first) / (large - small)
        lines.append(
            f"| {name} | {second / 2**20:.1f} MiB | {per_instance:,.0f} | {per_instance / events:,.0f} |"
        )
    return lines


if __name__ == "__main__":
    print("\n".join(results()))
