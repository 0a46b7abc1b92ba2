"""The message catalog: complete in five languages, documented, and what options and refusals say with it."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

import just_workflow as jw
from fixtures import BUNDLED, ROOT
from just_workflow.definition import Named
from just_workflow.messages import CATALOG, KINDS, LANGUAGES, Reason, render

#: A value of each kind of parameter, to render every message.
SAMPLES: dict[str, Any] = {
    "field": "offer",
    "role": "sme",
    "trigger": "sign",
    "state": "draft",
    "protocol": "moa",
    "invariant": "signed_only_with_fields",
    "value": "internships",
    "choices": ("internships", "joint_teaching"),
    "roles": ("sme", "department"),
    "triggers": ("sign",),
    "fields": ("offer",),
    "actors": ("anna",),
    "names": ("role", "party"),
    "reason": Reason("guard 'g' is false", "guard-false", guard="g"),
    "reasons": (Reason("guard 'g' is false", "guard-false", guard="g"),),
    "op": "ge",
    "text": "x",
}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_code_has_a_text_in_every_language_using_every_parameter() -> None:
    """Each code: the five languages, each text naming exactly the code's parameters; each kind is known."""
    assert set(CATALOG) == set(KINDS)
    for code, texts in CATALOG.items():
        assert tuple(texts) == LANGUAGES, code
        for lang, text in texts.items():
            assert placeholders(text) == set(KINDS[code]), (code, lang)
            assert text.strip() == text and text, (code, lang)
        assert set(KINDS[code].values()) <= set(SAMPLES), code


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_renders(lang: str) -> None:
    """Every code renders in every language from parameters of its kinds, with and without titles."""
    from fixtures import moa_definition

    definition = moa_definition()
    for code, kinds in KINDS.items():
        params = {name: SAMPLES[kind] for name, kind in kinds.items()}
        for titles in (None, definition):
            text = render(code, params, lang, titles)
            assert text and "{" not in text, (code, text)


def test_an_unknown_language_is_english_and_a_parameter_must_be_declared() -> None:
    """A language the catalog lacks renders in English; a parameter the catalog does not declare is refused."""
    assert render("guard-false", {"guard": "g"}, "fr") == render("guard-false", {"guard": "g"}, "en")
    with pytest.raises(KeyError):
        render("guard-false", {"guard": "g", "extra": 1}, "en")


def test_the_messages_page_lists_every_code_with_its_english_text() -> None:
    """docs/messages.md has the catalog's table: every code, its parameters and its English text."""
    rows = ["| code | parameters | English |", "|---|---|---|"]
    for code, texts in CATALOG.items():
        params = ", ".join(f"`{name}` ({kind})" for name, kind in KINDS[code].items())
        rows.append(f"| `{code}` | {params} | {texts['en']} |")
    page = (ROOT / "docs" / "messages.md").read_text(encoding="utf-8")
    assert page.endswith("\n".join(rows) + "\n")


def test_a_reason_is_its_default_text_with_a_code() -> None:
    """The default text is what the library always said; the code and parameters ride along."""
    reason = Reason("required field 'fields' is not set", "required-field-not-set", field="fields")
    assert reason == "required field 'fields' is not set"
    assert reason.text() == reason
    assert reason.text("sk") == "údaj „fields“ ešte nie je vyplnený"


# What options and refusals say, over the bundled protocols


def titled_names(definition: jw.Definition) -> set[str]:
    """The names a person must never see raw: those with a title that differs from them."""
    names = set()
    kinds = [
        (Named.STATE, [s.name for s in definition.states]),
        (Named.ROLE, [r.name for r in definition.roles]),
        (Named.FIELD, [f.name for f in definition.context]),
        (Named.TRIGGER, list(definition.triggers())),
    ]
    for kind, items in kinds:
        names |= {name for name in items if definition.title_of(kind, name, "sk") != name}
    for field in definition.context:
        names |= set(field.choice_titles or {})
    return names


def raw_names(text: str, names: set[str]) -> list[str]:
    """The names in ``text`` shown raw: quoted, or a snake_case identifier as a word."""
    return sorted(
        name
        for name in names
        if f"'{name}'" in text or ("_" in name and re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text))
    )


