"""The stores' rows: how instances and events map to rows, and the SQLite statements that write and read them.

The ``instances`` table holds an :class:`~just_workflow.instance.Instance`
field by field, ``context``, ``signatures`` and ``parties`` as canonical JSON text, and
the times of its first and last events. The ``events`` table holds an
:class:`~just_workflow.events.Event` field by field, its actor in two
columns (``actor_id``, ``actor_role``) and its payload as canonical JSON
text. The columns follow from the two classes' fields, so that a field is
named in its class alone; the tables themselves are created by
:mod:`just_workflow.store.migrations`, whose past versions never change (a
test checks that these columns are the schema's).

The SQLite store and the persistence benchmark's raw baseline both write
through these statements, so that the baseline writes exactly the store's
rows. The PostgreSQL store (:mod:`just_workflow.store.postgres`) writes and
reads the same rows, through its own statements on the same columns.
"""

from __future__ import annotations

import itertools
import json
import operator
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import attrs

from just_workflow.canonical import canonical_text
from just_workflow.definition import Definition
from just_workflow.errors import DefinitionError, StoreError, UnreadableDefinitions
from just_workflow.events import ACTOR_FIELDS, FIELD_TYPES, FIELDS, Actor, Event, encode_mapping
from just_workflow.formats.document import definition_from_document
from just_workflow.instance import NO_ENTRIES, Instance, read_only
from just_workflow.queries import InstanceQuery, Match
from just_workflow.store.base import StoredInstance

#: The fields of an :class:`~just_workflow.instance.Instance`, in the order SELECT_INSTANCE reads them.
INSTANCE_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Instance))

#: The columns of the ``instances`` table: the instance's fields, then the times of its first and last events.
INSTANCE_COLUMNS: tuple[str, ...] = (*INSTANCE_FIELDS, "created_at", "updated_at")
#: The columns of the ``events`` table: the event's fields, ``actor`` as ``actor_id`` and ``actor_role``.
EVENT_COLUMNS: tuple[str, ...] = tuple(
    column
    for name in FIELDS
    for column in ((f"actor_{key}" for key in ACTOR_FIELDS) if name == "actor" else (name,))
)

#: The snapshot fields stored as JSON text, in the order of :data:`Encoded`.
JSON_FIELDS = ("context", "signatures", "parties")
_JSON_AT = tuple(INSTANCE_FIELDS.index(name) for name in JSON_FIELDS)
_CONTEXT_AT, _SIGNATURES_AT, _PARTIES_AT = _JSON_AT
#: A snapshot's context, signatures and parties as stored.
Encoded = tuple[str, str, str]
_ACTOR_AT = FIELDS.index("actor")
_ACTOR_COLUMNS = slice(_ACTOR_AT, _ACTOR_AT + len(ACTOR_FIELDS))
_PAYLOAD_AT = FIELDS.index("payload")
_SEQ_COLUMN = EVENT_COLUMNS.index("seq")
_INSTANCE_COLUMN = EVENT_COLUMNS.index("instance")
_instance_values = operator.attrgetter(*INSTANCE_FIELDS)
_event_values = operator.attrgetter(*FIELDS)
_actor_values = operator.attrgetter(*ACTOR_FIELDS)

# SQLite keeps any value in any column: a row edited by hand may hold text where a seq is due, or a blob.
# The Python types each column may hold, from the classes' field types (JSON fields are text).
_COLUMN_TYPES: dict[Any, tuple[type, ...]] = {str: (str,), int: (int,), str | None: (str, type(None))}
_INSTANCE_TYPES = typing.get_type_hints(Instance)
_INSTANCE_ROW_TYPES = tuple(
    (str,) if name in JSON_FIELDS else _COLUMN_TYPES[_INSTANCE_TYPES[name]] for name in INSTANCE_FIELDS
)
_EVENT_ROW_TYPES = tuple(
    types
    for name in FIELDS
    for types in (
        ((str,),) * len(ACTOR_FIELDS)
        if name == "actor"
        else ((str,) if name == "payload" else _COLUMN_TYPES[FIELD_TYPES[name]],)
    )
)


