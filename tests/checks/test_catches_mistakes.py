"""Proof that the test kit catches real mistakes: bundled definitions, broken one mistake at a time.

Each mistake is made in both MoA protocols. The model checker must report a
finding that names the offending trigger (its trace, when it has one, ends
with it), and the property test must fail with a trace whose last step is
that trigger. A named Python guard that always refuses is invisible to the
model checker (it assumes guards may pass): the property test finds it.

"A role that may sign twice" is made as a sign-off that lists one role
twice: the protocol needs that role to sign twice, which the engine never
allows, so the memorandum can never be signed.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

import just_workflow as jw
from fixtures import DEFINITIONS
from just_workflow import definition as d
from just_workflow.testing import ProtocolViolation, run_protocol_test

PROTOCOLS = ["sme_approaching_hei", "hei_approaching_sme"]
FIELDS = "fields_of_collaboration"


def load(protocol: str) -> jw.Definition:
    """A bundled definition."""
    return jw.load_definition(DEFINITIONS / f"{protocol}.yaml")


def starter(definition: jw.Definition) -> tuple[str, ...]:
    """The role that starts the protocol, as a `by`."""
    return (definition.start_by[0],)


def sign_moa_without_the_fields(definition: jw.Definition) -> jw.Definition:
    """No transition requires the fields of collaboration, and no invariant but `no_moa_without_fields` does."""
    transitions = tuple(
        attrs.evolve(t, requires=tuple(f for f in t.requires if f != FIELDS)) for t in definition.transitions
    )
    invariants = tuple(
        i
        if i.name == "no_moa_without_fields"
        else attrs.evolve(i, requires=tuple(f for f in i.requires if f != FIELDS))
        for i in definition.invariants
    )
    return attrs.evolve(definition, transitions=transitions, invariants=invariants)


def a_state_with_no_way_out(definition: jw.Definition) -> jw.Definition:
    """A new state `on_hold`, entered from `defining`, left by nothing."""
    hold = d.Transition("put_on_hold", ("defining",), starter(definition), "on_hold")
    return attrs.evolve(
        definition,
        states=(*definition.states, d.State("on_hold")),
        transitions=(*definition.transitions, hold),
    )


def a_role_that_must_sign_twice(definition: jw.Definition) -> jw.Definition:
    """The sign-off of `sign_moa` lists its first signer twice."""
    signer = next(t for t in definition.transitions if t.trigger == "sign_moa").by[0]
    twice = (signer, signer)
    transitions = tuple(
        attrs.evolve(t, by=twice, signoff=d.Signoff(twice)) if t.trigger == "sign_moa" else t
        for t in definition.transitions
    )
    return attrs.evolve(definition, transitions=transitions)


def a_transition_out_of_a_final_state(definition: jw.Definition) -> jw.Definition:
    """`reopen` from the final `moa_expired` back to `defining`."""
    reopen = d.Transition("reopen", ("moa_expired",), starter(definition), "defining")
    return attrs.evolve(definition, transitions=(*definition.transitions, reopen))


def an_invariant_broken_by_one_path(definition: jw.Definition) -> jw.Definition:
    """`fast_track` from `contacted` straight to `agreement_drafted`, skipping the definition of the collaboration."""
    fast = d.Transition("fast_track", ("contacted",), starter(definition), "agreement_drafted")
    return attrs.evolve(definition, transitions=(*definition.transitions, fast))


MISTAKES: list[tuple[Callable[[jw.Definition], jw.Definition], str, str]] = [
    (sign_moa_without_the_fields, "sign_moa", "invariant-broken"),
    (a_state_with_no_way_out, "put_on_hold", "trap-state"),
    (a_role_that_must_sign_twice, "sign_moa", "dead-transition"),
    (a_transition_out_of_a_final_state, "reopen", "dead-transition"),
    (an_invariant_broken_by_one_path, "fast_track", "invariant-broken"),
]
CASES = [(protocol, *mistake) for protocol in PROTOCOLS for mistake in MISTAKES]
IDS = [f"{protocol}-{mistake.__name__}" for protocol, mistake, _, _ in CASES]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_the_unbroken_definitions_pass_both(protocol: str) -> None:
    """Before any mistake, the model checker and the property test both pass."""
    definition = load(protocol)
    assert jw.model_check(definition).ok
    run_protocol_test(definition)


@pytest.mark.parametrize(("protocol", "mistake", "trigger", "code"), CASES, ids=IDS)
def test_the_model_checker_names_the_offending_trigger(
    protocol: str, mistake: Callable[[jw.Definition], jw.Definition], trigger: str, code: str
) -> None:
    """A finding of the expected kind names the trigger; its trace, if any, ends with it."""
    report = jw.model_check(mistake(load(protocol)))
    assert not report.ok
    finding = next(f for f in report.findings if f.code == code)
    assert finding.trigger == trigger, str(finding)
    if finding.trace is not None:
        assert finding.trace.steps[-1].trigger == trigger, str(finding)


@pytest.mark.parametrize(("protocol", "mistake", "trigger", "code"), CASES, ids=IDS)
def test_the_property_test_names_the_offending_trigger(
    protocol: str, mistake: Callable[[jw.Definition], jw.Definition], trigger: str, code: str
) -> None:
    """The property test fails, and the last step of its trace is the trigger."""
    with pytest.raises(ProtocolViolation) as failure:
        run_protocol_test(mistake(load(protocol)))
    assert failure.value.trace is not None
    assert failure.value.trace.steps[-1].trigger == trigger, str(failure.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_named_guard_that_always_refuses_is_found_by_the_property_test_only(protocol: str) -> None:
    """The model checker assumes the guard may pass; the property test sees it never does."""
    definition = load(protocol)
    transitions = tuple(
        attrs.evolve(t, guards=("budget_approved",)) if t.trigger == "draft_agreement" else t
        for t in definition.transitions
    )
    guarded = attrs.evolve(definition, transitions=transitions)
    report = jw.model_check(guarded)
    assert report.ok and report.assumed_guards == ("budget_approved",)
    with pytest.raises(ProtocolViolation, match="Named guard 'budget_approved' refused all") as failure:
        run_protocol_test(guarded, guards={"budget_approved": lambda _context, _actor: False})
    assert "(draft_agreement) never fired at run time" in failure.value.message
    assert failure.value.trace is not None
    assert failure.value.trace.steps[-1].trigger == "draft_agreement"
