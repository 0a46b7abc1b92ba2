"""Canonical JSON: the exact bytes that definition digests and event hashes are computed over.

Sorted keys, no insignificant white space, UTF-8 without ``\\u`` escapes for
non-ASCII text, no NaN or infinities. Any auditor can recompute these bytes
with a standard JSON library: ``json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any


def _unencodable(value: object) -> object:
    """A read-only mapping (a snapshot's context, a payload) as the dict it views; anything else is refused."""
    if isinstance(value, MappingProxyType):
        return dict(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_unencodable
)


# The C encoder behind json.dumps, built once with the settings above: JSONEncoder.encode builds a new
# one on every call, which costs more than encoding a small object. Without circular-reference markers
# (a shared markers dict would outlive a failed call): a cycle ends in RecursionError.
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE: Callable[[Any, int], Sequence[str]] | None = (
    _make_c_encoder(None, _unencodable, json.encoder.encode_basestring, None, ":", ",", True, False, False)
    if _make_c_encoder is not None
    else None
)


def canonical_text(obj: Any) -> str:
    """The canonical JSON text of ``obj`` (JSON types, tuples as arrays)."""
    if _C_ENCODE is None:
        return _ENCODER.encode(obj)
    return "".join(_C_ENCODE(obj, 0))


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj`` (JSON types, tuples as arrays)."""
    return canonical_text(obj).encode("utf-8")