class _RowShape:
    """The columns of a table and the types each may hold: checks a row read back in one look-up."""

    def __init__(self, columns: Sequence[str], types: Sequence[tuple[type, ...]]) -> None:
        self.columns = columns
        self.types = types
        self.rows = frozenset(itertools.product(*types))  # every combination of the types a row may have

    def check(self, row: Sequence[Any], what: str) -> None:
        """Raise :class:`StoreError` naming the column of ``row`` that holds a value of the wrong type."""
        if tuple(map(type, row)) in self.rows:
            return
        column, value = next(
            (column, value)
            for column, value, allowed in zip(self.columns, row, self.types, strict=True)
            if type(value) not in allowed
        )
        raise StoreError(
            f"The stored {what} is unreadable: column {column!r} holds {value!r:.80}, of the wrong type."
        )


_INSTANCE_SHAPE = _RowShape(INSTANCE_FIELDS, _INSTANCE_ROW_TYPES)
_EVENT_SHAPE = _RowShape(EVENT_COLUMNS, _EVENT_ROW_TYPES)


def _decoded_row_values(text: str, column: str, what: str) -> Mapping[str, Any]:
    try:
        decoded = decode_values(text)
    except (ValueError, AttributeError, RecursionError):  # not JSON, or JSON but not an object
        raise StoreError(
            f"The stored {what} is unreadable: column {column!r} holds {text!r:.80}, not a JSON object."
        ) from None
    return decoded


def _insert(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


INSERT_INSTANCE = _insert("instances", INSTANCE_COLUMNS)
INSERT_EVENT = _insert("events", EVENT_COLUMNS)
#: The snapshot of one instance, by id: the instance's fields, in their order.
SELECT_INSTANCE = f"SELECT {', '.join(INSTANCE_FIELDS)} FROM instances WHERE id = ?"
#: The snapshots of many instances, by id: one parameter, a JSON array of the ids (a statement whose text
#: does not depend on how many there are, so SQLite prepares it once).
SELECT_INSTANCES = (
    f"SELECT {', '.join(INSTANCE_FIELDS)} FROM instances WHERE id IN (SELECT value FROM json_each(?))"
)
#: The events of one instance with ``after < seq <= upto``, in seq order.
SELECT_EVENTS = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE instance = ? AND seq > ? AND seq <= ? ORDER BY seq"
)
#: What a step changes in an instance row. The WHERE on seq is the optimistic concurrency check: no row
#: updated means another fire landed first.
UPDATE_SNAPSHOT = (
    "UPDATE instances SET state = ?, context = ?, signatures = ?, parties = ?, seq = ?, head = ?, "
    "updated_at = ? WHERE id = ? AND seq = ?"
)
#: The update of a step that left the state and the parties as they were (most fires): the columns it does
#: not name are not written, so neither the state index nor the parties trigger is touched.
UPDATE_CONTENT = "UPDATE instances SET context = ?, signatures = ?, seq = ?, head = ?, updated_at = ? WHERE id = ? AND seq = ?"
#: The update of a step that moved the instance to another state and left the parties as they were: the
#: parties trigger is not run.
UPDATE_STATE = (
    "UPDATE instances SET state = ?, context = ?, signatures = ?, seq = ?, head = ?, updated_at = ? "
    "WHERE id = ? AND seq = ?"
)
SELECT_SEQ = "SELECT seq FROM instances WHERE id = ?"
SELECT_INSTANCE_IDS = "SELECT id FROM instances ORDER BY rowid"
SELECT_PROTOCOL_INSTANCE_IDS = "SELECT id FROM instances WHERE protocol = ? ORDER BY rowid"
INSERT_KEY = "INSERT INTO idempotency_keys (instance, key, seq, request, answer) VALUES (?, ?, ?, ?, ?)"
SELECT_KEY = "SELECT seq, request, answer FROM idempotency_keys WHERE instance = ? AND key = ?"
INSERT_DEFINITION = (
    "INSERT OR IGNORE INTO definitions (protocol, version, digest, source) VALUES (?, ?, ?, ?)"
)
SELECT_DEFINITION_DIGEST = "SELECT digest FROM definitions WHERE protocol = ? AND version = ?"
SELECT_DEFINITIONS = "SELECT protocol, version, digest, source FROM definitions ORDER BY protocol, version"

