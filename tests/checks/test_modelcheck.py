"""The model checker: the bundled definitions pass; each kind of finding comes with its shortest trace; bounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import just_workflow as jw
from fixtures import BUNDLED, moa_definition, with_transition
from just_workflow import definition as d
from just_workflow.checks import modelcheck
from just_workflow.checks.modelcheck import ModelCheckReport, ModelFinding, explore, model_check
from just_workflow.checks.trace import Trace
from just_workflow.cli import main
from just_workflow.formats.document import definition_to_document
from just_workflow.step import begin, step
from just_workflow.table import compile_definition
from just_workflow.testing.strategies import definitions, walks


def moa(**changes: Any) -> jw.Definition:
    """The small MoA protocol where `define` sets only `fields`; `abroad` and `score` are for the tests to use."""
    context = (
        d.Field("fields", d.FieldType.LIST_STR, min_items=1),
        d.Field("abroad", d.FieldType.BOOL),
        d.Field("score", d.FieldType.INT),
    )
    base = with_transition(moa_definition(context=context), "define", inputs=(d.Input("fields"),))
    return attrs.evolve(base, **changes)


def plus(
    definition: jw.Definition, *transitions: d.Transition, states: tuple[d.State, ...] = ()
) -> jw.Definition:
    """``definition`` with more transitions and states."""
    return attrs.evolve(
        definition, transitions=definition.transitions + transitions, states=definition.states + states
    )


def only(report: ModelCheckReport, code: str) -> ModelFinding:
    """The one finding of the report, which has ``code``."""
    assert [f.code for f in report.findings] == [code], "\n".join(map(str, report.findings))
    return report.findings[0]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.stem)
def test_every_bundled_definition_passes(path: Path) -> None:
    """Each bundled protocol: complete exploration, no finding, every invariant proven."""
    definition = jw.load_definition(path)
    report = model_check(definition)
    assert report.ok, "\n".join(str(finding) for finding in report.findings)
    assert report.states > len(definition.final_states())
    assert report.invariants == tuple(invariant.name for invariant in definition.invariants)


def test_the_small_protocol_passes_and_says_how_big_it_was() -> None:
    """A sound definition: ok, with its size, its time and the invariants proven."""
    report = model_check(moa())
    assert report.ok and not report.bounded
    assert (report.states, report.invariants) == (8, ("no_moa_without_fields",))
    assert report.summary().startswith("moa v1: 8 abstract states, ")
    assert report.summary().endswith(" s: ok")


def test_an_invariant_a_transition_can_break_comes_with_the_shortest_trace() -> None:
    """sign without `requires`: the finding names sign, the trace is the shortest run, the last step refused."""
    report = model_check(with_transition(moa(), "sign", requires=()))
    finding = only(report, "invariant-broken")
    assert (finding.trigger, finding.invariant, finding.path) == (
        "sign",
        "no_moa_without_fields",
        "$.transitions[2]",
    )
    assert finding.trace is not None
    assert finding.trace.triggers() == ("contact", "sign", "sign")
    assert finding.trace.format().splitlines() == [
        "  0. anna (sme) starts : draft",
        "  1. anna (sme) contact {} : draft -> defining",
        "  2. anna (sme) sign {} : defining -> defining  (signed; waiting for department)",
        "  3. ben (department) sign {} : defining -> signed, refused: invariant 'no_moa_without_fields' "
        "would be broken: field 'fields' is not set",
    ]
    assert "while field 'fields' is not set" in finding.message
    assert report.invariants == ()


def test_an_invariant_broken_at_the_start_is_found() -> None:
    """An invariant of the initial state that an empty context breaks."""
    definition = moa(invariants=(d.Invariant("fields_first", ("draft",), ("fields",)),))
    finding = only(model_check(definition), "invariant-broken")
    assert finding.message.startswith("Invariant 'fields_first' is broken at the start")
    assert finding.trace == Trace(jw.Actor("anna", "sme"), "draft")


def test_a_state_with_no_way_out_is_a_trap_with_the_run_to_it() -> None:
    """A non-final state without transitions: a trap, and the trace ends with the trigger that leads there."""
    definition = plus(
        moa(), d.Transition("put_on_hold", ("defining",), ("sme",), "on_hold"), states=(d.State("on_hold"),)
    )
    finding = only(model_check(definition), "trap-state")
    assert (finding.state, finding.trigger, finding.path) == ("on_hold", "put_on_hold", "$.states.on_hold")
    assert "no transition can fire there" in finding.message
    assert finding.trace is not None and finding.trace.triggers() == ("contact", "put_on_hold")


def test_a_cycle_without_an_exit_is_a_trap() -> None:
    """Moves that only go round among non-final states trap the run too."""
    definition = plus(
        moa(),
        d.Transition("pause", ("defining",), ("sme",), "paused"),
        d.Transition("nudge", ("paused",), ("sme",), "waiting"),
        d.Transition("nudge_back", ("waiting",), ("sme",), "paused"),
        states=(d.State("paused"), d.State("waiting")),
    )
    findings = model_check(definition).findings
    assert [(f.code, f.state) for f in findings] == [("trap-state", "paused"), ("trap-state", "waiting")]
    assert "only lead to states that never reach a final state" in findings[0].message


def test_a_trap_that_depends_on_an_input_value_is_found() -> None:
    """The only exit needs abroad=true: a run that gave abroad=false is trapped, and its payload shows it."""
    definition = moa(
        transitions=(
            d.Transition("contact", ("draft",), ("sme",), "defining", inputs=(d.Input("abroad"),)),
            d.Transition(
                "sign",
                ("defining",),
                ("sme",),
                "signed",
                conditions=(d.Condition("abroad", d.Op.EQ, True),),
                inputs=(d.Input("fields"),),
            ),
        ),
        states=(d.State("draft"), d.State("defining"), d.State("signed", final=True)),
    )
    finding = only(model_check(definition), "trap-state")
    assert finding.trace is not None
    assert [dict(s.payload) for s in finding.trace.steps] == [{"abroad": False}]


def test_a_transition_whose_guards_never_pass_is_dead() -> None:
    """Contradictory conditions: the transition can never fire, and the first refusal says why."""
    conditions = (d.Condition("score", d.Op.GE, 5), d.Condition("score", d.Op.LE, 3))
    definition = plus(
        moa(), d.Transition("fast_track", ("defining",), ("sme",), "signed", (d.Input("score"),), ("fields",))
    )
    definition = with_transition(definition, "fast_track", conditions=conditions)
    finding = only(model_check(definition), "dead-transition")
    assert (finding.trigger, finding.state, finding.path) == (
        "fast_track",
        "defining",
        "$.transitions[4].from[0]",
    )
    assert "its guards never pass there; the first refusal: Cannot fire 'fast_track'" in finding.message


def test_a_transition_out_of_a_final_state_is_dead() -> None:
    """A final state accepts no trigger: a transition declared from it never fires."""
    definition = plus(moa(), d.Transition("reopen", ("signed",), ("sme",), "defining"))
    finding = only(model_check(definition), "dead-transition")
    assert (finding.trigger, finding.state) == ("reopen", "signed")
    assert "'signed' is final: a final state accepts no trigger" in finding.message


def test_a_signoff_that_needs_one_role_twice_never_completes() -> None:
    """all_of lists sme twice: sme signs once, the sign-off never completes, `signed` is never reached."""
    definition = with_transition(moa(), "sign", by=("sme", "sme"), signoff=d.Signoff(("sme", "sme")))
    report = model_check(definition)
    assert [(f.code, f.trigger or f.state) for f in report.findings] == [
        ("dead-transition", "sign"),
        ("unreachable-state", "signed"),
    ]
    assert (
        "`signoff.all_of` lists 'sme' more than once, but each role signs once" in report.findings[0].message
    )


def test_named_guards_are_assumed_to_pass_and_listed() -> None:
    """The checker cannot run Python guards: it explores as if they pass, and says which it assumed."""
    report = model_check(with_transition(moa(), "sign", guards=("budget_approved",)))
    assert report.ok
    assert report.assumed_guards == ("budget_approved",)


def test_the_exploration_stops_at_max_states_and_says_so() -> None:
    """Hitting the bound: bounded, not ok, only the findings that are certain, and the summary says so."""
    report = model_check(
        plus(moa(), d.Transition("pause", ("defining",), ("sme",), "paused"), states=(d.State("paused"),)),
        max_states=3,
    )
    assert (report.states, report.bounded, report.ok, report.findings) == (3, True, False, ())
    assert report.invariants == ()
    assert "stopped at --max-states 3: the exploration is incomplete" in report.summary()


def test_progress_is_reported_for_a_long_exploration(monkeypatch: pytest.MonkeyPatch) -> None:
    """The callback hears the number of states explored and discovered, every PROGRESS_EVERY states."""
    monkeypatch.setattr(modelcheck, "PROGRESS_EVERY", 2)
    heard: list[tuple[int, int]] = []
    model_check(moa(), progress=lambda explored, discovered: heard.append((explored, discovered)))
    assert [explored for explored, _ in heard] == [2, 4, 6, 8]
    assert all(explored <= discovered for explored, discovered in heard)


def replay(definition: jw.Definition, trace: Trace) -> tuple[jw.Instance, jw.WorkflowError | None]:
    """Run ``trace`` on an engine: the snapshot reached and the refusal of the step that was refused, if any."""
    engine = jw.Engine([definition])
    instance = engine.start(definition.protocol, trace.starter)
    for number, move in enumerate(trace.steps, 1):
        try:
            instance = engine.fire(instance.id, move.trigger, move.actor, move.payload)
        except jw.WorkflowError as refusal:
            assert number == len(trace.steps), f"step {number} refused: {refusal}"
            return instance, refusal
        assert instance.state == move.target
    return instance, None


@given(definitions())
def test_every_counterexample_replays_on_the_engine(definition: jw.Definition) -> None:
    """An invariant trace ends with the engine refusing for that invariant; a trap trace reaches the trap."""
    for finding in model_check(definition).findings:
        if finding.trace is None:
            continue
        instance, refusal = replay(definition, finding.trace)
        if finding.code == "trap-state":
            assert (instance.state, refusal) == (finding.state, None)
        elif finding.trace.steps:
            assert isinstance(refusal, jw.GuardFailed)
            assert f"invariant '{finding.invariant}' would be broken" in str(refusal)


def coarse(instance: jw.Instance) -> tuple[str, frozenset[str], frozenset[tuple[str, frozenset[str]]]]:
    """A state as the checker tells them apart, without the values: state, fields set, signatures."""
    signatures = frozenset((t, frozenset(roles)) for t, roles in instance.signatures.items())
    return instance.state, frozenset(instance.context), signatures


@given(definitions().flatmap(lambda definition: st.tuples(st.just(definition), walks(definition))))
def test_whatever_a_walk_reaches_the_checker_explored(case: tuple[jw.Definition, Any]) -> None:
    """Every state of a random walk is among the explored ones, and no step of it fires a dead transition."""
    definition, walk = case
    exploration = explore(definition)
    explored = {coarse(node) for node in exploration.nodes}
    dead = {(f.trigger, f.state) for f in exploration.findings() if f.code == "dead-transition"}
    table = compile_definition(definition)
    instance, _ = begin(table, "walk", walk.starter, "2026-01-01T00:00:00+00:00", seal=False)
    assert coarse(instance) in explored
    for command in walk.commands:
        source = instance.state
        instance, event = step(table, instance, command, "now", seal=False)
        assert coarse(instance) in explored
        completed = event.kind != "sign" or instance.state != source  # a signature alone is not a firing
        assert not completed or (command.trigger, source) not in dead


# -- `just-workflow check`: the model check after the static checks ------------------------------------


def write(folder: Path, definition: jw.Definition) -> Path:
    """``definition`` as a JSON file in ``folder``."""
    path = folder / f"{definition.protocol}.json"
    path.write_text(json.dumps(definition_to_document(definition)), encoding="utf-8")
    return path


def test_check_prints_a_model_finding_with_its_trace_and_exits_1(tmp_path: Path) -> None:
    """A trap only the model check sees (it depends on a value): an error line, then the numbered run."""
    definition = moa(
        transitions=(
            d.Transition("contact", ("draft",), ("sme",), "defining", inputs=(d.Input("abroad"),)),
            d.Transition(
                "sign", ("defining",), ("sme",), "signed", conditions=(d.Condition("abroad", d.Op.EQ, True),)
            ),
        ),
        states=(d.State("draft"), d.State("defining"), d.State("signed", final=True)),
        context=(d.Field("abroad", d.FieldType.BOOL),),
        roles=(d.Role("sme"),),
        invariants=(),
    )
    path = write(tmp_path, definition)
    result = CliRunner().invoke(main, ["check", str(path)])
    assert result.exit_code == 1, result.output
    assert f"{path}: ERROR trap-state $.states.defining: A run can reach 'defining'" in result.output
    assert '    1. anna (sme) contact {"abroad": false} : draft -> defining' in result.output


def test_check_verbose_prints_each_model_check(tmp_path: Path) -> None:
    """-v: one line per definition with its abstract states, moves and time."""
    result = CliRunner().invoke(main, ["check", "-v", str(write(tmp_path, moa()))])
    assert result.exit_code == 0, result.output
    assert "moa v1: 8 abstract states, " in result.output


def test_check_says_when_max_states_stopped_the_model_check(tmp_path: Path) -> None:
    """A bound hit is a warning: exit 0, or 1 with --strict."""
    path = str(write(tmp_path, moa()))
    result = CliRunner().invoke(main, ["check", "--max-states", "3", path])
    assert "WARNING model-check-incomplete $: The model check stopped at --max-states 3" in result.output
    assert result.exit_code == 0
    assert CliRunner().invoke(main, ["check", "--strict", "--max-states", "3", path]).exit_code == 1


def test_check_shows_a_progress_bar_for_a_long_model_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long exploration shows a labelled progress bar on stderr."""
    monkeypatch.setattr(modelcheck, "PROGRESS_EVERY", 2)
    result = CliRunner().invoke(main, ["check", str(write(tmp_path, moa()))])
    assert "Model checking moa" in result.stderr


