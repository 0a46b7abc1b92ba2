"""The reads the SQL stores make alike: stored definitions, histories, idempotency keys, instance ids; closing.

SQLiteStore and PostgresStore differ in their drivers, placeholders and
write paths, not in what these reads ask or how their rows are decoded. A
store built on :class:`SqlReads` gives its statements
(:class:`ReadStatements`, in its driver's placeholder style), how it runs
one (``_fetch_one``, ``_fetch_all``), its per-thread connections, the
cache of rebuilt definitions and the name of its definitions table in
messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, Self

import attrs

from just_workflow.definition import Definition
from just_workflow.errors import InstanceNotFound
from just_workflow.events import Event
from just_workflow.store import rows
from just_workflow.store.base import KeyAnswer
from just_workflow.store.connections import ThreadConnections


@attrs.frozen
class ReadStatements:
    """The SQL of the shared reads, in one driver's placeholder style."""

    events: str
    seq: str
    key: str
    instance_ids: str
    protocol_instance_ids: str
    definition_digest: str
    definitions: str


class SqlReads:
    """The reads and the closing both SQL stores share; a subclass sets the attributes below."""

    _reads: ReadStatements
    _threads: ThreadConnections[Any]
    _rebuilt: dict[tuple[str, int, str], Definition]

    @property
    def _definitions_table(self) -> str:
        """How messages name the store's definitions table (``The definitions table of ...``)."""
        raise NotImplementedError

    def _fetch_one(self, sql: str, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def _fetch_all(self, sql: str, args: tuple[Any, ...], table: str) -> list[Any]:
        raise NotImplementedError

    def close(self) -> None:
        """Close every connection this process opened; the store reopens one on its next use."""
        self._threads.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _stored_digest(self, protocol: str, version: int) -> str | None:
        row = self._fetch_one(self._reads.definition_digest, (protocol, version))
        return None if row is None else str(row[0])

    def definitions(self) -> list[Definition]:
        """Every stored definition; :class:`UnreadableDefinitions` (holding the others) if a row is altered."""
        found = self._fetch_all(self._reads.definitions, (), "definitions")
        return rows.stored_definitions(found, self._rebuilt, self._definitions_table)

    def events(self, instance_id: str, after_seq: int = 0, upto_seq: int | None = None) -> list[Event]:
        upto = rows.LAST_SEQ if upto_seq is None else upto_seq
        found = self._fetch_all(self._reads.events, (instance_id, after_seq, upto), "events")
        events = [rows.event_from_row(row) for row in found]
        if not events and self._fetch_one(self._reads.seq, (instance_id,)) is None:
            raise InstanceNotFound(instance_id)
        return events

    def answer_for_key(self, instance_id: str, idempotency_key: str) -> KeyAnswer | None:
        row = self._fetch_one(self._reads.key, (instance_id, idempotency_key))
        if row is None:
            return None
        seq, request, answer = row
        return KeyAnswer(int(seq), request, None if answer is None else rows.answer_from_text(answer))

    def instance_ids(self, protocol: str | None = None) -> Iterator[str]:
        if protocol is None:
            found = self._fetch_all(self._reads.instance_ids, (), "instances")
        else:
            found = self._fetch_all(self._reads.protocol_instance_ids, (protocol,), "instances")
        return iter([instance_id for (instance_id,) in found])
