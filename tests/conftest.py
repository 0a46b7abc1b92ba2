"""Shared test configuration: the Hypothesis profiles, the PostgreSQL database, each store kind (shared test data lives in fixtures.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import just_workflow as jw
from pg_server import drop_schema, fresh_schema, unavailable

# A quick profile for local runs, a thorough one for CI (HYPOTHESIS_PROFILE=ci in .ci/run).
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a PostgreSQL database for the session's tests (see pg_server.py)."""
    url = os.environ.get("JUST_WORKFLOW_TEST_PG_URL")
    if url:
        yield url
        return
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[test]')")
    from just_workflow.testing.postgres_server import ServerUnavailable, private_server

    with contextlib.ExitStack() as stack:
        try:
            server = stack.enter_context(private_server(durable=False))
        except ServerUnavailable as error:
            unavailable(str(error))
        yield server.create_database("just_workflow_tests")


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """The URL of a fresh, empty schema of the test database, dropped after the test."""
    url = fresh_schema(postgres_database)
    yield url
    drop_schema(url)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[jw.Store]:
    """Each store kind the engine's own tests run on; a test file with a ``store`` of its own uses that."""
    if request.param == "memory":
        yield jw.MemoryStore()
    else:
        with jw.SQLiteStore(tmp_path / "workflows.db") as opened:
            yield opened
