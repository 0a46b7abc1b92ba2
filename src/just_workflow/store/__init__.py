"""Stores: where instances' snapshots and append-only, hash-chained histories live.

``Store`` is the interface; ``MemoryStore`` the in-memory default;
``SQLiteStore`` the embedded database.
"""

from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore

__all__ = ["MemoryStore", "Store"]
