"""The store contract: every store (MemoryStore, SQLiteStore) behaves the same through the Store interface."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.events import compute_hash, genesis_hash
from just_workflow.instance import Command
from just_workflow.step import step
from just_workflow.store.base import Store
from just_workflow.testing import TickingClock

T = d.Text

# The small MoA that any role may start, with a free-text note (for text that must come back unchanged).
MOA = with_transition(
    moa_definition(
        start_by=(),
        context=(
            d.Field("fields", d.FieldType.LIST_STR, min_items=1),
            d.Field("note", d.FieldType.STR),
            d.Field("staff", d.FieldType.INT),
        ),
    ),
    "define",
    inputs=(d.Input("fields"), d.Input("note", required=False), d.Input("staff", required=False)),
)
MOA_V2 = attrs.evolve(MOA, version=2, title=T("MoA, second edition"))
OTHER = attrs.evolve(MOA, protocol="other")


def open_store(kind: str, folder: Path) -> Store:
    """A fresh store of ``kind`` (its files, if any, in ``folder``)."""
    return jw.MemoryStore() if kind == "memory" else jw.SQLiteStore(folder / "store.db")


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each kind of store, empty."""
    opened = open_store(request.param, tmp_path)
    yield opened
    if isinstance(opened, jw.SQLiteStore):
        opened.close()


@pytest.fixture
def engine(store: Store) -> jw.Engine:
    """An engine running MOA on the store, with a ticking clock."""
    return jw.Engine([MOA, OTHER], store=store, clock=TickingClock())


def defined(engine: jw.Engine, instance_id: str = "i1") -> jw.Instance:
    """An instance in `defining` whose fields are set, two signatures away from `signed`."""
    first = engine.start("moa", ANNA, instance_id=instance_id)
    engine.fire(first.id, "contact", ANNA)
    return engine.fire(first.id, "define", DORA, {"fields": ["internships", "labs"], "note": "Zürich · ½"})


