"""open_store: a path or a URL gives the store it names; the CLI's --db and JUST_WORKFLOW_DB take the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import just_workflow as jw
from fixtures import DEFINITIONS
from just_workflow.cli import main


@pytest.mark.parametrize("form", ["{folder}/w.db", "sqlite:///{folder}/w.db"])
def test_a_path_or_a_sqlite_url_is_a_sqlite_store(tmp_path: Path, form: str) -> None:
    """A plain path and sqlite:///path open the SQLite file at that path."""
    store = jw.open_store(form.format(folder=tmp_path))
    assert isinstance(store, jw.SQLiteStore)
    assert store.path == f"{tmp_path}/w.db"
    store.close()


def test_a_relative_sqlite_url_is_relative_to_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlite:///w.db (three slashes) names w.db in the current folder; four slashes an absolute path."""
    monkeypatch.chdir(tmp_path)
    store = jw.open_store("sqlite:///w.db")
    assert isinstance(store, jw.SQLiteStore) and store.path == "w.db"
    store.close()
    assert (tmp_path / "w.db").is_file()


def test_memory_is_a_new_memory_store() -> None:
    """memory: gives a new, empty MemoryStore each time."""
    first, second = jw.open_store("memory:"), jw.open_store("memory:")
    assert isinstance(first, jw.MemoryStore) and first is not second


def test_a_postgresql_url_is_a_postgres_store(postgres_url: str) -> None:
    """postgresql:// and postgres:// open a PostgresStore on that database."""
    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        store = jw.open_store(url)
        assert isinstance(store, jw.PostgresStore) and store.url == url
        store.close()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db.example/workflows", "Unknown store URL scheme 'mysql'"),
        ("https://example.org/w.db", "Unknown store URL scheme 'https'"),
        ("sqlite://w.db", "Unreadable SQLite URL 'sqlite://w.db'"),
        ("sqlite:///", "Unreadable SQLite URL"),
        ("", "A store URL or path is needed"),
    ],
)
def test_anything_else_is_refused_naming_it(url: str, message: str) -> None:
    """An unknown scheme, a malformed SQLite URL or nothing is a StoreError that says what is known."""
    with pytest.raises(jw.StoreError, match=message) as refused:
        jw.open_store(url)
    assert "postgresql://" in str(refused.value) or "sqlite:///" in str(refused.value)


def test_the_cli_runs_on_a_postgresql_url_from_the_option_or_the_environment(postgres_url: str) -> None:
    """start with --db URL, then history with JUST_WORKFLOW_DB=URL, see the same instance."""
    runner = CliRunner()
    who = ["--actor", "anna", "--role", "sme", "--id", "p1"]
    started = runner.invoke(
        main, ["start", "sme_approaching_hei", *who, "--db", postgres_url, "--definitions", str(DEFINITIONS)]
    )
    assert started.exit_code == 0, started.output
    history = runner.invoke(main, ["history", "p1", "--json"], env={"JUST_WORKFLOW_DB": postgres_url})
    assert history.exit_code == 0, history.output
    assert '"kind": "start"' in history.output
    with jw.PostgresStore(postgres_url) as store:
        assert [event.kind for event in store.events("p1")] == ["start"]


def test_the_cli_refuses_an_unknown_scheme_as_a_usage_error() -> None:
    """--db with an unknown scheme exits 2 with the open_store message."""
    result = CliRunner().invoke(main, ["history", "x", "--db", "mysql://db/w"])
    assert result.exit_code == 2
    assert "Unknown store URL scheme 'mysql'" in result.output
