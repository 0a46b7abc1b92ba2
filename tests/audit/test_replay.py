"""Replay: every event re-run through the step under its recorded version, each kind of problem at its seq."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

import just_workflow as jw
from fixtures import ANNA, CARL, DORA, moa_definition
from just_workflow import definition as d
from just_workflow.audit.report import Head, Log, ProblemKind
from just_workflow.events import genesis_hash, seal
from just_workflow.testing import TickingClock

T = d.Text
MOA = moa_definition()


def run(engine: jw.Engine, instance_id: str, *, sign: bool = True) -> jw.Instance:
    """An instance through contact, define and (optionally) both signatures."""
    engine.start("moa", ANNA, instance_id=instance_id)
    engine.fire(instance_id, "contact", ANNA)
    engine.fire(instance_id, "define", DORA, {"fields": ["robotics"], "offer": "internships", "staff": 3})
    if sign:
        engine.fire(instance_id, "sign", ANNA)
        engine.fire(instance_id, "sign", DORA)
    return engine.get(instance_id)


@pytest.fixture
def engine() -> jw.Engine:
    """An engine on the MoA protocol with one signed instance 'a' and one open instance 'b'."""
    engine = jw.Engine([MOA], clock=TickingClock())
    run(engine, "a")
    run(engine, "b", sign=False)
    return engine


def history(engine: jw.Engine) -> list[jw.Event]:
    """Every event of the engine's instances, instance by instance."""
    return [event for instance_id in ("a", "b") for event in engine.history(instance_id)]


def forge(events: list[jw.Event], index: int, **changes: Any) -> list[jw.Event]:
    """The events with ``events[index]`` changed and it and its instance's later events re-hashed and relinked.

    What a forger with write access does: the chain stays intact, only the
    protocol can tell.
    """
    target = events[index].instance
    forged: list[jw.Event] = []
    head = ""
    for position, original in enumerate(events):
        if original.instance != target or position < index:
            forged.append(original)
            if original.instance == target:
                head = original.hash
            continue
        changed = attrs.evolve(original, **changes) if position == index else original
        prev = head or genesis_hash(changed.instance, changed.protocol, changed.version)
        event = seal(attrs.evolve(changed, prev_hash=prev))
        head = event.hash
        forged.append(event)
    return forged


def problems(report: jw.ReplayReport) -> list[tuple[ProblemKind, str | None, int | None]]:
    """The report's problems as (kind, instance, seq)."""
    return [(p.kind, p.instance, p.seq) for p in report.problems]


def test_a_clean_history_replays_to_the_engine_snapshots(engine: jw.Engine) -> None:
    """Replaying untouched events is ok and gives each instance's stored snapshot."""
    report = jw.replay(history(engine), [MOA])
    assert report.ok and report.problems == ()
    assert report.instances == {"a": engine.get("a"), "b": engine.get("b")}
    assert report.events == 8
    assert report.definitions == {("moa", 1): MOA.digest}


def test_replay_accepts_definitions_as_a_mapping(engine: jw.Engine) -> None:
    """The definitions may be a mapping, as load_definitions and load_all_versions return."""
    assert jw.replay(history(engine), {"moa": MOA}).ok
    assert jw.replay(history(engine), {MOA.key: MOA}).ok


def test_an_edited_event_is_a_hash_mismatch_at_its_seq(engine: jw.Engine) -> None:
    """Changing an event without re-hashing it is caught by its hash."""
    events = history(engine)
    events[2] = attrs.evolve(events[2], payload={"fields": ("robotics", "ai")})
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.HASH_MISMATCH, "a", 3)]
    assert "the event was edited" in report.problems[0].message
    assert report.instances["a"].seq == 2


def test_a_missing_event_is_a_gap(engine: jw.Engine) -> None:
    """A deleted event is reported at its seq as a gap."""
    events = history(engine)
    del events[1]
    assert problems(jw.replay(events, [MOA])) == [(ProblemKind.GAP, "a", 2)]


def test_a_repeated_event_is_a_duplicate_at_the_next_position(engine: jw.Engine) -> None:
    """A copy of event 2 after it is a duplicate at seq 3: events 1 and 2 stand."""
    events = history(engine)
    events.insert(2, events[1])
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.DUPLICATE, "a", 3)]
    assert "expected seq 3, found seq 2" in report.problems[0].message


def test_events_out_of_order_are_reordered(engine: jw.Engine) -> None:
    """Event 3 before event 2 is reported as reordered at seq 2."""
    events = history(engine)
    events[1], events[2] = events[2], events[1]
    assert problems(jw.replay(events, [MOA])) == [(ProblemKind.REORDERED, "a", 2)]


