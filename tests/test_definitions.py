"""The bundled protocol definitions: each loads, checks clean, cites its seed, speaks all five languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import just_workflow as jw
from fixtures import DEFINITIONS
from just_workflow.definition import LANGUAGES, Definition, Transition
from just_workflow.formats import SYNTAXES
from just_workflow.formats.loading import load_definition

BUNDLED = sorted(path for path in DEFINITIONS.iterdir() if path.suffix in SYNTAXES)
SEED_CITATION = re.compile(r"\(seed \d{3}\)")


def test_definitions_are_bundled() -> None:
    """The definitions folder is not empty, so the parametrised tests below do run."""
    assert BUNDLED


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_loads_under_its_file_name(path: Path) -> None:
    """Each file loads into a definition whose protocol name is the file's name."""
    definition = load_definition(path)
    assert isinstance(definition, jw.Definition)
    assert definition.protocol == path.stem


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_check_finds_nothing(path: Path) -> None:
    """The static checker reports neither an error nor a warning."""
    assert [str(finding) for finding in jw.check(load_definition(path))] == []


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_source_cites_a_seed(path: Path) -> None:
    """The `source` names the seed document the protocol follows, as "(seed NNN)"."""
    source = load_definition(path).source
    assert source is not None
    assert SEED_CITATION.search(source), source


@pytest.mark.parametrize("path", BUNDLED, ids=lambda path: path.name)
def test_title_in_every_language(path: Path) -> None:
    """The protocol title is given in every language of the partnership."""
    title = load_definition(path).title
    assert title.missing() == ()
    assert len({title.get(lang) for lang in LANGUAGES}) > 1  # translated, not copied


# SME approaching HEI, step by step as seed 003 gives it


@pytest.fixture(scope="module")
def sme_approaching_hei() -> Definition:
    """The SME-approaching-HEI protocol as bundled."""
    return load_definition(DEFINITIONS / "sme_approaching_hei.yaml")


def transition(definition: Definition, trigger: str) -> Transition:
    """The one transition of ``definition`` with ``trigger``."""
    (found,) = [t for t in definition.transitions if t.trigger == trigger]
    return found


def test_sme_triggers_follow_the_seed(sme_approaching_hei: Definition) -> None:
    """The triggers come in the seed's order: contact, routing, steps 2a-2c, fields, memorandum; then its life and the exits."""
    assert sme_approaching_hei.triggers() == (
        "contact_career_services",
        "route_request",
        "define_interest",
        "define_offer",
        "define_fit",
        "define_ways",
        "define_fields",
        "draft_agreement",
        "revise_agreement",
        "sign_moa",
        "propose_amendment",
        "sign_amendment",
        "terminate",
        "expire",
        "decline",
        "withdraw",
        "lapse",
    )


def test_sme_defining_steps_stay_in_defining(sme_approaching_hei: Definition) -> None:
    """Steps 2a-2b are the SME's, the ways and fields the SME's or a department's, each a self-loop of `defining`."""
    roles = {
        "define_interest": ("sme",),
        "define_offer": ("sme",),
        "define_fit": ("sme",),
        "define_ways": ("sme", "department"),
    }
    for trigger, by in roles.items():
        step = transition(sme_approaching_hei, trigger)
        assert (step.sources, step.target, step.by) == (("defining",), None, by), trigger
    fields = transition(sme_approaching_hei, "define_fields")
    assert (fields.sources, fields.target, fields.by) == (
        ("defining", "amendment_proposed"),
        None,
        ("sme", "department"),
    )


def test_sme_elaborates_in_text(sme_approaching_hei: Definition) -> None:
    """Seed 003 L13-L17: the interest is split as the seed says, and each choice list comes with its explanation."""
    inputs = {t.trigger: {i.field: i.required for i in t.inputs} for t in sme_approaching_hei.transitions}
    assert inputs["contact_career_services"] == {"purpose": True}
    assert inputs["define_interest"] == {
        "short_term_ambitions": True,
        "medium_term_ambitions": True,
        "purpose": False,
        "forms": True,
    }
    assert inputs["define_offer"] == {"offer": True, "offer_explanation": True}
    assert inputs["define_fit"] == {"fit": True, "fit_explanation": True}
    assert inputs["define_ways"] == {"ways_of_collaboration": True, "ways_explanation": True}


def test_sme_moa_is_signed_by_both_with_fields(sme_approaching_hei: Definition) -> None:
    """sign_moa is a sign-off of the SME and every department, on a drafted document with its fields of collaboration."""
    sign = transition(sme_approaching_hei, "sign_moa")
    assert sign.signoff is not None
    assert set(sign.signoff.all_of) == {"sme", "department"}
    assert sign.signoff.every_party == ("department",)
    assert sign.target == "moa_signed"
    assert "fields_of_collaboration" in sign.requires
    draft = transition(sme_approaching_hei, "draft_agreement")
    assert {i.field for i in draft.inputs if i.required} == {
        "moa_reference",
        "sme_signatory",
        "hei_signatory",
        "valid_until",
    }


def test_sme_no_moa_without_fields(sme_approaching_hei: Definition) -> None:
    """The invariant of the design: no memorandum signed before the fields of collaboration are defined."""
    (invariant,) = [i for i in sme_approaching_hei.invariants if i.name == "no_moa_without_fields"]
    assert invariant.states == ("moa_signed",)
    assert "fields_of_collaboration" in invariant.requires
