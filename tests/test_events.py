"""Events and the hash chain: the fast encoder writes canonical JSON exactly, hashes link, the genesis is fixed."""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
import pickle
from typing import Any

import attrs
import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from just_workflow.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_text
from just_workflow.events import (
    ACTOR_FIELDS,
    BODY_FIELDS,
    FIELDS,
    FIRE,
    SIGN,
    START,
    Actor,
    Event,
    compute_hash,
    encode_body,
    encode_mapping,
    genesis_hash,
    new_event,
    seal,
)
from just_workflow.instance import Command, Instance, detached
from just_workflow.records import constructor, unfrozen

# Any text, escapes and non-ASCII included: quotes, backslashes, control characters, U+2028, emoji, and
# keys that sort differently by UTF-16 code units than by code points (U+FFFF against U+10000 and up).
texts = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['"', "\\", "\n\t\x00", "\u2028", "é😀", "\uffff", "\U00010000", "😀"]
)
hexes = st.text("0123456789abcdef", min_size=64, max_size=64)
# The values a step records in a payload...
recorded_values = st.one_of(
    texts,
    st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER),
    st.booleans(),
    st.lists(texts, max_size=3).map(tuple),
)
# ...and what else a log may hold, which the general encoder takes.
other_values = st.one_of(
    st.lists(texts, max_size=3),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER) | st.booleans(), max_size=2).map(tuple),
    st.dictionaries(texts, st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER), max_size=2),
)


def events_with(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Event]:
    """Events with any text in every field and payloads of ``values``."""
    return st.builds(
        Event,
        instance=texts,
        seq=st.integers(min_value=1, max_value=MAX_SAFE_INTEGER),
        kind=st.sampled_from([START, FIRE, SIGN]),
        protocol=texts,
        version=st.integers(min_value=1, max_value=2**31),
        digest=hexes,
        trigger=st.none() | texts,
        source=st.none() | texts,
        target=texts,
        actor=st.builds(Actor, texts, texts),
        payload=st.dictionaries(texts, values, max_size=4),
        at=texts,
        prev_hash=hexes,
    )


recorded_events = events_with(recorded_values)
events = events_with(recorded_values | other_values)


def reference_hash(event: Event) -> str:
    """The hash as an auditor computes it with an RFC 8785 implementation."""
    return hashlib.sha256(event.prev_hash.encode("ascii") + rfc8785.dumps(event.body())).hexdigest()


def fields(event: Event) -> dict[str, Any]:
    """The constructor arguments of ``event`` without its hash."""
    return {name: value for name, value in attrs.asdict(event, recurse=False).items() if name != "hash"}


@given(events)
def test_the_fast_encoder_writes_canonical_json(event: Event) -> None:
    """encode_body gives exactly the canonical JSON bytes of the event body, escapes and unicode included."""
    assert encode_body(event) == canonical_json(event.body())


@given(st.dictionaries(texts, recorded_values | other_values, max_size=4))
def test_a_payload_or_a_context_is_stored_as_its_canonical_json(values: dict[str, Any]) -> None:
    """``encode_mapping`` writes the text the general encoder writes, fast or not."""
    assert encode_mapping(values) == canonical_text(values)


@given(events)
def test_the_encoder_gives_the_same_bytes_from_its_cache_of_strings(event: Event) -> None:
    """Encoding an event again, its strings now remembered, gives the same canonical bytes."""
    first = encode_body(event)
    assert encode_body(event) == first == canonical_json(event.body())


def test_the_encoder_stays_exact_past_the_size_of_its_caches() -> None:
    """Thousands of distinct ids, actors and protocols (more than the caches keep) are all encoded exactly."""
    for number in range(5000):
        actor = Actor(f"actor-{number}", "sme")
        event = new_event(
            f"i-{number}", 1, START, f"moa-{number}", 1, "d" * 64, None, None, "draft", actor, {}, "t", "h"
        )
        assert encode_body(event) == canonical_json(event.body())


