"""What every ``just-workflow`` command shares: its options, how it opens a store and an engine, how it fails.

Conventions: ``--db`` (a SQLite file, ``sqlite:///`` or ``postgresql://`` URL, as
:func:`~just_workflow.store.opening.open_store` takes; default ``workflows.db`` in the current folder),
``--definitions`` (default ``definitions/`` when present), ``--json`` for
machine-readable output, ``--lang`` for titles; exit 0 when all is well, 1
when the command found problems, 2 on usage errors, 130 when interrupted; an
error is one line ``Error: ...``, never a traceback
(:mod:`~just_workflow.cli.failures`).

The command modules import click and the core only; what a command needs
beyond them (the formats, the SQLite store, the checks, the audit, the
diagrams) it imports when it runs, so that ``--help`` and a mistyped command
answer at once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from just_workflow.definition import LANGUAGES, Definition
from just_workflow.errors import UnreadableDefinitions

if TYPE_CHECKING:
    from just_workflow.engine import Engine
    from just_workflow.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])

#: The database commands use when ``--db`` is not given.
DEFAULT_DB = "workflows.db"
#: The folder of definitions commands use when ``--definitions`` is not given and it exists.
DEFAULT_DEFINITIONS = Path("definitions")


class StoreLocation(click.ParamType):  # type: ignore[type-arg]
    """A store's URL or a SQLite file's path, as text; with ``must_exist``, a file must exist already."""

    name = "URL|PATH"

    def __init__(self, *, must_exist: bool) -> None:
        self.must_exist = must_exist

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from just_workflow.errors import StoreError
        from just_workflow.store.opening import is_server_url, sqlite_path

        text = os.fspath(value) if isinstance(value, os.PathLike) else str(value)
        if is_server_url(text):
            return text
        try:
            path = Path(sqlite_path(text))
        except StoreError as error:
            self.fail(str(error), param, ctx)
        if path.is_dir():
            self.fail(f"{text!r} is a directory, not a database file.", param, ctx)
        if self.must_exist and not path.exists():
            self.fail(f"Database file {str(path)!r} does not exist.", param, ctx)
        return text


def db_option(*, must_exist: bool) -> Callable[[F], F]:
    """``--db URL|PATH``: the store (default ``workflows.db``; env ``JUST_WORKFLOW_DB``)."""
    return click.option(
        "--db",
        type=StoreLocation(must_exist=must_exist),
        default=DEFAULT_DB,
        envvar="JUST_WORKFLOW_DB",
        show_default=True,
        help="The store: a SQLite file's path or sqlite:///path, or a postgresql:// URL.",
    )


definitions_option = click.option(
    "--definitions",
    "definitions_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of definition files, every version (default: ./definitions when present).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Language of titles."
)


def actor_options(function: F) -> F:
    """``--actor ID --role ROLE``: who acts."""
    function = click.option("--role", required=True, help="The role the actor acts in (e.g. sme).")(function)
    return click.option("--actor", "actor_id", required=True, help="Who acts (a user id).")(function)


def definitions_folder_or_default(folder: Path | None) -> Path | None:
    """``folder``, or ``./definitions`` when it exists, or None."""
    if folder is None and DEFAULT_DEFINITIONS.is_dir():
        return DEFAULT_DEFINITIONS
    return folder


def trusted_definitions(folder: Path | None) -> list[Definition]:
    """Every definition version in ``folder`` (none when no folder)."""
    from just_workflow.formats.loading import load_all_versions

    folder = definitions_folder_or_default(folder)
    if folder is None:
        return []
    return list(load_all_versions(folder).values())


@contextlib.contextmanager
def opened_store(db: str) -> Iterator[Store]:
    """The store ``db`` names (see :func:`~just_workflow.store.opening.open_store`), closed at the end."""
    from just_workflow.store.opening import open_store

    store = open_store(db)
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


@contextlib.contextmanager
def open_engine(db: str, folder: Path | None) -> Iterator[Engine]:
    """An engine on the store ``db`` with the definitions of ``folder`` and those the store keeps."""
    from just_workflow.engine import Engine

    with opened_store(db) as store:
        loaded = trusted_definitions(folder)
        keys = {definition.key for definition in loaded}
        try:
            stored = store.definitions()
        except UnreadableDefinitions as damaged:
            stored = (
                damaged.readable
            )  # the other protocols stay usable; the engine names the damaged one if used
        kept = [definition for definition in stored if definition.key not in keys]
        yield Engine([*loaded, *kept], store=store)


#: Work shorter than this many units shows no progress bar.
PROGRESS_THRESHOLD = 50_000


@contextlib.contextmanager
def progress_bar(label: str, total: int, unit: int = 1) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on standard error, for long work only.

    ``unit``: how many of ``total``'s counts make one unit of work (the bytes of an event, for a file).
    """
    if total < PROGRESS_THRESHOLD * unit:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        yield progress


def count(number: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
