"""verify of a SQLite store whose rows were edited by hand: each is a problem, the healthy instances still verified."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit import verify as audit_verify
from just_workflow.audit.report import ProblemKind
from just_workflow.testing import TickingClock

MOA = moa_definition()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Path]:
    """A SQLite database with three instances 'a', 'b', 'c' of the MoA protocol."""
    path = tmp_path / "w.db"
    store = jw.SQLiteStore(path)
    engine = jw.Engine([MOA], store=store, clock=TickingClock())
    for instance_id in ("a", "b", "c"):
        engine.start("moa", ANNA, instance_id=instance_id)
        engine.fire(instance_id, "contact", ANNA)
        engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "offer": "internships", "staff": 3})
    store.close()
    yield path


def edit(path: Path, statement: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(statement)
    conn.close()


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE instances SET context = 'not json' WHERE id = 'b'", "column 'context' holds 'not json'"),
        ("UPDATE instances SET context = '[1]' WHERE id = 'b'", "not a JSON object"),
        ("UPDATE instances SET seq = 'x' WHERE id = 'b'", "column 'seq' holds 'x'"),
        ("UPDATE events SET actor_id = X'00ff' WHERE instance = 'b' AND seq = 2", "column 'actor_id'"),
        # Text sorts after every integer in SQLite: the event falls out of its instance's seq range.
        ("UPDATE events SET seq = 'x' WHERE instance = 'b' AND seq = 3", "event 3 is missing"),
        ("UPDATE events SET seq = 'x' WHERE instance = 'b' AND seq = 2", "event 2 is missing"),
        ("UPDATE events SET payload = '{' WHERE instance = 'b' AND seq = 3", "column 'payload'"),
    ],
)
def test_an_unreadable_row_is_a_problem_of_its_instance_and_the_others_are_verified(
    database: Path, statement: str, message: str
) -> None:
    edit(database, statement)
    store = jw.SQLiteStore(database)
    try:
        report = audit_verify.verify(store, definitions=[MOA])
    finally:
        store.close()
    assert [p.instance for p in report.problems] == ["b"]
    assert message in report.problems[0].message
    assert {"a", "c"} <= report.instances.keys()


def test_an_unreadable_definition_is_a_problem_and_the_instances_are_verified_with_those_given(
    database: Path,
) -> None:
    edit(database, "UPDATE definitions SET source = 'not json'")
    store = jw.SQLiteStore(database)
    try:
        report = audit_verify.verify(store, definitions=[MOA])
        without = audit_verify.verify(store)
    finally:
        store.close()
    assert [(p.kind, p.instance) for p in report.problems] == [(ProblemKind.MALFORMED, None)]
    assert "The stored definition 'moa' version 1" in report.problems[0].message
    assert sorted(report.instances) == ["a", "b", "c"]
    assert [p.kind for p in without.problems] == [
        ProblemKind.MALFORMED,
        *[ProblemKind.UNKNOWN_VERSION] * 3,
    ]
