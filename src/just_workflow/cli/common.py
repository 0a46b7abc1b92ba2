"""What every ``just-workflow`` command shares: its options, how it opens a store and an engine, how it fails.

Conventions: ``--db`` (default ``workflows.db`` in the current folder),
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
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from just_workflow.definition import LANGUAGES, Definition

if TYPE_CHECKING:
    from just_workflow.engine import Engine

F = TypeVar("F", bound=Callable[..., Any])

#: The database commands use when ``--db`` is not given.
DEFAULT_DB = Path("workflows.db")
#: The folder of definitions commands use when ``--definitions`` is not given and it exists.
DEFAULT_DEFINITIONS = Path("definitions")


def db_option(*, must_exist: bool) -> Callable[[F], F]:
    """``--db PATH``: the SQLite database (default ``workflows.db``; env ``JUST_WORKFLOW_DB``)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path, exists=must_exist),
        default=DEFAULT_DB,
        envvar="JUST_WORKFLOW_DB",
        show_default=True,
        help="The SQLite database file.",
    )


definitions_option = click.option(
    "--definitions",
    "definitions_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of definition files, every version (default: ./definitions when present).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="Language of titles, reasons and labels, names shown by their titles "
    "(default: English titles, names as the definition gives them).",
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
def open_engine(db: Path, folder: Path | None) -> Iterator[Engine]:
    """An engine on the database ``db`` with the definitions of ``folder`` and those the database keeps."""
    from just_workflow.engine import Engine
    from just_workflow.store.sqlite import SQLiteStore

    with SQLiteStore(db) as store:
        loaded = trusted_definitions(folder)
        keys = {definition.key for definition in loaded}
        kept = [definition for definition in store.definitions() if definition.key not in keys]
        yield Engine([*loaded, *kept], store=store)


#: Work shorter than this many units shows no progress bar.
PROGRESS_THRESHOLD = 50_000


@contextlib.contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on standard error, for long work only."""
    if total < PROGRESS_THRESHOLD:
        yield None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        yield progress


def count(number: int, noun: str) -> str:
    """``1 event``, ``2 events``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"
