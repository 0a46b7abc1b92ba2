"""Reading YAML definition files safely, and the positions of their values.

:func:`read_yaml` runs PyYAML's ``SafeLoader``, hardened for definition files:

- scalars follow the YAML 1.2 core schema: only ``true``/``false`` (any case)
  are booleans, so ``on``, ``off``, ``yes``, ``no``, ``y``, ``n`` stay strings;
  integers are decimal, ``0o`` octal or ``0x`` hexadecimal; timestamps stay
  strings (the model keeps dates as ISO ``YYYY-MM-DD`` strings); no merge keys;
- refused: duplicate keys, keys that are not strings, tags other than the
  standard ``!!str !!int !!float !!bool !!null !!seq !!map`` (so no
  ``!!python/...`` and no custom ``!tags``), nesting deeper than
  :data:`MAX_DEPTH`, more than :data:`MAX_ALIAS_EXPANSIONS` nodes reached
  through aliases (alias bombs), documents over :data:`MAX_DOCUMENT_BYTES`,
  several documents in one file.

Every refusal is a :class:`~just_workflow.errors.DefinitionError` whose
problem carries the line and column.

Positions: besides the data, a reader returns a map from paths inside the
document (``$``, ``$.states.draft``, ``$.transitions[3].to``) to 1-based
``(line, column)``. An entry written on one line (a scalar, a flow collection)
is located at its value; a block collection under a key is located at its key,
the line a reader looks for. :func:`locate` finds the position of a path, or
of its nearest ancestor when the path itself is absent (a missing key).
"""

from __future__ import annotations

import re
import reprlib
from collections.abc import Mapping
from typing import Any

import attrs
import yaml

from just_workflow.errors import DefinitionError, Problem

#: Definition files larger than this are refused before they are parsed.
MAX_DOCUMENT_BYTES = 1024 * 1024
#: Deeper nesting of collections is refused (a definition needs about six levels).
MAX_DEPTH = 64
#: Nodes reached again through aliases, beyond which a document is refused as an alias bomb.
MAX_ALIAS_EXPANSIONS = 10_000

#: A 1-based ``(line, column)`` in a file.
Position = tuple[int, int]

_YAML_TAG = "tag:yaml.org,2002:"
_STANDARD_TAGS = frozenset(_YAML_TAG + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))
_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxlong = 60, 40
_LAST_SEGMENT = re.compile(r"(?:\.[^.\[]*|\[\d+\])$")


@attrs.frozen
class ParsedDocument:
    """The plain data of a definition file and the positions of its paths."""

    data: Any
    positions: Mapping[str, Position]


def key_path(parent: str, key: str) -> str:
    """The path of ``key`` inside the mapping at ``parent``: ``$.states`` + ``draft``."""
    return f"{parent}.{key}"


def index_path(parent: str, index: int) -> str:
    """The path of item ``index`` of the list at ``parent``: ``$.transitions[3]``."""
    return f"{parent}[{index}]"


def shown(value: object) -> str:
    """The repr of a value for a message, a long string or number cut short."""
    return _SHORT.repr(value)


def locate(positions: Mapping[str, Position], path: str) -> Position | None:
    """The position of ``path``, else of its nearest ancestor that has one; None when none has."""
    while path not in positions:
        segment = _LAST_SEGMENT.search(path)
        if segment is None or segment.start() == 0:
            return None
        path = path[: segment.start()]
    return positions[path]


def too_large(size: int, file: str | None) -> DefinitionError:
    """The error for a document of ``size`` bytes, over :data:`MAX_DOCUMENT_BYTES`."""
    return DefinitionError(
        [
            Problem(
                f"The file has {size} bytes; definition files are limited to {MAX_DOCUMENT_BYTES}", file=file
            )
        ]
    )