def assert_chain(events: list[jw.Event]) -> None:
    """The events are seq 1..n, each hashed over its content and linked to the one before."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = genesis_hash(events[0].instance, events[0].protocol, events[0].version)
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == compute_hash(event)
        previous = event.hash


def assert_unchanged(store: Store, before: jw.Instance) -> None:
    """The snapshot and the history of ``before`` are as they were."""
    assert store.load(before.id) == before
    assert [e.seq for e in store.events(before.id)] == list(range(1, before.seq + 1))


# -- instances and events --------------------------------------------------------------------


def test_create_then_load_returns_the_snapshot_and_its_start_event(engine: jw.Engine, store: Store) -> None:
    """A created instance loads back equal, with its start event as the whole history."""
    started = engine.start("moa", ANNA, instance_id="i1")
    assert store.load("i1") == started
    (event,) = store.events("i1")
    assert (event.seq, event.kind, event.target, event.hash) == (1, "start", "draft", started.head)


def test_creating_an_existing_id_is_refused_and_changes_nothing(engine: jw.Engine, store: Store) -> None:
    """A second instance under a taken id is a StoreError naming the id; the first is untouched."""
    started = engine.start("moa", ANNA, instance_id="i1")
    with pytest.raises(jw.InstanceExists, match="An instance with id 'i1' already exists"):
        engine.start("moa", DORA, instance_id="i1")
    assert_unchanged(store, started)


def test_appended_events_come_back_in_order_and_by_range(engine: jw.Engine, store: Store) -> None:
    """events() returns the history in seq order, sliced by after_seq and upto_seq."""
    current = defined(engine)
    history = store.events(current.id)
    assert [e.trigger for e in history] == [None, "contact", "define"]
    assert store.events(current.id, after_seq=1) == history[1:]
    assert store.events(current.id, upto_seq=2) == history[:2]
    assert store.events(current.id, after_seq=1, upto_seq=2) == history[1:2]
    assert store.events(current.id, after_seq=3) == []
    assert store.events(current.id, upto_seq=0) == []
    assert_chain(history)


def test_values_come_back_with_tuples_for_lists(engine: jw.Engine, store: Store) -> None:
    """Context lists, payload lists and signatures load back as tuples, text unchanged."""
    current = engine.fire(defined(engine).id, "sign", ANNA)
    loaded = store.load(current.id)
    assert loaded.context == {"fields": ("internships", "labs"), "note": "Zürich · ½"}
    assert loaded.signatures == {"sign": ("sme",)}
    assert isinstance(loaded.context["fields"], tuple)
    define_event = store.events(current.id)[2]
    assert define_event.payload == {"fields": ("internships", "labs"), "note": "Zürich · ½"}
    assert isinstance(define_event.payload["fields"], tuple)


def test_a_stale_expected_seq_is_a_conflict_that_writes_nothing(engine: jw.Engine, store: Store) -> None:
    """append with an expected seq the instance has passed raises ConcurrencyConflict(expected, actual)."""
    current = defined(engine)
    before = store.load(current.id)
    after, event = _next_step(engine, before)
    with pytest.raises(jw.ConcurrencyConflict) as conflict:
        store.append(after, event, expected_seq=before.seq - 1)
    assert (conflict.value.expected, conflict.value.actual) == (before.seq - 1, before.seq)
    assert_unchanged(store, before)


def test_appending_to_an_unknown_instance_is_not_found(engine: jw.Engine, store: Store) -> None:
    """append, load and events on an id the store does not hold raise InstanceNotFound."""
    current = defined(engine)
    after, event = _next_step(engine, current)
    ghost = attrs.evolve(after, id="ghost")
    with pytest.raises(jw.InstanceNotFound, match="'ghost'"):
        store.append(ghost, attrs.evolve(event, instance="ghost"), expected_seq=current.seq)
    with pytest.raises(jw.InstanceNotFound, match="'ghost'"):
        store.load("ghost")
    with pytest.raises(jw.InstanceNotFound, match="'ghost'"):
        store.events("ghost")


def test_an_idempotency_key_is_kept_once(engine: jw.Engine, store: Store) -> None:
    """seq_for_key finds the seq stored with a key; reusing the key on append is a conflict that writes nothing."""
    current = defined(engine)
    assert store.seq_for_key(current.id, "click-1") is None
    after, event = _next_step(engine, current)
    store.append(after, event, current.seq, idempotency_key="click-1")
    assert store.seq_for_key(current.id, "click-1") == after.seq
    assert store.seq_for_key("elsewhere", "click-1") is None
    again, again_event = _next_step(engine, after)
    with pytest.raises(jw.ConcurrencyConflict):
        store.append(again, again_event, after.seq, idempotency_key="click-1")
    assert_unchanged(store, after)


def test_instance_ids_are_oldest_first_and_filter_by_protocol(engine: jw.Engine, store: Store) -> None:
    """instance_ids lists every instance in creation order, or those of one protocol."""
    for instance_id, protocol in [("b", "moa"), ("a", "other"), ("c", "moa")]:
        engine.start(protocol, ANNA, instance_id=instance_id)
    assert list(store.instance_ids()) == ["b", "a", "c"]
    assert list(store.instance_ids("moa")) == ["b", "c"]
    assert list(store.instance_ids("nothing")) == []


def test_import_stores_histories_and_refuses_existing_ids(store: Store) -> None:
    """Imported histories read back as given; an import naming an existing instance imports nothing."""
    source = jw.Engine([MOA], clock=TickingClock())
    snapshot = defined(source, "imported")
    history = source.history("imported")
    store.import_events(reversed(history), [snapshot])
    assert store.load("imported") == snapshot
    assert store.events("imported") == history
    fresh = defined(source, "fresh")
    with pytest.raises(jw.InstanceExists, match="'imported'"):
        store.import_events([*history, *source.history("fresh")], [snapshot, fresh])
    with pytest.raises(jw.InstanceNotFound):
        store.load("fresh")


# -- definitions -----------------------------------------------------------------------------


def test_definitions_are_kept_once_per_version(store: Store) -> None:
    """Registering is idempotent; every version is kept, in protocol and version order."""
    for definition in (MOA_V2, MOA, OTHER, MOA):
        store.register_definition(definition)
    kept = store.definitions()
    assert kept == [MOA, MOA_V2, OTHER]
    assert [k.digest for k in kept] == [MOA.digest, MOA_V2.digest, OTHER.digest]


def test_a_changed_definition_under_a_kept_version_is_refused(store: Store) -> None:
    """A different digest under a stored protocol and version is a DefinitionError; the kept one stays."""
    store.register_definition(MOA)
    changed = attrs.evolve(MOA, title=T("Changed in place"))
    with pytest.raises(jw.DefinitionError, match="a changed definition needs a new version number"):
        store.register_definition(changed)
    assert store.definitions() == [MOA]


def test_an_instance_stays_on_the_version_it_started_with(store: Store) -> None:
    """After v2 is deployed, a v1 instance keeps firing under v1 (kept by the store); new ones start on v2."""
    old = jw.Engine([MOA], store=store, clock=TickingClock()).start("moa", ANNA, instance_id="old")
    engine = jw.Engine([MOA_V2], store=store, clock=TickingClock())
    moved = engine.fire(old.id, "contact", ANNA)
    assert (moved.version, moved.digest) == (1, MOA.digest)
    assert {e.digest for e in store.events("old")} == {MOA.digest}
    new = engine.start("moa", ANNA, instance_id="new")
    assert (new.version, new.digest) == (2, MOA_V2.digest)
    assert store.definitions() == [MOA, MOA_V2]


# -- through the engine ----------------------------------------------------------------------


def test_an_engine_fire_with_a_stale_expected_seq_writes_nothing(engine: jw.Engine, store: Store) -> None:
    """engine.fire with an expected seq behind the instance raises ConcurrencyConflict and writes nothing."""
    current = defined(engine)
    with pytest.raises(jw.ConcurrencyConflict) as conflict:
        engine.fire(current.id, "sign", ANNA, expected_seq=current.seq - 1)
    assert (conflict.value.expected, conflict.value.actual) == (current.seq - 1, current.seq)
    assert_unchanged(store, current)


def test_the_same_idempotency_key_returns_the_first_result(engine: jw.Engine, store: Store) -> None:
    """A fire repeated with its idempotency key returns the first snapshot and writes nothing new."""
    current = defined(engine)
    first = engine.fire(current.id, "sign", ANNA, idempotency_key="sign-anna")
    again = engine.fire(current.id, "sign", ANNA, idempotency_key="sign-anna")
    assert again == first
    assert_unchanged(store, first)


def test_a_refused_fire_writes_nothing(engine: jw.Engine, store: Store) -> None:
    """Fires the protocol refuses leave the snapshot, its signatures and the history as they were."""
    signed_once = engine.fire(defined(engine).id, "sign", ANNA)
    with pytest.raises(jw.InvalidPayload):
        engine.fire(signed_once.id, "define", ANNA, {"fields": []})
    with pytest.raises(jw.TransitionNotAllowed):
        engine.fire(signed_once.id, "contact", ANNA)
    with pytest.raises(jw.NotAuthorized):
        engine.fire(signed_once.id, "sign", ANNA)
    assert_unchanged(store, signed_once)


# Commands drawn by the property test: (trigger, actor, payload). The MemoryStore is the reference
# the other stores are compared with.
COMMANDS = st.lists(
    st.tuples(
        st.sampled_from(["contact", "define", "sign"]),
        st.sampled_from([ANNA, DORA]),
        st.fixed_dictionaries(
            {},
            optional={
                "fields": st.lists(st.sampled_from(["internships", "labs", "teaching"]), max_size=3),
                "note": st.text(max_size=8),
                "staff": st.integers(-5, 10**12),
            },
        ),
    ),
    max_size=12,
)


@pytest.mark.parametrize("kind", ["sqlite"])
@given(commands=COMMANDS)
def test_a_store_agrees_with_the_reference_store_on_any_run(
    kind: str, commands: list[tuple[str, jw.Actor, dict[str, object]]]
) -> None:
    """Any sequence of fires, refused or not, leaves the same snapshots and histories as on a MemoryStore."""
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(kind, Path(folder))
        engines = [jw.Engine([MOA], store=s, clock=TickingClock()) for s in (jw.MemoryStore(), store)]
        for engine in engines:
            engine.start("moa", ANNA, instance_id="run")
        for trigger, actor, payload in commands:
            outcomes = []
            for engine in engines:
                try:
                    outcomes.append(engine.fire("run", trigger, actor, payload))
                except jw.WorkflowError as refusal:
                    outcomes.append(type(refusal))
            assert outcomes[0] == outcomes[1]
        reference, tested = engines
        assert tested.get("run") == reference.get("run")
        assert tested.history("run") == reference.history("run")
        if isinstance(store, jw.SQLiteStore):
            store.close()


def _next_step(engine: jw.Engine, instance: jw.Instance) -> tuple[jw.Instance, jw.Event]:
    """The snapshot and event one more `define` would produce, without storing them."""
    command = Command("define", DORA, {"fields": ["labs"], "staff": instance.seq})
    return step(engine.table("moa", instance.version), instance, command, "2026-02-01T00:00:00+00:00")