def test_a_relinked_event_is_a_broken_link(engine: jw.Engine) -> None:
    """An event re-hashed onto another predecessor does not follow the event before it."""
    events = history(engine)
    events[2] = seal(attrs.evolve(events[2], prev_hash=events[0].hash))
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.BROKEN_LINK, "a", 3)]
    assert "is not the hash of event 2" in report.problems[0].message


def test_a_first_event_not_on_the_genesis_hash_is_a_broken_link(engine: jw.Engine) -> None:
    """The start event must link to the genesis hash of its instance, protocol and version."""
    events = history(engine)
    events[0] = seal(attrs.evolve(events[0], prev_hash="0" * 64))
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.BROKEN_LINK, "a", 1)]
    assert "genesis hash" in report.problems[0].message


def test_an_unknown_protocol_version_is_reported(engine: jw.Engine) -> None:
    """Events of a version the auditor has no definition of cannot be checked."""
    report = jw.replay(history(engine), [attrs.evolve(MOA, version=2)])
    assert problems(report) == [(ProblemKind.UNKNOWN_VERSION, "a", 1), (ProblemKind.UNKNOWN_VERSION, "b", 1)]
    assert "protocol 'moa' version 1 is not among the definitions given" in report.problems[0].message
    assert report.to_json()["instances"]["a"] == {"verified": None, "problem": report.problems[0].to_json()}


def test_a_changed_definition_under_the_same_version_is_a_digest_mismatch(engine: jw.Engine) -> None:
    """Events recorded under another digest of the same version are flagged at their first event."""
    changed = moa_definition(title=T("MoA, revised"))
    report = jw.replay(history(engine), [changed])
    assert problems(report) == [(ProblemKind.DIGEST_MISMATCH, "a", 1), (ProblemKind.DIGEST_MISMATCH, "b", 1)]
    assert MOA.digest[:16] in report.problems[0].message and changed.digest[:16] in report.problems[0].message


def test_a_forged_trigger_unavailable_in_the_state_is_an_illegal_transition(engine: jw.Engine) -> None:
    """A re-hashed event firing 'sign' in the draft state is refused by the protocol."""
    events = forge(history(engine), 1, trigger="sign", kind="sign", target="signed")
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.ILLEGAL_TRANSITION, "a", 2)]
    assert "Trigger 'sign' is not available in state 'draft'" in report.problems[0].message


def test_a_forged_target_is_an_illegal_transition(engine: jw.Engine) -> None:
    """A re-hashed event that lands in another state than the protocol gives is flagged with the difference."""
    events = forge(history(engine), 1, target="signed")
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.ILLEGAL_TRANSITION, "a", 2)]
    assert "target 'defining', the log records 'signed'" in report.problems[0].message


def test_a_forged_role_is_unauthorized(engine: jw.Engine) -> None:
    """A re-hashed event by a role that may not fire the trigger is an unauthorized role."""
    events = forge(history(engine), 1, actor=CARL)
    assert problems(jw.replay(events, [MOA])) == [(ProblemKind.UNAUTHORIZED_ROLE, "a", 2)]


def test_a_forged_second_signature_by_the_same_role_is_unauthorized(engine: jw.Engine) -> None:
    """Signing twice as the same role is refused on replay too."""
    events = forge(history(engine), 4, actor=ANNA)
    assert problems(jw.replay(events, [MOA])) == [(ProblemKind.UNAUTHORIZED_ROLE, "a", 5)]


def test_a_forged_signature_without_the_required_fields_violates_the_guard(engine: jw.Engine) -> None:
    """Signing before the fields are defined breaks the 'requires' guard."""
    events = forge(history(engine), 2, trigger="sign", kind="sign", payload={}, actor=ANNA)
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.GUARD_VIOLATED, "a", 3)]
    assert "required field 'fields' is not set" in report.problems[0].message


def test_a_forged_payload_of_the_wrong_type_is_an_invalid_payload(engine: jw.Engine) -> None:
    """A payload value outside the field's choices is an invalid payload."""
    events = forge(history(engine), 2, payload={"fields": ("robotics",), "offer": "money"})
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.INVALID_PAYLOAD, "a", 3)]
    assert "'money' is not one of the choices" in report.problems[0].message


def test_an_instance_that_changes_version_midway_is_an_illegal_transition(engine: jw.Engine) -> None:
    """Every event of an instance runs under the version of its start event."""
    v2 = moa_definition(version=2)
    events = forge(history(engine), 2, version=2, digest=v2.digest)
    report = jw.replay(events, [MOA, v2])
    assert problems(report) == [(ProblemKind.ILLEGAL_TRANSITION, "a", 3)]
    assert "runs 'moa' version 1, but the event records 'moa' version 2" in report.problems[0].message


