"""Loading definition files, one or a folder of them, into definitions; every problem located.

The pipeline of one file: its size (at most 1 MiB) -> UTF-8 text -> plain data
(YAML through :mod:`just_workflow.formats.safe_yaml`, JSON, TOML, by the file's
extension) -> :func:`~just_workflow.formats.document.definition_from_document`. Every
failure is a :class:`~just_workflow.errors.DefinitionError` whose problems name
the file and, where the syntax gives them, the line and column of the path
(or of its nearest ancestor in the file, for a missing key). In TOML files,
a key inside an inline table is located at the key that holds the table.

A folder is read whole: every ``*.yaml``, ``*.yml``, ``*.json`` and
``*.toml`` directly inside it, and the problems of all its files are raised
together.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from just_workflow.definition import Definition
from just_workflow.errors import DefinitionError, Problem
from just_workflow.formats import SYNTAXES
from just_workflow.formats.document import definition_from_document
from just_workflow.formats.safe_yaml import (
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    ParsedDocument,
    Position,
    index_path,
    key_path,
    locate,
    read_yaml,
    too_large,
    yaml_positions,
)

_TOML_WHERE = re.compile(r" \(at line (\d+), column (\d+)\)$")
_TOML_KEY = re.compile(r"[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'")
_TOML_DOTTED = rf"(?:{_TOML_KEY.pattern})(?:\s*\.\s*(?:{_TOML_KEY.pattern}))*"
_TOML_HEADER = re.compile(rf"\s*\[(?P<array>\[?)\s*(?P<keys>{_TOML_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_TOML_ASSIGNMENT = re.compile(rf"\s*(?P<keys>{_TOML_DOTTED})\s*=\s*")


def load_definition(path: str | os.PathLike[str]) -> Definition:
    """The definition in the file at ``path`` (YAML, JSON or TOML by its extension), with ``origin`` set."""
    file = os.fspath(path)
    syntax = SYNTAXES.get(Path(file).suffix.lower())
    if syntax is None:
        accepted = ", ".join(SYNTAXES)
        raise DefinitionError(
            [Problem(f"Unknown file extension; definition files end in {accepted}", file=file)]
        )
    return parse_definition(_read(file), syntax=syntax, origin=file)


def parse_definition(content: bytes | str, *, syntax: str, origin: str | None = None) -> Definition:
    """The definition in ``content``, written in ``syntax`` (``yaml``, ``json`` or ``toml``).

    ``origin`` names where the content came from: it becomes the definition's
    ``origin`` and the ``file`` of every problem.
    """
    parsed = read_document(content, syntax=syntax, origin=origin)
    try:
        return definition_from_document(parsed.data, origin=origin)
    except DefinitionError as error:
        raise DefinitionError(_located(error.problems, parsed.positions, origin)) from None


def read_document(content: bytes | str, *, syntax: str, origin: str | None = None) -> ParsedDocument:
    """The plain data of ``content`` in ``syntax``, and the positions of its paths; not yet a definition.

    The first steps of :func:`parse_definition` (size, UTF-8, syntax), for
    tools that inspect documents, such as a JSON Schema validator.
    """
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise too_large(len(raw), origin)
    parse = _PARSERS.get(syntax)
    if parse is None:
        raise ValueError(f"Unknown syntax {syntax!r}; syntaxes are: {', '.join(sorted(_PARSERS))}")
    return parse(_decode(raw, origin), origin)


def definition_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The definition files directly inside ``folder``, sorted by name."""
    path = Path(folder)
    if not path.is_dir():
        reason = "is not a folder" if path.exists() else "does not exist"
        raise DefinitionError([Problem(f"The definitions folder {os.fspath(folder)!r} {reason}")])
    return sorted(child for child in path.iterdir() if child.suffix.lower() in SYNTAXES and child.is_file())


def load_all_versions(folder: str | os.PathLike[str]) -> dict[tuple[str, int], Definition]:
    """Every definition in ``folder``, by ``(protocol, version)``, for an engine that runs old versions too.

    Raises one DefinitionError with the problems of every file, and when two
    files define the same protocol and version.
    """
    problems: list[Problem] = []
    loaded: list[Definition] = []
    for file in definition_files(folder):
        try:
            loaded.append(load_definition(file))
        except DefinitionError as error:
            problems += error.problems
    try:
        versions = index_versions(loaded)
    except DefinitionError as error:
        problems += error.problems
    if problems:
        raise DefinitionError(problems)
    return versions