#: A seq above any stored one: the ``upto`` of SELECT_EVENTS for the whole history (SQLite's largest integer).
LAST_SEQ = 2**63 - 1
#: The change feed: events after a position (the events' rowid), in commit order.
SELECT_CHANGES = (
    f"SELECT rowid, {', '.join(EVENT_COLUMNS)} FROM events WHERE rowid > ? ORDER BY rowid LIMIT ?"
)

# -- find ------------------------------------------------------------------------------------------------
#
# A query is a compound SELECT, one arm per way of matching, each reading an index in position order:
# a state through instances_by_state (protocol, version, state, rowid), a party through parties_by_actor
# (actor, instance). SQLite merges arms ordered by their first column lazily ("MERGE (UNION)"), so a page
# reads about `limit` index entries per arm, however deep it is. UNION, not UNION ALL: an instance that
# fits two matches is found once.

#: Up to this many states, a match of states alone is one arm per state; beyond it, one arm with IN.
_ARMS_PER_MATCH = 64
_FOUND_COLUMNS = ", ".join(f"i.{name}" for name in INSTANCE_FIELDS)


def find_statement(query: InstanceQuery, *, limit_each_arm: bool = False) -> tuple[str, list[Any]] | None:
    """The SELECT of a find and its parameters; None when no instance can match.

    Each row is the instance's position, then the columns of SELECT_INSTANCE.
    ``limit_each_arm``: each arm ordered and cut to a page itself, for a
    database that reads every arm whole before merging them (PostgreSQL).
    """
    arms: list[str] = []
    args: list[list[Any]] = []  # each arm's
    below = query.newest_first
    order = "DESC" if below else "ASC"
    after = query.after if query.after is not None else (LAST_SEQ if below else 0)
    for match in query.matches:
        for arm, arm_args in _arms(match):
            clauses = [f"{_position_of(match)} {'<' if below else '>'} ?"]
            arm_args.append(after)
            if query.updated_after is not None:
                clauses.append("i.updated_at > ?")
                arm_args.append(query.updated_after)
            if match.unbound is not None:
                clauses.append(
                    "NOT EXISTS (SELECT 1 FROM parties AS u WHERE u.instance = i.rowid AND u.role = ?)"
                )
                arm_args.append(match.unbound)
            arms.append(f"{arm} AND {' AND '.join(clauses)}")
            args.append(arm_args)
    if not arms:
        return None
    if limit_each_arm and len(arms) > 1:
        arms = [f"({arm} ORDER BY 1 {order} LIMIT ?)" for arm in arms]
        args = [[*arm_args, query.limit] for arm_args in args]
    flat = [value for arm_args in args for value in arm_args]
    flat.append(query.limit)
    return f"{' UNION '.join(arms)} ORDER BY 1 {order} LIMIT ?", flat


def _position_of(match: Match) -> str:
    """The column an arm is ordered by: the one its index holds in position order."""
    return "i.rowid" if match.party is None else "p.instance"


def _arms(match: Match) -> list[tuple[str, list[Any]]]:
    """The arms of one match, each an unfinished SELECT ending in a WHERE clause, with their parameters."""
    states = None if match.states is None else sorted(match.states)
    if match.party is not None:
        sql = (
            f"SELECT p.instance, {_FOUND_COLUMNS} FROM parties AS p JOIN instances AS i ON i.rowid = p.instance "
            "WHERE p.actor = ?"
        )
        args: list[Any] = [match.party]
        if match.role is not None:
            sql += " AND p.role = ?"
            args.append(match.role)
        if states is not None:
            if not states:
                return []
            sql += f" AND {_among_states(len(states))}"
            args += [value for key in states for value in key]
        return [(sql, args)]
    select = f"SELECT i.rowid, {_FOUND_COLUMNS} FROM instances AS i WHERE"
    if states is None:
        return [(f"{select} 1", [])]
    if len(states) > _ARMS_PER_MATCH:
        return [(f"{select} {_among_states(len(states))}", [value for key in states for value in key])]
    return [(f"{select} i.protocol = ? AND i.version = ? AND i.state = ?", list(key)) for key in states]


