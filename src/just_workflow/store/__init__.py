"""Stores: where instances' snapshots and append-only, hash-chained histories live.

``Store`` is the interface; ``MemoryStore`` the in-memory default;
``SQLiteStore`` the embedded database.
"""

from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore
from just_workflow.store.sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store"]
