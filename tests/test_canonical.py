"""Canonical JSON: exactly the bytes of RFC 8785 (JCS), as the ``rfc8785`` package writes them."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from just_workflow import canonical
from just_workflow.canonical import MAX_SAFE_INTEGER, canonical_json, canonical_text

# Text of any valid Unicode: control characters, quotes, and keys that sort differently by UTF-16 code
# units than by code points (U+E000..U+FFFF against characters outside the BMP).
texts = st.text(st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    ["\x00\x1f\x7f", '"\\', "\b\t\n\f\r", "\ue000", "\uffff", "\U00010000", "😀", "\U0010ffff"]
)
# Any JSON value: escapes, non-ASCII text, integers up to 2**53 - 1, any finite float, nested containers.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_json_is_rfc_8785(value: Any) -> None:
    """Keys in UTF-16 order, ECMAScript numbers, minimal escapes: the bytes rfc8785.dumps writes, and their text."""
    assert canonical_json(value) == rfc8785.dumps(value)
    assert canonical_text(value) == rfc8785.dumps(value).decode("utf-8")


@given(json_values)
def test_the_c_encoder_and_the_python_encoder_agree_where_the_checks_let_the_c_text_through(
    value: Any,
) -> None:
    """The pure-Python encoder is JCS for every value; the C encoder's text is too wherever the checks pass it."""
    out: list[str] = []
    canonical._encode(value, out)
    expected = rfc8785.dumps(value).decode("utf-8")
    assert "".join(out) == expected
    if canonical._C_ENCODE is not None:
        text = "".join(canonical._C_ENCODE(value, 0))
        flagged = not canonical._integral(value) or canonical._OUTSIDE_BMP.search(text)
        assert flagged or text == expected


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (0.1, "0.1"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (2**53 - 1, "9007199254740991"),
        (-(2**53) + 1, "-9007199254740991"),
    ],
)
def test_numbers_are_written_as_ecmascript_writes_them(number: float, text: str) -> None:
    """Shortest round-trip digits, no ``.0``, exponents from 1e21 and below 1e-6, ``-0`` as ``0``."""
    assert canonical_text(number) == text


def test_keys_are_sorted_by_utf16_code_units() -> None:
    """A key outside the BMP (a surrogate pair in UTF-16) sorts before U+E000..U+FFFF, unlike code points."""
    assert canonical_text({"\uffff": 1, "😀": 2, "a": 3}) == '{"a":3,"😀":2,"\uffff":1}'


def test_only_quotes_backslashes_and_control_characters_are_escaped() -> None:
    """Short escapes where JSON has them, ``\\u00xx`` in lowercase hex for the rest, DEL and U+2028 as they are."""
    assert (
        canonical_text('"\\\b\t\n\f\r\x00\x1f\x7f\u2028é')
        == '"\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u001f\x7f\u2028é"'
    )


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


@pytest.mark.parametrize("number", [2**53, -(2**53), 10**5000], ids=["2**53", "-2**53", "10**5000"])
def test_integers_beyond_2_53_are_refused(number: int) -> None:
    """An integer an IEEE double cannot hold exactly has no canonical form: ValueError, as rfc8785 refuses it."""
    with pytest.raises(ValueError, match="outside"):
        canonical_json({"n": [number]})


def test_a_lone_surrogate_is_refused() -> None:
    """A string that is not valid Unicode has no UTF-8 bytes: UnicodeEncodeError, a ValueError."""
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"title": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        canonical_json({"\udfff": 1, "\U00010000": 2})


def test_a_refused_value_leaves_nothing_behind() -> None:
    """A container whose encoding failed halfway is encoded normally once its bad value is gone."""
    shared: dict[str, Any] = {"fields": ["ai"], "zone": object()}
    with pytest.raises(TypeError):
        canonical_json({"a": shared})
    del shared["zone"]
    assert canonical_json({"a": shared}) == b'{"a":{"fields":["ai"]}}'


class _Fields(Mapping[str, Any]):
    """A read-only mapping without ``copy``, as an app might wrap in a view."""

    def __init__(self, entries: dict[str, Any]) -> None:
        self._entries = entries

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


@pytest.mark.parametrize("wrap", [dict, collections.OrderedDict, _Fields])
def test_a_read_only_view_is_encoded_as_the_mapping_it_shows(wrap: Callable[[dict[str, Any]], Any]) -> None:
    """A view of a dict, of a dict subclass or of another mapping, at the top or nested, gives the dict's bytes."""
    entries = {"b": [1, "two"], "a": {"z": True, "é": None}}
    expected = rfc8785.dumps(entries)
    assert canonical_json(MappingProxyType(wrap(entries))) == expected
    assert canonical_json({"view": MappingProxyType(wrap(entries))}) == rfc8785.dumps({"view": entries})