def read_yaml(text: str, *, file: str | None = None) -> ParsedDocument:
    """Parse one YAML document safely into plain data and its positions (see the module docstring)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise too_large(size, file)
    loader = None
    positions: dict[str, Position] = {"$": (1, 1)}
    try:
        loader = _DefinitionLoader(text)
        node = loader.get_single_node()
        if node is None:
            return ParsedDocument(None, positions)
        positions["$"] = _position(node.start_mark)
        _Walk(positions).visit(node, "$")
        return ParsedDocument(loader.construct_document(node), positions)
    except yaml.MarkedYAMLError as error:
        raise DefinitionError([_syntax_problem(error, file)]) from None
    except yaml.reader.ReaderError as error:
        line, column = _line_and_column(text, error.position)
        message = f"Character U+{error.character:04X} is not allowed in YAML ({error.reason})"
        raise DefinitionError([Problem(message, file=file, line=line, column=column)]) from None
    except _Refused as refusal:
        raise DefinitionError([refusal.located(file, positions)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def yaml_positions(text: str) -> Mapping[str, Position]:
    """The positions of the paths of ``text`` read as YAML; empty when it does not read as YAML.

    JSON is (nearly always) YAML, so this gives JSON documents, which the
    ``json`` module parses without positions, their lines and columns. YAML
    refuses tabs where JSON allows them; in valid JSON every raw tab is white
    space between tokens, so each becomes one space (columns are unchanged).
    """
    try:
        return read_yaml(text.replace("\t", " ")).positions
    except DefinitionError:
        return {}


class _Refused(Exception):
    """A safety rule refused the document: ``problem`` says what and where, but for the file.

    An exception around a :class:`~just_workflow.errors.Problem` rather than
    another record: the rules run inside PyYAML's composer and constructors,
    which only raising can stop.
    """

    def __init__(self, message: str, mark: yaml.Mark, path: str = "$") -> None:
        super().__init__(message)
        line, column = _position(mark)
        self.problem = Problem(message, path=path, line=line, column=column)

    def located(self, file: str | None, positions: Mapping[str, Position]) -> Problem:
        """The problem in ``file``; a scalar refused while constructing gets its path from ``positions``."""
        path, at = self.problem.path, (self.problem.line, self.problem.column)
        if path == "$":
            path = next((known for known, position in positions.items() if position == at), path)
        return attrs.evolve(self.problem, path=path, file=file)


def _position(mark: yaml.Mark) -> Position:
    return (mark.line + 1, mark.column + 1)


def _line_and_column(text: str, offset: int) -> Position:
    line_start = text.rfind("\n", 0, offset) + 1
    return (text.count("\n", 0, offset) + 1, offset - line_start + 1)


def _syntax_problem(error: yaml.MarkedYAMLError, file: str | None) -> Problem:
    mark = error.problem_mark or error.context_mark
    parts = [part for part in (error.context, error.problem) if part]
    if error.context and error.context_mark is not None and error.context_mark is not mark:
        context_line, context_column = _position(error.context_mark)
        parts[0] += f" (line {context_line}, column {context_column})"
    message = "Invalid YAML: " + ", ".join(parts)
    if "'\\t'" in message:
        message += "; indent with spaces, not tabs"
    if mark is None:
        return Problem(message, file=file)
    line, column = _position(mark)
    return Problem(message, file=file, line=line, column=column)


def _tag_name(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _DefinitionLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core scalars and a bound on nesting (checked while composing)."""

    # A fresh table instead of SafeLoader's YAML 1.1 one (yes/no booleans, sexagesimals, timestamps, merges).
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 - PyYAML's class-level registry

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # The composer recurses per level: bound it here, before Python's recursion limit is reached.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    f"Collections are nested deeper than {MAX_DEPTH} levels",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        value = str(self.construct_scalar(node)).lower()
        if value not in ("true", "false"):
            raise _Refused(f"{shown(node.value)} is not a boolean (true or false)", node.start_mark)
        return value == "true"

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = str(self.construct_scalar(node))
        try:
            if value.startswith(("0o", "0x")):
                return int(value[2:], 8 if value[1] == "o" else 16)
            return int(value, 10)
        except ValueError:
            raise _Refused(f"{shown(value)} is not an integer", node.start_mark) from None

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = str(self.construct_scalar(node)).lower().replace(".inf", "inf").replace(".nan", "nan")
        try:
            return float(value)
        except ValueError:
            raise _Refused(f"{shown(node.value)} is not a number", node.start_mark) from None


for _tag, _pattern, _first in (
    ("bool", r"(?i:true|false)", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
):
    _DefinitionLoader.add_implicit_resolver(_YAML_TAG + _tag, re.compile(f"^(?:{_pattern})$"), list(_first))
for _tag, _constructor in (
    ("bool", _DefinitionLoader.construct_yaml_bool),
    ("int", _DefinitionLoader.construct_yaml_int),
    ("float", _DefinitionLoader.construct_yaml_float),
):
    _DefinitionLoader.add_constructor(_YAML_TAG + _tag, _constructor)


class _Walk:
    """One pass over the composed nodes: safety checks, and the position of every path."""

    def __init__(self, positions: dict[str, Position]) -> None:
        self.positions = positions
        self.seen: set[int] = set()
        self.ancestors: set[int] = set()
        self.alias_expansions = 0

    def visit(self, node: yaml.Node, path: str, depth: int = 1) -> None:
        if node.tag not in _STANDARD_TAGS:
            raise _Refused(
                f"The tag {_tag_name(node.tag)} is not allowed; only standard YAML tags are",
                node.start_mark,
                path,
            )
        # An alias is the very node object of its anchor: meeting a node again is an alias expansion.
        if id(node) in self.seen:
            self.alias_expansions += 1
            if self.alias_expansions > MAX_ALIAS_EXPANSIONS:
                raise _Refused(
                    f"Aliases expand to more than {MAX_ALIAS_EXPANSIONS} nodes (an alias bomb?)",
                    node.start_mark,
                    path,
                )
        self.seen.add(id(node))
        if id(node) in self.ancestors:
            raise _Refused("An alias refers to a collection that contains it", node.start_mark, path)
        # The composer bounds the written nesting; aliases can deepen it.
        if depth > MAX_DEPTH:
            raise _Refused(f"Collections are nested deeper than {MAX_DEPTH} levels", node.start_mark, path)
        self.ancestors.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._visit_mapping(node, path, depth)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                item_path = index_path(path, index)
                self.positions[item_path] = _position(item.start_mark)
                self.visit(item, item_path, depth + 1)
        self.ancestors.discard(id(node))

    def _visit_mapping(self, node: yaml.MappingNode, path: str, depth: int) -> None:
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            self.visit(key_node, path, depth + 1)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _YAML_TAG + "str":
                written = f"{shown(key_node.value)} " if isinstance(key_node, yaml.ScalarNode) else ""
                raise _Refused(
                    f"The key {written}is a {_tag_name(key_node.tag)}, not a string; keys are names (quote it)",
                    key_node.start_mark,
                    path,
                )
            key: str = key_node.value
            child = key_path(path, key)
            line = key_node.start_mark.line + 1
            if key in first_lines:
                raise _Refused(
                    f"Duplicate key {key!r} on lines {first_lines[key]} and {line}",
                    key_node.start_mark,
                    child,
                )
            first_lines[key] = line
            on_one_line = isinstance(value_node, yaml.ScalarNode) or value_node.flow_style
            self.positions[child] = _position((value_node if on_one_line else key_node).start_mark)
            self.visit(value_node, child, depth + 1)
