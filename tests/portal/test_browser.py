"""The partner portal in Chromium: the whole sme_approaching_hei protocol walked by its three parties.

Anna (SME A) starts a request; Bruno (SME B) is refused on it; Carla
(career services) routes it and invites Dario (a department); Dario's
premature draft and Anna's premature signature are refused with their
reasons on the page; a stale form is refused (412) with what changed; the
Memorandum is signed by both; the page reads in Slovak. Screenshots go to
test-artifacts/portal/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import just_workflow as jw

from .conftest import PORTAL

Page = Any  # playwright's Page: the module is imported only when the browser is there


def log_in(browser: Any, url: str, name: str) -> Page:
    """A browser context of its own (its own session cookie) with ``name`` logged in."""
    page = browser.new_context(viewport={"width": 1100, "height": 1400}).new_page()
    page.goto(url + "/")
    page.get_by_role("button", name=name).click()
    return page


def submit(page: Page, trigger: str, **fields: str | list[str]) -> int:
    """Fill the form of ``trigger`` on the instance page and press its button: the answer's HTTP status."""
    form = page.locator(f"#form-{trigger}")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if isinstance(value, list):
            for item in value:
                form.locator(f"[name={name}][value={item}]").check()
        elif field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation() as answer:
        form.locator("button").click()
    return int(answer.value.status) if answer.value is not None else 0


def post_by_hand(page: Page, path: str, fields: dict[str, str]) -> int:
    """Post a form the page does not offer (a crafted or remembered one), as the browser would."""
    with page.expect_navigation() as answer:
        page.evaluate(
            """([path, fields]) => {
                const form = Object.assign(document.createElement("form"), {method: "post", action: path});
                for (const [name, value] of Object.entries(fields))
                    form.append(Object.assign(document.createElement("input"), {name, value}));
                document.body.append(form); form.submit(); }""",
            [path, fields],
        )
    return int(answer.value.status)


def test_the_three_parties_sign_the_memorandum(
    portal: tuple[str, Path], browser: Any, artifacts: Path
) -> None:
    url, store = portal
    anna = log_in(browser, url, "Anna (SME A)")
    with anna.expect_navigation():
        anna.locator("#start").click()
    instance_id = anna.locator("h1").inner_text()
    path = f"/instances/{instance_id}"
    assert anna.locator("#state").inner_text() == "Draft"
    assert submit(anna, "contact_career_services", purpose="Traineeships in data science") == 200
    assert anna.locator("#state").inner_text() == "Career services contacted"

    bruno = log_in(browser, url, "Bruno (SME B)")
    assert bruno.goto(url + path).status == 403  # not even shown another SME's request
    assert post_by_hand(bruno, path + "/withdraw", {"expected_seq": "2", "reason": "mine now"}) == 403
    assert "is not a party to this instance" in bruno.content()

    carla = log_in(browser, url, "Carla (career services)")
    carla.get_by_role("link", name=instance_id).click()  # her work list holds it
    assert submit(carla, "route_request", departments="informatics") == 200
    assert submit(carla, "invite", role="department", party="dario@uni") == 200
    assert "dario@uni" in carla.locator("body").inner_text()

    dario = log_in(browser, url, "Dario (informatics department)")
    dario.get_by_role("link", name=instance_id).click()
    draft = dario.locator("#form-draft_agreement")
    assert draft.locator("button").is_disabled()
    # the engine's reason, in the user's language, naming the field by its title
    assert "“Short-term ambitions” is not filled in yet" in draft.locator(".reasons").inner_text()
    dario.screenshot(path=artifacts / "reasons.png", full_page=True)

    anna.goto(url + path)  # the Memorandum signed before it is drafted: refused, the reason on the page
    assert post_by_hand(anna, path + "/sign_moa", {"expected_seq": "4"}) == 409
    refused = anna.locator("#refused").inner_text()
    assert (
        "“Signing the Memorandum of Agreement” is not possible in the state “Defining the collaboration”"
        in refused
    )

    anna.goto(url + path)
    stale = anna.context.new_page()  # the same form open in two tabs: the second one is stale
    stale.goto(url + path)
    interest = {"medium_term_ambitions": "joint teaching", "forms": "traineeships and lectures"}
    assert submit(anna, "define_interest", short_term_ambitions="two trainees", **interest) == 200
    assert submit(stale, "define_interest", short_term_ambitions="something else", **interest) == 412
    refusal = stale.locator("#refused").inner_text()
    assert "the request changed meanwhile" in refusal and "Defining the interest in collaboration" in refusal
    stale.screenshot(path=artifacts / "stale.png", full_page=True)

    assert (
        submit(anna, "define_offer", offer_explanation="lab time") == 422
    )  # nothing ticked: the error beside it
    assert "required input 'offer' is missing" in anna.locator("#form-define_offer .field-error").inner_text()
    assert submit(anna, "define_offer", offer=["joint_teaching"], offer_explanation="lab time") == 200
    assert submit(anna, "define_fit", fit=["reputation"], fit_explanation="known in the region") == 200
    ways = {"ways_of_collaboration": ["traineeship"], "ways_explanation": "two trainees a year"}
    assert submit(anna, "define_ways", **ways) == 200
    dario.reload()
    assert submit(dario, "define_fields", fields_of_collaboration="data science") == 200
    memorandum = {"moa_reference": "MoA-7", "sme_signatory": "A. Novak", "hei_signatory": "D. Dario, head"}
    assert submit(dario, "draft_agreement", valid_until="2029-03-31", **memorandum) == 200
    anna.reload()
    assert submit(anna, "sign_moa") == 200
    # One signature of two: the Memorandum waits for the department's.
    assert anna.locator("#state").inner_text() == "Memorandum of Agreement drafted"
    dario.reload()
    assert submit(dario, "sign_moa") == 200
    assert dario.locator("#state").inner_text() == "Memorandum of Agreement signed"
    diagram = dario.request.get(url + path + "/diagram.svg")
    # The path taken is marked, on a drawing that needs nothing from the network.
    assert diagram.headers["content-type"].startswith("image/svg+xml")
    assert "✓ 2 · Establishing contact with the career services" in diagram.text()  # titled, in English

    with dario.expect_navigation():
        dario.get_by_role("button", name="sk").click()
    assert dario.locator("#state").inner_text() == "Memorandum o spolupráci podpísané"
    assert "História" in dario.locator("body").inner_text()
    dario.screenshot(path=artifacts / "signed-sk.png", full_page=True)

    engine = jw.Engine(
        jw.load_definitions(PORTAL.parents[1] / "definitions"), store=jw.open_store(str(store))
    )
    assert engine.get(instance_id).state == "moa_signed"
    assert engine.verify(instance_id).ok
    assert re.fullmatch(r"[0-9a-f]{32}", instance_id)
