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
    if text.startswith(("postgresql://", "postgres://")):
        from just_workflow.store.postgres import PostgresStore

        return PostgresStore(text)
    if text == "memory:":
        return MemoryStore()
    if text.startswith("sqlite:"):
        if not text.startswith("sqlite:///") or len(text) == len("sqlite:///"):
            raise StoreError(
                f"Unreadable SQLite URL {text!r}: write sqlite:///relative/path.db or sqlite:////absolute/path.db."
            )
        return _sqlite(text.removeprefix("sqlite:///"))
    scheme = _SCHEME.match(text)
    if scheme is not None:
        raise StoreError(
            f"Unknown store URL scheme {scheme['scheme']!r} in {text!r}; known: {', '.join(SCHEMES)}, "
            "or a path to a SQLite file."
        )
    return _sqlite(text)


def _sqlite(path: str) -> Store:
    from just_workflow.store.sqlite import SQLiteStore

    return SQLiteStore(path)
