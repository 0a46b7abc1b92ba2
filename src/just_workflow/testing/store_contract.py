"""The store contract: what every store must do, as tests anyone can run on their own store.

Subclass :class:`StoreContract` in a test module and say how to make a
fresh store; pytest then runs every contract test on it::

    from just_workflow.testing.store_contract import StoreContract

    class TestMyStore(StoreContract):
        def make_store(self, folder):
            return MyStore(folder / "store.db")

The library runs the same tests on its own stores (``MemoryStore``,
``SQLiteStore``). They drive a store both directly, through the
:class:`~just_workflow.store.base.Store` interface, and through an
:class:`~just_workflow.engine.Engine` running a small MoA protocol, and
compare it with ``MemoryStore`` on random runs. This module imports pytest
(and Hypothesis); ``import just_workflow.testing`` does not import it.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from just_workflow.definition import (
    Definition,
    Field,
    FieldType,
    Input,
    Invariant,
    Role,
    Signoff,
    State,
    Text,
    Transition,
)
from just_workflow.engine import Engine
from just_workflow.errors import (
    BatchFailed,
    ConcurrencyConflict,
    DefinitionError,
    InstanceExists,
    InstanceNotFound,
    InvalidPayload,
    NotAuthorized,
    TransitionNotAllowed,
    WorkflowError,
)
from just_workflow.events import Actor, Event, compute_hash, genesis_hash
from just_workflow.instance import Command, Instance
from just_workflow.queries import InstanceQuery, Match, StateKey
from just_workflow.step import begin, step
from just_workflow.store.base import Appended, Created, KeyAnswer, LoadsMany, Store, StoredInstance
from just_workflow.store.memory import MemoryStore, fits
from just_workflow.testing.harness import TickingClock

#: A memorandum of agreement that any role may start: contact, define its fields (with a free-text note,
#: for text that must come back unchanged), sign by both parties, or decline.
MOA = Definition(
    protocol="moa",
    version=1,
    title=Text("MoA"),
    roles=(Role("sme"), Role("department", open=True), Role("career_services", open=True)),
    states=(State("draft"), State("defining"), State("signed", final=True), State("declined", final=True)),
    initial="draft",
    context=(
        Field("fields", FieldType.LIST_STR, min_items=1),
        Field("note", FieldType.STR),
        Field("staff", FieldType.INT),
    ),
    transitions=(
        Transition("contact", ("draft",), ("sme",), "defining"),
        Transition(
            "define",
            ("defining",),
            ("sme", "department"),
            inputs=(Input("fields"), Input("note", required=False), Input("staff", required=False)),
        ),
        Transition(
            "sign",
            ("defining",),
            ("sme", "department"),
            "signed",
            requires=("fields",),
            signoff=Signoff(("sme", "department")),
        ),
        Transition("decline", ("defining",), ("career_services",), "declined"),
    ),
    invariants=(Invariant("no_moa_without_fields", ("signed",), ("fields",)),),
)
#: The next version of the MoA, and another protocol with the same states.
MOA_V2 = attrs.evolve(MOA, version=2, title=Text("MoA, second edition"))
OTHER = attrs.evolve(MOA, protocol="other")

ANNA = Actor("anna", "sme")
DORA = Actor("dora", "department")
BRUNO = Actor("bruno", "sme")
CARLA = Actor("carla", "career_services")


def states(*names: str, protocol: str = "moa", version: int = 1) -> frozenset[StateKey]:
    """The state keys of ``names`` in one protocol version, for a :class:`Match`."""
    return frozenset((protocol, version, name) for name in names)


#: A run of fires: (trigger, actor, payload) each.
Fires = list[tuple[str, Actor, dict[str, object]]]
# The runs the property test draws, refused fires included.
COMMANDS: st.SearchStrategy[Fires] = st.lists(
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
# The matches the find property test draws: states of either protocol, a party (in a role or any), an unbound role.
MATCHES: st.SearchStrategy[Match] = st.builds(
    Match,
    states=st.none()
    | st.frozensets(
        st.tuples(
            st.sampled_from(["moa", "other"]), st.just(1), st.sampled_from(["draft", "defining", "declined"])
        )
    ),
    party=st.sampled_from([None, "anna", "bruno", "dora"]),
    role=st.sampled_from([None, "sme", "department"]),
    unbound=st.sampled_from([None, "sme", "department"]),
).filter(lambda match: match.party is not None or match.role is None)


class StoreContract:
    """The contract tests of a store: subclass it, implement :meth:`make_store`, and pytest runs them all.

    Each test gets a fresh store from :meth:`make_store` and releases it
    with :meth:`close_store`.
    """

    def make_store(self, folder: Path) -> Store:
        """A new, empty store of the kind under test; the files it needs, if any, go in ``folder``."""
        raise NotImplementedError(f"{type(self).__name__} must say how to make a store: define make_store")

    def close_store(self, store: Store) -> None:
        """Release what :meth:`make_store` opened: by default, call the store's ``close()`` if it has one."""
        close = getattr(store, "close", None)
        if callable(close):
            close()

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        """A fresh store of the kind under test."""
        made = self.make_store(tmp_path)
        yield made
        self.close_store(made)

    @pytest.fixture
    def engine(self, store: Store) -> Engine:
        """An engine running MOA and OTHER on the store, with a ticking clock."""
        return Engine([MOA, OTHER], store=store, clock=TickingClock())

    # -- instances and events ----------------------------------------------------------------

    def test_create_then_load_returns_the_snapshot_and_its_start_event(
        self, engine: Engine, store: Store
    ) -> None:
        """A created instance loads back equal, with its start event as the whole history."""
        started = engine.start("moa", ANNA, instance_id="i1")
        assert store.load("i1") == started
        (event,) = store.events("i1")
        assert (event.seq, event.kind, event.target, event.hash) == (1, "start", "draft", started.head)

    def test_creating_an_existing_id_is_refused_and_changes_nothing(
        self, engine: Engine, store: Store
    ) -> None:
        """A second instance under a taken id is InstanceExists naming the id; the first is untouched."""
        started = engine.start("moa", ANNA, instance_id="i1")
        with pytest.raises(InstanceExists, match="An instance with id 'i1' already exists"):
            engine.start("moa", DORA, instance_id="i1")
        assert_unchanged(store, started)

    def test_load_many_reads_the_current_snapshots_of_the_known_ids(
        self, engine: Engine, store: Store
    ) -> None:
        """``load_many`` (optional) answers as ``load`` for each known id, once, and leaves unknown ids out."""
        if not isinstance(store, LoadsMany):
            pytest.skip(
                f"{type(store).__name__} has no load_many (optional: a batch then loads one at a time)"
            )
        for instance_id in ("a", "bé", "c"):
            engine.start("moa", ANNA, instance_id=instance_id)
        store.load("a")  # a store that keeps what it read must still answer with what is stored now
        engine.fire("a", "contact", ANNA)
        found = store.load_many(["a", "ghost", "bé", "a", "\ud800"])
        assert found == {"a": store.load("a"), "bé": store.load("bé")}
        assert found["a"].seq == 2
        assert store.load_many([]) == {}

    def test_appended_events_come_back_in_order_and_by_range(self, engine: Engine, store: Store) -> None:
        """events() returns the history in seq order, sliced by after_seq and upto_seq."""
        current = started_and_defined(engine)
        history = store.events(current.id)
        assert [e.trigger for e in history] == [None, "contact", "define"]
        assert store.events(current.id, after_seq=1) == history[1:]
        assert store.events(current.id, upto_seq=2) == history[:2]
        assert store.events(current.id, after_seq=1, upto_seq=2) == history[1:2]
        assert store.events(current.id, after_seq=3) == []
        assert store.events(current.id, upto_seq=0) == []
        assert_chain(history)

    def test_values_come_back_with_tuples_for_lists(self, engine: Engine, store: Store) -> None:
        """Context lists, payload lists and signatures load back as tuples, text unchanged."""
        current = engine.fire(started_and_defined(engine).id, "sign", ANNA)
        loaded = store.load(current.id)
        assert loaded.context == {"fields": ("internships", "labs"), "note": "Zürich · ½"}
        assert loaded.signatures == {"sign": {"sme": ("anna",)}}
        assert loaded.parties == {"sme": ("anna",)}
        assert isinstance(loaded.context["fields"], tuple)
        define_event = store.events(current.id)[2]
        assert define_event.payload == {"fields": ("internships", "labs"), "note": "Zürich · ½"}
        assert isinstance(define_event.payload["fields"], tuple)

    def test_a_stale_expected_seq_is_a_conflict_that_writes_nothing(
        self, engine: Engine, store: Store
    ) -> None:
        """append with an expected seq the instance has passed raises ConcurrencyConflict(expected, actual)."""
        current = started_and_defined(engine)
        before = store.load(current.id)
        after, event = next_step(engine, before)
        with pytest.raises(ConcurrencyConflict) as conflict:
            store.append(after, event, expected_seq=before.seq - 1)
        assert (conflict.value.expected, conflict.value.actual) == (before.seq - 1, before.seq)
        assert_unchanged(store, before)

    def test_appending_to_an_unknown_instance_is_not_found(self, engine: Engine, store: Store) -> None:
        """append, load and events on an id the store does not hold raise InstanceNotFound."""
        current = started_and_defined(engine)
        after, event = next_step(engine, current)
        ghost = attrs.evolve(after, id="ghost")
        with pytest.raises(InstanceNotFound, match="'ghost'"):
            store.append(ghost, attrs.evolve(event, instance="ghost"), expected_seq=current.seq)
        with pytest.raises(InstanceNotFound, match="'ghost'"):
            store.load("ghost")
        with pytest.raises(InstanceNotFound, match="'ghost'"):
            store.events("ghost")

    def test_an_idempotency_key_is_kept_once(self, engine: Engine, store: Store) -> None:
        """A key is kept with its seq, request and answer; reusing it on append is a conflict that writes nothing."""
        current = started_and_defined(engine)
        assert store.answer_for_key(current.id, "click-1") is None
        after, event = next_step(engine, current)
        store.append(after, event, current.seq, idempotency_key="click-1", request="digest-1")
        assert store.answer_for_key(current.id, "click-1") == KeyAnswer(after.seq, "digest-1", after)
        assert store.answer_for_key("elsewhere", "click-1") is None
        again, again_event = next_step(engine, after)
        with pytest.raises(ConcurrencyConflict):
            store.append(again, again_event, after.seq, idempotency_key="click-1")
        assert_unchanged(store, after)

    def test_instance_ids_are_oldest_first_and_filter_by_protocol(self, engine: Engine, store: Store) -> None:
        """instance_ids lists every instance in creation order, or those of one protocol."""
        for instance_id, protocol in [("b", "moa"), ("a", "other"), ("c", "moa")]:
            engine.start(protocol, ANNA, instance_id=instance_id)
        assert list(store.instance_ids()) == ["b", "a", "c"]
        assert list(store.instance_ids("moa")) == ["b", "c"]
        assert list(store.instance_ids("nothing")) == []

    def test_scan_gives_every_instance_oldest_first_with_its_history(
        self, engine: Engine, store: Store
    ) -> None:
        """scan yields each instance (of one protocol, when given) with its snapshot and its events in seq order."""
        assert list(store.scan()) == []
        started_and_defined(engine, "b")
        engine.start("other", ANNA, instance_id="a")
        engine.fire(started_and_defined(engine, "c").id, "sign", ANNA)
        scanned = store.scan()
        assert iter(scanned) is scanned  # an iterator, read as it goes: not a list of the whole store
        expected = [StoredInstance(i, store.load(i), tuple(store.events(i))) for i in ("b", "a", "c")]
        assert list(scanned) == expected
        assert [len(found.events) for found in expected] == [3, 1, 4]
        assert list(store.scan("moa")) == [expected[0], expected[2]]
        assert list(store.scan("nothing")) == []

    def test_a_scan_sees_each_instance_whole_while_fires_land(self, engine: Engine, store: Store) -> None:
        """Fires during a scan never give an instance whose snapshot and events disagree."""
        for instance_id in ("a", "b", "c"):
            engine.start("moa", ANNA, instance_id=instance_id)
        scanned = store.scan()
        first = next(scanned)
        for instance_id in ("a", "b", "c"):
            engine.fire(instance_id, "contact", ANNA)
        rest = list(scanned)
        assert [found.id for found in [first, *rest]] == ["a", "b", "c"]
        for found in [first, *rest]:
            assert found.problem is None and found.snapshot is not None
            assert found.snapshot.seq == len(found.events) and found.snapshot.head == found.events[-1].hash
            assert_chain(list(found.events))

    def test_import_stores_histories_and_refuses_existing_ids(self, store: Store) -> None:
        """Imported histories read back as given; an import naming an existing instance imports nothing."""
        source = Engine([MOA], clock=TickingClock())
        snapshot = started_and_defined(source, "imported")
        history = source.history("imported")
        store.import_events(reversed(history), [snapshot])
        assert store.load("imported") == snapshot
        assert store.events("imported") == history
        fresh = started_and_defined(source, "fresh")
        with pytest.raises(InstanceExists, match="'imported'"):
            store.import_events([*history, *source.history("fresh")], [snapshot, fresh])
        with pytest.raises(InstanceNotFound):
            store.load("fresh")

    # -- finding instances -------------------------------------------------------------------

    def test_find_filters_by_state_party_and_unbound_role_in_creation_order(
        self, engine: Engine, store: Store
    ) -> None:
        """find returns the instances fitting any match, by ascending position, positions fixed at creation."""
        engine.start("moa", ANNA, instance_id="a")
        engine.start("moa", BRUNO, instance_id="b")
        engine.start("other", ANNA, instance_id="c")
        engine.start("moa", DORA, instance_id="d")
        engine.fire("a", "contact", ANNA)
        found = store.find(InstanceQuery())
        assert [i.id for _, i in found] == ["a", "b", "c", "d"]
        positions = [p for p, _ in found]
        assert positions == sorted(positions) and len(set(positions)) == 4
        assert found[0][1] == store.load("a")

        def ids(*matches: Match) -> list[str]:
            return [instance.id for _, instance in store.find(InstanceQuery(matches))]

        assert ids(Match(states("draft"))) == ["b", "d"]
        assert ids(Match(states("draft", "defining"))) == ["a", "b", "d"]
        assert ids(Match(states("draft", protocol="other"))) == ["c"]
        assert ids(Match(states("draft", version=2))) == []
        assert ids(Match(frozenset())) == []
        assert ids(Match(party="anna")) == ["a", "c"]
        assert ids(Match(party="anna", role="sme")) == ["a", "c"]
        assert ids(Match(party="anna", role="department")) == []
        assert ids(Match(states("defining"), party="anna")) == ["a"]
        assert ids(Match(unbound="sme")) == ["d"]
        assert ids(Match(states("draft"), unbound="department")) == ["b"]
        assert ids(Match(party="dora"), Match(states("defining"))) == ["a", "d"]
        assert ids() == []
        assert [p for p, _ in store.find(InstanceQuery())] == positions  # a fire keeps the position

    def test_find_pages_by_position_both_ways_and_by_update_time(self, engine: Engine, store: Store) -> None:
        """after, limit and newest_first cut pages by position; updated_after keeps recently changed instances."""
        for name in "abcde":
            engine.start("moa", ANNA, instance_id=name)
        everything = store.find(InstanceQuery())
        positions = [p for p, _ in everything]
        first = store.find(InstanceQuery(limit=2))
        assert [i.id for _, i in first] == ["a", "b"]
        rest = store.find(InstanceQuery(after=first[-1][0], limit=10))
        assert [i.id for _, i in rest] == ["c", "d", "e"]
        newest = store.find(InstanceQuery(limit=2, newest_first=True))
        assert [i.id for _, i in newest] == ["e", "d"]
        older = store.find(InstanceQuery(after=newest[-1][0], limit=10, newest_first=True))
        assert [i.id for _, i in older] == ["c", "b", "a"]
        assert store.find(InstanceQuery(after=positions[-1])) == []
        assert store.find(InstanceQuery(after=positions[0], newest_first=True)) == []
        changed = engine.fire("b", "contact", ANNA)
        (event,) = store.events("b", after_seq=1)
        before_it = store.events("e")[0].at
        assert [i for _, i in store.find(InstanceQuery(updated_after=before_it))] == [changed]
        assert store.find(InstanceQuery(updated_after=event.at)) == []

    def test_find_sees_every_write_at_once(self, engine: Engine, store: Store) -> None:
        """A fire moves an instance between states and a start adds one: the next find shows both."""
        engine.start("moa", ANNA, instance_id="a")
        drafts = InstanceQuery((Match(states("draft")),))
        assert [i.id for _, i in store.find(drafts)] == ["a"]
        engine.fire("a", "contact", ANNA)
        engine.start("moa", BRUNO, instance_id="b")
        assert [i.id for _, i in store.find(drafts)] == ["b"]
        assert [i.state for _, i in store.find(InstanceQuery((Match(party="anna"),)))] == ["defining"]

    def test_find_agrees_with_the_reference_on_any_store(self) -> None:
        """On random instances, every query's pages hold exactly the fitting instances, each once, in order."""

        @settings(deadline=None, max_examples=25)
        @given(
            runs=st.lists(
                st.tuples(
                    st.sampled_from([ANNA, BRUNO, DORA]), st.integers(0, 2), st.sampled_from(["moa", "other"])
                ),
                max_size=10,
            ),
            match=MATCHES,
            limit=st.integers(1, 4),
            newest_first=st.booleans(),
        )
        def agrees(runs: list[tuple[Actor, int, str]], match: Match, limit: int, newest_first: bool) -> None:
            with tempfile.TemporaryDirectory() as folder:
                store = self.make_store(Path(folder))
                try:
                    engine = Engine([MOA, OTHER], store=store, clock=TickingClock())
                    for number, (actor, steps, protocol) in enumerate(runs):
                        engine.start(protocol, actor, instance_id=f"i{number}")
                        for trigger, by in [("contact", actor), ("decline", CARLA)][:steps]:
                            with contextlib.suppress(
                                WorkflowError
                            ):  # a department's instance is not contacted
                                engine.fire(f"i{number}", trigger, by)
                    expected = [f"i{n}" for n in range(len(runs)) if fits(match, store.load(f"i{n}"))]
                    if newest_first:
                        expected.reverse()
                    seen: list[str] = []
                    after = None
                    while True:
                        page = store.find(
                            InstanceQuery((match,), after=after, limit=limit, newest_first=newest_first)
                        )
                        assert len(page) <= limit
                        seen += [instance.id for _, instance in page]
                        if len(page) < limit:
                            break
                        after = page[-1][0]
                    assert seen == expected
                finally:
                    self.close_store(store)

        agrees()

    # -- the change feed ---------------------------------------------------------------------

    def test_changes_list_every_event_once_in_commit_order(self, engine: Engine, store: Store) -> None:
        """changes() pages through every stored event (starts, fires, imports) in the order they were stored."""
        engine.start("moa", ANNA, instance_id="a")
        engine.start("moa", BRUNO, instance_id="b")
        engine.fire("b", "contact", BRUNO)
        engine.fire("a", "contact", ANNA)
        feed = store.changes()
        assert [(e.instance, e.seq) for _, e in feed] == [("a", 1), ("b", 1), ("b", 2), ("a", 2)]
        positions = [p for p, _ in feed]
        assert positions == sorted(positions) and len(set(positions)) == 4
        assert [e for _, e in feed] == [*store.events("a")[:1], *store.events("b"), store.events("a")[1]]
        assert store.changes(after=positions[1], limit=1) == feed[2:3]
        assert store.changes(after=positions[-1]) == []
        source = Engine([MOA], clock=TickingClock())
        imported = started_and_defined(source, "imported")
        store.import_events(source.history("imported"), [imported])
        later = store.changes(after=positions[-1])
        assert [e for _, e in later] == source.history("imported")

    # -- many writes in one transaction ------------------------------------------------------

    def test_write_many_creates_and_chains_appends(self, engine: Engine, store: Store) -> None:
        """Creates and appends, several on one instance, are stored together, each chained on the one before."""
        started = engine.start("moa", ANNA, instance_id="old")
        table = engine.table("moa")
        new, first = begin(table, "new", BRUNO, "2026-02-01T00:00:00+00:00")
        contacted, contact = step(table, new, Command("contact", BRUNO), "2026-02-01T00:00:01+00:00")
        old_contacted, old_contact = step(
            table, started, Command("contact", ANNA), "2026-02-01T00:00:02+00:00"
        )
        defined, define = next_step(engine, old_contacted)
        store.write_many(
            [
                Created(new, first),
                Appended(contacted, contact, 1),
                Appended(old_contacted, old_contact, 1, "k1", "r1"),
                Appended(defined, define, 2),
            ]
        )
        assert store.load("new") == contacted
        assert store.events("new") == [first, contact]
        assert store.load("old") == defined
        assert [e.seq for e in store.events("old")] == [1, 2, 3]
        assert_chain(store.events("old"))
        assert store.answer_for_key("old", "k1") == KeyAnswer(2, "r1", old_contacted)
        assert [e for _, e in store.changes()][-4:] == [first, contact, old_contact, define]
        assert [i.id for _, i in store.find(InstanceQuery((Match(states("defining")),)))] == ["old", "new"]

    def test_write_many_writes_nothing_when_one_write_fails(self, engine: Engine, store: Store) -> None:
        """A conflict, an unknown instance, an existing id or a reused key anywhere: BatchFailed, nothing written."""
        started = engine.start("moa", ANNA, instance_id="old")
        table = engine.table("moa")
        new, first = begin(table, "new", BRUNO, "2026-02-01T00:00:00+00:00")
        contacted, contact = step(table, started, Command("contact", ANNA), "2026-02-01T00:00:01+00:00")
        feed = store.changes()
        failing: list[tuple[Created | Appended, type[WorkflowError]]] = [
            (Appended(contacted, contact, 1), ConcurrencyConflict),  # the second write took it to seq 2
            (
                Appended(attrs.evolve(contacted, id="ghost"), attrs.evolve(contact, instance="ghost"), 1),
                InstanceNotFound,
            ),
            (Created(started, store.events("old")[0]), InstanceExists),
            (Created(new, first), InstanceExists),
        ]
        for write, error in failing:
            with pytest.raises(BatchFailed) as failed:
                store.write_many([Created(new, first), Appended(contacted, contact, 1), write])
            assert (failed.value.index, type(failed.value.error)) == (2, error)
            assert isinstance(failed.value.__cause__, error)
            assert_unchanged(store, started)
            with pytest.raises(InstanceNotFound):
                store.load("new")
            assert store.changes() == feed
        again, again_event = next_step(engine, contacted)
        with pytest.raises(BatchFailed) as reused:
            store.write_many([Appended(contacted, contact, 1, "k"), Appended(again, again_event, 2, "k")])
        assert (reused.value.index, type(reused.value.error)) == (1, ConcurrencyConflict)
        assert_unchanged(store, started)
        assert store.answer_for_key("old", "k") is None
        store.write_many([])
        assert store.changes() == feed

    # -- definitions -------------------------------------------------------------------------

    def test_definitions_are_kept_once_per_version(self, store: Store) -> None:
        """Registering is idempotent; every version is kept, in protocol and version order."""
        for definition in (MOA_V2, MOA, OTHER, MOA):
            store.register_definition(definition)
        kept = store.definitions()
        assert kept == [MOA, MOA_V2, OTHER]
        assert [k.digest for k in kept] == [MOA.digest, MOA_V2.digest, OTHER.digest]

    def test_a_changed_definition_under_a_kept_version_is_refused(self, store: Store) -> None:
        """A different digest under a stored protocol and version is a DefinitionError; the kept one stays."""
        store.register_definition(MOA)
        changed = attrs.evolve(MOA, title=Text("Changed in place"))
        with pytest.raises(DefinitionError, match="a changed definition needs a new version number"):
            store.register_definition(changed)
        assert store.definitions() == [MOA]

    def test_an_instance_stays_on_the_version_it_started_with(self, store: Store) -> None:
        """After v2 is deployed, a v1 instance keeps firing under v1 (kept by the store); new ones start on v2."""
        old = Engine([MOA], store=store, clock=TickingClock()).start("moa", ANNA, instance_id="old")
        engine = Engine([MOA_V2], store=store, clock=TickingClock())
        moved = engine.fire(old.id, "contact", ANNA)
        assert (moved.version, moved.digest) == (1, MOA.digest)
        assert {e.digest for e in store.events("old")} == {MOA.digest}
        new = engine.start("moa", ANNA, instance_id="new")
        assert (new.version, new.digest) == (2, MOA_V2.digest)
        assert store.definitions() == [MOA, MOA_V2]

    # -- through the engine ------------------------------------------------------------------

    def test_an_engine_fire_with_a_stale_expected_seq_writes_nothing(
        self, engine: Engine, store: Store
    ) -> None:
        """engine.fire with an expected seq behind the instance raises ConcurrencyConflict and writes nothing."""
        current = started_and_defined(engine)
        with pytest.raises(ConcurrencyConflict) as conflict:
            engine.fire(current.id, "sign", ANNA, expected_seq=current.seq - 1)
        assert (conflict.value.expected, conflict.value.actual) == (current.seq - 1, current.seq)
        assert_unchanged(store, current)

    def test_the_same_idempotency_key_returns_the_first_result(self, engine: Engine, store: Store) -> None:
        """A fire repeated with its idempotency key returns the first snapshot and writes nothing new."""
        current = started_and_defined(engine)
        first = engine.fire(current.id, "sign", ANNA, idempotency_key="sign-anna")
        again = engine.fire(current.id, "sign", ANNA, idempotency_key="sign-anna")
        assert again == first
        assert_unchanged(store, first)

    def test_a_refused_fire_writes_nothing(self, engine: Engine, store: Store) -> None:
        """Fires the protocol refuses leave the snapshot, its signatures and the history as they were."""
        signed_once = engine.fire(started_and_defined(engine).id, "sign", ANNA)
        with pytest.raises(InvalidPayload):
            engine.fire(signed_once.id, "define", ANNA, {"fields": []})
        with pytest.raises(TransitionNotAllowed):
            engine.fire(signed_once.id, "contact", ANNA)
        with pytest.raises(NotAuthorized):
            engine.fire(signed_once.id, "sign", ANNA)
        assert_unchanged(store, signed_once)

    def test_a_store_agrees_with_the_reference_store_on_any_run(self) -> None:
        """Any sequence of fires, refused or not, leaves the same snapshots and histories as on a MemoryStore."""

        # Built on each call: Hypothesis wants a test function run by one executor, and each subclass is
        # another. No deadline: a store on disk may take longer than the default for a dozen fires.
        @settings(deadline=None)
        @given(commands=COMMANDS)
        def agrees(commands: Fires) -> None:
            with tempfile.TemporaryDirectory() as folder:
                store = self.make_store(Path(folder))
                try:
                    assert_same_runs(commands, MemoryStore(), store)
                finally:
                    self.close_store(store)

        agrees()


