"""Value sets of conditions: what a condition admits, when two exclude each other, when one implies another.

The findings of the analyses are tested through ``check`` in test_validation.py.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from just_workflow import definition as d
from just_workflow.checks.analysis import (
    AllBut,
    Finite,
    Interval,
    admitted_values,
    disjoint,
    guards_exclusive,
    implies,
    included,
)

FIELDS = {
    "name": d.Field("name", d.FieldType.STR),
    "level": d.Field("level", d.FieldType.STR, choices=("basic", "advanced", "expert")),
    "count": d.Field("count", d.FieldType.INT),
    "abroad": d.Field("abroad", d.FieldType.BOOL),
    "start": d.Field("start", d.FieldType.DATE),
    "tags": d.Field("tags", d.FieldType.LIST_STR),
}


def admitted(field: str, op: d.Op, value: Any) -> object:
    """The value set of a condition on one of FIELDS."""
    return admitted_values(d.Condition(field, op, value), FIELDS[field])


def day(text: str) -> int:
    """A date as the day number value sets use."""
    return datetime.date.fromisoformat(text).toordinal()


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("name", d.Op.EQ, "a", Finite(frozenset({"a"}))),
        ("name", d.Op.NOT_IN, ("a", "b"), AllBut(frozenset({"a", "b"}))),
        ("level", d.Op.NE, "basic", Finite(frozenset({"advanced", "expert"}))),
        ("abroad", d.Op.NE, True, Finite(frozenset({False}))),
        ("count", d.Op.GT, 3, Interval(4, None)),
        ("count", d.Op.LE, 3, Interval(None, 3)),
        ("count", d.Op.IN, [1, 2], Finite(frozenset({1, 2}))),
        ("start", d.Op.LT, "2024-03-01", Interval(None, day("2024-02-29"))),
        ("start", d.Op.EQ, "2024-03-01", Finite(frozenset({day("2024-03-01")}))),
        ("tags", d.Op.CONTAINS, "a", None),
        ("tags", d.Op.EQ, ("a",), None),
    ],
)
def test_admitted_values(field: str, op: d.Op, value: Any, expected: object) -> None:
    """Equalities give finite sets, negations their complement (finite on a finite domain), comparisons ranges."""
    assert admitted(field, op, value) == expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (Finite(frozenset({1})), Finite(frozenset({2})), True),
        (Finite(frozenset({1, 2})), Finite(frozenset({2})), False),
        (Finite(frozenset({1})), AllBut(frozenset({1, 2})), True),
        (AllBut(frozenset({1})), Finite(frozenset({1, 3})), False),
        (Finite(frozenset({1, 2})), Interval(3, None), True),
        (Interval(None, 0), Finite(frozenset({0})), False),
        (Interval(None, 2), Interval(3, 9), True),
        (Interval(None, 3), Interval(3, 9), False),
        (AllBut(frozenset({1})), AllBut(frozenset({2})), False),
        (AllBut(frozenset({1})), Interval(1, 1), False),
    ],
)
def test_disjoint(first: Any, second: Any, expected: bool) -> None:
    """Disjointness is shown where it can be; an unbounded complement never is."""
    assert disjoint(first, second) is expected
    assert disjoint(second, first) is expected


@pytest.mark.parametrize(
    ("inner", "outer", "expected"),
    [
        (Finite(frozenset({1})), Finite(frozenset({1, 2})), True),
        (Finite(frozenset({1, 3})), Finite(frozenset({1, 2})), False),
        (Finite(frozenset({3})), AllBut(frozenset({1, 2})), True),
        (Finite(frozenset({3, 5})), Interval(3, 5), True),
        (AllBut(frozenset({1, 2})), AllBut(frozenset({1})), True),
        (AllBut(frozenset({1})), AllBut(frozenset({1, 2})), False),
        (Interval(5, None), AllBut(frozenset({1, 2})), True),
        (Interval(5, None), Interval(1, None), True),
        (Interval(None, 5), Interval(1, None), False),
        (Interval(1, 2), Finite(frozenset({1, 2})), False),
    ],
)
def test_included(inner: Any, outer: Any, expected: bool) -> None:
    """Inclusion is shown where it can be; anything else counts as not included."""
    assert included(inner, outer) is expected


COMPARISONS = st.sampled_from([d.Op.EQ, d.Op.GT, d.Op.GE, d.Op.LT, d.Op.LE])


@given(op_a=COMPARISONS, a=st.integers(-5, 5), op_b=COMPARISONS, b=st.integers(-5, 5))
def test_integer_conditions_are_disjoint_exactly_when_no_integer_satisfies_both(
    op_a: d.Op, a: int, op_b: d.Op, b: int
) -> None:
    """On integers, disjointness of eq and comparisons is exact (checked on a window around the bounds)."""
    first, second = admitted("count", op_a, a), admitted("count", op_b, b)
    assert isinstance(first, Finite | Interval) and isinstance(second, Finite | Interval)
    common = [n for n in range(-20, 21) if holds(op_a, n, a) and holds(op_b, n, b)]
    assert disjoint(first, second) is (not common)


def holds(op: d.Op, actual: int, expected: int) -> bool:
    """The condition ``actual op expected`` on integers, as the engine evaluates it."""
    return {
        d.Op.EQ: actual == expected,
        d.Op.GT: actual > expected,
        d.Op.GE: actual >= expected,
        d.Op.LT: actual < expected,
        d.Op.LE: actual <= expected,
    }[op]


def transition(*conditions: d.Condition, inputs: tuple[str, ...] = ()) -> d.Transition:
    """A transition with these conditions and inputs."""
    return d.Transition(
        "t", ("a",), ("r",), "b", inputs=tuple(d.Input(name) for name in inputs), conditions=conditions
    )


def definition() -> d.Definition:
    """A definition declaring FIELDS."""
    return d.Definition(
        protocol="p",
        version=1,
        title=d.Text("P"),
        roles=(d.Role("r"),),
        states=(d.State("a"), d.State("b", final=True)),
        initial="a",
        transitions=(),
        context=tuple(FIELDS.values()),
    )


def test_guards_exclusive_on_one_field_among_others() -> None:
    """One pair of disjoint conditions on a field is enough, whatever the other conditions."""
    first = transition(d.Condition("name", d.Op.EQ, "x"), d.Condition("count", d.Op.GE, 3))
    second = transition(d.Condition("count", d.Op.LT, 3), d.Condition("name", d.Op.EQ, "x"))
    assert guards_exclusive(definition(), first, second)
    assert not guards_exclusive(definition(), first, transition(d.Condition("count", d.Op.GE, 0)))


def test_guards_are_exclusive_only_when_the_field_reaches_both_the_same_way() -> None:
    """A field one transition takes as input and the other does not proves nothing."""
    accept, reject = d.Condition("level", d.Op.EQ, "basic"), d.Condition("level", d.Op.EQ, "expert")
    assert guards_exclusive(
        definition(), transition(accept, inputs=("level",)), transition(reject, inputs=("level",))
    )
    assert not guards_exclusive(definition(), transition(accept, inputs=("level",)), transition(reject))


def test_implies() -> None:
    """A condition implies another when the values it admits are all admitted by the other."""
    at_least_five = d.Condition("count", d.Op.GE, 5)
    assert implies(definition(), at_least_five, d.Condition("count", d.Op.GT, 1))
    assert not implies(definition(), d.Condition("count", d.Op.GT, 1), at_least_five)
    assert implies(
        definition(), d.Condition("level", d.Op.EQ, "basic"), d.Condition("level", d.Op.NE, "expert")
    )
    assert not implies(definition(), at_least_five, d.Condition("name", d.Op.EQ, "x"))
    tagged = d.Condition("tags", d.Op.CONTAINS, "a")
    assert implies(definition(), tagged, tagged)
    assert not implies(definition(), tagged, d.Condition("tags", d.Op.CONTAINS, "b"))
