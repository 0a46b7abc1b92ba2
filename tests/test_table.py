"""The compiled table: who may fire what from where, asked in one place."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from fixtures import ANNA, CARL, DORA, moa_definition
from just_workflow import definition as d
from just_workflow.events import Actor
from just_workflow.step import begin, options, step_with
from just_workflow.table import Table, compile_definition

TABLE = compile_definition(moa_definition())


def test_authorized_lists_the_candidates_a_role_may_fire() -> None:
    """`authorized` gives the transitions of a trigger from a state that a role may fire, none to others."""
    (define,) = TABLE.authorized("defining", "define", "department")
    assert define.source.trigger == "define"
    assert TABLE.authorized("defining", "define", "career_services") == ()
    assert TABLE.authorized("draft", "define", "sme") == ()  # not a trigger of that state


def test_a_signoff_is_fired_by_its_signers() -> None:
    """A sign-off's signers are the roles that may fire it."""
    assert TABLE.roles_for("defining", "sign") == ["department", "sme"]
    assert TABLE.roles_for("defining", "decline") == ["career_services"]
    assert TABLE.roles_for("signed", "sign") == []


def test_options_judge_as_step_does() -> None:
    """An option is allowed exactly when step, given the inputs, accepts the trigger; its reasons are step's."""
    instance, _ = begin(TABLE, "i", ANNA, "2026-01-01T00:00:00+00:00")
    instance, _ = step_with(TABLE, instance, "contact", ANNA, {}, "2026-01-01T00:00:01+00:00")
    seen = {option.trigger: option for option in options(TABLE, instance, CARL)}
    assert seen["decline"].allowed and not seen["define"].allowed
    assert seen["define"].reasons == (
        "role 'career_services' may not fire it; roles that may: department, sme",
    )
    signing = {option.trigger: option for option in options(TABLE, instance, DORA)}["sign"]
    assert signing.reasons == ("required field 'fields' is not set",)
    assert signing.pending == ("sme", "department")


def _gates_table() -> Table:
    """Required fields, conditions and a named guard on one transition, an invariant on its target: each can fail alone."""
    definition = d.Definition(
        protocol="gates",
        version=1,
        title=d.Text("One guarded move"),
        roles=(d.Role("owner", open=True),),
        states=(d.State("shut"), d.State("open")),
        initial="shut",
        context=(d.Field("budget", d.FieldType.INT), d.Field("note", d.FieldType.STR)),
        transitions=(
            d.Transition(
                "go",
                ("shut",),
                ("owner",),
                "open",
                requires=("note",),
                conditions=(d.Condition("budget", d.Op.GE, 1), d.Condition("note", d.Op.NE, "stop")),
                guards=("owner_is_ada",),
            ),
        ),
        invariants=(
            d.Invariant(
                "funded", ("open",), requires=("note",), conditions=(d.Condition("budget", d.Op.GT, 0),)
            ),
        ),
    )
    return compile_definition(definition, {"owner_is_ada": lambda context, actor: actor.id == "ada"})


@given(
    st.fixed_dictionaries(
        {},
        optional={"budget": st.integers(-2, 2), "note": st.sampled_from(["go", "stop"])},
    ),
    st.sampled_from(["ada", "bob"]),
)
def test_guards_hold_exactly_when_there_is_no_reason_against(context: dict[str, Any], actor_id: str) -> None:
    """The passing fire's quick verdict agrees with the reasons a refusal gives, guard by guard."""
    (move,) = _gates_table().authorized("shut", "go", "owner")
    actor = Actor(actor_id, "owner")
    assert move.guards_hold(context, actor) == (not move.guard_reasons(context, actor))


@given(
    st.fixed_dictionaries(
        {},
        optional={"budget": st.integers(-2, 2), "note": st.sampled_from(["go", "stop"])},
    )
)
def test_an_invariant_holds_exactly_when_nothing_violates_it(context: dict[str, Any]) -> None:
    """The passing fire's quick verdict on an invariant agrees with the violations a refusal lists."""
    (invariant,) = _gates_table().invariants["open"]
    assert invariant.holds(context) == (not invariant.violations(context))
