"""The store contract (just_workflow.testing.store_contract), run on each of the library's stores."""

from __future__ import annotations

from pathlib import Path

import pytest

import just_workflow as jw
from just_workflow.store.base import Store
from just_workflow.testing.store_contract import StoreContract
from pg_server import drop_schema, fresh_schema


class TestMemoryStore(StoreContract):
    """The contract, on the in-memory store."""

    def make_store(self, folder: Path) -> Store:
        return jw.MemoryStore()


class TestSQLiteStore(StoreContract):
    """The contract, on the SQLite store."""

    def make_store(self, folder: Path) -> Store:
        return jw.SQLiteStore(folder / "store.db")


class TestPostgresStore(StoreContract):
    """The contract, on the PostgreSQL store: each store in a fresh schema of the test database."""

    @pytest.fixture(autouse=True)
    def database(self, postgres_database: str) -> None:
        self.database_url = postgres_database

    def make_store(self, folder: Path) -> Store:
        return jw.PostgresStore(fresh_schema(self.database_url))

    def close_store(self, store: Store) -> None:
        assert isinstance(store, jw.PostgresStore)
        store.close()
        drop_schema(store.url)
