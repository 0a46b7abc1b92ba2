"""The connections a database store opens: one per thread, and a fresh start in a forked child.

A connection must not be used by two processes. Nor may a forked child close
the connections it inherited: closing a PostgreSQL connection there ends the
parent's session on the shared socket, and closing a SQLite one may remove
the parent's write-ahead log files under its feet. So a child sets the
parent's connections aside, referenced forever, never used nor closed, and
opens its own. :class:`ThreadConnections` does this for the SQLite and the
PostgreSQL stores alike.
"""

from __future__ import annotations

import os
import threading
from typing import Generic, Protocol, TypeVar


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)

# Connections forked children inherited: referenced forever so that they are never closed there.
_INHERITED: list[object] = []


class ThreadConnections(Generic[C]):
    """The connections one store opened in this process, and each thread's own slots (:meth:`here`)."""

    def __init__(self) -> None:
        self._pid = os.getpid()
        self._local = threading.local()
        self._connections: list[C] = []
        self._lock = threading.Lock()

    def here(self) -> threading.local:
        """This thread's slots (what it keeps: its session); empty in a forked child, once per child."""
        if os.getpid() != self._pid:
            self._forget_parent()
        return self._local

    def _forget_parent(self) -> None:
        _INHERITED.extend(self._connections)
        self._connections = []
        self._lock = threading.Lock()  # the parent's lock may have been held at fork time
        self._local = threading.local()
        self._pid = os.getpid()

    def add(self, conn: C) -> None:
        """Count ``conn``, just opened by this process, among those :meth:`close` closes."""
        with self._lock:
            self._connections.append(conn)

    def discard(self, conn: C) -> None:
        """Close ``conn`` (a broken one, being replaced) and forget it."""
        with self._lock:
            if conn in self._connections:
                self._connections.remove(conn)
        conn.close()

    def close(self) -> None:
        """Close every connection this process opened, and empty every thread's slots."""
        with self._lock:
            connections, self._connections = self._connections, []
            self._local = threading.local()
        for conn in connections:
            conn.close()