def load_definitions(folder: str | os.PathLike[str]) -> dict[str, Definition]:
    """The definitions in ``folder`` by protocol name, each protocol at its highest version.

    :func:`load_all_versions` gives the older versions as well.
    """
    newest: dict[str, Definition] = {}
    for definition in load_all_versions(folder).values():
        if definition.protocol not in newest or definition.version > newest[definition.protocol].version:
            newest[definition.protocol] = definition
    return newest


def index_versions(definitions: Iterable[Definition]) -> dict[tuple[str, int], Definition]:
    """``definitions`` by ``(protocol, version)``; DefinitionError when two share both."""
    versions: dict[tuple[str, int], Definition] = {}
    problems: list[Problem] = []
    for definition in definitions:
        first = versions.setdefault(definition.key, definition)
        if first is not definition:
            message = (
                f"Protocol {definition.protocol!r} version {definition.version} is defined twice: "
                f"in {first.origin or '<definition>'} and in {definition.origin or '<definition>'}"
            )
            problems.append(Problem(message, path="$.version", file=definition.origin))
    if problems:
        raise DefinitionError(problems)
    return versions


# Reading and decoding


def _read(file: str) -> bytes:
    try:
        _refuse_unless_regular(os.stat(file), file)
        # O_NONBLOCK: a FIFO swapped in after the stat must not block the open; fstat then sees what was opened.
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(descriptor, "rb") as stream:
            status = os.fstat(descriptor)
            _refuse_unless_regular(status, file)
            if status.st_size > MAX_DOCUMENT_BYTES:
                raise too_large(status.st_size, file)
            # One byte more than allowed: a file that grew since fstat() is still caught.
            return stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as error:
        raise DefinitionError(
            [Problem(f"Cannot read the file: {error.strerror or error}", file=file)]
        ) from None


#: What a file that is not a regular file is, by the test of its mode.
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_unless_regular(status: os.stat_result, file: str) -> None:
    """A DefinitionError for anything but a regular file: reading a FIFO or a device could block or never end."""
    if stat.S_ISREG(status.st_mode):
        return
    kind = next((name for test, name in _NOT_REGULAR if test(status.st_mode)), "another kind of file")
    message = f"Not a regular file: {file!r} is {kind}; a definition file is a regular file"
    raise DefinitionError([Problem(message, file=file)])


def _decode(raw: bytes, file: str | None) -> str:
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        offset = error.start
        line = raw.count(b"\n", 0, offset) + 1
        column = offset - (raw.rfind(b"\n", 0, offset) + 1) + 1
        message = f"Not valid UTF-8: byte 0x{raw[offset]:02x} at offset {offset}; save the file as UTF-8"
        raise DefinitionError([Problem(message, file=file, line=line, column=column)]) from None


# The syntaxes besides YAML


def _read_json(text: str, file: str | None) -> ParsedDocument:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        problem = Problem(f"Invalid JSON: {error.msg}", file=file, line=error.lineno, column=error.colno)
        raise DefinitionError([problem]) from None
    except _DuplicateKey as duplicate:
        raise DefinitionError([_located_duplicate(text, duplicate.key, file)]) from None
    except RecursionError:
        raise _too_deep(file) from None
    except ValueError as error:  # an integer of thousands of digits, over Python's conversion limit
        raise DefinitionError([Problem(f"Invalid JSON: {error}", file=file)]) from None
    _check_depth(data, file)
    return ParsedDocument(data, yaml_positions(text))


def _read_toml(text: str, file: str | None) -> ParsedDocument:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = _TOML_WHERE.search(message)
        if where:
            line, column = int(where[1]), int(where[2])
        else:  # "(at end of document)"
            line, column = text.count("\n") + 1, len(text) - text.rfind("\n")
        message = _TOML_WHERE.sub("", message).removesuffix(" (at end of document)")
        raise DefinitionError(
            [Problem(f"Invalid TOML: {message}", file=file, line=line, column=column)]
        ) from None
    except RecursionError:
        raise _too_deep(file) from None
    except ValueError as error:  # an integer of thousands of digits, over Python's conversion limit
        raise DefinitionError([Problem(f"Invalid TOML: {error}", file=file)]) from None
    _check_depth(data, file)
    # TOML has date literals; the model keeps dates as ISO strings, as YAML and JSON files give them.
    return ParsedDocument(_dates_as_text(data), _toml_positions(text))


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _located_duplicate(text: str, key: str, file: str | None) -> Problem:
    """The duplicate key problem, located by reading the JSON as YAML (which finds duplicates with lines)."""
    try:
        read_yaml(text.replace("\t", " "), file=file)
    except DefinitionError as error:
        if error.problems[0].message.startswith("Duplicate key"):
            return error.problems[0]
    return Problem(f"Duplicate key {key!r}", file=file)


