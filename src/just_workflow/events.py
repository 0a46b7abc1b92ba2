"""Events and the hash chain: what every step of an instance leaves behind.

An :class:`Event` is one line of an instance's history. Events are chained:
``hash = sha256(prev_hash + canonical_json(event without "hash"))`` (hex
digests, the ``prev_hash`` as its ASCII hex bytes), and the first event's
``prev_hash`` is :func:`genesis_hash` of the instance id, protocol and version.
The encoding is canonical JSON (see :mod:`just_workflow.canonical`); this
module writes those exact bytes by hand for the fixed fields and the payload
values a step records, because the general encoder is where most of a fire's
time would otherwise go, and remembers the encoded form of the strings that
events repeat and of the fields the events of one transition share. A
property test keeps the two encodings byte-identical.
:func:`new_event` hashes the fields before building the event, so that a
step builds each event once.

The fields are named once, in the :class:`Event` class: :data:`FIELDS` and
the lists derived from it give the JSON data of :meth:`Event.to_json` and
:meth:`Event.from_json` (the one codec of the audit log, the CLI and any
export), the columns of the SQLite store's rows, and the audit reader's
checks. Tests hold the hand-written encoder and :func:`new_event` to the
same list.
"""

from __future__ import annotations

import hashlib
import operator
import typing
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from just_workflow.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_text, encode_string
from just_workflow.records import record

_sha256 = hashlib.sha256
_encode_str = encode_string
_MIN_SAFE_INTEGER = -MAX_SAFE_INTEGER  # named: a negation written in a test is computed each time


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Remembered(dict[K, V], Generic[K, V]):
    """``make(key)`` for each key, made once: a lookup that finds the key is cheaper than making it again.

    Bounded: when full it starts afresh, so that the actors and protocols of
    long ago do not pile up.
    """

    LIMIT = 4096

    def __init__(self, make: Callable[[K], V]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key: K) -> V:
        value = self.make(key)
        if len(self) >= self.LIMIT:
            self.clear()
        self[key] = value
        return value


#: The canonical JSON of the strings events repeat (names, digests, actors): a lookup is cheaper than the
#: encoder, most of all for the 64 characters of a digest.
_encoded: _Remembered[str, str] = _Remembered(_encode_str)

#: The fields the events of one transition of one definition version share, as a key of this cache:
#: digest, protocol, version, kind, source, target, trigger.
_FrameKey = tuple[str, str, int, str, str | None, str, str | None]


def _frame(key: _FrameKey) -> tuple[str, str, str, str]:
    """The canonical JSON around the fields that change from event to event, given the fields that do not.

    Four pieces, in key order: from ``digest`` to the ``instance`` key; the
    ``kind`` up to the ``payload`` key; the ``protocol`` up to the ``seq``
    key; and ``source``, ``target``, ``trigger``, ``version`` to the end.
    """
    digest, protocol, version, kind, source, target, trigger = key
    encoded = _encoded
    return (
        f',"digest":{encoded[digest]},"instance":',
        f',"kind":{encoded[kind]},"payload":',
        f',"protocol":{encoded[protocol]},"seq":',
        f',"source":{"null" if source is None else encoded[source]},"target":{encoded[target]},'
        f'"trigger":{"null" if trigger is None else encoded[trigger]},"version":{version}}}',
    )


# One lookup instead of seven: an f-string with four pieces made once is cheaper than one with eleven.
_frames: _Remembered[_FrameKey, tuple[str, str, str, str]] = _Remembered(_frame)

#: Event kinds: an instance was started; a trigger fired; a role signed a sign-off; a party was bound,
#: unbound or replaced.
START, FIRE, SIGN, PARTY = "start", "fire", "sign", "party"


@attrs.frozen
class Actor:
    """Who acts: a person or system ``id`` acting in a protocol ``role``."""

    id: str
    role: str