@given(
    events,
    st.sampled_from(["seq", "version"]),
    st.booleans() | st.floats(allow_nan=False, allow_infinity=False),
)
def test_a_seq_or_version_that_is_not_an_int_is_encoded_as_canonical_json_encodes_it(
    event: Event, name: str, value: Any
) -> None:
    """A malformed seq or version (true, 2.0) is written as the general encoder writes it, not as an int."""
    malformed = attrs.evolve(event, **{name: value})
    assert encode_body(malformed) == canonical_json(malformed.body())


@given(events, st.sampled_from(["seq", "version", "payload"]), st.sampled_from([2**53, -(2**53), 2**70]))
def test_an_integer_beyond_2_53_is_refused_by_both_encoders(event: Event, name: str, number: int) -> None:
    """An integer canonical JSON cannot hold, in a fixed field or the payload, raises as the general encoder does."""
    malformed = attrs.evolve(event, **{name: {"n": number} if name == "payload" else number})
    with pytest.raises(ValueError, match="outside"):
        encode_body(malformed)
    with pytest.raises(ValueError, match="outside"):
        canonical_json(malformed.body())


@given(events)
def test_compute_hash_matches_rfc_8785(event: Event) -> None:
    """compute_hash is sha256 of the prev_hash and the canonical body, as RFC 8785 writes it."""
    assert compute_hash(event) == reference_hash(event)


@given(events)
def test_new_event_is_sealed_unless_told_not_to(event: Event) -> None:
    """new_event fills in the hash an auditor would compute; with seal=False the hash stays empty."""
    sealed = new_event(**fields(event))
    assert sealed.hash == reference_hash(event)
    assert attrs.evolve(sealed, hash="") == new_event(**fields(event), seal=False)


@given(events)
def test_seal_adds_the_hash_and_keeps_the_rest(event: Event) -> None:
    """seal returns the same event with its hash computed."""
    sealed = seal(event)
    assert sealed.hash == compute_hash(event)
    assert attrs.evolve(sealed, hash=event.hash) == event


@given(texts, texts, st.integers(min_value=1, max_value=2**40))
def test_genesis_hash_is_the_hash_of_the_instance_protocol_and_version(
    instance: str, protocol: str, version: int
) -> None:
    """The first prev_hash is sha256 of the canonical JSON of instance id, protocol and version."""
    seed = canonical_json({"instance": instance, "protocol": protocol, "version": version})
    assert genesis_hash(instance, protocol, version) == hashlib.sha256(seed).hexdigest()


def test_genesis_hash_of_a_malformed_version_follows_canonical_json() -> None:
    """A version that is not an int (from a malformed log) is encoded as canonical JSON encodes it."""
    for version in (True, 1.0, "1"):
        seed = canonical_json({"instance": "i", "protocol": "p", "version": version})
        assert genesis_hash("i", "p", version) == hashlib.sha256(seed).hexdigest()  # type: ignore[arg-type]


def test_genesis_hash_differs_between_instances_protocols_and_versions() -> None:
    """Two chains never share a first link unless id, protocol and version all agree."""
    hashes = {genesis_hash(*key) for key in [("a", "p", 1), ("b", "p", 1), ("a", "q", 1), ("a", "p", 2)]}
    assert len(hashes) == 4


def chain(length: int) -> list[Event]:
    """A start event and ``length - 1`` fires, each linked to the one before."""
    actor = Actor("anna", "sme")
    head = genesis_hash("i-1", "moa", 1)
    made = []
    for seq in range(1, length + 1):
        kind, trigger, source = (START, None, None) if seq == 1 else (FIRE, "define", "defining")
        payload = {} if seq == 1 else {"fields": (f"field {seq}",)}
        event = new_event(
            "i-1", seq, kind, "moa", 1, "d" * 64, trigger, source, "defining", actor, payload, "t", head
        )
        made.append(event)
        head = event.hash
    return made


