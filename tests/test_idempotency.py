"""Idempotency keys name one request: retries get the first answer, at once; another request under the key is refused."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition
from just_workflow.store.base import KeyAnswer
from just_workflow.testing import TickingClock

MOA = moa_definition()


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """Each store kind."""
    if request.param == "memory":
        yield jw.MemoryStore()
    else:
        with jw.SQLiteStore(tmp_path / "keys.db") as opened:
            yield opened


def contacted(store: jw.Store) -> tuple[jw.Engine, jw.Instance]:
    """An engine on ``store`` and an instance in `defining`."""
    engine = jw.Engine([MOA], store=store, clock=TickingClock())
    inst = engine.start("moa", ANNA, instance_id="k")
    return engine, engine.fire(inst.id, "contact", ANNA)


def test_a_key_with_a_different_request_is_refused(store: jw.Store) -> None:
    """Another trigger, payload or actor under a used key: IdempotencyKeyReused, naming the key; nothing written."""
    engine, inst = contacted(store)
    first = engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, idempotency_key="click-1")
    for trigger, actor, payload in [
        ("define", DORA, {"fields": ["iot"]}),
        ("define", ANNA, {"fields": ["ai"]}),
        ("sign", DORA, {}),
    ]:
        with pytest.raises(
            jw.IdempotencyKeyReused, match="Idempotency key 'click-1' was used on instance 'k'"
        ):
            engine.fire(inst.id, trigger, actor, payload, idempotency_key="click-1")
    assert engine.get(inst.id) == first
    assert engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, idempotency_key="click-1") == first


def test_a_retry_is_answered_without_reading_the_history(store: jw.Store) -> None:
    """The answer is kept with the key: a retry on a long history reads no event."""
    engine, inst = contacted(store)
    first = engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, idempotency_key="old")
    for number in range(200):
        engine.fire(inst.id, "define", DORA, {"fields": [f"f{number}"]})

    def no_history(*_args: Any, **_kwargs: Any) -> list[jw.Event]:
        raise AssertionError("the retry read the history")

    engine.store.events = no_history  # type: ignore[method-assign]
    assert engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, idempotency_key="old") == first


class _Racing:
    """Two clicks at once: both look the key up before either appends; the second reads the instance after."""

    def __init__(self, inner: jw.Store) -> None:
        self.inner = inner
        self.looked = threading.Barrier(2)
        self.first_done = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def answer_for_key(self, instance_id: str, key: str) -> KeyAnswer | None:
        found = self.inner.answer_for_key(instance_id, key)
        if found is None and not self.first_done.is_set():
            self.looked.wait(timeout=5)  # both found nothing: both go on to fire
        return found

    def load(self, instance_id: str) -> jw.Instance:
        if threading.current_thread().name == "second":
            self.first_done.wait(timeout=5)  # the second reads the instance only once the first has landed
        return self.inner.load(instance_id)

    def append(self, *args: Any, **kwargs: Any) -> None:
        self.inner.append(*args, **kwargs)
        self.first_done.set()


def test_a_concurrent_duplicate_gets_the_first_result_not_a_conflict(store: jw.Store) -> None:
    """Two fires with one key and one expected seq at once: both return the same snapshot; one event is written."""
    engine, inst = contacted(store)
    racing = _Racing(engine.store)
    engine.store = racing  # type: ignore[assignment]
    results: dict[str, Any] = {}

    def click(name: str) -> None:
        try:
            results[name] = engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, inst.seq, "same-click")
        except jw.WorkflowError as error:
            results[name] = error

    threads = [threading.Thread(target=click, args=(name,), name=name) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert isinstance(results["first"], jw.Instance), results
    assert results["second"] == results["first"]
    assert len(engine.history(inst.id)) == inst.seq + 1


@pytest.mark.parametrize(("given", "accepted"), [("2", True), (2, True), ("02", True)])
def test_expected_seq_may_be_digits_as_a_form_sends_them(store: jw.Store, given: Any, accepted: bool) -> None:
    """expected_seq "2" is the integer 2: the fire goes through at seq 2."""
    engine, inst = contacted(store)
    assert engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, expected_seq=given).seq == 3 and accepted


@pytest.mark.parametrize(
    ("given", "shown"),
    [("two", "'two' of type str"), (2.0, "2.0 of type float"), (True, "True of type bool"), ("-1", "'-1' of type str"), ("٢", "'٢' of type str")],
)  # fmt: skip
def test_an_expected_seq_that_is_no_number_is_refused(store: jw.Store, given: Any, shown: str) -> None:
    """Anything but an integer or a string of ASCII digits: InvalidRequest naming the value and its type."""
    engine, inst = contacted(store)
    with pytest.raises(jw.InvalidRequest, match=f"expected_seq must be an integer .*got {shown}"):
        engine.fire(inst.id, "define", DORA, {"fields": ["ai"]}, expected_seq=given)
    assert engine.get(inst.id) == inst
