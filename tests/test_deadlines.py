"""Deadlines: durations, the format, the static checks, the engine's due and tick, replay, the model checker."""

from __future__ import annotations

import datetime
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import BUNDLED
from just_workflow.audit.report import ProblemKind
from just_workflow.checks.findings import FindingCode
from just_workflow.deadlines import SYSTEM, Duration, DurationError, deadline_key, parse_duration
from just_workflow.definition import _digested
from just_workflow.events import new_event
from just_workflow.formats.document import definition_from_document, definition_to_document
from just_workflow.formats.json_schema import definition_schema
from just_workflow.formats.loading import parse_definition
from just_workflow.step import step_with
from just_workflow.store.base import Appended
from just_workflow.testing.stateful import run_protocol_test

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANNA = jw.Actor("anna", "sme")
HUGO = jw.Actor("hugo", "hei")

LEASE = """
protocol: lease
version: 1
title: Lease
roles:
  sme: {title: SME}
  hei: {title: HEI, open: true}
context:
  reply_by: {type: date, title: Reply by}
  note: {type: str, title: Note}
initial: contacted
states:
  contacted:
    title: Contacted
    deadline: {after: P14D, fire: expire}
  answering:
    title: Answering
    deadline: {at: reply_by, after: P1D, fire: lapse}
  agreed: {title: Agreed, final: true}
  expired: {title: Expired, final: true}
transitions:
  - {trigger: agree, from: contacted, to: agreed, by: hei, title: Agree}
  - {trigger: ask, from: contacted, to: answering, by: sme, input: {reply_by: optional}, title: Ask}
  - {trigger: answer, from: answering, to: agreed, by: hei, title: Answer}
  - {trigger: expire, from: contacted, to: expired, by: system, title: Expire}
  - {trigger: lapse, from: answering, to: expired, by: system, title: Lapse}
"""


def lease(text: str = LEASE) -> jw.Definition:
    return parse_definition(text, syntax="yaml")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock: Clock) -> jw.Engine:
    return jw.Engine([lease()], clock=clock)


# Durations


@pytest.mark.parametrize(
    ("text", "duration", "words"),
    [
        ("P14D", Duration(days=14), "14 days"),
        ("PT48H", Duration(hours=48), "48 hours"),
        ("P1M", Duration(months=1), "1 month"),
        ("P2W", Duration(weeks=2), "2 weeks"),
        (
            "P1Y2M10DT2H30M5S",
            Duration(1, 2, 0, 10, 2, 30, 5),
            "1 year 2 months 10 days 2 hours 30 minutes 5 seconds",
        ),
        ("P0D", Duration(), "0 seconds"),
    ],
)
def test_a_duration_is_read_and_said_in_words(text: str, duration: Duration, words: str) -> None:
    assert parse_duration(text) == duration
    assert duration.describe() == words


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "P1DT", "14D", "P1.5D", "P-1D", "p14d", "P1D2M", "PT1D", "P1H", 14]
)
def test_a_bad_duration_is_refused_saying_how_to_write_one(text: object) -> None:
    with pytest.raises(DurationError, match="P14D|a duration is a text"):
        parse_duration(text)


def test_a_duration_beyond_a_thousand_years_is_refused() -> None:
    with pytest.raises(DurationError, match="thousand years"):
        parse_duration("P1001Y")


@pytest.mark.parametrize(
    ("start", "text", "due"),
    [
        ("2026-01-31T10:00:00+00:00", "P1M", "2026-02-28T10:00:00+00:00"),  # the month's last day
        ("2028-01-31T10:00:00+00:00", "P1M", "2028-02-29T10:00:00+00:00"),  # a leap year
        ("2028-02-29T00:00:00+00:00", "P1Y", "2029-02-28T00:00:00+00:00"),
        ("2026-11-30T00:00:00+00:00", "P3M", "2027-02-28T00:00:00+00:00"),
        ("2026-01-31T10:00:00+00:00", "P1M1D", "2026-03-01T10:00:00+00:00"),  # months first, then days
        ("2026-03-28T12:00:00+00:00", "PT48H", "2026-03-30T12:00:00+00:00"),
        ("2026-12-31T23:00:00+00:00", "PT2H", "2027-01-01T01:00:00+00:00"),
    ],
)
def test_months_and_years_are_calendar_ones_the_rest_exact_spans(start: str, text: str, due: str) -> None:
    moment = datetime.datetime.fromisoformat(start)
    assert parse_duration(text).added_to(moment).isoformat() == due


