"""Batches: many starts and fires checked one by one and written in one transaction, all or none."""

from __future__ import annotations

import pytest

import just_workflow as jw
from fixtures import ANNA, BRUNO, CARL, DORA, moa_definition
from just_workflow.testing import TickingClock

MOA = moa_definition()


@pytest.fixture
def engine(store: jw.Store) -> jw.Engine:
    """The MoA on ``store``, with a ticking clock."""
    return jw.Engine([MOA], store=store, clock=TickingClock())


def nothing_written(engine: jw.Engine, feed: jw.Page[jw.Event]) -> bool:
    """Whether no event was stored since ``feed`` was read."""
    return engine.changes(after=feed.next).items == []


def test_a_batch_starts_and_fires_in_chains(engine: jw.Engine) -> None:
    """Starts, then several fires on one instance: each on the snapshot the one before made; all stored at the end."""
    existing = engine.start("moa", BRUNO, instance_id="old")
    with engine.batch() as batch:
        started = batch.start("moa", ANNA, instance_id="new")
        contacted = batch.fire(started.id, "contact", ANNA)
        defined = batch.fire(started.id, "define", DORA, {"fields": ["ai"]}, expected_seq=contacted.seq)
        batch.fire("old", "contact", BRUNO, expected_seq=existing.seq)
        generated = batch.start("moa", ANNA)
        with pytest.raises(jw.InstanceNotFound):
            engine.get("new")  # nothing is written before the block ends
        assert len(batch) == 5
    assert (contacted.seq, defined.seq, defined.state) == (2, 3, "defining")
    assert engine.get("new") == defined
    assert engine.get("old").state == "defining"
    assert engine.get(generated.id) == generated and len(generated.id) == 32
    assert [e.trigger for e in engine.history("new")] == [None, "contact", "define"]
    assert engine.verify().ok


def test_commit_returns_the_snapshots_written(engine: jw.Engine) -> None:
    """Without ``with``: commit() writes, and returns the snapshot of each write in order; a second commit is refused."""
    batch = engine.batch()
    batch.start("moa", ANNA, instance_id="a")
    batch.fire("a", "contact", ANNA)
    written = batch.commit()
    assert [(i.id, i.seq) for i in written] == [("a", 1), ("a", 2)]
    assert written[-1] == engine.get("a")
    with pytest.raises(jw.InvalidRequest, match="This batch was committed already"):
        batch.commit()
    with pytest.raises(jw.InvalidRequest, match="This batch was committed already"):
        batch.fire("a", "define", DORA, {"fields": ["ai"]})
    assert engine.batch().commit() == []


def test_a_refusal_names_its_item_and_nothing_is_written(engine: jw.Engine) -> None:
    """A refused item raises BatchFailed with its index, what it asked and the refusal; the batch writes nothing."""
    engine.start("moa", ANNA, instance_id="a")
    feed = engine.changes()
    with pytest.raises(jw.BatchFailed) as failed, engine.batch() as batch:
        batch.fire("a", "contact", ANNA)
        batch.start("moa", BRUNO, instance_id="b")
        batch.fire("b", "contact", ANNA)  # anna is no party to b
    error = failed.value
    assert (error.index, error.item) == (2, "fire 'contact' on 'b' as 'anna'")
    assert isinstance(error.error, jw.NotAParty) and error.__cause__ is error.error
    assert str(error).startswith(
        "Batch item 2 (fire 'contact' on 'b' as 'anna') failed, so nothing of the batch was written: 'anna' is not"
    )
    assert nothing_written(engine, feed)
    assert engine.get("a").seq == 1
    with pytest.raises(jw.InstanceNotFound):
        engine.get("b")


def test_a_batch_that_failed_stays_failed(engine: jw.Engine) -> None:
    """A failure caught inside the block still voids the batch: later items are refused and the end writes nothing."""
    engine.start("moa", ANNA, instance_id="a")
    feed = engine.changes()
    # raised again when the block ends
    with pytest.raises(jw.BatchFailed, match="Batch item 1 "), engine.batch() as batch:
        batch.fire("a", "contact", ANNA)
        with pytest.raises(jw.BatchFailed):
            batch.fire("a", "sign", CARL)
        with pytest.raises(jw.InvalidRequest, match="This batch failed at item 1 and will write nothing"):
            batch.start("moa", ANNA)
    assert nothing_written(engine, feed)


