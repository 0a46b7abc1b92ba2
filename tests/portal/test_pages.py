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
