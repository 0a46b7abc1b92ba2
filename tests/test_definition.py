"""The definition model: its digest covers what a definition says, never the defaults it leaves unsaid."""

from __future__ import annotations

import hashlib

import attrs
import rfc8785

from fixtures import moa_definition
from just_workflow import definition as d


def _nulls_and_empties(value: object) -> int:
    if isinstance(value, dict):
        return sum(_nulls_and_empties(v) for v in value.values())
    if isinstance(value, list):
        return sum(_nulls_and_empties(v) for v in value)
    return int(value is None or value == [] or value is False)


def test_the_digest_hashes_the_non_default_values_only() -> None:
    """The digest is SHA-256 of the canonical JSON of the fields set to other than their defaults."""
    definition = moa_definition()
    body = attrs.asdict(
        definition,
        filter=lambda a, v: a.name != "origin" and not (a.default is not attrs.NOTHING and v == a.default),
    )
    assert definition.digest == hashlib.sha256(rfc8785.dumps(body)).hexdigest()
    assert _nulls_and_empties(body) == 0  # no default null, empty list or false value is hashed


def test_a_new_optional_key_would_not_change_existing_digests() -> None:
    """A subclass adding a field with a default (as a new format key would) digests an old definition the same."""

    @attrs.frozen
    class Later(d.Definition):
        added: str | None = None

    definition = moa_definition()
    later = Later(**{a.name: getattr(definition, a.name) for a in attrs.fields(d.Definition)})
    assert later.digest == definition.digest
    assert attrs.evolve(later, added="x").digest != definition.digest