def started_and_defined(engine: Engine, instance_id: str = "i1") -> Instance:
    """An instance in `defining` whose fields are set, two signatures away from `signed`."""
    first = engine.start("moa", ANNA, instance_id=instance_id)
    engine.fire(first.id, "contact", ANNA)
    return engine.fire(first.id, "define", DORA, {"fields": ["internships", "labs"], "note": "Zürich · ½"})


def next_step(engine: Engine, instance: Instance) -> tuple[Instance, Event]:
    """The snapshot and event one more `define` would produce, without storing them."""
    command = Command("define", DORA, {"fields": ["labs"], "staff": instance.seq})
    return step(engine.table("moa", instance.version), instance, command, "2026-02-01T00:00:00+00:00")


def assert_same_runs(commands: Fires, reference: Store, tested: Store) -> None:
    """``commands`` fired on an instance in each store give the same outcomes, snapshot and history."""
    engines = [Engine([MOA], store=store, clock=TickingClock()) for store in (reference, tested)]
    for engine in engines:
        engine.start("moa", ANNA, instance_id="run")
    for trigger, actor, payload in commands:
        outcomes: list[object] = []
        for engine in engines:
            try:
                outcomes.append(engine.fire("run", trigger, actor, payload))
            except WorkflowError as refusal:
                outcomes.append(type(refusal))
        assert outcomes[0] == outcomes[1]
    first, second = engines
    assert second.get("run") == first.get("run")
    assert second.history("run") == first.history("run")


def assert_chain(events: list[Event]) -> None:
    """The events are seq 1..n, each hashed over its content and linked to the one before."""
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    previous = genesis_hash(events[0].instance, events[0].protocol, events[0].version)
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == compute_hash(event)
        previous = event.hash


def assert_unchanged(store: Store, before: Instance) -> None:
    """The snapshot and the history of ``before`` are as they were."""
    assert store.load(before.id) == before
    assert [e.seq for e in store.events(before.id)] == list(range(1, before.seq + 1))
