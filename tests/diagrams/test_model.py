"""The picture of a protocol: boxes and arrows in declaration order, their labels, a run's styles and path."""

from __future__ import annotations

import attrs

import just_workflow as jw
from fixtures import ANNA, DEFINITIONS
from just_workflow import definition as d
from just_workflow.diagrams.model import Arrow, Node, Picture, Style, edge_label, picture_of

FAST_TRACK = (
    "fast_track [department] if abroad = true · if kind in (a, b) · if staff ≥ 2 · guard budget_approved"
)


def test_an_edge_names_trigger_roles_signoff_and_guards(moa: d.Definition) -> None:
    """Labels show the trigger, who may fire (any of / all sign) and every guard, in declaration order."""
    contact, define, sign, fast = moa.transitions
    assert edge_label(contact) == "contact [sme]"
    assert edge_label(define) == "define [sme/department]"
    assert edge_label(sign) == "sign [sme+department sign] requires fields"
    assert edge_label(fast) == FAST_TRACK


def test_a_definition_gives_a_box_per_state_and_an_arrow_per_transition_and_source(moa: d.Definition) -> None:
    """In declaration order; a transition without a target stays; nothing is styled or taken."""
    assert picture_of(moa) == Picture(
        protocol="moa",
        title="Memorandum",
        initial="draft",
        nodes=(
            Node("draft", "Draft", final=False, style=Style.DEFAULT),
            Node("defining", 'The "fields": defined; checked', final=False, style=Style.DEFAULT),
            Node("signed", "Signed", final=True, style=Style.DEFAULT),
        ),
        arrows=(
            Arrow("draft", "defining", "contact [sme]", taken=()),
            Arrow("defining", "defining", "define [sme/department]", taken=()),
            Arrow("defining", "signed", "sign [sme+department sign] requires fields", taken=()),
            Arrow("draft", "signed", FAST_TRACK, taken=()),
            Arrow("defining", "signed", FAST_TRACK, taken=()),
        ),
        parties=("sme: starts", "department: open"),
    )


def test_titles_follow_the_language_with_english_as_fallback(moa: d.Definition) -> None:
    """With lang='sk' the Slovak titles are used, English where there is no Slovak title."""
    picture = picture_of(moa, lang="sk")
    assert picture.title == "Memorandum o spolupráci"
    assert [node.title for node in picture.nodes] == ["Koncept", 'The "fields": defined; checked', "Signed"]


def test_a_state_without_a_title_is_titled_by_its_name(moa: d.Definition) -> None:
    """A box always has a title."""
    untitled = attrs.evolve(moa, states=(d.State("draft"), *moa.states[1:]))
    assert picture_of(untitled).nodes[0].title == "draft"


def test_a_run_styles_its_states_and_marks_the_arrows_it_took(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """The current state is active, the states passed through previous; taken arrows carry their event seqs.

    The SME's signature (seq 5) did not move the instance, yet marks the sign-off's arrow.
    """
    engine, instance = moa_run
    picture = picture_of(moa, instance, engine.history(instance.id))
    assert [node.style for node in picture.nodes] == [Style.PREVIOUS, Style.ACTIVE, Style.DEFAULT]
    assert [(arrow.taken, arrow.label) for arrow in picture.arrows] == [
        ((2,), "✓ 2 · contact [sme]"),
        ((3, 4), "✓ 3, 4 · define [sme/department]"),
        ((5,), "✓ 5 · sign [sme+department sign] requires fields"),
        ((), FAST_TRACK),
        ((), FAST_TRACK),
    ]


def test_of_transitions_sharing_trigger_and_source_the_one_to_the_event_target_is_taken() -> None:
    """An event names its trigger and source only: its target tells which of two such transitions fired."""
    close = d.Transition("close", ("open",), ("sme",), "done", conditions=(d.Condition("ok", d.Op.EQ, True),))
    split = d.Definition(
        protocol="split",
        version=1,
        title=d.Text("Split"),
        roles=(d.Role("sme"),),
        states=(d.State("open"), d.State("done", final=True), d.State("dropped", final=True)),
        initial="open",
        context=(d.Field("ok", d.FieldType.BOOL),),
        transitions=(
            d.Transition("decide", ("open",), ("sme",), inputs=(d.Input("ok"),)),
            close,
            attrs.evolve(close, target="dropped", conditions=(d.Condition("ok", d.Op.EQ, False),)),
        ),
    )
    engine = jw.Engine([split])
    instance = engine.start("split", ANNA)
    engine.fire(instance.id, "decide", ANNA, {"ok": False})
    engine.fire(instance.id, "close", ANNA)
    taken = [
        (arrow.target, arrow.taken) for arrow in picture_of(split, history=engine.history(instance.id)).arrows
    ]
    assert taken == [("open", (2,)), ("done", ()), ("dropped", (3,))]


def test_the_picture_says_how_each_role_is_bound_and_who_is() -> None:
    """A definition that declares parties gets one line per role; with an instance, its bound parties."""
    definition = jw.load_definition(DEFINITIONS / "sme_approaching_hei.yaml")
    engine = jw.Engine([definition])
    inst = engine.start("sme_approaching_hei", jw.Actor("anna", "sme"))
    assert picture_of(definition, inst).parties == (
        "sme: starts · anna",
        "career_services: open",
        "department: invited by career_services",
    )
    wbl = jw.load_definition(DEFINITIONS / "wbl_placement.yaml")
    assert "student: invited by hei_tutor, sme_mentor or joins" in picture_of(wbl).parties


def test_the_parties_note_in_a_language_names_roles_by_their_titles() -> None:
    """With a language, the note of the parties gives each role's title and its words in that language."""
    definition = jw.load_definition(DEFINITIONS / "sme_approaching_hei.yaml")
    english = picture_of(definition).parties
    assert english == ("sme: starts", "career_services: open", "department: invited by career_services")
    for lang in ("sk", "es", "it", "sl"):
        lines = picture_of(definition, lang=lang).parties
        titles = [definition.title_of("role", role.name, lang) for role in definition.roles]
        assert [line.split(": ", 1)[0] for line in lines] == titles
        assert not any(
            word in line for line in lines for word in ("open", "invited by", "starts", "career_services")
        )


def test_a_loop_taken_many_times_counts_its_seqs_instead_of_listing_them(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """Up to three seqs are listed; beyond, the label says how many, from the first to the last."""
    engine, instance = moa_run
    engine.fire(instance.id, "define", ANNA, {"fields": ["ai"]})
    assert "✓ 3, 4, 6 · define" in picture_of(moa, history=engine.history(instance.id)).arrows[1].label
    for _ in range(200):
        engine.fire(instance.id, "define", ANNA, {"fields": ["ai"]})
    arrow = picture_of(moa, history=engine.history(instance.id)).arrows[1]
    assert len(arrow.taken) == 203
    assert arrow.label == "✓ 203× 3…206 · define [sme/department]"