# Built through a plain twin class by the __new__ record writes (see just_workflow.records): a step builds
# one event per fire.
@record
class Event:
    """One recorded step: who fired what, from which state to which, with what payload.

    ``target`` is the state after the event (equal to ``source`` when the
    instance stayed). ``trigger`` and ``source`` are None for the start event.
    ``at`` is an ISO 8601 timestamp from the engine's clock.
    """

    instance: str
    seq: int
    kind: str
    protocol: str
    version: int
    digest: str
    trigger: str | None
    source: str | None
    target: str
    actor: Actor
    payload: Mapping[str, Any]
    at: str
    prev_hash: str = ""
    hash: str = ""

    def body(self) -> dict[str, Any]:
        """The event as JSON data without ``hash``: the object whose canonical bytes are hashed."""
        data = dict(zip(BODY_FIELDS, _body_values(self), strict=True))
        data["actor"] = dict(zip(ACTOR_FIELDS, _actor_values(self.actor), strict=True))
        data["payload"] = dict(self.payload)
        return data

    def to_json(self) -> dict[str, Any]:
        """The event as JSON data, ``hash`` included: what a log line, ``history --json`` and any export hold."""
        data = self.body()
        data["hash"] = self.hash
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], shared: dict[Any, Any] | None = None) -> Event:
        """Rebuild an event from :meth:`to_json` data (lists in the payload become tuples; other keys are ignored).

        ``shared``, a dict the caller keeps across calls, makes the events share
        one copy of each string and actor they repeat (ids, names, states,
        digests): a long log holds the same few on every line.
        """
        values = list(_json_values(data))
        actor = _actor_json_values(values[_ACTOR_AT])
        if shared is None:
            values[_ACTOR_AT] = Actor(*actor)
        else:
            share = shared.setdefault
            for at in _REPEATED_TEXT_AT:
                text = values[at]
                values[at] = share(text, text)
            values[_ACTOR_AT] = shared.get(actor) or share(actor, Actor(*actor))
        payload = values[_PAYLOAD_AT]
        values[_PAYLOAD_AT] = {name: tuple(v) if type(v) is list else v for name, v in payload.items()}
        return cls(*values)


# Event(...) by its __new__ alone, called with the class first: without the class call around it, which
# costs a third as much again, for new_event, the path of every step. (Type checkers see object's __new__ on
# the class, the generated one being set when it is made: the fields are checked by the tests instead.)
_build_event: Callable[..., Event] = Event.__new__


# The codec: every encoding of an event (JSON data here, the SQLite store's rows, the audit log's checks)
# derives from these, so that a field is named in the Event class alone.

#: Every field of an event, in the order of its constructor.
FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Event))
#: The fields the hash covers, all but ``hash``, in canonical JSON's (sorted) order.
BODY_FIELDS: tuple[str, ...] = tuple(sorted(name for name in FIELDS if name != "hash"))
#: The fields of an actor: the keys of its JSON object.
ACTOR_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(Actor))
#: The type each field is declared with: ``str``, ``str | None``, ``int``, ``Actor``, ``Mapping[str, Any]``.
FIELD_TYPES: Mapping[str, Any] = typing.get_type_hints(Event)

_ACTOR_AT = FIELDS.index("actor")
_PAYLOAD_AT = FIELDS.index("payload")
# The text fields whose values events repeat (ids, names, states, digests), unlike their time stamps and hashes.
_REPEATED_TEXT_AT = tuple(
    at
    for at, name in enumerate(FIELDS)
    if FIELD_TYPES[name] in (str, str | None) and name not in ("at", "prev_hash", "hash")
)
_body_values = operator.attrgetter(*BODY_FIELDS)
_actor_values = operator.attrgetter(*ACTOR_FIELDS)
_json_values = operator.itemgetter(*FIELDS)
_actor_json_values = operator.itemgetter(*ACTOR_FIELDS)
# The fields but the hash, in the constructor's order: the parameters of the fast encoder and of new_event.
_unsealed_values = operator.attrgetter(*(name for name in FIELDS if name != "hash"))


def genesis_hash(instance_id: str, protocol: str, version: int) -> str:
    """The ``prev_hash`` of an instance's first event: the hash of ``{"instance", "protocol", "version"}``."""
    if type(version) is not int or not _MIN_SAFE_INTEGER <= version <= MAX_SAFE_INTEGER:
        # only a malformed log gets here: let the general encoder judge the value
        return _sha256(
            canonical_json({"instance": instance_id, "protocol": protocol, "version": version})
        ).hexdigest()
    seed = f'{{"instance":{_encode_str(instance_id)},"protocol":{_encode_str(protocol)},"version":{version}}}'
    return _sha256(seed.encode()).hexdigest()


def encode_body(event: Event) -> bytes:
    """Canonical JSON bytes of :meth:`Event.body`, written field by field (keys in sorted order)."""
    return _encode_fields(False, *_unsealed_values(event))