def test_max_states_bounds_the_commands_of_many_optional_inputs() -> None:
    """24 optional inputs make 3**24 payloads for one move: made one at a time, the bound stops them.

    Where the moves succeed, the states bound the exploration; where every one is refused (here by an
    invariant), the steps made do: at most STEPS_PER_STATE per state allowed.
    """
    fields = tuple(d.Field(f"note_{number}", d.FieldType.BOOL) for number in range(24))
    inputs = tuple(d.Input(field.name, required=False) for field in fields)
    for target, states in (("declined", None), ("signed", 1)):  # no invariant in declined; one in signed
        annotate = d.Transition("annotate", ("draft",), ("sme",), target, inputs=inputs)
        wide = moa(context=(*moa().context, *fields), transitions=(annotate,))
        for bound in (1, 5):
            exploration = explore(wide, max_states=bound)
            assert exploration.bounded
            assert len(exploration.nodes) == (states or bound)
            assert exploration.steps <= bound * modelcheck.STEPS_PER_STATE + 1
        assert "stopped at --max-states 5" in model_check(wide, max_states=5).summary()


def test_max_states_bounds_the_steps_of_thousands_of_candidates() -> None:
    """500 variants of one move, told apart by an input, all refused (an invariant of `signed`): each payload is
    tried on every candidate (250,000 steps), and the bound stops the exploration at STEPS_PER_STATE per state."""
    variant = d.Field("variant", d.FieldType.INT)
    variants = tuple(
        d.Transition(
            "go",
            ("draft",),
            ("sme",),
            "signed",
            inputs=(d.Input("variant"),),
            conditions=(d.Condition("variant", d.Op.EQ, number),),
        )
        for number in range(500)
    )
    exploration = explore(moa(context=(variant,), transitions=variants), max_states=2)
    assert (exploration.bounded, len(exploration.nodes)) == (True, 1)
    assert exploration.steps == 2 * modelcheck.STEPS_PER_STATE + 1
