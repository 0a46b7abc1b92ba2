"""The store contract (just_workflow.testing.store_contract), run on each of the library's stores."""

from __future__ import annotations

from pathlib import Path

import just_workflow as jw
from just_workflow.store.base import Store
from just_workflow.testing.store_contract import StoreContract


class TestMemoryStore(StoreContract):
    """The contract, on the in-memory store."""

    def make_store(self, folder: Path) -> Store:
        return jw.MemoryStore()


class TestSQLiteStore(StoreContract):
    """The contract, on the SQLite store."""

    def make_store(self, folder: Path) -> Store:
        return jw.SQLiteStore(folder / "store.db")
