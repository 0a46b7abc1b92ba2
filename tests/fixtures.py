"""Test data several test files share: where the definitions are, the small MoA protocol and its actors.

The test files import from it as ``from fixtures import ...`` (pytest puts ``tests/`` on the path); each
file states only how its own MoA differs from :func:`moa_definition`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

import just_workflow as jw
from just_workflow import definition as d

ROOT = Path(__file__).resolve().parent.parent
DEFINITIONS = ROOT / "definitions"
#: The bundled definition files, sorted: a test parametrised over them covers every new one.
BUNDLED = sorted(DEFINITIONS.glob("*.yaml"))
#: Broken definitions, each with the message it must produce.
INVALID = ROOT / "tests" / "definitions_invalid"

ANNA = jw.Actor("anna", "sme")
DORA = jw.Actor("dora", "department")
CARL = jw.Actor("carl", "career_services")
BRUNO = jw.Actor("bruno", "sme")  # another SME's representative


def moa_definition(**changes: Any) -> jw.Definition:
    """A small MoA protocol: contact, define fields, sign by both parties (or decline); ``changes`` replace parts."""
    base = d.Definition(
        protocol="moa",
        version=1,
        title=d.Text("MoA"),
        roles=(d.Role("sme"), d.Role("department", open=True), d.Role("career_services", open=True)),
        states=(
            d.State("draft"),
            d.State("defining"),
            d.State("signed", final=True),
            d.State("declined", final=True),
        ),
        initial="draft",
        start_by=("sme",),
        context=(
            d.Field("fields", d.FieldType.LIST_STR, min_items=1),
            d.Field("offer", d.FieldType.STR, choices=("internships", "joint_teaching")),
            d.Field("staff", d.FieldType.INT),
            d.Field("abroad", d.FieldType.BOOL),
            d.Field("start", d.FieldType.DATE),
        ),
        transitions=(
            d.Transition("contact", ("draft",), ("sme",), "defining"),
            d.Transition(
                "define",
                ("defining",),
                ("sme", "department"),
                inputs=(
                    d.Input("fields"),
                    d.Input("offer", required=False),
                    d.Input("staff", required=False),
                    d.Input("abroad", required=False),
                    d.Input("start", required=False),
                ),
            ),
            d.Transition(
                "sign",
                ("defining",),
                ("sme", "department"),
                "signed",
                requires=("fields",),
                signoff=d.Signoff(("sme", "department")),
            ),
            d.Transition("decline", ("defining",), ("career_services",), "declined"),
        ),
        invariants=(d.Invariant("no_moa_without_fields", ("signed",), ("fields",)),),
    )
    return attrs.evolve(base, **changes)


def with_transition(definition: jw.Definition, trigger: str, **changes: Any) -> jw.Definition:
    """``definition`` with the transition ``trigger`` changed."""
    transitions = tuple(
        attrs.evolve(t, **changes) if t.trigger == trigger else t for t in definition.transitions
    )
    return attrs.evolve(definition, transitions=transitions)


#: A payload for each step of the bundled ``sme_approaching_hei`` that takes one (besides routing and the fields).
SME_STEPS: dict[str, dict[str, Any]] = {
    "contact_career_services": {"purpose": "traineeships in data science"},
    "define_interest": {
        "short_term_ambitions": "two trainees next semester",
        "medium_term_ambitions": "a joint research project",
        "forms": "traineeships and guest lectures",
    },
    "define_offer": {"offer": ["internship_programmes"], "offer_explanation": "paid six-month traineeships"},
    "define_fit": {"fit": ["reputation"], "fit_explanation": "a known employer of the region's graduates"},
    "define_ways": {
        "ways_of_collaboration": ["traineeship"],
        "ways_explanation": "one trainee each semester",
    },
    "draft_agreement": {
        "moa_reference": "MoA-2026-1",
        "sme_signatory": "Anna Novak, director",
        "hei_signatory": "Ivan Kral, dean",
        "valid_until": "2029-12-31",
    },
}
