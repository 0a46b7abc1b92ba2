"""Stores: where instances' snapshots and append-only, hash-chained histories live.

``Store`` is the interface; ``MemoryStore`` the in-memory default;
``SQLiteStore`` the embedded database and ``PostgresStore`` the server
(each imported on first use: they load sqlite-utils and psycopg);
``open_store`` opens the one a URL names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore
from just_workflow.store.opening import open_store

if TYPE_CHECKING:
    from just_workflow.store.postgres import PostgresStore
    from just_workflow.store.sqlite import SQLiteStore

_LAZY = {"SQLiteStore": "just_workflow.store.sqlite", "PostgresStore": "just_workflow.store.postgres"}


def __getattr__(name: str) -> Any:
    """Import ``SQLiteStore`` and ``PostgresStore`` on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'just_workflow.store' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)


__all__ = ["MemoryStore", "PostgresStore", "SQLiteStore", "Store", "open_store"]
