"""Tampering with exported logs of every bundled protocol is detected at the exact first bad event.

For each definition in definitions/, two instances are driven through the
protocol and exported. Then every byte of the log is changed, and every
event is deleted, duplicated, swapped with the next one of its instance, and
preceded by an inserted copy of another event of its instance. Each mutated
log is read (``strict=False``) and replayed. The report must fail; its first
problem must be on the first changed line (for a deletion, not before it);
the instance whose history was changed must have its first problem at its
first bad position: one more than the number of its events that stand,
unchanged, before that line; and a changed event line that still parses
must be caught by the hash. In logs embedding their definition, a sample of
the definition line's bytes is changed too.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

import just_workflow as jw
from fixtures import BUNDLED, DEFINITIONS
from just_workflow.audit.replay import TableLookup, definitions_lookup, replay_with
from just_workflow.audit.report import ProblemKind
from just_workflow.definition import PARTY_TRIGGERS, Field, FieldType
from just_workflow.formats.loading import load_all_versions
from just_workflow.testing import TickingClock, invite_everyone

LONG_RUN, SHORT_RUN = 8, 3
# Definition lines are long (10-20 kB); every 41st byte of them is changed, each test a different bit.
EMBEDDED_STRIDE = 41


def candidate_values(field: Field) -> list[Any]:
    """Values to try for a field's input: valid for its type, varied enough to pass common conditions."""
    if field.type is FieldType.STR:
        return list(field.choices or ("Zoë's note ✓",))
    if field.type is FieldType.INT:
        return [80, 1, 0]
    if field.type is FieldType.BOOL:
        return [True, False]
    if field.type is FieldType.DATE:
        return ["2026-03-01"]
    count = max(1, field.min_items or 1)
    if field.choices:
        return [list(field.choices[:count]), *([choice] for choice in field.choices)]
    return [["item"] * count]


def drive(engine: jw.Engine, definition: jw.Definition, events: int) -> jw.Instance:
    """Run an instance up to ``events`` events, preferring triggers fired least and avoiding final states."""
    actors = {role.name: jw.Actor(f"{role.name}-1", role.name) for role in definition.roles}
    starter = (definition.start_by or (definition.roles[0].name,))[0]
    instance = invite_everyone(engine, engine.start(definition.protocol, actors[starter]).id, actors)
    finals = set(definition.final_states())
    fired: dict[str, int] = {}
    while instance.seq < events and instance.state not in finals:
        options = []
        for role, actor in actors.items():
            for option in engine.options(instance.id, actor):
                if option.allowed and option.trigger not in PARTY_TRIGGERS:
                    targets = {t.target for t in definition.transitions if t.trigger == option.trigger}
                    ending = bool(targets & finals)
                    options.append(
                        (ending, fired.get(option.trigger, 0), option.trigger, role, option.inputs)
                    )
        for _ending, _count, trigger, role, inputs in sorted(options):
            fields = [definition.field_map[name] for name in inputs]
            for values in itertools.islice(itertools.product(*map(candidate_values, fields)), 30):
                try:
                    instance = engine.fire(
                        instance.id, trigger, actors[role], dict(zip(inputs, values, strict=True))
                    )
                except (jw.GuardFailed, jw.InvalidPayload, jw.NotAuthorized):
                    continue
                fired[trigger] = fired.get(trigger, 0) + 1
                break
            else:
                continue
            break
        else:
            break
    return instance


@attrs.frozen
class Exported:
    """A log and, for each of its lines, what it holds: ``("event", instance, seq)``, ``("head", instance, seq)``..."""

    data: bytes
    lines: tuple[tuple[str, str | None, int | None], ...]

    def position(self, instance: str, before_line: int) -> int:
        """The instance's first bad position if line ``before_line`` (1-based) is the first changed line."""
        kept = sum(
            1 for kind, owner, _seq in self.lines[: before_line - 1] if kind == "event" and owner == instance
        )
        return kept + 1