def test_each_instance_stops_at_its_first_problem_and_the_others_verify(engine: jw.Engine) -> None:
    """One problem per broken instance, at its first bad seq; the other instance is verified to its end."""
    events = history(engine)
    events[1] = attrs.evolve(events[1], at="2030-01-01T00:00:00+00:00")
    del events[3]
    report = jw.replay(events, [MOA])
    assert problems(report) == [(ProblemKind.HASH_MISMATCH, "a", 2)]
    assert report.instances["a"].seq == 1 and report.instances["b"] == engine.get("b")
    assert report.problem_of("b") is None


def test_expected_heads_catch_events_cut_off_at_the_end(engine: jw.Engine) -> None:
    """Without its last events a history is still a valid chain; the expected head finds it truncated."""
    heads = [Head.of(engine.get("a")), Head.of(engine.get("b"))]
    events = history(engine)[:3] + engine.history("b")
    assert jw.replay(events, [MOA]).ok
    report = jw.replay(events, [MOA], heads)
    assert problems(report) == [(ProblemKind.TRUNCATED, "a", 4)]
    assert "the expected head names seq 5, but the log ends at seq 3: events 4-5 are missing" in str(report)


def test_an_expected_head_the_log_has_grown_past_passes() -> None:
    """A head kept earlier is a point the chain must pass through: later events are fine."""
    engine = jw.Engine([MOA], clock=TickingClock())
    engine.start("moa", ANNA, instance_id="a")
    earlier = Head.of(engine.fire("a", "contact", ANNA))
    engine.fire("a", "define", ANNA, {"fields": ["ai"]})
    assert jw.replay(engine.history("a"), [MOA], {"a": earlier}).ok


def test_an_expected_head_with_another_hash_is_a_head_mismatch(engine: jw.Engine) -> None:
    """A head whose hash the chain does not have at that seq means the history was rewritten."""
    head = Head("a", 3, "f" * 64)
    report = jw.replay(history(engine), [MOA], [head])
    assert problems(report) == [(ProblemKind.HEAD_MISMATCH, "a", 3)]


def test_an_expected_head_of_an_instance_without_events_is_truncated_at_seq_one(engine: jw.Engine) -> None:
    """A head for an instance the log lacks entirely: everything from seq 1 is missing."""
    report = jw.replay(history(engine), [MOA], [Head("ghost", 2, "0" * 64)])
    assert problems(report) == [(ProblemKind.TRUNCATED, "ghost", 1)]
    assert "has no event of the instance" in report.problems[0].message


def test_a_rewritten_history_with_a_rewritten_head_needs_the_head_kept_elsewhere(engine: jw.Engine) -> None:
    """A forger who re-hashes a legal alternative and rewrites the log's head passes; the kept head does not."""
    kept = Head.of(engine.get("a"))
    events = forge(history(engine), 2, payload={"fields": ("ai",)}, at="2026-01-01T00:00:04+00:00")
    forged_heads = {"a": Head("a", 5, events[4].hash), "b": Head.of(engine.get("b"))}
    assert jw.replay(Log(events, heads=forged_heads), [MOA]).ok
    report = jw.replay(Log(events, heads=forged_heads), [MOA], [kept])
    assert problems(report) == [(ProblemKind.HEAD_MISMATCH, "a", 5)]


def test_a_log_needs_a_head_line_for_every_instance(engine: jw.Engine) -> None:
    """In a log with head lines, an instance without one is reported: its end could be cut unseen."""
    report = jw.replay(Log(history(engine), heads={"a": Head.of(engine.get("a"))}), [MOA])
    assert problems(report) == [(ProblemKind.MISSING_HEAD, "b", None)]


def test_a_log_head_before_the_end_is_a_head_mismatch_at_the_next_seq(engine: jw.Engine) -> None:
    """The log's own head names the last event: events after it were added."""
    a = engine.history("a")
    heads = {"a": Head("a", 3, a[2].hash), "b": Head.of(engine.get("b"))}
    report = jw.replay(Log(history(engine), heads=heads), [MOA])
    assert problems(report) == [(ProblemKind.HEAD_MISMATCH, "a", 4)]


def test_named_guards_are_evaluated_on_replay() -> None:
    """A definition's Python guards are passed to replay; one false on replay is a guard violation."""
    guarded = moa_definition(
        transitions=(*MOA.transitions[:1], attrs.evolve(MOA.transitions[1], guards=("small_team",)))
    )
    guards: Mapping[str, Any] = {"small_team": lambda context, actor: context.get("staff", 0) < 10}
    engine = jw.Engine([guarded], guards=guards, clock=TickingClock())
    engine.start("moa", ANNA, instance_id="g")
    engine.fire("g", "contact", ANNA)
    engine.fire("g", "define", ANNA, {"fields": ["ai"], "staff": 3})
    assert jw.replay(engine.history("g"), [guarded], guards=guards).ok
    stricter = {"small_team": lambda context, actor: context.get("staff", 0) < 2}
    assert problems(jw.replay(engine.history("g"), [guarded], guards=stricter)) == [
        (ProblemKind.GUARD_VIOLATED, "g", 3)
    ]
    with pytest.raises(jw.DefinitionError, match="named guard 'small_team' is not registered"):
        jw.replay(engine.history("g"), [guarded])