def _among_states(count: int) -> str:
    return f"(i.protocol, i.version, i.state) IN (VALUES {', '.join(['(?, ?, ?)'] * count)})"


# Every instance (of one protocol) joined with its events: instance after instance, oldest first, each
# instance's events in seq order, straight from the indexes (no sort). An instance's columns repeat on each
# of its event rows; a LEFT JOIN keeps an instance whose events are gone. A seq edited to text falls out of
# the range, as in SELECT_EVENTS, so that it reads as a missing event.
def scan_statement(position: str, placeholder: str, of_protocol: bool) -> str:
    """The scan's SELECT, every instance (of one protocol) and its events, for :func:`stored_instances`.

    ``position`` is the instances' column of creation order, ``placeholder``
    the driver's parameter mark; parameters: LAST_SEQ, then the protocol.
    """
    where = f"WHERE i.protocol = {placeholder} " if of_protocol else ""
    return (
        f"SELECT i.{position}, {', '.join(f'i.{name}' for name in INSTANCE_FIELDS)}, "
        f"{', '.join(f'e.{column}' for column in EVENT_COLUMNS)} "
        f"FROM instances AS i LEFT JOIN events AS e ON e.instance = i.id AND e.seq > 0 AND e.seq <= {placeholder} "
        f"{where}ORDER BY i.{position}, e.seq"
    )


#: Every instance and its events, for :func:`stored_instances`; parameter: LAST_SEQ.
SCAN_INSTANCES = scan_statement("rowid", "?", of_protocol=False)
#: The same for the instances of one protocol; parameters: LAST_SEQ, the protocol.
SCAN_PROTOCOL_INSTANCES = scan_statement("rowid", "?", of_protocol=True)
_SCAN_INSTANCE = slice(1, 1 + len(INSTANCE_FIELDS))
_SCAN_EVENT = slice(1 + len(INSTANCE_FIELDS), None)
_SCAN_EVENT_INSTANCE = 1 + len(INSTANCE_FIELDS) + _INSTANCE_COLUMN


def encode_values(values: Mapping[str, Any]) -> str:
    """A context, signatures, parties or payload mapping as canonical JSON text (tuples become arrays)."""
    return encode_mapping(values)


# The C scanner behind json.loads, called directly: canonical text has no whitespace for json.loads to skip
# first, and skipping that (and its argument checks) makes reading a snapshot's three mappings a third faster.
_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def decode_values(text: str) -> Mapping[str, Any]:
    """The read-only mapping :func:`encode_values` wrote, with its arrays back as tuples."""
    if text == "{}":
        return NO_ENTRIES
    decoded = _recent.get(text)
    if decoded is not None:
        return decoded
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        value, end = None, -1
    if end != len(text):  # not canonical text (a row written by hand): read it as json.loads reads anything
        value = json.loads(text)
    decoded = read_only({key: _decoded(inner) for key, inner in value.items()})
    if len(text) <= _RECENT_TEXT:
        if len(_recent) >= _RECENT_LIMIT:
            _recent.clear()
        _recent[text] = decoded
    return decoded


# Short texts decoded lately, and what they decoded to: a list page reads the same parties and contexts
# again and again. Sharing the mapping is safe: it is read-only, and holds only text, numbers, booleans
# and tuples of text (the values a context, a payload, parties and signatures may hold).
_recent: dict[str, Mapping[str, Any]] = {}
_RECENT_TEXT = 200
_RECENT_LIMIT = 4096


def _decoded(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):  # a sign-off's roles and their signers
        return read_only({key: _decoded(inner) for key, inner in value.items()})
    return value


