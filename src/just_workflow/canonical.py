"""Canonical JSON: the exact bytes that definition digests and event hashes are computed over.

Sorted keys, no insignificant white space, UTF-8 without ``\\u`` escapes for
non-ASCII text, no NaN or infinities. Any auditor can recompute these bytes
with a standard JSON library: ``json.dumps(obj, sort_keys=True,
separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")``.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(obj: Any) -> bytes:
    """The canonical UTF-8 JSON bytes of ``obj`` (JSON types, tuples as arrays)."""
    return _ENCODER.encode(obj).encode("utf-8")