# The format


def test_a_deadline_loads_and_round_trips_through_the_document() -> None:
    definition = lease()
    assert definition.deadlines["contacted"] == jw.definition.Deadline("expire", after="P14D")
    assert definition.deadlines["answering"] == jw.definition.Deadline("lapse", after="P1D", at="reply_by")
    document = definition_to_document(definition)
    assert document["states"]["contacted"]["deadline"] == {"fire": "expire", "after": "P14D"}
    again = definition_from_document(document)
    assert again == definition and again.digest == definition.digest


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_a_definition_without_deadlines_has_no_deadline_in_its_digest(path: Path) -> None:
    """The digest covers non-default values: a state without a deadline digests as before deadlines existed.

    (The definition vector of docs/audit-vectors.json pins a digest computed before deadlines existed.)
    """
    definition = jw.load_definition(path)
    body = attrs.asdict(definition, filter=_digested)
    for state in body["states"]:
        if definition.state_map[state["name"]].deadline is None:
            assert "deadline" not in state


def test_adding_a_deadline_changes_the_digest() -> None:
    without = lease().digest
    changed = lease(LEASE.replace("P14D", "P15D")).digest
    assert without != changed


def test_a_bad_duration_is_located_in_the_file() -> None:
    with pytest.raises(jw.DefinitionError) as raised:
        lease(LEASE.replace("after: P14D", "after: 14 days"))
    (problem,) = raised.value.problems
    assert problem.path == "$.states.contacted.deadline.after"
    assert problem.line == 15
    assert "'14 days' is not an ISO 8601 duration" in problem.message


def test_the_schema_describes_the_deadline() -> None:
    schema = definition_schema()
    deadline = schema["$defs"]["deadline"]
    assert deadline["required"] == ["fire"] and set(deadline["properties"]) == {"fire", "after", "at"}
    assert schema["$defs"]["state"]["properties"]["deadline"] == {"$ref": "#/$defs/deadline"}


# Static checks


def codes(text: str) -> list[tuple[str, str]]:
    try:
        definition = lease(text)
    except jw.DefinitionError as error:
        return [(p.message, p.path or "") for p in error.problems]
    return [(f.code, f.path) for f in jw.check(definition) if f.severity is jw.Severity.ERROR]