def actors(definition: jw.Definition) -> list[jw.Actor]:
    return [jw.Actor(f"p{index}", role.name) for index, role in enumerate(definition.roles)]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_options_and_refusals_show_titles_not_identifiers(path: Any, lang: str) -> None:
    """In any language, titles and reasons name things by their titles, and every reason keeps its code."""
    definition = jw.load_definition(path)
    names = titled_names(definition)
    engine = jw.Engine([definition])
    people = actors(definition)
    starter = next(a for a in people if not definition.start_by or a.role in definition.start_by)
    case = engine.start(definition.protocol, starter)
    seen: list[str] = []
    for _ in range(3):  # a few steps in: the options of the states after the first
        fired = False
        for actor in people:
            for option in engine.options(case.id, actor, lang=lang):
                seen.append(option.title)
                for reason in option.reasons:
                    assert isinstance(reason, Reason) and reason.code in CATALOG, reason
                    seen.append(reason)
                payloads: list[dict[str, Any]] = [{}, dict.fromkeys(option.inputs, 12345)]
                for payload in payloads:
                    try:
                        if not fired:
                            engine.fire(case.id, option.trigger, actor, payload)
                            fired = True
                    except jw.Refusal as refusal:
                        assert refusal.code in CATALOG and refusal.titles is definition
                        seen.append(refusal.message(lang))
        if not fired:
            break
    assert seen
    leaks = {text: raw_names(text, names) for text in seen if raw_names(text, names)}
    assert leaks == {}


def test_without_a_language_options_say_what_they_always_said() -> None:
    """The default options: English titles, names as the definition spells them (developers, logs)."""
    engine = jw.Engine(jw.load_definitions(ROOT / "definitions"))
    anna, carla = jw.Actor("anna", "sme"), jw.Actor("carla", "career_services")
    case = engine.start("sme_approaching_hei", anna)
    engine.fire(case.id, "contact_career_services", anna)
    withdraw = {o.trigger: o for o in engine.options(case.id, carla)}["withdraw"]
    assert withdraw.reasons == ("role 'career_services' may not fire it; roles that may: sme",)
    assert withdraw.reasons[0].code == "role-may-not-fire-it"
    sk = {o.trigger: o for o in engine.options(case.id, carla, lang="sk")}["withdraw"]
    assert sk.reasons == (
        "rola „Kariérne centrum vysokej školy“ tento krok nemôže vykonať; môžu: „Zástupca MSP“",
    )
    assert sk.reasons[0].params == withdraw.reasons[0].params


def test_a_refusal_renders_its_choice_values_by_their_titles() -> None:
    """A value that is not a choice is refused; the message lists the choices by their titles."""
    engine = jw.Engine(jw.load_definitions(ROOT / "definitions"))
    anna, carla = jw.Actor("anna", "sme"), jw.Actor("carla", "career_services")
    case = engine.start("sme_approaching_hei", anna)
    engine.fire(case.id, "contact_career_services", anna)
    engine.fire(case.id, "route_request", carla, {"departments": ["informatics"]})
    with pytest.raises(jw.InvalidPayload) as refused:
        engine.fire(case.id, "define_fit", anna, {"fit": ["luck"]})
    assert refused.value.reasons[0].code == "not-a-choice"
    message = refused.value.message("es")
    assert "«luck» no es una opción de «Por qué la pyme es una buena opción»" in message
    assert "«Reputación», «Ambición»" in message


def test_refusals_of_start_and_of_a_batch_render_with_titles() -> None:
    """The engine gives every refusal its definition: a start, and a fire in a batch, render by titles."""
    engine = jw.Engine(jw.load_definitions(ROOT / "definitions"))
    with pytest.raises(jw.NotAuthorized) as refused:
        engine.start("sme_approaching_hei", jw.Actor("carla", "career_services"))
    assert refused.value.code == "start-not-allowed"
    assert refused.value.message("it") == (
        "Il ruolo «Servizio placement dell'istituzione» non può avviare il processo "
        "«PMI che si rivolge a un'istituzione di istruzione superiore»; possono farlo: «Rappresentante della PMI»."
    )
    anna = jw.Actor("anna", "sme")
    case = engine.start("sme_approaching_hei", anna)
    with pytest.raises(jw.BatchFailed) as failed, engine.batch() as batch:
        batch.fire(case.id, "sign_moa", anna)
    refusal = failed.value.error
    assert isinstance(refusal, jw.Refusal) and refusal.code == "trigger-not-available"
    assert "«Firma del convenio de colaboración» no es posible en el estado «Borrador»" in refusal.message(
        "es"
    )
