"""Canonical JSON: the exact bytes that definition digests and event hashes are computed over.

Canonical JSON is the JSON Canonicalization Scheme, RFC 8785 (JCS):

- no white space between tokens; UTF-8 bytes;
- object members sorted by their keys compared as sequences of UTF-16 code
  units (a character outside the Basic Multilingual Plane sorts as its
  surrogate pair, so before U+E000..U+FFFF); keys are strings;
- strings escape ``"`` and ``\\`` with a backslash, U+0008, U+0009, U+000A,
  U+000C, U+000D as ``\\b \\t \\n \\f \\r``, the other characters below
  U+0020 as ``\\u00xx`` (lowercase hex), and nothing else; a string must be
  valid Unicode (a lone surrogate is refused);
- numbers as ECMAScript's ``Number.prototype.toString``: integers within
  ±(2**53 - 1) in decimal, floats in their shortest round-trip form (``1``
  not ``1.0``, ``1e-7``, ``1e+21``, ``-0`` as ``0``); NaN, infinities and
  larger integers are refused;
- ``true``, ``false``, ``null``; arrays keep their order.

Any auditor can recompute these bytes with a JCS implementation (the tests
compare with the ``rfc8785`` package). Values outside this domain raise
``ValueError`` (a lone surrogate, ``UnicodeEncodeError``) or ``TypeError``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

#: The largest integer magnitude canonical JSON holds: every integer up to it is exact as an IEEE double.
MAX_SAFE_INTEGER = 2**53 - 1


def _unencodable(value: object) -> object:
    """A read-only mapping (a snapshot's context, a payload) as the dict it views; anything else is refused."""
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# The C encoder behind json.dumps, built once (JSONEncoder.encode builds a new one on every call, which
# costs more than encoding a small object): sorted keys, no spaces, no \u escapes beyond the control
# characters, no NaN. Without circular-reference markers (a shared markers dict would outlive a failed
# call): a cycle ends in RecursionError. Its text is JCS unless a float, a key outside the BMP or a too
# large integer is in it; the two patterns below find those in the text (a float's repr has a digit
# before "." or "e", an integer beyond 2**53 - 1 at least 16 digits), at the price of sometimes flagging
# a string. Two patterns, not one: ASCII text (most) skips the second, and one alternation costs more.
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Callable[[Any, int], Sequence[str]] | None = (
    _make_c_encoder(None, _unencodable, json.encoder.encode_basestring, None, ":", ",", True, False, False)
    if _make_c_encoder is not None
    else None
)
_OUTSIDE_BMP = re.compile("[\U00010000-\U0010ffff]")

# The string encoder behind json.dumps(ensure_ascii=False): its escapes are exactly JCS's.
encode_string: Callable[[str], str] = (
    getattr(json.encoder, "c_encode_basestring", None) or json.encoder.py_encode_basestring
)


_SURROGATE = re.compile("[\ud800-\udfff]")


def is_valid_text(text: str) -> bool:
    """Whether ``text`` is valid Unicode, so has UTF-8 bytes: no lone surrogate (``json.loads('"\\ud800"')``)."""
    # A str holds a surrogate pair as the one character it encodes: any surrogate left in it is lone.
    return text.isascii() or _SURROGATE.search(text) is None


def is_safe_integer(value: int) -> bool:
    """Whether ``value`` is within ±(2**53 - 1), the integers canonical JSON holds exactly."""
    return -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER


def utf16_order(key: str) -> bytes:
    """The sort key of an object member: its key's UTF-16 code units, big-endian, so bytes compare as units."""
    return key.encode("utf-16-be")


def encode_integer(value: int) -> str:
    """An integer within ±(2**53 - 1) in decimal; a larger one is refused."""
    if is_safe_integer(value):
        return int.__repr__(value)
    raise ValueError("an integer outside ±(2**53 - 1), the range canonical JSON holds exactly")


def encode_float(value: float) -> str:
    """A finite float as ECMAScript's ``Number.prototype.toString`` writes it."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not JSON compliant: canonical JSON has no NaN or infinities")
    if value == 0:
        return "0"  # -0 too
    sign = "-" if value < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript does; only the layout differs.
    mantissa, _, exponent = float.__repr__(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    # The decimal point's position relative to the first significant digit (ECMAScript's n).
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    count = len(digits)
    if count <= point <= 21:
        return sign + digits + "0" * (point - count)
    if 0 < point <= 21:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    power = point - 1
    mark = "+" if power >= 0 else "-"
    head = digits[0] if count == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{head}e{mark}{abs(power)}"


def _encode(value: Any, out: list[str]) -> None:
    """Append the JCS text of ``value`` to ``out``; subclasses (a str enum) as their base type, as json does."""
    if isinstance(value, str):
        out.append(encode_string(value))
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(encode_integer(value))
    elif isinstance(value, float):
        out.append(encode_float(value))
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict | MappingProxyType):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"keys must be str, not {type(key).__name__}")
        out.append("{")
        for index, key in enumerate(sorted(value, key=utf16_order)):
            if index:
                out.append(",")
            out.append(encode_string(key))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _integral(value: Any) -> bool:
    """Whether ``value`` holds no float and no integer beyond ±(2**53 - 1): the C encoder then writes JCS numbers.

    Walks the value, not the text: a digit before ``e`` or ``.`` in a string (a hash, a time stamp) is no number.
    """
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        number: int = value
        return -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER
    if kind is dict or kind is MappingProxyType:
        value = value.values()
    elif kind is not list and kind is not tuple:
        return False  # a float, or a type the general path judges
    for item in value:  # noqa: SIM110 (a plain loop: a generator in all() costs more, on every encoding)
        if not _integral(item):
            return False
    return True


def canonical_text(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (JSON types, tuples as arrays, read-only mappings as objects)."""
    if _C_ENCODE is not None:
        if type(obj) is MappingProxyType:
            # A snapshot's context or an event's payload (a stored row's JSON): the C encoder would call back
            # for the view; a copy of the dict it shows (every view the library makes shows one) costs less.
            try:
                viewed = obj.copy()
            except AttributeError:  # a view of a mapping without copy(): the callback takes it
                viewed = None
            if type(viewed) is dict:
                obj = viewed
        try:
            text = "".join(_C_ENCODE(obj, 0))
        except (TypeError, ValueError):
            text = ""  # a non-str key or an unencodable value: the general path raises its error
        if text and _integral(obj) and (text.isascii() or _OUTSIDE_BMP.search(text) is None):
            return text
    out: list[str] = []
    _encode(obj, out)
    return "".join(out)


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj``; a lone surrogate raises ``UnicodeEncodeError``."""
    return canonical_text(obj).encode("utf-8")
