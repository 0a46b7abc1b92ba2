"""The batch benchmark's plain-sqlite3 baseline writes exactly the rows the engine writes for the same fires.

``bench.lists`` compares the engine's batches with the same fires' rows
written by plain ``sqlite3`` (the fastest a batch could be): that ceiling
means something only if those rows are the engine's, byte for byte.
"""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path

import pytest
from bench.lists import REQUEST, planned_rows, sme, write_rows

import just_workflow as jw
from just_workflow.store.sqlite import SQLiteStore, configure_connection

MOMENT = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
REQUESTS = [f"r-{number}" for number in range(6)]


def _started(path: Path) -> jw.Engine:
    """An engine on a new store at ``path`` holding the REQUESTS just started, every event at MOMENT."""
    engine = jw.Engine([REQUEST], store=SQLiteStore(path), clock=lambda: MOMENT)
    with engine.batch() as batch:
        for number, instance_id in enumerate(REQUESTS):
            batch.start("request", sme(number), instance_id=instance_id)
    return engine


def _rows(path: Path) -> list[list[tuple[object, ...]]]:
    """Every row of the tables a fire writes, in an order that does not depend on how they were written."""
    conn = sqlite3.connect(path)
    try:
        return [
            conn.execute("SELECT * FROM instances ORDER BY id").fetchall(),
            conn.execute("SELECT * FROM events ORDER BY instance, seq").fetchall(),
            conn.execute("SELECT * FROM parties ORDER BY instance, role, actor").fetchall(),
        ]
    finally:
        conn.close()


@pytest.mark.parametrize("way", ["raw single", "raw batch"])
def test_the_plain_sqlite3_baseline_writes_the_engines_rows(tmp_path: Path, way: str) -> None:
    """Submitting the requests through the engine and writing the baseline's rows leave identical tables."""
    targets = [(instance_id, sme(number)) for number, instance_id in enumerate(REQUESTS)]
    through_engine = _started(tmp_path / "engine.db")
    for instance_id, starter in targets:
        through_engine.fire(instance_id, "submit", starter, {"topic": "labs"})
    baseline = _started(tmp_path / "baseline.db")
    planned, _seconds = planned_rows(baseline, targets)
    conn = sqlite3.connect(tmp_path / "baseline.db", isolation_level=None)
    configure_connection(conn, "NORMAL")
    try:
        write_rows(conn, planned, way)
    finally:
        conn.close()

    written = _rows(tmp_path / "baseline.db")
    assert written == _rows(tmp_path / "engine.db")
    assert len(written[1]) == 2 * len(REQUESTS)  # each request's start and its submit
    assert {instance.state for instance in baseline.find(protocol="request").items} == {"review"}
    assert baseline.verify().ok
