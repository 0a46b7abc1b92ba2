"""The private PostgreSQL server of the tests: found where installed, refused clearly where not."""

from __future__ import annotations

import pytest

from just_workflow.testing import postgres_server
from just_workflow.testing.postgres_server import ServerUnavailable, server_programs


def test_without_postgresql_installed_the_reason_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No initdb on PATH nor under /usr/lib/postgresql: ServerUnavailable naming the package and the variable."""
    monkeypatch.setattr(postgres_server.shutil, "which", lambda name, path=None: None)
    monkeypatch.setattr(postgres_server.glob, "glob", lambda pattern: [])
    with pytest.raises(ServerUnavailable, match="apt-get install postgresql-15.*JUST_WORKFLOW_TEST_PG_URL"):
        server_programs()


def test_the_session_server_answers(postgres_database: str) -> None:
    """The database the PostgreSQL tests use is reachable (a private server, or the one named)."""
    import psycopg

    with psycopg.connect(postgres_database) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int").fetchone()
    assert row is not None and row[0] >= 130000  # pg_current_xact_id and pg_snapshot_xmin: 13 or newer