def test_an_exception_in_the_block_writes_nothing(engine: jw.Engine) -> None:
    """Any exception leaving the block (not only a refusal) discards the batch."""
    feed = engine.changes()
    with pytest.raises(KeyError), engine.batch() as batch:
        batch.start("moa", ANNA, instance_id="a")
        raise KeyError("the app's own failure")
    assert nothing_written(engine, feed)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda b: b.fire("nope", "contact", ANNA), jw.InstanceNotFound),
        (lambda b: b.fire("a", "contact", ANNA, expected_seq=5), jw.ConcurrencyConflict),
        (lambda b: b.fire("a", "contact", ANNA, expected_seq="x"), jw.InvalidRequest),
        (lambda b: b.fire("a", "contact\ud800", ANNA), jw.InvalidRequest),
        (lambda b: b.start("moa", DORA), jw.NotAuthorized),
        (lambda b: b.start("nope", ANNA), jw.UnknownProtocol),
        (lambda b: b.start("moa", ANNA, instance_id="fresh"), jw.InstanceExists),  # twice in the batch
    ],
)
def test_each_check_of_a_single_call_holds_in_a_batch(engine: jw.Engine, call: object, error: type) -> None:
    """Unknown instances, stale or malformed seqs, bad text, roles, protocols, repeated ids: each a BatchFailed."""
    engine.start("moa", ANNA, instance_id="a")
    feed = engine.changes()
    batch = engine.batch()
    batch.start("moa", ANNA, instance_id="fresh")
    with pytest.raises(jw.BatchFailed) as failed:
        call(batch)  # type: ignore[operator]
    assert failed.value.index == 1 and isinstance(failed.value.error, error)
    with pytest.raises(jw.BatchFailed):
        batch.commit()
    assert nothing_written(engine, feed)


def test_expected_seq_as_digits_is_read_as_a_number(engine: jw.Engine) -> None:
    """As in fire, a string of digits from a form is an expected seq."""
    engine.start("moa", ANNA, instance_id="a")
    with engine.batch() as batch:
        assert batch.fire("a", "contact", ANNA, expected_seq="1").seq == 2


def test_a_write_by_another_engine_before_the_commit_fails_the_batch(
    engine: jw.Engine, store: jw.Store
) -> None:
    """An instance changed since the batch read it: BatchFailed with the conflict, naming the item; nothing written."""
    engine.start("moa", ANNA, instance_id="a")
    engine.start("moa", BRUNO, instance_id="b")
    other = jw.Engine([MOA], store=store, clock=TickingClock())
    batch = engine.batch()
    batch.fire("a", "contact", ANNA)
    batch.fire("b", "contact", BRUNO)
    other.fire("b", "contact", BRUNO)
    feed = engine.changes()
    with pytest.raises(jw.BatchFailed) as failed:
        batch.commit()
    assert (failed.value.index, failed.value.item) == (1, "fire 'contact' on 'b' as 'bruno'")
    assert isinstance(failed.value.error, jw.ConcurrencyConflict)
    assert (failed.value.error.expected, failed.value.error.actual) == (1, 2)
    assert nothing_written(engine, feed) and engine.get("a").seq == 1


def test_an_instance_started_elsewhere_under_the_same_id_fails_the_batch(
    engine: jw.Engine, store: jw.Store
) -> None:
    """An id started by another writer before the commit: BatchFailed with InstanceExists."""
    batch = engine.batch()
    batch.start("moa", ANNA, instance_id="x")
    jw.Engine([MOA], store=store).start("moa", BRUNO, instance_id="x")
    with pytest.raises(jw.BatchFailed) as failed:
        batch.commit()
    assert failed.value.index == 0 and isinstance(failed.value.error, jw.InstanceExists)


def test_idempotency_keys_in_a_batch_answer_as_single_fires(engine: jw.Engine) -> None:
    """A key stored before, or used earlier in the batch, answers with its first snapshot and writes nothing more."""
    engine.start("moa", ANNA, instance_id="a")
    stored = engine.fire("a", "contact", ANNA, idempotency_key="contact-1")
    with engine.batch() as batch:
        assert batch.fire("a", "contact", ANNA, idempotency_key="contact-1") == stored
        defined = batch.fire("a", "define", DORA, {"fields": ["ai"]}, idempotency_key="define-1")
        assert batch.fire("a", "define", DORA, {"fields": ["ai"]}, idempotency_key="define-1") == defined
        assert len(batch) == 3
    assert [e.trigger for e in engine.history("a")] == [None, "contact", "define"]
    assert engine.fire("a", "define", DORA, {"fields": ["ai"]}, idempotency_key="define-1") == defined


@pytest.mark.parametrize("stored", [True, False])
def test_a_key_reused_for_another_request_in_a_batch_is_refused(engine: jw.Engine, stored: bool) -> None:
    """The same key with another request, stored or earlier in the batch: BatchFailed with IdempotencyKeyReused."""
    engine.start("moa", ANNA, instance_id="a")
    engine.fire("a", "contact", ANNA)
    if stored:
        engine.fire("a", "define", DORA, {"fields": ["ai"]}, idempotency_key="k")
    feed = engine.changes()
    with pytest.raises(jw.BatchFailed) as failed, engine.batch() as batch:
        if not stored:
            batch.fire("a", "define", DORA, {"fields": ["ai"]}, idempotency_key="k")
        batch.fire("a", "define", DORA, {"fields": ["iot"]}, idempotency_key="k")
    assert isinstance(failed.value.error, jw.IdempotencyKeyReused)
    assert failed.value.index == (0 if stored else 1)
    assert nothing_written(engine, feed)