def _encode_fields(
    chained: bool,
    instance: str,
    seq: int,
    kind: str,
    protocol: str,
    version: int,
    digest: str,
    trigger: str | None,
    source: str | None,
    target: str,
    actor: Actor,
    payload: Mapping[str, Any],
    at: str,
    prev_hash: str,
) -> bytes:
    """The canonical JSON bytes of the body; ``chained``: after the ASCII bytes of ``prev_hash``, as hashed."""
    # The prefix goes in the one text encoded to UTF-8, whose ASCII part is its ASCII bytes: a non-ASCII
    # prev_hash has no ASCII bytes, and is refused as encoding it to ASCII refuses it.
    prefix = prev_hash if chained else ""
    if chained and not prev_hash.isascii():
        prev_hash.encode("ascii")  # raises UnicodeEncodeError
    if (
        type(seq) is not int
        or type(version) is not int
        or not _MIN_SAFE_INTEGER <= seq <= MAX_SAFE_INTEGER
        or not _MIN_SAFE_INTEGER <= version <= MAX_SAFE_INTEGER
    ):  # a malformed record: the general encoder judges
        fields = (instance, seq, kind, protocol, version, digest, trigger, source, target, actor, payload, at)
        return prefix.encode() + canonical_json(Event(*fields, prev_hash).body())
    # One f-string builds the text in a single allocation; the general encoder serves the payload only.
    # The time stamp and the previous hash change with every event: they are encoded, not remembered.
    # An instance id is remembered, as the names are: its instance's every event repeats it.
    encoded = _encoded
    digest_to_instance, kind_to_payload, protocol_to_seq, source_to_end = _frames[
        (digest, protocol, version, kind, source, target, trigger)
    ]
    return (
        f'{prefix}{{"actor":{{"id":{encoded[actor.id]},"role":{encoded[actor.role]}}},"at":{_encode_str(at)}'
        f"{digest_to_instance}{encoded[instance]}{kind_to_payload}"
        f'{_encode_payload(payload) if payload else "{}"},"prev_hash":{_encode_str(prev_hash)}'
        f"{protocol_to_seq}{seq}{source_to_end}"
    ).encode()


def _encode_payload(payload: Mapping[str, Any]) -> str:
    """Canonical JSON of a payload: the value types a step records are written here, others by the general encoder."""
    members = []
    encoded = _encoded  # the keys are the definition's field names: remembered
    for key in sorted(payload):
        value = payload[key]
        kind = type(value)
        # Only ASCII keys sort the same by code points (sorted) and by UTF-16 code units (JCS).
        if type(key) is not str or not key.isascii():
            return canonical_text(payload)
        if kind is str:
            text = _encode_str(value)
        elif kind is bool:
            text = "true" if value else "false"
        elif kind is int and _MIN_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            text = int.__repr__(value)
        elif (kind is tuple or kind is list) and _all_strings(value):
            text = f"[{','.join(map(_encode_str, value))}]"
        else:
            return canonical_text(payload)
        members.append(f"{encoded[key]}:{text}")
    return f"{{{','.join(members)}}}"


def _all_strings(items: tuple[Any, ...] | list[Any]) -> bool:
    """Whether every item is exactly a ``str`` (a subclass may encode differently)."""
    for item in items:  # noqa: SIM110 (a plain loop: a generator in all() costs more than the check)
        if type(item) is not str:
            return False
    return True


def compute_hash(event: Event) -> str:
    """The hash an event must carry, given its ``prev_hash`` and body."""
    return _sha256(_encode_fields(True, *_unsealed_values(event))).hexdigest()


def new_event(
    instance: str,
    seq: int,
    kind: str,
    protocol: str,
    version: int,
    digest: str,
    trigger: str | None,
    source: str | None,
    target: str,
    actor: Actor,
    payload: Mapping[str, Any],
    at: str,
    prev_hash: str,
    *,
    seal: bool = True,
) -> Event:
    """An event linked to ``prev_hash``, with its ``hash`` computed (left empty when ``seal`` is false).

    The hash is computed from the fields before the event is built, so that
    a step builds one event, not an unsealed one and then a sealed copy.
    """
    hash = ""
    if seal:
        hashed = _encode_fields(
            True,
            instance,
            seq,
            kind,
            protocol,
            version,
            digest,
            trigger,
            source,
            target,
            actor,
            payload,
            at,
            prev_hash,
        )
        hash = _sha256(hashed).hexdigest()
    return _build_event(
        Event,
        instance,
        seq,
        kind,
        protocol,
        version,
        digest,
        trigger,
        source,
        target,
        actor,
        payload,
        at,
        prev_hash,
        hash,
    )


def seal(event: Event) -> Event:
    """The event with its ``hash`` computed (its ``prev_hash`` is already set by the step)."""
    return attrs.evolve(event, hash=compute_hash(event))


def encode_mapping(values: Mapping[str, Any]) -> str:
    """Canonical JSON text of a payload, or of a mapping of the same values (a context, parties), as the hash chain
    writes a payload: the stores keep the text the chain hashed, encoded the same fast way."""
    return _encode_payload(values) if values else "{}"
