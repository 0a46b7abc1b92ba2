"""``open_store``: the store a URL or a path names, as ``--db`` and ``JUST_WORKFLOW_DB`` give it.

- ``postgresql://...`` or ``postgres://...``: a :class:`~just_workflow.store.postgres.PostgresStore`;
- ``sqlite:///path/to/file.db`` (``sqlite:///relative.db``, ``sqlite:////absolute.db``)
  or a plain path: a :class:`~just_workflow.store.sqlite.SQLiteStore`;
- ``memory:``: a new, empty :class:`~just_workflow.store.memory.MemoryStore`.

Any other ``scheme:`` is refused with :class:`StoreError` naming it; each
store module is imported only when its URL is opened.
"""

from __future__ import annotations

import os
import re

from just_workflow.errors import StoreError
from just_workflow.store.base import Store
from just_workflow.store.memory import MemoryStore

#: The URL schemes open_store knows, for messages.
SCHEMES = ("postgresql://", "postgres://", "sqlite:///", "memory:")
# A scheme is letters then "://" or "memory:"; "C:\\x.db" and "C:/x.db" (a drive letter) are paths.
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]+):")


def open_store(url: str | os.PathLike[str]) -> Store:
    """The store ``url`` names (a path, ``sqlite:///``, ``postgresql://``, ``memory:``); a new connection each call."""
    text = os.fspath(url)
    if not isinstance(text, str) or not text:
        raise StoreError(f"A store URL or path is needed, got {url!r}; known schemes: {', '.join(SCHEMES)}.")
    if text.startswith(("postgresql://", "postgres://")):  # before sqlite_path, which refuses these
        from just_workflow.store.postgres import PostgresStore

        return PostgresStore(text)
    if text == "memory:":
        return MemoryStore()
    from just_workflow.store.sqlite import SQLiteStore

    return SQLiteStore(sqlite_path(text))


def sqlite_path(url: str) -> str:
    """The file a path or ``sqlite:///`` URL names; :class:`StoreError` for a URL of another or unknown scheme."""
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or len(url) == len("sqlite:///"):
            raise StoreError(
                f"Unreadable SQLite URL {url!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db."
            )
        return url.removeprefix("sqlite:///")
    scheme = _SCHEME.match(url)
    if scheme is not None:
        raise StoreError(
            f"Unknown store URL scheme {scheme['scheme']!r} in {url!r}; known: {', '.join(SCHEMES)}, "
            "or a path to a SQLite file."
        )
    return url


def is_server_url(url: str) -> bool:
    """Whether ``url`` names a database on a server (or in memory) rather than a file."""
    return url.startswith(("postgresql://", "postgres://")) or url == "memory:"
