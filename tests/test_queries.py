"""Work lists: engine.find, engine.inbox and engine.changes on every store, pages and cursors, bad arguments."""

from __future__ import annotations

import contextlib
import datetime
import re
import sqlite3
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import ANNA, BRUNO, CARL, DORA, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.testing import TickingClock

MOA = moa_definition()


@pytest.fixture
def engine(store: jw.Store) -> jw.Engine:
    """The MoA on ``store``, with a clock one second on per event from 2026-01-01."""
    return jw.Engine([MOA], store=store, clock=TickingClock())


def ids(page: jw.Page[jw.Instance]) -> list[str]:
    return [instance.id for instance in page.items]


def every_page(read: Any, after: str | None = None, **filters: Any) -> list[str]:
    """The ids of every page of a list from ``after`` on, following the cursors."""
    seen: list[str] = []
    while True:
        page = read(after=after, **filters)
        seen += ids(page)
        if page.next is None:
            return seen
        after = page.next


# -- find ------------------------------------------------------------------------------------


def test_find_filters_by_protocol_state_party_activity_and_update(engine: jw.Engine) -> None:
    """Each filter keeps the instances it names; together they all hold; the order is creation order."""
    for name, actor in [("a", ANNA), ("b", BRUNO), ("c", ANNA), ("d", BRUNO)]:
        engine.start("moa", actor, instance_id=name)
    engine.fire("a", "contact", ANNA)
    engine.fire("a", "decline", CARL)
    engine.fire("c", "contact", ANNA)
    assert ids(engine.find()) == ["a", "b", "c", "d"]
    assert ids(engine.find(protocol="moa")) == ["a", "b", "c", "d"]
    assert ids(engine.find(state="draft")) == ["b", "d"]
    assert ids(engine.find(state="defining")) == ["c"]
    assert ids(engine.find(party="anna")) == ["a", "c"]
    assert ids(engine.find(party="anna", active=True)) == ["c"]
    assert ids(engine.find(active=False)) == ["a"]
    assert ids(engine.find(party="nobody")) == []
    assert ids(engine.find(newest_first=True)) == ["d", "c", "b", "a"]
    # The clock ticks a second per event: "c" was contacted last, at 00:00:07.
    assert ids(engine.find(updated_after="2026-01-01T00:00:05+00:00")) == ["a", "c"]
    later = datetime.datetime(2026, 1, 1, 1, 0, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert ids(engine.find(updated_after=later)) == ["c"]
    assert ids(engine.find(state="draft", party="bruno", updated_after="2026-01-01T00:00:03+00:00")) == ["d"]


def test_find_pages_follow_cursors_to_the_end(engine: jw.Engine) -> None:
    """limit cuts pages; next leads to the following one and is None on the last, also when it is full."""
    for number in range(7):
        engine.start("moa", ANNA, instance_id=f"i{number}")
    first = engine.find(limit=3)
    assert ids(first) == ["i0", "i1", "i2"] and isinstance(first.next, str)
    assert every_page(engine.find, limit=3) == [f"i{n}" for n in range(7)]
    assert engine.find(limit=7).next is None
    assert every_page(engine.find, limit=2, newest_first=True) == [f"i{n}" for n in reversed(range(7))]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first.next = None  # type: ignore[misc]


def test_find_is_stable_while_instances_move_and_start(engine: jw.Engine) -> None:
    """Writes between pages: an instance that leaves the list is not replaced by a repeat, none is skipped."""
    for number in range(6):
        engine.start("moa", ANNA, instance_id=f"i{number}")
    first = engine.find(state="draft", limit=2)
    engine.fire("i0", "contact", ANNA)  # leaves the list, before the cursor
    engine.fire("i3", "contact", ANNA)  # leaves the list, after the cursor
    engine.start("moa", BRUNO, instance_id="new")
    rest = every_page(engine.find, state="draft", limit=2, after=first.next)
    assert ids(first) + rest == ["i0", "i1", "i2", "i4", "i5", "new"]


def test_find_returns_copies(engine: jw.Engine) -> None:
    """A snapshot from find changed by force does not change what the next find or fire sees."""
    engine.start("moa", ANNA, instance_id="a")
    (found,) = engine.find().items
    object.__setattr__(found, "state", "signed")
    assert engine.find().items[0].state == "draft"
    assert engine.fire("a", "contact", ANNA).state == "defining"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"limit": 0}, "limit must be an integer from 1 to 1000, got 0 of type int"),
        ({"limit": 1001}, "got 1001"),
        ({"limit": True}, "got True of type bool"),
        ({"limit": "5"}, "got '5' of type str"),
        (
            {"after": "bm90IG91cnM"},
            "after must be the `next` cursor of a page of this find with the same filters",
        ),
        ({"after": 12}, "got 12"),
        ({"after": "é"}, "not made for this list"),
        (
            {"state": "drafted"},
            "state 'drafted' is not a state of any protocol; states: declined, defining, draft",
        ),
        ({"protocol": "moa", "state": ""}, "state must be a non-empty text, got ''"),
        ({"party": 7}, "party must be a non-empty text, got 7 of type int"),
        ({"active": "yes"}, "active must be True, False or None, got 'yes'"),
        ({"updated_after": "2026-01-01T00:00:00"}, "updated_after must be a datetime with a time zone"),
        ({"updated_after": datetime.datetime(2026, 1, 1)}, "or ISO 8601 text with a UTC offset"),
        ({"updated_after": "yesterday"}, "got 'yesterday' of type str"),
    ],
)
def test_bad_find_arguments_are_refused_by_name(
    engine: jw.Engine, arguments: dict[str, Any], message: str
) -> None:
    """Out-of-range limits, foreign cursors, unknown states, naive times: InvalidRequest saying what."""
    with pytest.raises(jw.InvalidRequest, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.find(**arguments)


def test_a_cursor_serves_only_the_list_it_came_from(engine: jw.Engine) -> None:
    """A cursor of another filter, of the inbox, of the change feed or altered by a character is refused."""
    for number in range(3):
        engine.start("moa", ANNA, instance_id=f"i{number}")
    cursor = engine.find(state="draft", limit=1).next
    assert cursor is not None
    assert ids(engine.find(state="draft", limit=1, after=cursor)) == ["i1"]
    altered = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    for use in (
        lambda: engine.find(state="defining", after=cursor),
        lambda: engine.find(after=cursor),
        lambda: engine.inbox(ANNA, after=cursor),
        lambda: engine.changes(after=cursor),
        lambda: engine.find(state="draft", after=altered),
    ):
        with pytest.raises(jw.InvalidRequest, match="was not made for this list"):
            use()


def test_a_made_up_position_out_of_range_is_refused(engine: jw.Engine) -> None:
    """A cursor built by hand for a position no store can hold is refused like any foreign cursor."""
    from just_workflow.queries import cursor

    question = repr((None, None, None, None, None, False))
    assert engine.find(after=cursor("find", 2**40, question)).items == []
    with pytest.raises(jw.InvalidRequest, match="was not made for this list"):
        engine.find(after=cursor("find", 2**64, question))


def test_find_of_an_unknown_protocol_is_refused(engine: jw.Engine) -> None:
    """A protocol the engine neither runs nor finds stored is UnknownProtocol, as for start."""
    with pytest.raises(jw.UnknownProtocol, match="Unknown protocol .nope.; this store keeps: moa"):
        engine.find(protocol="nope")


def test_find_counts_every_stored_version(store: jw.Store) -> None:
    """Instances of an older version kept by the store are found by state and activity like the newest."""
    old = jw.Engine([MOA], store=store, clock=TickingClock())
    old.start("moa", ANNA, instance_id="v1")
    engine = jw.Engine([attrs.evolve(MOA, version=2)], store=store, clock=TickingClock())
    engine.start("moa", ANNA, instance_id="v2")
    assert ids(engine.find(state="draft")) == ["v1", "v2"]
    assert ids(engine.find(protocol="moa", active=True)) == ["v1", "v2"]


def test_a_second_process_sees_every_write_at_once(tmp_path: Path) -> None:
    """Two stores on one database file (as two processes have): each find and change feed reads afresh."""
    path = tmp_path / "shared.db"
    with jw.SQLiteStore(path) as first_store, jw.SQLiteStore(path) as second_store:
        first = jw.Engine([MOA], store=first_store)
        second = jw.Engine([MOA], store=second_store)
        assert ids(second.find(state="draft")) == []
        feed = second.changes()
        first.start("moa", ANNA, instance_id="a")
        assert ids(second.find(state="draft")) == ["a"]
        first.fire("a", "contact", ANNA)
        assert ids(second.find(state="draft")) == []
        assert ids(second.inbox(DORA)) == ["a"]
        assert [(e.instance, e.seq) for e in second.changes(after=feed.next).items] == [("a", 1), ("a", 2)]


# -- inbox -----------------------------------------------------------------------------------


def test_the_inbox_holds_what_each_actor_may_fire_now_newest_first(engine: jw.Engine) -> None:
    """A closed role sees its own instances where it may act; an open role every instance where it may."""
    for name, actor in [("a", ANNA), ("b", BRUNO), ("c", ANNA), ("d", ANNA)]:
        engine.start("moa", actor, instance_id=name)
    for name, actor in [("a", ANNA), ("b", BRUNO), ("c", ANNA)]:
        engine.fire(name, "contact", actor)
    engine.fire("c", "decline", CARL)
    assert ids(engine.inbox(ANNA)) == ["d", "a"]  # draft: contact; defining: define and sign
    assert ids(engine.inbox(BRUNO)) == ["b"]
    assert ids(engine.inbox(DORA)) == ["b", "a"]  # the department acts in defining, any instance
    assert ids(engine.inbox(CARL)) == ["b", "a"]
    assert ids(engine.inbox(jw.Actor("stranger", "sme"))) == []
    assert ids(engine.inbox(jw.Actor("x", "no_such_role"))) == []


def test_the_inbox_leaves_out_what_the_guards_refuse(store: jw.Store) -> None:
    """An instance where the actor's only transition is refused whatever the payload is not in their inbox."""
    # The department may only sign here, and a signature needs the fields an SME defines first.
    moa = with_transition(MOA, "define", by=("sme",))
    engine = jw.Engine([moa], store=store, clock=TickingClock())
    for number in range(5):
        engine.start("moa", ANNA, instance_id=f"i{number}")
        engine.fire(f"i{number}", "contact", ANNA)
    for number in (1, 3):
        engine.fire(f"i{number}", "define", ANNA, {"fields": ["ai"]})
    assert ids(engine.inbox(DORA)) == ["i3", "i1"]
    assert {o.trigger: o.allowed for o in engine.options("i0", DORA)}["sign"] is False
    engine.fire("i3", "sign", DORA)  # signed by the department: the SME's signature remains
    assert ids(engine.inbox(DORA)) == ["i1"]
    assert every_page(engine.inbox, actor=ANNA, limit=2) == [f"i{n}" for n in reversed(range(5))]


def test_the_inbox_offers_a_role_to_join(store: jw.Store) -> None:
    """Where a transition joins a role nobody holds yet, every actor of it sees the instance; once joined, only they."""
    placement = d.Definition(
        protocol="placement",
        version=1,
        title=d.Text("Placement"),
        roles=(d.Role("mentor"), d.Role("student")),
        states=(d.State("open"), d.State("applied"), d.State("done", final=True)),
        initial="open",
        start_by=("mentor",),
        transitions=(
            d.Transition("apply", ("open",), ("student",), "applied", joins=True),
            d.Transition("confirm", ("applied",), ("student",), "done"),
        ),
    )
    engine = jw.Engine([placement], store=store, clock=TickingClock())
    mentor = jw.Actor("mia", "mentor")
    sara, sam = jw.Actor("sara", "student"), jw.Actor("sam", "student")
    for name in ("p1", "p2"):
        engine.start("placement", mentor, instance_id=name)
    assert ids(engine.inbox(sara)) == ids(engine.inbox(sam)) == ["p2", "p1"]
    engine.fire("p1", "apply", sara)
    assert ids(engine.inbox(sara)) == ["p2", "p1"]  # p1: confirm, as its student
    assert ids(engine.inbox(sam)) == ["p2"]
    assert ids(engine.inbox(mentor)) == []


def test_the_inbox_refuses_what_is_not_an_actor(engine: jw.Engine) -> None:
    """inbox takes an Actor; anything else is InvalidRequest naming its type."""
    with pytest.raises(jw.InvalidRequest, match="actor must be an Actor, got 'anna' of type str"):
        engine.inbox("anna")  # type: ignore[arg-type]


# -- the change feed -------------------------------------------------------------------------


def test_the_change_feed_pages_through_every_event_and_waits_at_the_end(engine: jw.Engine) -> None:
    """changes() reads every event once in the order stored; at the end next stays put until more is stored."""
    engine.start("moa", ANNA, instance_id="a")
    engine.start("moa", BRUNO, instance_id="b")
    engine.fire("a", "contact", ANNA)
    first = engine.changes(limit=2)
    assert [(e.instance, e.seq) for e in first.items] == [("a", 1), ("b", 1)]
    rest = engine.changes(after=first.next)
    assert [(e.instance, e.seq, e.trigger) for e in rest.items] == [("a", 2, "contact")]
    idle = engine.changes(after=rest.next)
    assert idle.items == [] and idle.next == rest.next
    engine.fire("b", "contact", BRUNO)
    assert [(e.instance, e.seq) for e in engine.changes(after=idle.next).items] == [("b", 2)]
    assert engine.changes().items == [
        *engine.history("a")[:1],
        *engine.history("b")[:1],
        engine.history("a")[1],
        engine.history("b")[1],
    ]


def test_a_refused_fire_adds_nothing_to_the_feed(engine: jw.Engine) -> None:
    """The feed holds stored events only."""
    engine.start("moa", ANNA, instance_id="a")
    before = engine.changes()
    with pytest.raises(jw.NotAParty):
        engine.fire("a", "contact", BRUNO)
    assert engine.changes(after=before.next).items == []


# -- property: pages over random stores, with writes between them ----------------------------

#: A write between two pages: start an instance (as anna or bruno), or contact or decline the n-th one.
WRITES = st.tuples(st.sampled_from(["start-anna", "start-bruno", "contact", "decline"]), st.integers(0, 30))
FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "state": st.sampled_from(["draft", "defining", "declined"]),
        "party": st.sampled_from(["anna", "bruno"]),
        "active": st.booleans(),
        "newest_first": st.booleans(),
    },
)


