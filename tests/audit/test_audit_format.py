"""docs/audit-format.md, the spec: its vectors recompute with another RFC 8785 encoder, its tables match the code."""

from __future__ import annotations

import hashlib
import json
import re

import attrs
import rfc8785

import just_workflow as jw
from fixtures import ROOT
from just_workflow import definition as d
from just_workflow.audit.report import ProblemKind
from just_workflow.canonical import canonical_json
from just_workflow.events import genesis_hash
from just_workflow.formats.document import definition_from_document

SPEC = (ROOT / "docs" / "audit-format.md").read_text(encoding="utf-8")
VECTORS = json.loads((ROOT / "docs" / "audit-vectors.json").read_text(encoding="utf-8"))

#: The records of the definition model, in the order the spec lists them.
RECORDS = (
    d.Definition,
    d.Text,
    d.Role,
    d.Field,
    d.State,
    d.Deadline,
    d.Transition,
    d.Input,
    d.Condition,
    d.Signoff,
    d.Invariant,
)


def _table_rows(heading: str) -> list[list[str]]:
    """The rows of the first table after ``heading``, cells stripped of backticks."""
    section = SPEC[SPEC.index(heading) :]
    rows = []
    for line in section.splitlines()[2:]:
        if line.startswith("|"):
            cells = [cell.strip().strip("`") for cell in line.strip("|").split("|")]
            if set(cells[0]) != {"-"}:
                rows.append(cells)
        elif rows:
            break
    return rows[1:]


def test_every_problem_kind_is_in_the_spec_and_no_other() -> None:
    """The problem kinds table lists exactly ProblemKind's values."""
    listed = [row[0] for row in _table_rows("## Problem kinds")]
    assert sorted(listed) == sorted(kind.value for kind in ProblemKind)


def test_the_digest_layout_is_the_model() -> None:
    """The digest table lists each record's fields, in order, with their defaults."""
    rows = _table_rows("### The digested layout")
    expected = []
    for record in RECORDS:
        for field in attrs.fields(record):
            if field.name == "origin":
                continue
            default = "required" if field.default is attrs.NOTHING else json.dumps(_plain(field.default))
            expected.append([record.__name__, field.name, default])
    assert [row[:3] for row in rows] == expected


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def test_the_canonical_vectors_recompute() -> None:
    """Each canonical JSON vector: the value's canonical bytes are the expected text."""
    assert VECTORS["canonical"]
    for vector in VECTORS["canonical"]:
        assert canonical_json(vector["value"]).decode("utf-8") == vector["canonical"], vector
        assert rfc8785.dumps(vector["value"]).decode("utf-8") == vector["canonical"], (
            vector
        )  # another implementation


def test_the_genesis_vectors_recompute() -> None:
    """Each genesis vector: the library and the spec's formula give the expected prev_hash."""
    for vector in VECTORS["genesis"]:
        seed = {"instance": vector["instance"], "protocol": vector["protocol"], "version": vector["version"]}
        assert hashlib.sha256(rfc8785.dumps(seed)).hexdigest() == vector["prev_hash"]
        assert genesis_hash(vector["instance"], vector["protocol"], vector["version"]) == vector["prev_hash"]


def test_the_event_vectors_recompute_and_replay() -> None:
    """Each event vector: sha256(prev_hash + canonical body) is its hash, and the chain replays clean."""
    events = []
    for vector in VECTORS["events"]:
        body = dict(vector["event"])
        recorded = body.pop("hash")
        hashed = hashlib.sha256(body["prev_hash"].encode("ascii") + rfc8785.dumps(body)).hexdigest()
        assert hashed == recorded == vector["hash"]
        events.append(jw.Event.from_json(vector["event"]))
    definition = definition_from_document(VECTORS["definition"]["document"])
    assert jw.replay(events, [definition]).ok


def test_the_definition_vector_recomputes() -> None:
    """The definition vector: its document gives the digested body given, and that body's hash is its digest."""
    vector = VECTORS["definition"]
    definition = definition_from_document(vector["document"])
    assert hashlib.sha256(rfc8785.dumps(vector["digested"])).hexdigest() == vector["digest"]
    assert definition.digest == vector["digest"]


def test_the_spec_names_no_module_of_the_library() -> None:
    """A stranger implements the spec without our code: it cites no Python module of just_workflow."""
    assert not re.search(r"just_workflow\.(?!log\b)\w", SPEC)  # the format's name, just_workflow.log, aside