@pytest.fixture(scope="module")
def definitions() -> Mapping[tuple[str, int], jw.Definition]:
    """Every bundled definition, by protocol and version."""
    return load_all_versions(DEFINITIONS)


def export(definition: jw.Definition) -> Exported:
    """A log of two instances of ``definition``: a longer run and a short one."""
    engine = jw.Engine([definition], clock=TickingClock())
    drive(engine, definition, LONG_RUN)
    drive(engine, definition, SHORT_RUN)
    buffer = io.BytesIO()
    jw.export_log(engine, buffer)
    data = buffer.getvalue()
    log = jw.read_log(io.BytesIO(data))
    lines: list[tuple[str, str | None, int | None]] = [("header", None, None)] * data.count(b"\n")
    for line, event in zip(log.lines, log.events, strict=True):
        lines[line - 1] = ("event", event.instance, event.seq)
    for head in log.heads.values():
        assert head.line is not None
        lines[head.line - 1] = ("head", head.instance, head.seq)
    return Exported(data, tuple(lines))


def verdict_error(
    report: jw.ReplayReport,
    exported: Exported,
    line: int,
    instance: str | None,
    what: str,
    *,
    flagged: bool = True,
) -> str | None:
    """Why the report misses the tampering that first changed ``line`` (None when it is caught exactly).

    Nothing before ``line`` may be flagged, and (``flagged``) the changed
    line itself must be. ``instance`` is the instance whose history the
    change breaks: its first problem must be at its first bad position.
    """
    if report.ok:
        return f"{what}: not detected"
    first = report.problems[0]
    if first.line is None or first.line < line or (flagged and first.line != line):
        return f"{what}: the first problem is not on line {line}: {first}"
    if instance is not None:
        expected = exported.position(instance, line)
        own = report.problem_of(instance)
        if own is None or own.seq != expected:
            return f"{what}: expected instance {instance} to fail at seq {expected}, got {own}"
    return None


def byte_flips(data: bytes) -> Iterator[tuple[int, bytes]]:
    """Every byte changed once, a different bit by position (so text stays text, digits digits, and not)."""
    for position, value in enumerate(data):
        changed = value ^ (1 << (position % 8))
        yield position, data[:position] + bytes([changed]) + data[position + 1 :]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_changed_byte_is_caught_at_the_first_bad_event(
    path: Path, definitions: Mapping[tuple[str, int], jw.Definition]
) -> None:
    """Changing any one byte of an exported log fails its replay at the changed line; if it still parses, by the hash."""
    definition = jw.load_definition(path)
    exported = export(definition)
    tables: TableLookup = definitions_lookup(definitions)
    failures = []
    for position, mutated in byte_flips(exported.data):
        line = exported.data.count(b"\n", 0, position) + 1
        kind, owner, _seq = exported.lines[line - 1]
        log = jw.read_log(io.BytesIO(mutated), strict=False)
        report = replay_with(log, tables)
        instance = owner if kind == "event" else None
        error = verdict_error(report, exported, line, instance, f"byte {position} (line {line})")
        if error:
            failures.append(error)
        elif (
            kind == "event" and not log.malformed and report.problems[0].kind is not ProblemKind.HASH_MISMATCH
        ):
            failures.append(f"byte {position} (line {line}): still parses, but not caught by the hash")
    assert failures == []
    assert len(exported.data) > 3000  # the runs are long enough to mean something