def test_the_lease_is_clean() -> None:
    assert [f for f in jw.check(lease()) if f.severity is jw.Severity.ERROR] == []


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("fire: expire}", "fire: expir}", "$.states.contacted.deadline.fire", "did you mean 'expire'?"),
        (
            "{trigger: expire, from: contacted, to: expired, by: system",
            "{trigger: expire, from: contacted, by: system",
            "$.transitions[3].to",
            "stays in it",
        ),
        (
            "to: expired, by: system, title: Expire",
            "to: expired, by: [system, sme], title: Expire",
            "$.transitions[3].by",
            "only 'system' fires it",
        ),
        (
            "to: expired, by: system, title: Expire",
            "to: expired, by: system, input: {note: required}, title: Expire",
            "$.transitions[3].input",
            "requires 'note'",
        ),
        (
            "    deadline: {after: P14D, fire: expire}\n",
            "",
            "$.transitions[3].from[0]",
            "whose deadline does not fire it",
        ),
        (
            "by: hei, title: Agree",
            "by: system, title: Agree",
            "$.transitions[0].from[0]",
            "whose deadline does not fire it",
        ),
        ("{after: P14D, fire: expire}", "{fire: expire}", "$.states.contacted.deadline", "needs `after`"),
        (
            "{at: reply_by,",
            "{at: note,",
            "$.states.answering.deadline.at",
            "a deadline `at` names a date field",
        ),
        ("{at: reply_by,", "{at: reply,", "$.states.answering.deadline.at", "Unknown field 'reply'"),
        (
            "agreed: {title: Agreed, final: true}",
            "agreed: {title: Agreed, final: true, deadline: {after: P1D, fire: agree}}",
            "$.states.agreed.deadline",
            "is final",
        ),
        (
            "  hei: {title: HEI, open: true}\n",
            "  hei: {title: HEI, open: true}\n  system: {title: Clock}\n",
            "$.roles.system",
            "cannot be declared",
        ),
        (
            "initial: contacted",
            "initial: contacted\nstart_by: [sme, system]",
            "$.start_by[1]",
            "cannot start",
        ),
        (
            "sme: {title: SME}",
            "sme: {title: SME, invited_by: [system]}",
            "$.roles.sme.invited_by[0]",
            "invites nobody",
        ),
        (
            "to: expired, by: system, title: Expire",
            "to: expired, by: system, joins: true, title: Expire",
            "$.transitions[3].joins",
            "binds no party",
        ),
    ],
)
def test_a_wrong_deadline_or_system_role_is_refused_where_it_is(
    old: str, new: str, path: str, message: str
) -> None:
    assert old in LEASE
    found = codes(LEASE.replace(old, new))
    assert any(where == path and message in text for text, where in found), found


def test_each_new_finding_code_is_reported() -> None:
    """The codes of the deadline checks, as check() gives them on a definition built in code."""
    definition = lease()
    broken = attrs.evolve(
        definition,
        roles=(*definition.roles, jw.definition.Role("system")),
        states=tuple(
            attrs.evolve(s, deadline=jw.definition.Deadline("agree", after="P1X"))
            if s.name == "contacted"
            else s
            for s in definition.states
        ),
    )
    found = {f.code for f in jw.check(broken)}
    assert {
        FindingCode.RESERVED_ROLE,
        FindingCode.BAD_DEADLINE,
        FindingCode.BAD_DEADLINE_TRIGGER,
        FindingCode.SYSTEM_WITHOUT_DEADLINE,
    } <= found


# The engine


def test_a_deadline_is_due_after_its_duration_and_tick_fires_it_once(engine: jw.Engine, clock: Clock) -> None:
    instance = engine.start("lease", ANNA, instance_id="l1")
    due_at = START + datetime.timedelta(days=14)
    assert engine.deadline("l1") == ("l1", "expire", due_at)
    assert engine.due() == [] and engine.tick() == []
    assert engine.due(due_at - datetime.timedelta(seconds=1)) == []
    assert engine.due(due_at) == [("l1", "expire", due_at)]
    clock.now = due_at + datetime.timedelta(hours=3)
    fired = engine.tick()
    assert [(i.id, i.state, i.seq) for i in fired] == [("l1", "expired", instance.seq + 1)]
    assert fired.skipped == []
    event = engine.history("l1")[-1]
    assert (event.actor, event.trigger, event.at) == (SYSTEM, "expire", clock.now.isoformat())
    assert engine.tick() == [] and engine.tick(clock.now + datetime.timedelta(days=400)) == []
    assert len(engine.history("l1")) == 2
    assert engine.verify().ok


def test_tick_fires_every_passed_deadline_earliest_first_and_leaves_the_others(
    engine: jw.Engine, clock: Clock
) -> None:
    engine.start("lease", ANNA, instance_id="late")
    clock.now = START - datetime.timedelta(days=2)
    engine.start("lease", ANNA, instance_id="early")
    clock.now = START + datetime.timedelta(days=1)
    engine.start("lease", ANNA, instance_id="young")
    passed = START + datetime.timedelta(days=14, hours=1)
    assert [d.instance_id for d in engine.due(passed)] == ["early", "late"]
    fired = engine.tick(passed)
    assert [i.id for i in fired] == ["early", "late"]
    assert engine.get("young").state == "contacted"


