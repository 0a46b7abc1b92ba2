"""The PostgreSQL server the tests run against, and a fresh schema on it for each store under test.

The server is ``JUST_WORKFLOW_TEST_PG_URL`` when set, else a private one
started for the session (:mod:`just_workflow.testing.postgres_server`). When
none can be had the PostgreSQL tests are skipped, saying why, or fail when
``JUST_WORKFLOW_REQUIRE_PG=1`` (CI sets it: there, a skip would hide them).
"""

from __future__ import annotations

import os
import urllib.parse
import uuid

import pytest


def unavailable(reason: str) -> None:
    """Skip the test for ``reason``, or fail it when PostgreSQL is required."""
    message = f"no PostgreSQL server for the tests: {reason}"
    if os.environ.get("JUST_WORKFLOW_REQUIRE_PG") == "1":
        pytest.fail(message + " (JUST_WORKFLOW_REQUIRE_PG=1: the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(message)


def fresh_schema(url: str) -> str:
    """Create a new, empty schema on the database at ``url``; the URL whose connections use it."""
    import psycopg

    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={urllib.parse.quote(f'-csearch_path={name}')}"


def drop_schema(url: str) -> None:
    """Drop the schema :func:`fresh_schema` made for ``url``, with everything in it."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT current_schema()").fetchone()
        assert row is not None
        conn.execute(f"DROP SCHEMA {row[0]} CASCADE")
