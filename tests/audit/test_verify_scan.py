"""verify reads a store by one scan, instance after instance; one unreadable stored definition fails alone."""

from __future__ import annotations

import sqlite3
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.audit import verify as audit_verify
from just_workflow.audit.report import ProblemKind
from just_workflow.store.base import StoredInstance
from just_workflow.testing import TickingClock

MOA = moa_definition()
OTHER = attrs.evolve(MOA, protocol="other")


class CountingStore(jw.MemoryStore):
    """A MemoryStore that counts the scans and the per-instance reads."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {"scan": 0, "events": 0, "load": 0}

    def scan(self, protocol: str | None = None) -> Iterator[StoredInstance]:
        self.calls["scan"] += 1
        return super().scan(protocol)

    def events(self, instance_id: str, after_seq: int = 0, upto_seq: int | None = None) -> list[jw.Event]:
        self.calls["events"] += 1
        return super().events(instance_id, after_seq, upto_seq)

    def load(self, instance_id: str) -> jw.Instance:
        self.calls["load"] += 1
        return super().load(instance_id)


def run(engine: jw.Engine, instance_id: str, staff: int = 1) -> jw.Instance:
    engine.start("moa", ANNA, instance_id=instance_id)
    engine.fire(instance_id, "contact", ANNA)
    return engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "staff": staff})


def test_verify_of_every_instance_is_one_scan_of_the_store() -> None:
    store = CountingStore()
    engine = jw.Engine([MOA], store=store, clock=TickingClock())
    for instance_id in ("a", "b", "c"):
        run(engine, instance_id)
    store.calls.update(scan=0, events=0, load=0)
    report = engine.verify()
    assert report.ok and report.events == 9
    assert store.calls == {"scan": 1, "events": 0, "load": 0}


def test_a_verified_snapshot_is_read_back_as_it_was_verified_even_after_more_fires() -> None:
    engine = jw.Engine([MOA], clock=TickingClock())
    verified = run(engine, "a")
    report = engine.verify()
    assert report.instances == {"a": verified}
    engine.fire("a", "define", DORA, {"fields": ["ai"], "staff": 9})
    assert report.instances["a"] == verified  # the snapshot at the seq verified, replayed again
    assert "b" not in report.instances and len(report.instances) == 1


def test_verify_holds_no_history_of_the_instances_it_has_checked() -> None:
    """Ten times the instances cost verify a little per instance (its id), not its events."""

    def peak(instances: int) -> int:
        engine = jw.Engine([MOA], clock=TickingClock())
        for number in range(instances):
            run(engine, f"instance-{number:05d}", number)
        tracemalloc.start()
        try:
            assert engine.verify().ok
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    peak(50)  # once before measuring: the interpreter's caches fill up
    small, large = peak(200), peak(2000)
    assert (large - small) / 1800 < 300  # bytes per instance; its three events alone take several kB


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """A database with instances of two protocols, whose stored definition of 'moa' was altered past reading."""
    path = tmp_path / "w.db"
    with jw.SQLiteStore(path) as store:
        engine = jw.Engine([MOA, OTHER], store=store, clock=TickingClock())
        run(engine, "m1")
        run(engine, "m2")
        engine.start("other", ANNA, instance_id="o1")
        engine.fire("o1", "contact", ANNA)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE definitions SET source = 'not json' WHERE protocol = 'moa'")
    conn.close()
    return path


def test_an_unreadable_stored_definition_is_named_and_the_others_are_given(damaged: Path) -> None:
    with jw.SQLiteStore(damaged) as store, pytest.raises(jw.UnreadableDefinitions) as raised:
        store.definitions()
    assert list(raised.value.unreadable) == [("moa", 1)]
    assert "its source is unreadable" in raised.value.unreadable[("moa", 1)]
    assert raised.value.readable == [OTHER]
    assert "1 stored definition cannot be read back: 'moa' version 1: its source is unreadable" in str(
        raised.value
    )
    assert isinstance(raised.value, jw.StoreError)


def test_an_engine_runs_the_other_protocols_of_a_store_with_an_unreadable_definition(damaged: Path) -> None:
    with jw.SQLiteStore(damaged) as store:
        engine = jw.Engine([], store=store, clock=TickingClock())
        assert engine.fire("o1", "define", DORA, {"fields": ["ai"]}).seq == 3
        assert engine.table("other", 1).digest == OTHER.digest
        with pytest.raises(
            jw.StoreError, match=r"'moa' version 1 is stored, but cannot be read back: its source"
        ):
            engine.fire("m1", "sign", ANNA)


def test_verify_reports_the_unreadable_definition_and_each_instance_under_it(damaged: Path) -> None:
    with jw.SQLiteStore(damaged) as store:
        report = audit_verify.verify(store)
        engine_report = jw.Engine([], store=store).verify()
    for checked in (report, engine_report):
        found = [(p.kind, p.instance, p.seq) for p in checked.problems]
        assert found == [
            (ProblemKind.MALFORMED, None, None),
            (ProblemKind.UNKNOWN_VERSION, "m1", 1),
            (ProblemKind.UNKNOWN_VERSION, "m2", 1),
        ]
        assert "The stored definition 'moa' version 1 cannot be read back" in checked.problems[0].message
        assert "stored definition of the protocol version the instance runs cannot be read back" in str(
            checked.problems[1]
        )
        assert checked.problem_of("o1") is None and checked.instances["o1"].seq == 2


def test_verify_with_the_damaged_version_given_checks_its_instances(damaged: Path) -> None:
    with jw.SQLiteStore(damaged) as store:
        report = audit_verify.verify(store, definitions=[MOA])
        engine_report = jw.Engine([MOA], store=store).verify()
    for checked in (report, engine_report):
        assert [(p.kind, p.instance) for p in checked.problems] == [(ProblemKind.MALFORMED, None)]
        assert sorted(checked.instances) == ["m1", "m2", "o1"]
