"""The JSON views: instances, options and events as plain JSON data, the event view read back by the one codec."""

from __future__ import annotations

import datetime
import json

import attrs
import pytest

import just_workflow as jw
from fixtures import ANNA, DORA, moa_definition

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def _engine() -> jw.Engine:
    return jw.Engine([moa_definition()], clock=lambda: NOW)


def _defined(engine: jw.Engine) -> jw.Instance:
    instance = engine.start("moa", ANNA)
    instance = engine.fire(instance.id, "contact", ANNA)
    payload = {"fields": ["ai", "robotics"], "offer": "internships", "staff": 3, "abroad": True}
    return engine.fire(instance.id, "define", ANNA, {**payload, "start": datetime.date(2026, 9, 1)})


def _json_types_only(value: object) -> bool:
    if value is None or isinstance(value, str | bool | int | float):
        return True
    if isinstance(value, list):
        return all(_json_types_only(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _json_types_only(item) for key, item in value.items())
    return False


def test_the_instance_view_is_every_field_in_json_types() -> None:
    """The instance view has the snapshot's fields by name, lists for tuples, dicts for read-only mappings."""
    engine = _engine()
    instance = engine.fire(_defined(engine).id, "sign", ANNA)
    view = jw.views.instance(instance)
    assert list(view) == [field.name for field in attrs.fields(jw.Instance)]
    assert _json_types_only(view) and json.loads(json.dumps(view)) == view
    assert view["context"] == {
        "fields": ["ai", "robotics"],
        "offer": "internships",
        "staff": 3,
        "abroad": True,
        "start": "2026-09-01",
    }
    assert view["parties"] == {"sme": ["anna"]}
    assert view["signatures"] == {"sign": {"sme": ["anna"]}}
    assert (view["id"], view["state"], view["seq"], view["head"]) == (
        instance.id,
        "defining",
        4,
        instance.head,
    )


def test_the_option_view_is_every_field_in_json_types() -> None:
    """The option view has the option's fields by name: trigger, allowed, reasons, title, inputs, pending."""
    engine = _engine()
    instance = _defined(engine)
    views = [
        jw.views.option(option) for option in engine.options(instance.id, jw.Actor("carl", "career_services"))
    ]
    assert all(list(view) == [field.name for field in attrs.fields(jw.Option)] for view in views)
    assert all(_json_types_only(view) for view in views)
    sign = next(view for view in views if view["trigger"] == "sign")
    assert sign["allowed"] is False and sign["reasons"] and isinstance(sign["reasons"], list)
    assert sign["pending"] == ["sme", "department"]
    define = next(view for view in views if view["trigger"] == "define")
    assert define["inputs"] == ["fields", "offer", "staff", "abroad", "start"]


def test_the_event_view_is_the_audit_logs_data_and_reads_back() -> None:
    """Each event's view is its log data (Event.to_json, as JSON reads it) and Event.from_json rebuilds the event."""
    engine = _engine()
    instance = engine.fire(_defined(engine).id, "sign", DORA)
    for event in engine.history(instance.id):
        view = jw.views.event(event)
        assert _json_types_only(view)
        assert view == json.loads(json.dumps(event.to_json()))
        assert jw.Event.from_json(view) == event
    assert view["at"] == "2026-03-02T09:00:00+00:00"
    assert view["actor"] == {"id": "dora", "role": "department"}


def test_plain_writes_times_as_utc_text_and_names_what_it_cannot_write() -> None:
    """A time becomes the engine's UTC text, a date ISO text; a value JSON has no type for is a TypeError naming it."""
    cet = datetime.timezone(datetime.timedelta(hours=1))
    moment = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=cet)
    assert jw.views.plain({"due": moment, "on": datetime.date(2026, 3, 2)}) == {
        "due": "2026-03-02T09:00:00+00:00",
        "on": "2026-03-02",
    }
    with pytest.raises(TypeError, match="of type set has no JSON view"):
        jw.views.plain({"bad": {1, 2}})


def test_the_page_view_holds_each_items_view_and_the_cursor() -> None:
    """A page of instances holds their views; a page of the change feed the events' log data; next is the cursor."""
    engine = _engine()
    first = engine.start("moa", ANNA)
    second = _defined(engine)
    found = engine.find(party="anna", limit=1)
    view = jw.views.page(found)
    assert view == {"items": [jw.views.instance(first)], "next": found.next}
    assert isinstance(view["next"], str) and json.loads(json.dumps(view)) == view
    rest = jw.views.page(engine.find(party="anna", limit=1, after=view["next"]))
    assert rest["items"] == [jw.views.instance(second)] and rest["next"] is None
    feed = jw.views.page(engine.changes(limit=2))
    assert feed["items"] == [jw.views.event(event) for event in engine.history(first.id)] + [
        jw.views.event(engine.history(second.id)[0])
    ]
