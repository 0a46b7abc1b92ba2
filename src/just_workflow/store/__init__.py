"""Stores: where instances' snapshots and append-only, hash-chained histories live.

``Store`` is the interface; ``MemoryStore`` the in-memory default;
``SQLiteStore`` the embedded database (imported on first use: it loads
sqlite-utils).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore

if TYPE_CHECKING:
    from just_workflow.store.sqlite import SQLiteStore


def __getattr__(name: str) -> Any:
    """Import ``SQLiteStore`` on first use."""
    if name != "SQLiteStore":
        raise AttributeError(f"module 'just_workflow.store' has no attribute {name!r}")
    return importlib.import_module("just_workflow.store.sqlite").SQLiteStore


__all__ = ["MemoryStore", "SQLiteStore", "Store"]