def event_mutations(exported: Exported) -> Iterator[tuple[str, int, str, list[bytes]]]:
    """(what, first changed line, instance, mutated lines) for each deleted, duplicated, swapped, inserted event."""
    lines = exported.data.splitlines(keepends=True)
    by_key = {
        (owner, seq): index
        for index, (kind, owner, seq) in enumerate(exported.lines)
        if kind == "event" and owner is not None and seq is not None
    }
    for index, (kind, owner, seq) in enumerate(exported.lines):
        if kind != "event" or owner is None or seq is None:
            continue
        line = index + 1
        yield f"delete {owner}@{seq}", line, owner, [*lines[:index], *lines[index + 1 :]]
        yield (
            f"duplicate {owner}@{seq}",
            line + 1,
            owner,
            [*lines[: index + 1], lines[index], *lines[index + 1 :]],
        )
        following = by_key.get((owner, seq + 1))
        if following is not None:
            swapped = [*lines]
            swapped[index], swapped[following] = swapped[following], swapped[index]
            yield f"swap {owner}@{seq} with the next", line, owner, swapped
        for other in (seq - 1, seq + 1):
            if (owner, other) in by_key:
                copy = lines[by_key[(owner, other)]]
                yield (
                    f"insert {owner}@{other} before {owner}@{seq}",
                    line,
                    owner,
                    [*lines[:index], copy, *lines[index:]],
                )


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_deleted_duplicated_swapped_or_inserted_event_is_caught(
    path: Path, definitions: Mapping[tuple[str, int], jw.Definition]
) -> None:
    """Deleting, duplicating, swapping or inserting an event fails the replay at the first bad event."""
    exported = export(jw.load_definition(path))
    failures = []
    count = 0
    for what, line, instance, mutated in event_mutations(exported):
        count += 1
        report = jw.replay(jw.read_log(io.BytesIO(b"".join(mutated)), strict=False), definitions)
        error = verdict_error(report, exported, line, instance, what, flagged=not what.startswith("delete"))
        if error:
            failures.append(error)
    assert failures == []
    assert count >= 4 * (LONG_RUN + SHORT_RUN) - 4


@pytest.mark.parametrize(
    ("mutation", "first_bad_seq", "kind"),
    [
        ("delete {i}@2", 2, ProblemKind.GAP),
        ("duplicate {i}@2", 3, ProblemKind.DUPLICATE),
        ("swap {i}@2 with the next", 2, ProblemKind.REORDERED),
        ("insert {i}@1 before {i}@2", 2, ProblemKind.DUPLICATE),
        ("insert {i}@3 before {i}@2", 2, ProblemKind.REORDERED),
    ],
)
def test_each_structural_change_has_its_kind(
    mutation: str,
    first_bad_seq: int,
    kind: ProblemKind,
    definitions: Mapping[tuple[str, int], jw.Definition],
) -> None:
    """A deleted event is a gap, a repeated one a duplicate, a later one moved up is reordered."""
    exported = export(jw.load_definition(BUNDLED[0]))
    instance = exported.lines[1][1]
    mutations = {what: mutated for what, _line, _instance, mutated in event_mutations(exported)}
    report = jw.replay(jw.read_log(io.BytesIO(b"".join(mutations[mutation.format(i=instance)]))), definitions)
    assert [(p.kind, p.instance, p.seq) for p in report.problems] == [(kind, instance, first_bad_seq)]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_a_changed_embedded_definition_is_caught_on_its_line(path: Path) -> None:
    """In a log embedding its definition, a changed byte of the definition line is flagged on that line."""
    definition = jw.load_definition(path)
    engine = jw.Engine([definition], clock=TickingClock())
    drive(engine, definition, SHORT_RUN)
    buffer = io.BytesIO()
    jw.export_log(engine, buffer, include_definitions=True)
    data = buffer.getvalue()
    start = data.index(b"\n") + 1
    end = data.index(b"\n", start)
    assert jw.replay(jw.read_log(io.BytesIO(data))).ok
    failures = []
    for position in range(start, end + 1, EMBEDDED_STRIDE):
        mutated = data[:position] + bytes([data[position] ^ (1 << (position % 8))]) + data[position + 1 :]
        report = jw.replay(jw.read_log(io.BytesIO(mutated), strict=False))
        if report.ok or report.problems[0].line != 2:
            failures.append(f"byte {position}: {report.problems[:1]}")
    assert failures == []
