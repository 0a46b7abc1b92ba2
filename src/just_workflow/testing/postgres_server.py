"""A private PostgreSQL server for tests and benchmarks: ``initdb`` in a temporary folder, stopped at the end.

::

    with private_server() as server:
        store = jw.PostgresStore(server.create_database("shop"))

The server listens on a Unix socket in its own folder only (no TCP port,
nothing reachable from another machine), trusts the local user ``postgres``
and is stopped and deleted on exit. It needs the PostgreSQL server programs
(``initdb``, ``pg_ctl``): on ``PATH``, or where Debian puts them
(``/usr/lib/postgresql/<major>/bin``). PostgreSQL refuses to run as root:
as root, the server runs as the system user ``postgres`` (the Debian
packages create it), else as ``nobody``. :class:`ServerUnavailable` says why
a server could not be started; tests turn it into a skip with that message.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import attrs

from just_workflow.errors import WorkflowError

#: The superuser of a private server, and the only user it trusts.
SUPERUSER = "postgres"
_PORT = 5432  # only names the socket file, in the server's own folder: no clash with another server


class ServerUnavailable(WorkflowError):
    """No private PostgreSQL server could be started here (the message says why)."""


@attrs.frozen
class PrivateServer:
    """A running private server: its socket folder and the URL of its ``postgres`` database."""

    folder: Path

    def url(self, database: str = "postgres") -> str:
        """The connection URL of ``database`` on this server."""
        return f"postgresql://{SUPERUSER}@/{database}?host={self.folder}&port={_PORT}"

    def create_database(self, name: str) -> str:
        """Create the database ``name`` (dropping one of that name first); its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def server_programs() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``; :class:`ServerUnavailable` when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found is not None and shutil.which("pg_ctl", path=str(Path(found).parent)):
        return Path(found).resolve().parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(folder, "initdb").is_file() and Path(folder, "pg_ctl").is_file():
            return Path(folder)
    raise ServerUnavailable(
        "PostgreSQL's server programs (initdb, pg_ctl) are not installed: install them "
        "(Debian: apt-get install postgresql-15), or point JUST_WORKFLOW_TEST_PG_URL at a server."
    )


def _server_user() -> str | None:
    """The user to run the server as: None for the current one, unless it is root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServerUnavailable("Running as root, and neither a 'postgres' nor a 'nobody' user exists to run it.")


@contextlib.contextmanager
def private_server(*, durable: bool = True) -> Iterator[PrivateServer]:
    """Start a private server, yield it, stop it and delete its files.

    ``durable=False`` turns off ``fsync`` (quicker tests; a crash of the
    machine would lose the data, which tests do not keep).
    """
    programs = server_programs()
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="just-workflow-pg-"))
    data = folder / "data"
    as_user = [] if user is None else ["runuser", "-u", user, "--"]
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    settings = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c port={_PORT}"
    if not durable:
        settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    started = False
    try:
        _run(
            [
                *as_user,
                str(programs / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
            "initdb",
        )
        log = folder / "server.log"
        _run(
            [
                *as_user,
                str(programs / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-o",
                settings,
                "-w",
                "start",
            ],
            "pg_ctl start",
            log,
        )
        started = True
        yield PrivateServer(folder)
    finally:
        if started:
            subprocess.run(
                [*as_user, str(programs / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(folder, ignore_errors=True)


def _run(command: list[str], what: str, log: Path | None = None) -> None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ServerUnavailable(f"{what} failed: {error}") from None
    if done.returncode != 0:
        told = (done.stderr or done.stdout).strip()
        if log is not None and log.is_file():
            told += "\n" + log.read_text(errors="replace")[-2000:]
        raise ServerUnavailable(f"{what} failed (exit {done.returncode}): {told}")