def test_each_event_links_to_the_one_before() -> None:
    """prev_hash of each event is the hash of the previous one; the first links to the genesis hash."""
    events_ = chain(5)
    assert events_[0].prev_hash == genesis_hash("i-1", "moa", 1)
    assert [e.prev_hash for e in events_[1:]] == [e.hash for e in events_[:-1]]
    assert all(e.hash == reference_hash(e) for e in events_)


@given(st.sampled_from(["at", "target", "payload", "actor", "seq", "digest", "prev_hash"]))
def test_changing_any_field_changes_the_hash(name: str) -> None:
    """Tampering with a recorded field makes the stored hash disagree with the recomputed one."""
    event = chain(2)[1]
    changed = {
        "at": "2030-01-01",
        "target": "signed",
        "payload": {"fields": ("other",)},
        "actor": Actor("mallory", "sme"),
        "seq": 9,
        "digest": "e" * 64,
        "prev_hash": "0" * 64,
    }[name]
    tampered = attrs.evolve(event, **{name: changed})
    assert compute_hash(tampered) != event.hash


@given(recorded_events)
def test_json_round_trip_keeps_the_event(event: Event) -> None:
    """from_json(to_json(event)) through real JSON text gives the same event back."""
    sealed = seal(event)
    assert Event.from_json(json.loads(json.dumps(sealed.to_json()))) == sealed


@given(recorded_events)
def test_to_json_holds_every_field_of_the_field_list(event: Event) -> None:
    """to_json has a key per field, the hashed ones in sorted order, then the hash; the actor's keys are its fields."""
    data = event.to_json()
    assert list(data) == [*BODY_FIELDS, "hash"]
    assert sorted(data) == sorted(FIELDS)
    assert list(data["actor"]) == list(ACTOR_FIELDS)


@given(events)
def test_the_fast_encoder_writes_the_fields_of_the_field_list_in_order(event: Event) -> None:
    """encode_body, written by hand, has exactly the hashed fields of the field list, in their sorted order."""
    data = json.loads(encode_body(event))
    assert list(data) == list(BODY_FIELDS)
    assert list(data["actor"]) == list(ACTOR_FIELDS)


def test_new_event_takes_the_fields_in_the_order_of_the_event() -> None:
    """new_event (the step's fast path) has a parameter per field but the hash, in the constructor's order."""
    parameters = list(inspect.signature(new_event).parameters)
    assert parameters == [*(name for name in FIELDS if name != "hash"), "seal"]


def test_events_read_with_a_shared_dict_share_their_repeated_strings_and_actors() -> None:
    """from_json with a shared dict gives the same events, holding one copy of each repeated string and actor."""
    shared: dict[Any, Any] = {}
    originals = chain(3)[1:]
    first, second = (Event.from_json(json.loads(json.dumps(e.to_json())), shared) for e in originals)
    assert [first, second] == originals
    assert (
        first.instance is second.instance and first.digest is second.digest and first.target is second.target
    )
    assert first.actor is second.actor


def written_default(default: Any) -> Any:
    """The default a written-out constructor gives for an attrs default: a factory's is attrs' NOTHING."""
    if default is attrs.NOTHING:
        return inspect.Parameter.empty
    return attrs.NOTHING if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]


@pytest.mark.parametrize("record", [Event, Instance, Command])
def test_a_written_out_constructor_takes_and_sets_exactly_the_attrs_fields(record: type[Any]) -> None:
    """Event's, Instance's and Command's __new__, written out for speed, take the attrs fields in order and set each."""
    fields = attrs.fields(record)
    parameters = list(inspect.signature(record.__new__).parameters.values())[1:]
    assert [(p.name, p.default) for p in parameters] == [(f.name, written_default(f.default)) for f in fields]
    values = {f.name: object() for f in fields}
    built = record(**values)
    assert type(built) is record
    assert all(getattr(built, name) is value for name, value in values.items())
    assert attrs.evolve(built) == built


