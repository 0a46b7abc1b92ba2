"""JSON-ready views of the runtime records: what a web handler returns for an instance, an option, an event, a page.

Each view is a plain dict of JSON types (str, int, bool, None, lists and
dicts), ready for ``json.dumps``, Flask's ``jsonify`` or a FastAPI response:
read-only mappings become dicts, tuples become lists. The keys are the
records' own field names (listed in ``docs/portal-kit.md``), so a field a
record gains appears in its view. Time stamps are the engine's UTC text
(``2026-03-02T09:05:00+00:00``).

The event view is the audit log's data (:meth:`Event.to_json`, the one event
codec) with lists for tuples: ``Event.from_json(views.event(e)) == e``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

from just_workflow.events import Event
from just_workflow.instance import Instance, Option
from just_workflow.queries import Page


def instance(snapshot: Instance) -> dict[str, Any]:
    """The snapshot as JSON data: ``id``, ``protocol``, ``version``, ``digest``, ``state``, ``context``, ...

    ``context`` holds the fields set so far (dates as ``YYYY-MM-DD``, lists
    as lists), ``parties`` each role's bound ids, ``signatures`` each
    sign-off's signing roles with their parties' ids; ``seq`` goes back as
    ``expected_seq``.
    """
    return _record(snapshot)


def option(choice: Option) -> dict[str, Any]:
    """An option as JSON data: ``trigger``, ``allowed``, ``reasons`` (why not), ``title``, ``inputs``, ``pending``, ``due``."""
    return _record(choice)


def event(record: Event) -> dict[str, Any]:
    """An event as the audit log carries it (:meth:`Event.to_json`), lists for tuples; ``Event.from_json`` reads it back."""
    data: dict[str, Any] = plain(record.to_json())
    return data


def page(found: Page[Any]) -> dict[str, Any]:
    """A page of a list (``engine.find``, ``inbox``, ``changes``) as JSON data: ``items``, each in its view, and ``next``.

    ``next`` is the cursor of the following page (None on the last), for the
    page's "next" link: pass it back as ``after=``.
    """
    return {
        "items": [event(item) if isinstance(item, Event) else plain(item) for item in found.items],
        "next": found.next,
    }


def plain(value: Any) -> Any:
    """``value`` in JSON types: mappings as dicts, tuples as lists, dates and times as ISO text (UTC for times).

    Raises ``TypeError`` naming the type of a value JSON has no type for, as
    ``json.dumps`` would.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if attrs.has(type(value)):
        return _record(value)
    raise TypeError(f"{value!r} of type {type(value).__name__} has no JSON view")


def _record(record: Any) -> dict[str, Any]:
    """An attrs record's fields, in declaration order, as JSON data."""
    return {field.name: plain(getattr(record, field.name)) for field in attrs.fields(type(record))}