def test_a_second_tick_that_judged_the_same_deadline_fires_nothing(engine: jw.Engine, clock: Clock) -> None:
    """Two ticks at once: the second one's writes conflict (the seq moved, the key is taken), so nothing fires twice."""
    engine.start("lease", ANNA, instance_id="l1")
    passed = START + datetime.timedelta(days=15)
    judged = engine._due(passed)  # what a concurrent tick found before the first one wrote
    assert [i.id for i in engine.tick(passed)] == ["l1"]
    writes = [engine._deadline_write(due, entry_seq, instance, passed) for due, entry_seq, instance in judged]
    assert writes[0].idempotency_key == deadline_key(1, "expire")
    assert engine._write_deadlines(writes) == []
    assert len(engine.history("l1")) == 2


def test_a_tick_writes_its_fires_in_batches_and_one_by_one_after_a_conflict(
    engine: jw.Engine, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in "abcde":
        engine.start("lease", ANNA, instance_id=name)
    batches: list[int] = []
    write_many = engine.store.write_many

    def counted(writes: list[Appended]) -> None:
        batches.append(len(writes))
        write_many(writes)

    monkeypatch.setattr(engine.store, "write_many", counted)
    monkeypatch.setattr(jw.engine, "TICK_BATCH", 2)
    passed = START + datetime.timedelta(days=14)
    judged = engine._due(passed)
    engine.fire("c", "agree", HUGO)  # a person moves one instance after the tick judged it
    writes = [engine._deadline_write(due, entry_seq, instance, passed) for due, entry_seq, instance in judged]
    assert [w.instance.id for w in engine._write_deadlines(writes)] == ["a", "b", "d", "e"]
    assert engine.get("c").state == "agreed" and len(engine.history("c")) == 2
    batches.clear()
    for name in "fgh":
        engine.start("lease", ANNA, instance_id=name)
    assert [i.id for i in engine.tick(passed)] == ["f", "g", "h"]
    assert batches == [2, 1]


def test_a_batch_refuses_an_actor_claiming_the_system_role(engine: jw.Engine) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    with pytest.raises(jw.BatchFailed) as raised, engine.batch() as batch:
        batch.fire("l1", "expire", jw.Actor("mallory", "system"))
    assert isinstance(raised.value.error, jw.NotAuthorized)
    assert len(engine.history("l1")) == 1


def test_the_deadline_counts_from_entering_the_state(engine: jw.Engine, clock: Clock) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    clock.now = START + datetime.timedelta(days=3)
    engine.fire("l1", "ask", ANNA, {"reply_by": "2026-03-20"})
    due_at = datetime.datetime(2026, 3, 21, tzinfo=UTC)  # the start of the date, plus a day
    assert engine.deadline("l1") == ("l1", "lapse", due_at)
    assert engine.due(START + datetime.timedelta(days=15)) == []  # the first state's deadline is gone
    assert [i.state for i in engine.tick(due_at)] == ["expired"]


def test_a_deadline_at_an_unset_date_is_never_due(engine: jw.Engine, clock: Clock) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    engine.fire("l1", "ask", ANNA)
    assert engine.deadline("l1") is None
    assert engine.due(START + datetime.timedelta(days=10_000)) == []


def test_a_deadline_the_guards_refuse_is_skipped_reported_and_stays_due(clock: Clock) -> None:
    guarded = LEASE.replace(
        "to: expired, by: system, title: Expire", "to: expired, by: system, guards: [open], title: Expire"
    )
    allowed = [False]
    engine = jw.Engine([lease(guarded)], clock=clock, guards={"open": lambda context, actor: allowed[0]})
    engine.start("lease", ANNA, instance_id="l1")
    passed = START + datetime.timedelta(days=15)
    ticked = engine.tick(passed)
    assert ticked == []
    [skipped] = ticked.skipped
    assert (skipped.instance_id, skipped.trigger) == ("l1", "expire")
    assert isinstance(skipped.refusal, jw.GuardFailed) and "guard 'open' is false" in str(skipped.refusal)
    assert engine.due(passed) == [("l1", "expire", START + datetime.timedelta(days=14))]
    allowed[0] = True
    assert [i.state for i in engine.tick(passed)] == ["expired"]


def test_nobody_but_the_clock_acts_as_system(engine: jw.Engine) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    for impostor in (SYSTEM, jw.Actor("mallory", "system")):
        with pytest.raises(jw.NotAuthorized, match="engine's clock's"):
            engine.fire("l1", "expire", impostor)
    with pytest.raises(jw.NotAuthorized, match="engine's clock's"):
        engine.fire("l1-é", "expire", jw.Actor("mallory", "system"))  # the non-ASCII path checks it too
    with pytest.raises(jw.NotAuthorized):
        engine.start("lease", jw.Actor("mallory", "system"))
    with pytest.raises(jw.InvalidPayload, match="nobody is invited to it"):
        engine.invite("l1", role="system", actor_id="mallory", by=ANNA)
    assert len(engine.history("l1")) == 1


def test_options_show_the_due_time(engine: jw.Engine) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    options = {o.trigger: o for o in engine.options("l1", ANNA)}
    assert options["expire"].due == (START + datetime.timedelta(days=14)).isoformat()
    assert not options["expire"].allowed and options["ask"].due is None
    assert options["expire"].reasons == (
        "only the engine's clock fires it, when its deadline passes (2026-03-16T09:00:00+00:00)",
    )


def test_a_failing_hook_fails_the_tick_once_every_deadline_fired(engine: jw.Engine) -> None:
    def fail(instance: jw.Instance, event: jw.Event) -> None:
        raise RuntimeError(f"no mail for {instance.id}")

    engine.on_enter("expired", fail)
    engine.start("lease", ANNA, instance_id="a")
    engine.start("lease", ANNA, instance_id="b")
    with pytest.raises(jw.HookError, match="no mail for a") as raised:
        engine.tick(START + datetime.timedelta(days=14))
    assert isinstance(raised.value.instance, jw.Instance) and raised.value.instance.id == "a"
    assert [engine.get(i).state for i in ("a", "b")] == ["expired", "expired"]


def test_a_deadline_fires_on_the_sqlite_store_too(clock: Clock, tmp_path: Path) -> None:
    with jw.SQLiteStore(tmp_path / "w.db") as store:
        engine = jw.Engine([lease()], store=store, clock=clock)
        engine.start("lease", ANNA, instance_id="l1")
        assert [i.state for i in engine.tick(START + datetime.timedelta(days=14))] == ["expired"]
        assert engine.tick(START + datetime.timedelta(days=14)) == []
        assert engine.verify().ok


# Replay


def forged(engine: jw.Engine, at: str, actor: jw.Actor = SYSTEM, trigger: str = "expire") -> list[jw.Event]:
    """The history of l1 with a system event appended at ``at``, as a forger would write it."""
    instance = engine.get("l1")
    table = engine.table("lease")
    _, event = step_with(table, instance, trigger, actor, {}, at)
    return [*engine.history("l1"), event]


def test_replay_refuses_a_deadline_event_before_its_due_time(engine: jw.Engine) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    early = (START + datetime.timedelta(days=13)).isoformat()
    report = jw.replay(forged(engine, early), [lease()])
    [problem] = report.problems
    assert (problem.kind, problem.seq) == (ProblemKind.EARLY_DEADLINE, 2)
    assert "fell due at 2026-03-16T09:00:00+00:00" in problem.message
    on_time = (START + datetime.timedelta(days=14)).isoformat()
    assert jw.replay(forged(engine, on_time), [lease()]).ok


def test_replay_refuses_a_system_event_that_is_no_due_deadline(engine: jw.Engine) -> None:
    engine.start("lease", ANNA, instance_id="l1")
    late = (START + datetime.timedelta(days=30)).isoformat()
    [problem] = jw.replay(forged(engine, late, jw.Actor("mallory", "system")), [lease()]).problems
    assert problem.kind is ProblemKind.UNSCHEDULED_SYSTEM_EVENT and "mallory" in problem.message
    engine.fire("l1", "ask", ANNA)  # in `answering`, whose date field is unset
    [problem] = jw.replay(forged(engine, late, trigger="lapse"), [lease()]).problems
    assert problem.kind is ProblemKind.UNSCHEDULED_SYSTEM_EVENT and "never due" in problem.message


def test_replay_refuses_the_clock_firing_where_the_state_has_no_such_deadline(engine: jw.Engine) -> None:
    """A definition built in code (unchecked) lets `system` fire from a state without a deadline."""
    loose = lease()
    loose = attrs.evolve(
        loose,
        states=tuple(attrs.evolve(s, deadline=None) if s.name == "contacted" else s for s in loose.states),
    )
    other = jw.Engine([loose])
    other.start("lease", ANNA, instance_id="l1")
    events = forged(other, (START + datetime.timedelta(days=30)).isoformat())
    [problem] = jw.replay(events, [loose]).problems
    assert problem.kind is ProblemKind.UNSCHEDULED_SYSTEM_EVENT and "has no deadline" in problem.message


def test_new_event_is_what_tick_records() -> None:
    """The clock's event is an ordinary fire of the `system` actor: the log format is unchanged."""
    event = new_event(
        "i",
        2,
        "fire",
        "p",
        1,
        "d" * 64,
        "expire",
        "a",
        "b",
        SYSTEM,
        {},
        "2026-01-01T00:00:00+00:00",
        "0" * 64,
    )
    assert event.to_json()["actor"] == {"id": "system", "role": "system"}


# The model checker and the test kit


def test_states_left_or_reached_only_by_a_deadline_are_explored() -> None:
    report = jw.model_check(lease())
    assert report.ok, [str(f) for f in report.findings]
    only_deadline = LEASE.replace("reply_by: optional", "reply_by: required").replace(
        "  - {trigger: answer, from: answering, to: agreed, by: hei, title: Answer}\n", ""
    )
    assert jw.model_check(lease(only_deadline)).ok  # `answering` is left by its deadline alone
    # `expired` reached by deadlines alone: explored, not unreachable
    assert jw.model_check(lease(LEASE.replace("to: agreed, by: hei, title: Agree", "to: agreed, by: hei"))).ok
    loose = lease(only_deadline)
    stuck = attrs.evolve(
        loose,
        states=tuple(attrs.evolve(s, deadline=None) if s.name == "answering" else s for s in loose.states),
    )
    found = {(f.code, f.state) for f in jw.model_check(stuck).findings}
    assert (FindingCode.TRAP_STATE, "answering") in found  # without its deadline, nothing leaves it


def test_the_property_test_lets_time_pass_and_ticks() -> None:
    run_protocol_test(lease())


def test_diagrams_draw_the_deadline_with_its_duration() -> None:
    mermaid = jw.diagram(lease())
    assert "contacted --> expired: ⏱ expire (after 14 days)" in mermaid
    assert "answering --> expired: ⏱ lapse (at reply_by + 1 day)" in mermaid
    dot = jw.diagram(lease(), format="dot")
    assert '"contacted" -> "expired" [label="⏱ expire (after 14 days)", style="dashed"];' in dot
    assert '"contacted" -> "agreed" [label="agree [hei]"];' in dot


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_the_strategies_draw_no_command_of_the_clock(data: st.DataObject) -> None:
    """Commands and walks are the parties': Engine.fire takes them, and only tick fires as `system`."""
    definition = lease()
    command = data.draw(jw.testing.commands(definition))
    assert command.actor.role != "system"
    walk = data.draw(jw.testing.walks(definition))
    assert all(c.actor.role != "system" for c in walk.commands)
    engine = jw.Engine([definition])
    instance = engine.start("lease", walk.starter)
    for step in walk.commands:
        instance = engine.fire(instance.id, step.trigger, step.actor, step.payload)
    assert instance.state == walk.state