def test_hooks_run_after_the_commit_in_item_order(engine: jw.Engine) -> None:
    """Every hook sees the stored snapshots; none runs for a batch that failed; a failing hook is a HookError."""
    seen: list[tuple[str, int, int]] = []
    engine.after_fire(
        lambda instance, event: seen.append((instance.id, event.seq, engine.get(instance.id).seq))
    )
    entered: list[str] = []
    engine.on_enter("defining", lambda instance, event: entered.append(instance.id))
    with engine.batch() as batch:
        batch.start("moa", ANNA, instance_id="a")
        batch.fire("a", "contact", ANNA)
        assert seen == []
    assert seen == [("a", 1, 2), ("a", 2, 2)]  # each hook ran after both were stored
    assert entered == ["a"]
    with pytest.raises(jw.BatchFailed), engine.batch() as failing:
        failing.start("moa", ANNA, instance_id="b")
        failing.fire("b", "sign", ANNA)
    assert seen == [("a", 1, 2), ("a", 2, 2)]

    def broken(instance: jw.Instance, event: jw.Event) -> None:
        raise RuntimeError("mail server down")

    engine.after_fire(broken)
    with pytest.raises(jw.HookError, match="mail server down"), engine.batch() as batch:
        batch.start("moa", ANNA, instance_id="c")
        batch.fire("c", "contact", ANNA)
    assert engine.get("c").seq == 2
    assert [item[:2] for item in seen[-2:]] == [("c", 1), ("c", 2)]  # every item's hooks ran


def test_prefetch_reads_the_instances_ahead_and_changes_no_check(engine: jw.Engine, store: jw.Store) -> None:
    """Fires on prefetched instances are checked and chained as without it; unknown ids are refused by their fire."""
    for instance_id in ("a", "b"):
        engine.start("moa", ANNA, instance_id=instance_id)
    other = jw.Engine([MOA], store=store, clock=TickingClock())
    with pytest.raises(jw.BatchFailed) as failed, engine.batch() as batch:
        started = batch.start("moa", ANNA, instance_id="new")
        batch.prefetch(["a", "b", "new", "ghost", "a"])
        assert batch.fire("a", "contact", ANNA).seq == 2
        assert batch.fire("a", "define", DORA, {"fields": ["ai"]}).seq == 3  # on the batch's own snapshot
        assert batch.fire("new", "contact", ANNA, expected_seq=started.seq).seq == 2
        batch.fire("ghost", "contact", ANNA)
    assert failed.value.index == 4 and isinstance(failed.value.error, jw.InstanceNotFound)
    assert engine.get("a").seq == 1  # the failed batch wrote nothing
    batch = engine.batch()
    batch.prefetch(["a", "b"])
    batch.fire("a", "contact", ANNA)
    batch.fire("b", "contact", ANNA)
    other.fire("b", "contact", ANNA)  # after the prefetch: the commit still catches it
    with pytest.raises(jw.BatchFailed) as conflict:
        batch.commit()
    assert conflict.value.index == 1 and isinstance(conflict.value.error, jw.ConcurrencyConflict)
    with engine.batch() as batch:
        batch.prefetch(iter(["a"]))
        assert batch.fire("a", "contact", ANNA, expected_seq=1).seq == 2
    assert [e.trigger for e in engine.history("a")] == [None, "contact"]


def test_prefetch_refuses_what_is_no_id_and_a_closed_batch(engine: jw.Engine) -> None:
    """An id that is not text is an InvalidRequest naming its place; a committed batch prefetches nothing."""
    batch = engine.batch()
    with pytest.raises(
        jw.InvalidRequest, match="prefetch takes instance ids .text.; item 1 is 7 of type int"
    ):
        batch.prefetch(["a", 7])  # type: ignore[list-item]
    batch.commit()
    with pytest.raises(jw.InvalidRequest, match="committed already"):
        batch.prefetch(["a"])


def test_a_store_without_load_many_is_read_one_load_at_a_time() -> None:
    """``load_many`` is optional: prefetch on a store that lacks it loads each id, skipping unknown ones."""

    class PlainStore:
        """A MemoryStore showing only the Store interface."""

        def __init__(self) -> None:
            self.inner = jw.MemoryStore()
            self.loaded: list[str] = []

        def load(self, instance_id: str) -> jw.Instance:
            self.loaded.append(instance_id)
            return self.inner.load(instance_id)

        def __getattr__(self, name: str) -> object:
            if name == "load_many":
                raise AttributeError(name)
            return getattr(self.inner, name)

    plain = PlainStore()
    engine = jw.Engine([MOA], store=plain, clock=TickingClock())  # type: ignore[arg-type]
    engine.start("moa", ANNA, instance_id="a")
    with engine.batch() as batch:
        batch.prefetch(["a", "ghost"])
        batch.fire("a", "contact", ANNA)
    assert plain.loaded == ["a", "ghost"]
    assert engine.get("a").seq == 2