@pytest.mark.parametrize("record", [Event, Instance, Command])
def test_a_record_built_through_its_twin_is_frozen_and_copies_and_pickles(record: type[Any]) -> None:
    """The record that leaves its twin refuses writes, and copy and pickle rebuild an equal one by its constructor."""
    values = {f.name: f"value of {f.name}" for f in attrs.fields(record)}
    built = record(**values)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.seq = 2
    assert not hasattr(built, "__dict__")
    for rebuilt in (copy.copy(built), copy.deepcopy(built), pickle.loads(pickle.dumps(built))):
        assert rebuilt == built and type(rebuilt) is record and rebuilt is not built


@pytest.mark.parametrize("record", [Event, Instance])
def test_a_detached_copy_is_a_new_frozen_record_holding_the_same_values(record: type[Any]) -> None:
    """detached, the copy the engine hands out, is another object of the same class with every field the same."""
    values = {f.name: object() for f in attrs.fields(record)}
    original = record(**values)
    copied = detached(original)
    assert type(copied) is record and copied is not original
    assert all(getattr(copied, name) is value for name, value in values.items())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        copied.seq = 2
    object.__setattr__(copied, "seq", "changed")
    assert original.seq is values["seq"]


def test_only_a_slotted_attrs_class_without_a_weakref_slot_gets_a_twin() -> None:
    """A class whose objects a twin could not become is refused when the twin is made, not at its first object."""

    @attrs.frozen(weakref_slot=True)
    class WithWeakref:
        name: str

    @attrs.frozen(slots=False)
    class WithDict:
        name: str

    for record in (WithWeakref, WithDict):
        with pytest.raises(TypeError, match="must be slotted, without a weakref slot"):
            unfrozen(record)


def test_a_record_whose_fields_its_written_constructor_cannot_honour_is_refused() -> None:
    """A validator, a converter or a factory taking self would be skipped by the written __new__: refused."""

    @attrs.frozen(weakref_slot=False)
    class Validated:
        name: str = attrs.field(validator=attrs.validators.instance_of(str))

    @attrs.frozen(weakref_slot=False)
    class Converted:
        name: str = attrs.field(converter=str)

    @attrs.frozen(weakref_slot=False)
    class SelfMade:
        name: str = attrs.field(default=attrs.Factory(lambda self: "x", takes_self=True))

    for made, what in (
        (Validated, "validator or converter"),
        (Converted, "validator or converter"),
        (SelfMade, "take self"),
    ):
        with pytest.raises(TypeError, match=f"{made.__name__}.name: .*{what}"):
            constructor(made)


def test_a_command_without_a_payload_gets_a_new_empty_dict() -> None:
    """Command's payload defaults to a new empty dict, as its attrs factory makes one: never one shared."""
    actor = Actor("ada", "sme")
    first, second = Command("go", actor), Command("go", actor)
    assert first.payload == {} and second.payload == {}
    assert first.payload is not second.payload
    assert attrs.evolve(first, trigger="back") == Command("back", actor, {})


@given(events, texts)
def test_any_prev_hash_text_is_encoded_and_chained_as_an_auditor_does(event: Event, prev_hash: str) -> None:
    """The prev_hash goes before the body as its ASCII bytes (the body holds it escaped); non-ASCII is refused."""
    linked = attrs.evolve(event, prev_hash=prev_hash)
    assert encode_body(linked) == canonical_json(linked.body())
    if prev_hash.isascii():
        assert compute_hash(linked) == reference_hash(linked)
        assert new_event(**fields(linked)).hash == reference_hash(linked)
    else:
        with pytest.raises(UnicodeEncodeError):
            compute_hash(linked)
        with pytest.raises(UnicodeEncodeError):
            new_event(**fields(linked))
