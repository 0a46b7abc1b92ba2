"""The partner portal in process (Flask's test client): its list pages, and PostgreSQL by one setting."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import PORTAL


def portal_module() -> ModuleType:
    pytest.importorskip("flask")
    spec = importlib.util.spec_from_file_location("portal_app", PORTAL / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_portal_runs_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JW_PORTAL_STORE", postgres_url)
    app = portal_module().create_app()
    anna, carla = app.test_client(), app.test_client()
    anna.post("/", data={"user": "anna@sme-a"})
    carla.post("/", data={"user": "carla@uni"})
    json = {"Accept": "application/json"}

    assert anna.post("/instances", data={"key": "pg-1"}).status_code == 303
    assert (
        anna.post(
            "/instances/pg-1/contact_career_services",
            data={"expected_seq": "1", "purpose": "traineeships"},
            headers=json,
        ).json["state"]
        == "contacted"
    )
    stale = anna.post("/instances/pg-1/withdraw", data={"expected_seq": "1"})
    assert stale.status_code == 412 and "Establishing contact with the career services" in stale.text
    listed = carla.get("/instances?state=contacted", headers=json).json
    assert [item["id"] for item in listed["items"]] == ["pg-1"] and listed["next"] is None
    assert [item["id"] for item in carla.get("/inbox", headers=json).json["items"]] == ["pg-1"]


def test_a_list_page_links_the_next_page_with_its_cursor(tmp_path: Path) -> None:
    """Twenty requests a page, newest first; the "next" link carries the cursor and the state filter."""
    app = portal_module().create_app(str(tmp_path / "portal.db"))
    anna = app.test_client()
    anna.post("/", data={"user": "anna@sme-a"})
    for number in range(22):
        assert anna.post("/instances", data={"key": f"r{number:02d}"}).status_code == 303
    first = anna.get("/instances?state=draft").text
    assert first.count('href="/instances/r') == 20 and 'href="/instances/r21"' in first
    link = re.search(r'id="next" href="([^"]+)"', first)
    assert link is not None and "state=draft" in link.group(1)
    rest = anna.get(link.group(1).replace("&amp;", "&")).text
    assert re.findall(r'href="/instances/(r\d+)"', rest) == ["r01", "r00"] and 'id="next"' not in rest


def test_an_instance_is_served_with_the_definition_version_it_runs_under(tmp_path: Path) -> None:
    """An instance started on an older version keeps that version's forms, and its fires are parsed by them."""
    import attrs

    import just_workflow as jw

    newest = jw.load_definition(PORTAL.parents[1] / "definitions" / "sme_approaching_hei.yaml")
    contact = newest.transitions[0]
    assert contact.trigger == "contact_career_services" and any(i.required for i in contact.inputs)
    optional = attrs.evolve(contact, inputs=tuple(attrs.evolve(i, required=False) for i in contact.inputs))
    invariants = tuple(i for i in newest.invariants if i.name != "request_states_its_purpose")
    older = attrs.evolve(
        newest,
        version=newest.version - 1,
        transitions=(optional, *newest.transitions[1:]),
        invariants=invariants,
    )
    store = tmp_path / "workflows.db"
    with jw.open_store(str(store)) as opened:
        jw.Engine({"sme_approaching_hei": older}, store=opened).start(
            "sme_approaching_hei", actor=jw.Actor("anna@sme-a", role="sme"), instance_id="old-1"
        )
    app = portal_module().create_app(str(store))
    anna = app.test_client()
    anna.post("/", data={"user": "anna@sme-a"})
    page = anna.get("/instances/old-1").text
    assert (
        re.search(r'<input name="purpose"[^>]*>', page)
        and 'name="purpose" type="text" value="" required' not in page
    )
    fired = anna.post(
        "/instances/old-1/contact_career_services",
        data={"expected_seq": "1"},
        headers={"Accept": "application/json"},
    )
    assert (
        fired.status_code == 200
        and fired.json["state"] == "contacted"
        and fired.json["version"] == older.version
    )
