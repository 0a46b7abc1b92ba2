"""What the diagram tests draw, as fixtures: a protocol, a run of it, and a picture made by hand.

The protocol is a small MoA with Slovak titles, Mermaid and dot syntax in a state's title, a
transition that stays, a sign-off and a transition from two states guarded
by conditions and a named guard: every kind of label an arrow can have.
"""

from __future__ import annotations

import pytest

import just_workflow as jw
from fixtures import ANNA, DORA
from just_workflow import definition as d
from just_workflow.diagrams.model import Arrow, Node, Picture, Style

MOA = d.Definition(
    protocol="moa",
    version=1,
    title=d.Text("Memorandum", sk="Memorandum o spolupráci"),
    roles=(d.Role("sme"), d.Role("department")),
    states=(
        d.State("draft", d.Text("Draft", sk="Koncept")),
        d.State("defining", d.Text('The "fields": defined; checked')),
        d.State("signed", d.Text("Signed"), final=True),
    ),
    initial="draft",
    context=(
        d.Field("fields", d.FieldType.LIST_STR, min_items=1),
        d.Field("abroad", d.FieldType.BOOL),
        d.Field("kind", d.FieldType.STR, choices=("a", "b")),
        d.Field("staff", d.FieldType.INT),
    ),
    transitions=(
        d.Transition("contact", ("draft",), ("sme",), "defining"),
        d.Transition("define", ("defining",), ("sme", "department"), inputs=(d.Input("fields"),)),
        d.Transition(
            "sign",
            ("defining",),
            ("sme", "department"),
            "signed",
            requires=("fields",),
            signoff=d.Signoff(("sme", "department")),
        ),
        d.Transition(
            "fast_track",
            ("draft", "defining"),
            ("department",),
            "signed",
            conditions=(
                d.Condition("abroad", d.Op.EQ, True),
                d.Condition("kind", d.Op.IN, ("a", "b")),
                d.Condition("staff", d.Op.GE, 2),
            ),
            guards=("budget_approved",),
        ),
    ),
)


@pytest.fixture
def moa() -> d.Definition:
    """The drawn MoA."""
    return MOA


@pytest.fixture
def moa_run() -> tuple[jw.Engine, jw.Instance]:
    """An MoA instance that was contacted, defined twice and signed by the SME (waiting for the department)."""
    engine = jw.Engine([MOA], guards={"budget_approved": lambda context, actor: True})
    instance = engine.start("moa", ANNA, instance_id="m-1")
    engine.fire(instance.id, "contact", ANNA)
    engine.fire(instance.id, "define", ANNA, {"fields": ["ai"]})
    engine.fire(instance.id, "define", DORA, {"fields": ["ai", "robotics"]})
    return engine, engine.fire(instance.id, "sign", ANNA)


@pytest.fixture
def picture() -> Picture:
    """A picture with all a writer renders.

    Each style, two final states, a loop, two arrows between the same two states, a taken arrow, and syntax of
    both formats in the title, a box title and the labels.
    """
    return Picture(
        protocol="tiny",
        title='A "tiny": protocol',
        initial="open",
        nodes=(
            Node("open", "Open", final=False, style=Style.PREVIOUS),
            Node("done", "Done; at last", final=True, style=Style.ACTIVE),
            Node("dropped", "Dropped", final=True, style=Style.DEFAULT),
        ),
        arrows=(
            Arrow("open", "open", "note [sme]", taken=()),
            Arrow("open", "done", "✓ 2 · close [sme] if x = a:b", taken=(2,)),
            Arrow("open", "dropped", "quit [sme]", taken=()),
            Arrow("open", "done", "quit <sme> #1", taken=()),
        ),
    )
