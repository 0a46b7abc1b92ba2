"""The SQLite store's rows: how instances and events map to rows, and the statements that write and read them.

The ``instances`` table holds an :class:`~just_workflow.instance.Instance`
field by field, ``context`` and ``signatures`` as canonical JSON text, and
the times of its first and last events. The ``events`` table holds an
:class:`~just_workflow.events.Event` field by field, its actor in two
columns (``actor_id``, ``actor_role``) and its payload as canonical JSON
text. The columns follow from the two classes' fields, so that a field is
named in its class alone; the tables themselves are created by
:mod:`just_workflow.store.migrations`, whose past versions never change (a
test checks that these columns are the schema's).

The store and the persistence benchmark's raw baseline both write through
these statements, so that the baseline writes exactly the store's rows.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from just_workflow.canonical import canonical_text
from just_workflow.events import ACTOR_FIELDS, FIELDS, Actor, Event
from just_workflow.instance import Instance

_INSTANCE_FIELDS = tuple(field.name for field in attrs.fields(Instance))

#: The columns of the ``instances`` table: the instance's fields, then the times of its first and last events.
INSTANCE_COLUMNS: tuple[str, ...] = (*_INSTANCE_FIELDS, "created_at", "updated_at")
#: The columns of the ``events`` table: the event's fields, ``actor`` as ``actor_id`` and ``actor_role``.
EVENT_COLUMNS: tuple[str, ...] = tuple(
    column
    for name in FIELDS
    for column in ((f"actor_{key}" for key in ACTOR_FIELDS) if name == "actor" else (name,))
)

_CONTEXT_AT = _INSTANCE_FIELDS.index("context")
_SIGNATURES_AT = _INSTANCE_FIELDS.index("signatures")
_ACTOR_AT = FIELDS.index("actor")
_ACTOR_COLUMNS = slice(_ACTOR_AT, _ACTOR_AT + len(ACTOR_FIELDS))
_PAYLOAD_AT = FIELDS.index("payload")
_instance_values = operator.attrgetter(*_INSTANCE_FIELDS)
_event_values = operator.attrgetter(*FIELDS)
_actor_values = operator.attrgetter(*ACTOR_FIELDS)


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


INSERT_INSTANCE = _insert("instances", INSTANCE_COLUMNS)
INSERT_EVENT = _insert("events", EVENT_COLUMNS)
#: The snapshot of one instance, by id: the instance's fields, in their order.
SELECT_INSTANCE = f"SELECT {', '.join(_INSTANCE_FIELDS)} FROM instances WHERE id = ?"
#: The events of one instance with ``after < seq <= upto``, in seq order.
SELECT_EVENTS = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE instance = ? AND seq > ? AND seq <= ? ORDER BY seq"
)
#: What a step changes in an instance row. The WHERE on seq is the optimistic concurrency check: no row
#: updated means another fire landed first.
UPDATE_SNAPSHOT = (
    "UPDATE instances SET state = ?, context = ?, signatures = ?, seq = ?, head = ?, updated_at = ? "
    "WHERE id = ? AND seq = ?"
)
SELECT_SEQ = "SELECT seq FROM instances WHERE id = ?"
SELECT_INSTANCE_IDS = "SELECT id FROM instances ORDER BY rowid"
SELECT_PROTOCOL_INSTANCE_IDS = "SELECT id FROM instances WHERE protocol = ? ORDER BY rowid"
INSERT_KEY = "INSERT INTO idempotency_keys (instance, key, seq) VALUES (?, ?, ?)"
SELECT_KEY_SEQ = "SELECT seq FROM idempotency_keys WHERE instance = ? AND key = ?"
INSERT_DEFINITION = (
    "INSERT OR IGNORE INTO definitions (protocol, version, digest, source) VALUES (?, ?, ?, ?)"
)
SELECT_DEFINITION_DIGEST = "SELECT digest FROM definitions WHERE protocol = ? AND version = ?"
SELECT_DEFINITIONS = "SELECT protocol, version, digest, source FROM definitions ORDER BY protocol, version"

#: A seq above any stored one: the ``upto`` of SELECT_EVENTS for the whole history (SQLite's largest integer).
LAST_SEQ = 2**63 - 1


def encode_values(values: Mapping[str, Any]) -> str:
    """A context, signatures or payload mapping as canonical JSON text (tuples become arrays)."""
    return canonical_text(values) if values else "{}"


def decode_values(text: str) -> dict[str, Any]:
    """The mapping :func:`encode_values` wrote, with its arrays back as tuples."""
    if text == "{}":
        return {}
    return {
        key: tuple(value) if isinstance(value, list) else value for key, value in json.loads(text).items()
    }


def instance_row(
    instance: Instance, context: str, signatures: str, created_at: str, updated_at: str
) -> list[Any]:
    """The parameters of INSERT_INSTANCE: ``instance`` with its context and signatures already encoded."""
    row = [*_instance_values(instance), created_at, updated_at]
    row[_CONTEXT_AT] = context
    row[_SIGNATURES_AT] = signatures
    return row


def snapshot_update(
    instance: Instance, context: str, signatures: str, updated_at: str, expected_seq: int
) -> tuple[Any, ...]:
    """The parameters of UPDATE_SNAPSHOT: ``instance`` after a step, if the stored one is at ``expected_seq``."""
    return (
        instance.state,
        context,
        signatures,
        instance.seq,
        instance.head,
        updated_at,
        instance.id,
        expected_seq,
    )


def instance_from_row(row: Sequence[Any]) -> tuple[Instance, str, str]:
    """The snapshot a SELECT_INSTANCE row holds, with its context and signatures as stored.

    The stored text comes with it so that a store can write it again
    unchanged when a step changes neither.
    """
    values = list(row)
    context, signatures = row[_CONTEXT_AT], row[_SIGNATURES_AT]
    values[_CONTEXT_AT] = decode_values(context)
    values[_SIGNATURES_AT] = decode_values(signatures)
    return Instance(*values), context, signatures


def event_row(event: Event) -> list[Any]:
    """The parameters of INSERT_EVENT for ``event``."""
    row = list(_event_values(event))
    row[_PAYLOAD_AT] = encode_values(event.payload)
    row[_ACTOR_AT : _ACTOR_AT + 1] = _actor_values(event.actor)
    return row


def event_from_row(row: Sequence[Any]) -> Event:
    """The event a SELECT_EVENTS row holds."""
    values = list(row)
    values[_ACTOR_COLUMNS] = [Actor(*row[_ACTOR_COLUMNS])]
    values[_PAYLOAD_AT] = decode_values(values[_PAYLOAD_AT])
    return Event(*values)