def test_embedded_definitions_are_used_only_for_versions_not_given(engine: jw.Engine) -> None:
    """A log's own definitions serve when the auditor has none; a differing one is flagged on its line."""
    events = history(engine)
    assert problems(jw.replay(Log(events, definitions=(MOA,)))) == []
    changed = moa_definition(title=T("MoA, revised"))
    report = jw.replay(Log(events, definitions=(changed,), definition_lines=(2,)), [MOA])
    assert problems(report) == [(ProblemKind.DIGEST_MISMATCH, None, None)]
    assert report.problems[0].line == 2
    assert "the log embeds 'moa' version 1 with digest" in report.problems[0].message


def test_the_report_reads_as_an_audit(engine: jw.Engine) -> None:
    """format() gives the verdict, the definitions, one line per instance and each problem."""
    events = history(engine)
    events[6] = attrs.evolve(events[6], actor=CARL)
    text = jw.replay(events, [MOA]).format()
    assert text.splitlines()[0] == "Audit of 8 events, 2 instances: FAILED: 1 problem"
    assert f"  moa v1 (digest {MOA.digest[:16]})" in text
    assert "ok    a: moa v1, events 1-5 verified, state 'signed'" in text
    assert (
        "FAIL  b: moa v1, events 1-1 verified, state 'draft'" in text
        and "first bad: seq 2, hash mismatch" in text
    )
    assert "  instance 'b', seq 2: hash mismatch: the recorded hash" in text


def test_the_report_as_json(engine: jw.Engine) -> None:
    """to_json() is JSON data: verdict, definitions, each instance's final state, problems by kind."""
    events = history(engine)
    del events[6]
    data = json.loads(json.dumps(jw.replay(events, [MOA]).to_json()))
    assert data["ok"] is False and data["events"] == 7
    assert data["definitions"] == [{"protocol": "moa", "version": 1, "digest": MOA.digest}]
    assert data["instances"]["a"]["verified"]["state"] == "signed"
    assert data["instances"]["a"]["verified"]["context"] == {
        "fields": ["robotics"],
        "offer": "internships",
        "staff": 3,
    }
    assert data["instances"]["b"]["problem"]["kind"] == "gap"
    assert data["problems"] == [
        {
            "kind": "gap",
            "instance": "b",
            "seq": 2,
            "line": None,
            "message": "event 2 is missing: the next event of the instance is seq 3",
        }
    ]


def test_problems_are_ordered_by_line_and_print_where_they_are() -> None:
    """A problem prints its line, instance and seq before its kind and message."""
    problem = jw.ReplayProblem(ProblemKind.GAP, "a", 4, "event 4 is missing", line=12)
    assert str(problem) == "line 12, instance 'a', seq 4: gap: event 4 is missing"
    assert (
        str(jw.ReplayProblem(ProblemKind.MALFORMED, None, None, "not JSON", 3))
        == "line 3: malformed: not JSON"
    )
    assert ProblemKind.UNKNOWN_VERSION.label == "unknown version"


def test_replay_reads_a_log_straight_from_an_export(engine: jw.Engine) -> None:
    """The log read back from an export replays like the engine's history, with line numbers."""
    buffer = io.BytesIO()
    jw.export_log(engine, buffer)
    data = bytearray(buffer.getvalue())
    data[data.index(b'"staff":3') + 8] = ord("4")
    report = jw.replay(jw.read_log(io.BytesIO(bytes(data))), [MOA])
    assert problems(report) == [(ProblemKind.HASH_MISMATCH, "a", 3)]
    assert report.problems[0].line == 4


def test_progress_is_reported_from_start_to_end() -> None:
    """replay calls progress(done, total) at the start, every PROGRESS_EVERY events, and at the end."""
    engine = jw.Engine([moa_definition()], clock=TickingClock())
    inst = engine.start("moa", actor=ANNA)
    engine.fire(inst.id, "contact", actor=ANNA)
    calls: list[tuple[int, int]] = []
    report = jw.replay(
        engine.history(inst.id), [moa_definition()], progress=lambda done, total: calls.append((done, total))
    )
    assert report.ok and calls == [(0, 2), (2, 2)]