def encode_snapshot(instance: Instance, before: tuple[Instance, Encoded] | None = None) -> Encoded:
    """The stored form of ``instance``'s mappings, reusing ``before``'s text for each one a step left as it was."""
    if before is None:
        return (
            encode_values(instance.context),
            encode_values(instance.signatures),
            encode_values(instance.parties),
        )
    kept, (context, signatures, parties) = before
    return (
        context if instance.context is kept.context else encode_values(instance.context),
        signatures if instance.signatures is kept.signatures else encode_values(instance.signatures),
        parties if instance.parties is kept.parties else encode_values(instance.parties),
    )


def instance_row(instance: Instance, encoded: Encoded, created_at: str, updated_at: str) -> list[Any]:
    """The parameters of INSERT_INSTANCE: ``instance`` with its mappings already encoded."""
    row = [*_instance_values(instance), created_at, updated_at]
    for at, text in zip(_JSON_AT, encoded, strict=True):
        row[at] = text
    return row


def snapshot_update(
    instance: Instance, encoded: Encoded, updated_at: str, expected_seq: int
) -> tuple[Any, ...]:
    """The parameters of UPDATE_SNAPSHOT: ``instance`` after a step, if the stored one is at ``expected_seq``."""
    return (instance.state, *encoded, instance.seq, instance.head, updated_at, instance.id, expected_seq)


def content_update(
    instance: Instance, encoded: Encoded, updated_at: str, expected_seq: int
) -> tuple[Any, ...]:
    """The parameters of UPDATE_CONTENT: ``instance`` after a step that changed neither its state nor its parties."""
    context, signatures, _parties = encoded
    return (context, signatures, instance.seq, instance.head, updated_at, instance.id, expected_seq)


def snapshot_write(
    instance: Instance, encoded: Encoded, updated_at: str, expected_seq: int, before: Instance | None
) -> tuple[str, tuple[Any, ...]]:
    """The UPDATE of an instance's row after a step, and its parameters: the columns the step changed.

    ``before`` is the snapshot the store last read or wrote. When it is the
    stored one (at ``expected_seq``) and the step kept the parties, the
    parties column is not written (nor, when the state is the same, the
    state column): the parties trigger is not run, and the state index not
    touched. Otherwise every column is written (UPDATE_SNAPSHOT).
    """
    if before is not None and before.seq == expected_seq and before.parties is instance.parties:
        context, signatures, _parties = encoded
        if before.state == instance.state:
            return UPDATE_CONTENT, content_update(instance, encoded, updated_at, expected_seq)
        return UPDATE_STATE, (
            instance.state,
            context,
            signatures,
            instance.seq,
            instance.head,
            updated_at,
            instance.id,
            expected_seq,
        )
    return UPDATE_SNAPSHOT, snapshot_update(instance, encoded, updated_at, expected_seq)


def instance_from_row(row: Sequence[Any]) -> tuple[Instance, Encoded]:
    """The snapshot a SELECT_INSTANCE row holds, with its mappings as stored.

    The stored text comes with it so that a store can write it again
    unchanged when a step changes neither. A row altered past reading is a
    :class:`StoreError` naming its column.
    """
    values = list(row)
    context, signatures, parties = row[_CONTEXT_AT], row[_SIGNATURES_AT], row[_PARTIES_AT]
    try:  # the message of a failure is worked out only for a row that fails: lists read thousands of rows
        if tuple(map(type, row)) not in _INSTANCE_SHAPE.rows:
            raise TypeError
        values[_CONTEXT_AT] = decode_values(context)
        values[_SIGNATURES_AT] = decode_values(signatures)
        values[_PARTIES_AT] = decode_values(parties)
    except (TypeError, ValueError, AttributeError, RecursionError):
        _refuse_instance_row(row)
    return Instance(*values), (context, signatures, parties)


def _refuse_instance_row(row: Sequence[Any]) -> None:
    """Raise the StoreError that names what makes an instance row unreadable."""
    what = f"instance {row[0]!r}"
    _INSTANCE_SHAPE.check(row, what)
    for name, at in zip(JSON_FIELDS, _JSON_AT, strict=True):
        _decoded_row_values(row[at], name, what)
    raise StoreError(f"The stored {what} is unreadable.")  # not reached: one of the checks above raises