def _write(engine: jw.Engine, write: tuple[str, int], started: list[str]) -> None:
    kind, number = write
    if kind.startswith("start"):
        name = f"i{len(started):03d}"
        engine.start("moa", ANNA if kind == "start-anna" else BRUNO, instance_id=name)
        started.append(name)
        return
    if not started:
        return
    target = engine.get(started[number % len(started)])
    actor = CARL if kind == "decline" else jw.Actor(target.parties["sme"][0], "sme")
    with contextlib.suppress(jw.Refusal):  # not in the state for it
        engine.fire(target.id, kind, actor)


def _fits(instance: jw.Instance, filters: dict[str, Any]) -> bool:
    return (
        filters.get("state", instance.state) == instance.state
        and (filters.get("party") is None or filters["party"] in instance.parties.get("sme", ()))
        and filters.get("active", instance.state not in ("declined", "signed"))
        == (instance.state not in ("declined", "signed"))
    )


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_pages_hold_each_fitting_instance_once_in_order_whatever_is_written_between(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Paging any filter while instances start and move: no repeat, creation order, every steady fit seen."""

    @settings(deadline=None, max_examples=40)
    @given(
        before=st.lists(WRITES, max_size=25),
        between=st.lists(WRITES, max_size=4),
        filters=FILTERS,
        limit=st.integers(1, 4),
    )
    def pages(
        before: list[tuple[str, int]], between: list[tuple[str, int]], filters: dict[str, Any], limit: int
    ) -> None:
        folder = tmp_path_factory.mktemp("pages")
        store = jw.MemoryStore() if kind == "memory" else jw.SQLiteStore(folder / "pages.db")
        try:
            engine = jw.Engine([MOA], store=store, clock=TickingClock())
            started: list[str] = []
            for write in before:
                _write(engine, write, started)
            fitting_all_along = {name for name in started if _fits(engine.get(name), filters)}
            seen: list[str] = []
            after = None
            writes = iter(between)
            while True:
                page = engine.find(limit=limit, after=after, **filters)
                assert len(page.items) <= limit
                seen += ids(page)
                for write in writes:
                    _write(engine, write, started)
                    fitting_all_along = {n for n in fitting_all_along if _fits(engine.get(n), filters)}
                    break
                if page.next is None:
                    break
                after = page.next
            assert len(seen) == len(set(seen))
            assert seen == sorted(seen, reverse=filters.get("newest_first", False))
            assert fitting_all_along <= set(seen)
        finally:
            if isinstance(store, jw.SQLiteStore):
                store.close()

    pages()


def test_the_sqlite_queries_read_the_indexes(tmp_path: Path) -> None:
    """The page queries of a state, a party and an inbox search the indexes in position order: no table scan, no sort."""
    path = tmp_path / "plans.db"
    traced: list[str] = []
    with jw.SQLiteStore(path) as store:
        engine = jw.Engine([MOA], store=store)
        engine.start("moa", ANNA, instance_id="a")
        conn = sqlite3.connect(path)
        original = store._fetch_all

        def tracing(sql: str, args: tuple[Any, ...], table: str) -> list[Any]:
            if "UNION" in sql or "FROM parties" in sql or "i.state" in sql:
                traced.append(
                    " ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args))
                )
            return original(sql, args, table)

        store._fetch_all = tracing  # type: ignore[method-assign]
        engine.find(state="draft")
        engine.find(party="anna")
        engine.inbox(DORA)
        engine.inbox(ANNA)
    assert len(traced) == 4
    for plan in traced:
        assert not re.search(r"SCAN (i|p|instances|parties)\b", plan) and "TEMP B-TREE" not in plan, plan
        assert (
            "USING COVERING INDEX instances_by_state" in plan
            or "USING INDEX instances_by_state" in plan
            or "parties_by_actor" in plan
        ), plan


def test_find_by_party_follows_invitations_removals_and_replacements(store: jw.Store) -> None:
    """Binding, unbinding and replacing a party moves the instance between the actors' lists at once."""
    moa = moa_definition(
        roles=(
            d.Role("sme"),
            d.Role("department", invited_by=("career_services",)),
            d.Role("career_services", open=True),
        )
    )
    engine = jw.Engine([moa], store=store, clock=TickingClock())
    engine.start("moa", ANNA, instance_id="a")
    engine.fire("a", "contact", ANNA)
    engine.invite("a", role="department", actor_id="dora", by=CARL)
    assert ids(engine.find(party="dora")) == ["a"]
    assert ids(engine.inbox(DORA)) == ["a"]
    engine.replace_party("a", role="department", actor_id="dora", new_actor_id="dino", by=CARL)
    assert ids(engine.find(party="dora")) == [] and ids(engine.find(party="dino")) == ["a"]
    assert ids(engine.inbox(DORA)) == [] and ids(engine.inbox(jw.Actor("dino", "department"))) == ["a"]
    engine.remove_party("a", role="department", actor_id="dino", by=CARL)
    assert ids(engine.find(party="dino")) == []
    assert ids(engine.find(party="anna")) == ["a"]
