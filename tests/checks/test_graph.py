"""The state graph and data flow: reachability, and fields that may or must be set in each state."""

from __future__ import annotations

from typing import Any

from just_workflow import definition as d
from just_workflow.checks.graph import (
    fields_possibly_set,
    fields_surely_set,
    guaranteed_fields,
    moves,
    reachable_states,
    states_reaching,
)


def graph(*transitions: d.Transition, finals: tuple[str, ...] = ("end",), **changes: Any) -> d.Definition:
    """A definition over states a, b, c, d, end with the given transitions; every field is a str."""
    names = ("a", "b", "c", "d", "end")
    return d.Definition(
        protocol="graph",
        version=1,
        title=d.Text("Graph"),
        roles=(d.Role("r"),),
        states=tuple(d.State(name, final=name in finals) for name in names),
        initial="a",
        transitions=transitions,
        context=tuple(d.Field(name, d.FieldType.STR) for name in ("x", "y", "z")),
        **changes,
    )


def step(source: str, target: str | None, *inputs: str, optional: str = "", **changes: Any) -> d.Transition:
    """A transition taking ``inputs`` as required inputs and ``optional`` (comma-separated) as optional ones."""
    given = tuple(d.Input(name) for name in inputs)
    given += tuple(d.Input(name, required=False) for name in optional.split(",") if name)
    return d.Transition(f"{source}_to_{target}", (source,), ("r",), target, inputs=given, **changes)


def test_firing_roles_are_the_signers_of_a_signoff() -> None:
    """With a sign-off, the signers fire the transition; otherwise `by` does."""
    plain = d.Transition("t", ("a",), ("r", "s"), "b")
    signed = d.Transition("t", ("a",), (), "b", signoff=d.Signoff(("s", "q")))
    assert (plain.firing_roles, signed.firing_roles) == (("r", "s"), ("s", "q"))


def test_guaranteed_fields_are_required_inputs_and_the_fields_the_guard_reads() -> None:
    """Optional inputs are not guaranteed; requires and condition fields are (a guard passes only with them)."""
    transition = step(
        "a", "b", "x", optional="y", requires=("z",), conditions=(d.Condition("w", d.Op.EQ, "1"),)
    )
    assert guaranteed_fields(transition) == {"x", "z", "w"}


def test_moves_skip_final_sources_and_stay_without_target() -> None:
    """A final state accepts no trigger; a transition without `to` stays where it is."""
    definition = graph(d.Transition("t", ("a", "end"), ("r",)))
    assert [(source, target) for _, source, target in moves(definition)] == [("a", "a")]


def test_reachable_states_ignore_guards_and_follow_loops() -> None:
    """Every state some path of moves leads to from the initial state, guards or not."""
    definition = graph(step("a", "b", requires=("x",)), step("b", "a"), step("b", "c"), step("d", "end"))
    assert reachable_states(definition) == {"a", "b", "c"}


def test_states_reaching_goals() -> None:
    """The states from which a goal can be reached, goals included."""
    definition = graph(step("a", "b"), step("b", "end"), step("a", "c"), step("c", "c"), step("d", "a"))
    assert states_reaching(definition, ["end"]) == {"a", "b", "d", "end"}


def test_possibly_set_joins_alternative_paths() -> None:
    """On arrival, a field set on any path into the state may be set."""
    definition = graph(step("a", "b", "x"), step("a", "c", "y"), step("b", "d"), step("c", "d", optional="z"))
    possible = fields_possibly_set(definition)
    assert possible == {"a": set(), "b": {"x"}, "c": {"y"}, "d": {"x", "y", "z"}}


def test_possibly_set_goes_round_loops() -> None:
    """A field set later in a loop may be set when the loop comes back."""
    definition = graph(step("a", "b"), step("b", "c", "x"), step("c", "a"), step("b", None, "y"))
    assert fields_possibly_set(definition) == {"a": {"x", "y"}, "b": {"x", "y"}, "c": {"x", "y"}}


def test_possibly_set_skips_moves_whose_guard_can_never_pass() -> None:
    """A move whose guard reads a field never set sets nothing and arrives nowhere."""
    definition = graph(step("a", "b", "x", requires=("y",)), step("a", "c", "y", requires=("y",)))
    assert fields_possibly_set(definition) == {"a": set(), "c": {"y"}}


def test_surely_set_meets_alternative_paths() -> None:
    """On arrival, only the fields every path into the state set are sure."""
    definition = graph(
        step("a", "b", "x", "y"), step("a", "c", "x"), step("b", "d"), step("c", "d", optional="y")
    )
    assert fields_surely_set(definition) == {"a": set(), "b": {"x", "y"}, "c": {"x"}, "d": {"x"}}


def test_surely_set_through_a_loop_back_to_the_initial_state() -> None:
    """The initial state starts empty, so a loop back to it keeps nothing sure there."""
    definition = graph(step("a", "b", "x"), step("b", "c", "y"), step("c", "a"), step("c", "b"))
    assert fields_surely_set(definition) == {"a": set(), "b": {"x"}, "c": {"x", "y"}}


def test_surely_set_counts_what_the_guard_reads() -> None:
    """A guard passes only with the fields it reads set, so they are sure after the move."""
    condition = d.Condition("z", d.Op.NE, "no")
    definition = graph(
        step("a", "b", optional="x,z"), step("b", "c", requires=("x",), conditions=(condition,))
    )
    assert fields_surely_set(definition)["c"] == {"x", "z"}


def test_surely_set_includes_the_invariants_of_the_state() -> None:
    """The engine refuses any step breaking an invariant: while in the state, its fields are set."""
    invariant = d.Invariant("has_y", ("b",), requires=("y",), conditions=(d.Condition("z", d.Op.EQ, "1"),))
    definition = graph(step("a", "b", "x"), step("b", "c"), invariants=(invariant,))
    assert fields_surely_set(definition) == {"a": set(), "b": {"x", "y", "z"}, "c": {"x", "y", "z"}}
