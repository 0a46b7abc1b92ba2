"""Canonical JSON: exactly the bytes a standard JSON library writes with the canonical settings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from just_workflow.canonical import canonical_json, canonical_text

# Any JSON value: escapes, non-ASCII text, big integers, floats, nested containers.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def reference(value: Any) -> bytes:
    """The canonical bytes as an auditor writes them with the standard library alone."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


@given(json_values)
def test_canonical_json_is_what_json_dumps_writes(value: Any) -> None:
    """Sorted keys, no white space, UTF-8 without escapes: the bytes json.dumps writes, and their text."""
    assert canonical_json(value) == reference(value)
    assert canonical_text(value) == reference(value).decode("utf-8")


def test_tuples_are_written_as_arrays() -> None:
    """A tuple (how contexts and payloads keep lists) is written as a JSON array."""
    assert canonical_json({"b": ("x", "é"), "a": 1}) == '{"a":1,"b":["x","é"]}'.encode()


def test_values_json_cannot_write_are_refused() -> None:
    """An object without a JSON form raises TypeError naming its type; NaN and infinities raise ValueError."""
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        canonical_json({"roles": {"sme"}})
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json([float("nan")])
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_text({"a": float("inf")})


def test_a_refused_value_leaves_nothing_behind() -> None:
    """A container whose encoding failed halfway is encoded normally once its bad value is gone."""
    shared: dict[str, Any] = {"fields": ["ai"], "zone": object()}
    with pytest.raises(TypeError):
        canonical_json({"a": shared})
    del shared["zone"]
    assert canonical_json({"a": shared}) == b'{"a":{"fields":["ai"]}}'