def answer_text(instance: Instance, encoded: Encoded) -> str:
    """A snapshot as the JSON text of its SELECT_INSTANCE row, for an idempotency key's answer."""
    values = list(_instance_values(instance))
    for at, text in zip(_JSON_AT, encoded, strict=True):
        values[at] = text
    return canonical_text(values)


def answer_from_text(text: str) -> Instance:
    """The snapshot :func:`answer_text` wrote."""
    return instance_from_row(json.loads(text))[0]


def event_row(event: Event) -> list[Any]:
    """The parameters of INSERT_EVENT for ``event``."""
    row = list(_event_values(event))
    row[_PAYLOAD_AT] = encode_values(event.payload)
    row[_ACTOR_AT : _ACTOR_AT + 1] = _actor_values(event.actor)
    return row


def event_from_row(row: Sequence[Any]) -> Event:
    """The event a SELECT_EVENTS row holds; :class:`StoreError` when the row was altered past reading."""
    what = f"event {row[_SEQ_COLUMN]!r} of instance {row[_INSTANCE_COLUMN]!r}"
    _EVENT_SHAPE.check(row, what)
    values = list(row)
    values[_ACTOR_COLUMNS] = [Actor(*row[_ACTOR_COLUMNS])]
    values[_PAYLOAD_AT] = _decoded_row_values(values[_PAYLOAD_AT], "payload", what)
    return Event(*values)


def stored_instances(found: Iterable[Sequence[Any]]) -> Iterator[StoredInstance]:
    """The instances the rows of a SCAN_INSTANCES query hold, one at a time; an unreadable row is its problem."""
    for _, group in itertools.groupby(found, key=operator.itemgetter(0)):
        first = next(group)
        instance_id = first[1] if type(first[1]) is str else repr(first[1])
        snapshot: Instance | None = None
        events: list[Event] = []
        problem: StoreError | None = None
        try:
            snapshot = instance_from_row(first[_SCAN_INSTANCE])[0]
            if first[_SCAN_EVENT_INSTANCE] is not None:  # None: the LEFT JOIN found no event
                for row in itertools.chain((first,), group):
                    events.append(event_from_row(row[_SCAN_EVENT]))
        except StoreError as error:
            problem = error
        yield StoredInstance(instance_id, snapshot, tuple(events), problem)


def stored_definitions(
    found: Iterable[Sequence[Any]], rebuilt: dict[tuple[str, int, str], Definition], where: str
) -> list[Definition]:
    """The definitions SELECT_DEFINITIONS rows hold, each rebuilt once (``rebuilt`` keeps them by key and digest).

    :class:`UnreadableDefinitions` (holding the others) if a row is altered:
    one damaged row must not take every protocol with it. ``where`` names
    the table in the message.
    """
    kept: list[Definition] = []
    unreadable: dict[tuple[str, int], str] = {}
    for protocol, version, digest, source in found:
        key = (protocol, version, digest)
        definition = rebuilt.get(key)
        if definition is None:
            try:
                definition = _stored_definition(source, digest)
            except ValueError as error:  # one damaged row: the others stay usable
                unreadable[(protocol, version)] = str(error)
                continue
            rebuilt[key] = definition
        kept.append(definition)
    if unreadable:
        raise UnreadableDefinitions(where, unreadable, kept)
    return kept


def _stored_definition(source: Any, digest: Any) -> Definition:
    """The definition a ``definitions`` row keeps; ValueError saying what is wrong when it was altered."""
    try:
        definition = definition_from_document(json.loads(source))
    except (ValueError, TypeError, RecursionError, DefinitionError) as error:
        raise ValueError(f"its source is unreadable: {error}") from None
    if definition.digest != digest:
        raise ValueError(
            f"it reads back with digest {definition.digest[:12]}…, not the digest it was stored under, "
            f"{str(digest)[:12]}…: the definitions table was altered"
        )
    return definition