def _check_depth(data: Any, file: str | None) -> None:
    level: list[Any] = [data]
    for _ in range(MAX_DEPTH):
        level = [
            child
            for value in level
            if isinstance(value, dict | list)
            for child in (value.values() if isinstance(value, dict) else value)
        ]
        if not level:
            return
    raise _too_deep(file)


def _too_deep(file: str | None) -> DefinitionError:
    return DefinitionError([Problem(f"Collections are nested deeper than {MAX_DEPTH} levels", file=file)])


def _toml_positions(text: str) -> dict[str, Position]:
    """The positions of the tables and keys that start a line: ``[states.draft]``, ``[[transitions]]``, ``to =``.

    tomllib gives no positions; this line scan finds those of a file tomllib
    has just accepted. Keys inside inline tables get the position of the key
    that holds the table.
    """
    positions: dict[str, Position] = {"$": (1, 1)}
    table = "$"
    last_item: dict[str, int] = {}  # an array of tables -> the index of its latest [[item]]
    for number, line in _toml_lines(text):
        if header := _TOML_HEADER.match(line):
            *parents, name = _toml_keys(header["keys"])
            table = "$"
            for key in parents:
                table = key_path(table, key)
                if table in last_item:  # [[a.b]] extends the latest [[a]]
                    table = index_path(table, last_item[table])
            table = key_path(table, name)
            if header["array"]:
                last_item[table] = last_item.get(table, -1) + 1
                table = index_path(table, last_item[table])
            positions.setdefault(table, (number, header.start("keys") + 1))
        elif assignment := _TOML_ASSIGNMENT.match(line):
            path = table
            for key in _toml_keys(assignment["keys"]):
                path = key_path(path, key)
            positions[path] = (number, assignment.end() + 1)
    return positions


def _toml_lines(text: str) -> Iterator[tuple[int, str]]:
    """Each line (numbered as tomllib numbers them: by ``\\n``) that starts outside a multi-line string."""
    quote: str | None = None
    for number, line in enumerate(text.split("\n"), 1):
        if quote is None:
            yield number, line
        quote = _open_quote_after(line, quote)


def _open_quote_after(line: str, quote: str | None) -> str | None:
    """The multi-line string delimiter still open at the end of ``line``, given the one open at its start.

    Strings are read as TOML reads them, so that a delimiter inside another
    string (three single quotes inside a multi-line basic string) or in a comment opens nothing.
    """
    index = 0
    while index < len(line):
        if quote is not None:  # inside a multi-line string: find its end
            if quote == '"""' and line[index] == "\\":
                index += 2  # an escape: the next character is content, a quote too
            elif line.startswith(quote, index):
                index += 3
                while index < len(line) and line[index] == quote[0]:
                    index += 1  # up to two quotes right before the delimiter belong to the string
                quote = None
            else:
                index += 1
        elif line[index] == "#":
            return None  # a comment runs to the end of the line
        elif line.startswith(('"""', "'''"), index):
            quote, index = line[index : index + 3], index + 3
        elif line[index] in "\"'":
            index = _string_end(line, index)
        else:
            index += 1
    return quote


def _string_end(line: str, start: int) -> int:
    """The index after the one-line string opening at ``start`` (basic strings have escapes, literal ones not)."""
    delimiter, index = line[start], start + 1
    while index < len(line) and line[index] != delimiter:
        index += 2 if delimiter == '"' and line[index] == "\\" else 1
    return index + 1


def _toml_keys(dotted: str) -> list[str]:
    return [key.strip("\"'") for key in _TOML_KEY.findall(dotted)]


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


_PARSERS: dict[str, Callable[[str, str | None], ParsedDocument]] = {
    "yaml": lambda text, file: read_yaml(text, file=file),
    "json": _read_json,
    "toml": _read_toml,
}


def _located(
    problems: Iterable[Problem], positions: Mapping[str, tuple[int, int]], file: str | None
) -> list[Problem]:
    """The problems with the file, and each with the line and column of its path (or nearest ancestor)."""
    located = []
    for problem in problems:
        line, column = locate(positions, problem.path) or (None, None)
        located.append(attrs.evolve(problem, file=file, line=line, column=column))
    # In file order; dict.fromkeys drops a problem that two checks would both report.
    located.sort(key=lambda p: (p.line or 0, p.column or 0))
    return list(dict.fromkeys(located))
