"""The document form of a definition (the file format, as plain data) and its bridge to the model.

A document is what a definition file holds once parsed: dicts, lists,
strings, numbers, booleans. :func:`definition_from_document` turns one into a
:class:`~just_workflow.definition.Definition` in two stages, each reporting
every problem it finds at once:

1. shape: cattrs structures the document into classes that mirror the file
   format (unknown keys refused, no type coerced: ``"1"`` is not an integer,
   ``yes`` is not a boolean), and the result is mapped to the model;
2. structure: :func:`~just_workflow.checks.validation.structural_findings` on the
   model (names, references, conditions that do not fit their field).

A document with shape problems never reaches the second stage, so no problem
is reported twice. :func:`definition_to_document` is the inverse.

The file spells some keys differently from the model (see
``docs/definition-format.md``): ``from`` is ``sources``, ``to`` is
``target``, ``input`` (field -> ``required``/``optional``) is ``inputs``,
``in`` is an invariant's ``states``; roles, states and context fields are
mappings keyed by name; a plain string is an English-only text; ``from``,
``by`` and ``in`` may be a single name; a transition with a ``signoff`` has
no ``by`` in the file, its signers are the model's ``by``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NewType, TypeVar

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from just_workflow.checks.findings import Severity, suggestion
from just_workflow.checks.validation import structural_findings
from just_workflow.definition import (
    LANGUAGES,
    Condition,
    Deadline,
    Definition,
    Field,
    FieldType,
    Input,
    Invariant,
    Op,
    Role,
    Signoff,
    State,
    Text,
    Transition,
    Value,
)
from just_workflow.errors import DefinitionError, Problem
from just_workflow.formats.safe_yaml import index_path, key_path, shown

_Entry = TypeVar("_Entry")
_Choice = TypeVar("_Choice", bound=enum.StrEnum)

#: A state, a role or a list of them: ``from: draft`` is ``from: [draft]``.
Names = NewType("Names", tuple[str, ...])

#: A field's choices, each with its title (None: none); the file gives a list, or a mapping to titles.
Choices = NewType("Choices", tuple[tuple[str, Text | None], ...])


class InputMode(enum.StrEnum):
    """How a transition takes a field from the payload."""

    REQUIRED = "required"
    OPTIONAL = "optional"


@attrs.frozen
class RoleEntry:
    """A role under ``roles:``, its name being the key."""

    title: Text | None = None
    description: Text | None = None
    open: bool = False
    invited_by: tuple[str, ...] = ()


@attrs.frozen
class StateEntry:
    """A state under ``states:``, its name being the key."""

    title: Text | None = None
    description: Text | None = None
    final: bool = False
    deadline: Deadline | None = None


@attrs.frozen
class FieldEntry:
    """A context field under ``context:``, its name being the key."""

    type: FieldType
    title: Text | None = None
    description: Text | None = None
    choices: Choices | None = None
    min_items: int | None = None


@attrs.frozen
class TransitionEntry:
    """An item of ``transitions:``."""

    trigger: str
    from_: Names
    to: str | None = None
    by: Names | None = None
    input: dict[str, InputMode] | None = None
    requires: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    guards: tuple[str, ...] = ()
    signoff: Signoff | None = None
    title: Text | None = None
    description: Text | None = None
    joins: bool = False


@attrs.frozen
class InvariantEntry:
    """An item of ``invariants:``."""

    name: str
    in_: Names
    requires: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    description: Text | None = None


@attrs.frozen(kw_only=True)
class DefinitionDocument:
    """A whole definition file, key for key, in the order files usually give them."""

    protocol: str
    version: int
    title: Text
    description: Text | None = None
    source: str | None = None
    roles: dict[str, RoleEntry | None] | None
    context: dict[str, FieldEntry] | None = None
    initial: str
    start_by: tuple[str, ...] = ()
    states: dict[str, StateEntry | None]
    transitions: tuple[TransitionEntry, ...]
    invariants: tuple[InvariantEntry, ...] = ()


#: Attribute names that are Python keywords, and the file's keys for them.
_RENAMED = {"from_": "from", "in_": "in"}

#: Model attribute names a writer may reach for, and the file's spelling of them.
_FILE_SPELLING = {"sources": "from", "source": "from", "target": "to", "inputs": "input", "states": "in"}

#: What the mappings of the format map, by the type of their entries.
_MAPPING_NOUNS: dict[Any, str] = {
    RoleEntry: "role names to roles",
    StateEntry: "state names to states",
    FieldEntry: "field names to field specs",
    InputMode: "field names to required or optional",
    Text: "choices to their titles",
}


def document_keys(cls: type) -> tuple[str, ...]:
    """The keys a mapping structured as ``cls`` may have, as the file spells them, sorted."""
    return tuple(sorted(_RENAMED.get(attribute.name, attribute.name) for attribute in attrs.fields(cls)))


def definition_from_document(data: Any, *, origin: str | None = None) -> Definition:
    """The definition a document describes; DefinitionError listing every problem (see the module docstring)."""
    if data is None:
        keys = ", ".join(document_keys(DefinitionDocument))
        raise DefinitionError(
            [Problem(f"The document is empty; a definition is a mapping with the keys {keys}")]
        )
    try:
        document = _CONVERTER.structure(data, DefinitionDocument)
    except Exception as error:
        raise DefinitionError(list(_problems(error, "$"))) from None
    definition = _definition(document, origin)
    problems = [
        Problem(finding.message, path=finding.path)
        for finding in structural_findings(definition)
        if finding.severity is Severity.ERROR
    ]
    if problems:
        raise DefinitionError(problems)
    return definition


def definition_to_document(definition: Definition) -> dict[str, Any]:
    """The document of ``definition``: plain data that :func:`definition_from_document` reads back."""
    document = DefinitionDocument(
        protocol=definition.protocol,
        version=definition.version,
        title=definition.title,
        description=definition.description,
        source=definition.source,
        roles={
            role.name: RoleEntry(role.title, role.description, role.open, role.invited_by)
            for role in definition.roles
        },
        context={
            field.name: FieldEntry(
                field.type, field.title, field.description, _choices(field), field.min_items
            )
            for field in definition.context
        }
        or None,
        initial=definition.initial,
        start_by=definition.start_by,
        states={
            state.name: StateEntry(state.title, state.description, state.final, state.deadline)
            for state in definition.states
        },
        transitions=tuple(_transition_entry(transition) for transition in definition.transitions),
        invariants=tuple(
            InvariantEntry(inv.name, Names(inv.states), inv.requires, inv.conditions, inv.description)
            for inv in definition.invariants
        ),
    )
    unstructured: dict[str, Any] = _CONVERTER.unstructure(document)
    return unstructured


# From documents to the model and back


def _definition(document: DefinitionDocument, origin: str | None) -> Definition:
    return Definition(
        protocol=document.protocol,
        version=document.version,
        title=document.title,
        description=document.description,
        source=document.source,
        roles=tuple(
            Role(name, entry.title, entry.description, entry.open, entry.invited_by)
            for name, entry in _entries(document.roles, RoleEntry())
        ),
        context=tuple(_field(name, entry) for name, entry in (document.context or {}).items()),
        initial=document.initial,
        start_by=document.start_by,
        states=tuple(
            State(name, entry.title, entry.description, entry.final, entry.deadline)
            for name, entry in _entries(document.states, StateEntry())
        ),
        transitions=tuple(_transition(entry) for entry in document.transitions),
        invariants=tuple(
            Invariant(entry.name, entry.in_, entry.requires, entry.conditions, entry.description)
            for entry in document.invariants
        ),
        origin=origin,
    )


def _field(name: str, entry: FieldEntry) -> Field:
    if entry.choices is None:
        return Field(name, entry.type, entry.title, entry.description, None, entry.min_items)
    choices = tuple(value for value, _ in entry.choices)
    titles = {value: title for value, title in entry.choices if title is not None} or None
    return Field(name, entry.type, entry.title, entry.description, choices, entry.min_items, titles)


def _choices(field: Field) -> Choices | None:
    if field.choices is None:
        return None
    titles = field.choice_titles or {}
    return Choices(tuple((value, titles.get(value)) for value in field.choices))


def _entries(entries: Mapping[str, _Entry | None] | None, empty: _Entry) -> list[tuple[str, _Entry]]:
    """The named entries of a section; an entry written with nothing after its name is ``empty``."""
    return [(name, empty if entry is None else entry) for name, entry in (entries or {}).items()]


def _transition(entry: TransitionEntry) -> Transition:
    return Transition(
        trigger=entry.trigger,
        sources=entry.from_,
        by=entry.signoff.all_of if entry.signoff is not None else entry.by or (),
        target=entry.to,
        inputs=tuple(Input(field, mode is InputMode.REQUIRED) for field, mode in (entry.input or {}).items()),
        requires=entry.requires,
        conditions=entry.conditions,
        guards=entry.guards,
        signoff=entry.signoff,
        title=entry.title,
        description=entry.description,
        joins=entry.joins,
    )


def _transition_entry(transition: Transition) -> TransitionEntry:
    modes = {True: InputMode.REQUIRED, False: InputMode.OPTIONAL}
    return TransitionEntry(
        trigger=transition.trigger,
        from_=Names(transition.sources),
        to=transition.target,
        by=None if transition.signoff is not None else Names(transition.by),
        input={item.field: modes[item.required] for item in transition.inputs} or None,
        requires=transition.requires,
        conditions=transition.conditions,
        guards=transition.guards,
        signoff=transition.signoff,
        title=transition.title,
        description=transition.description,
        joins=transition.joins,
    )


# Messages


class _ShapeError(ValueError):
    """A value of the document does not have the expected shape; the message says what was expected."""


def _describe(value: object) -> str:
    """A value as a message shows it: ``'one'``, ``3``, ``true``, ``null``, ``a list``, ``a mapping``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return shown(value)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _problems(error: BaseException, path: str) -> list[Problem]:
    """The located problems in a cattrs error, walking its exception groups as ``transform_error`` does."""
    if isinstance(error, ClassValidationError | IterableValidationError):
        problems: list[Problem] = []
        for inner in error.exceptions:
            problems += _problems(inner, _inner_path(inner, path))
        return problems
    if isinstance(error, ForbiddenExtraKeysError):
        valid = document_keys(error.cl)
        return [
            Problem(
                f"Unknown key {shown(key)}{_key_hint(key, valid)}; valid keys: {', '.join(valid)}",
                path=key_path(path, key),
            )
            for key in sorted(error.extra_fields)
        ]
    if isinstance(error, KeyError):
        missing = path.rsplit(".", 1)[-1]
        return [Problem(f"Missing required key {missing!r}", path=path)]
    if isinstance(error, _ShapeError):
        return [Problem(str(error), path=path)]
    return [Problem(f"Invalid value: {error}", path=path)]


def _key_hint(key: str, valid: Sequence[str]) -> str:
    """Points a key spelled as in the model (``target``) to the file's spelling (``to``), else to a close key."""
    spelled = _FILE_SPELLING.get(key)
    return f" (did you mean {spelled!r}?)" if spelled in valid else suggestion(key, valid)


def _inner_path(error: BaseException, path: str) -> str:
    for note in getattr(error, "__notes__", ()):
        if isinstance(note, AttributeValidationNote):
            return key_path(path, _RENAMED.get(note.name, note.name))
        if isinstance(note, IterableValidationNote):
            return key_path(path, note.index) if isinstance(note.index, str) else index_path(path, note.index)
    return path


# The converter: strict hooks (nothing coerced) and the file's spelling of keys


def _strict(kind: type, expected: str) -> Callable[[Any, Any], Any]:
    def structure(value: Any, _: Any) -> Any:
        # bool is an int subclass: `version: true` must not pass for 1.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _ShapeError(f"Expected {expected}, got {_describe(value)}")
        return value

    return structure


def _choice(kind: type[_Choice], noun: str) -> Callable[[Any, Any], _Choice]:
    valid = [member.value for member in kind]

    def structure(value: Any, _: Any) -> _Choice:
        if not isinstance(value, str):
            raise _ShapeError(f"Expected {noun}, one of {', '.join(valid)}; got {_describe(value)}")
        if value not in valid:
            raise _ShapeError(
                f"Unknown {noun} {shown(value)}{suggestion(value, valid)}; valid: {', '.join(valid)}"
            )
        return kind(value)

    return structure


def _text(value: Any, _: Any) -> Text:
    if isinstance(value, str):
        return Text(en=value)
    if not isinstance(value, Mapping):
        raise _ShapeError(
            f"Expected a text: a string, or a mapping of languages ({', '.join(LANGUAGES)}); got {_describe(value)}"
        )
    return _STRUCTURE_TEXT(value, Text)


def _names(value: Any, _: Any) -> Names:
    if isinstance(value, str):
        return Names((value,))
    if not isinstance(value, list | tuple):
        raise _ShapeError(f"Expected a name or a list of names, got {_describe(value)}")
    return Names(_CONVERTER.structure(value, tuple[str, ...]))


def _choice_list(value: Any, _: Any) -> Choices:
    if isinstance(value, Mapping):
        return Choices(tuple(_CONVERTER.structure(value, dict[str, Text | None]).items()))
    if not isinstance(value, list | tuple):
        raise _ShapeError(
            f"Expected a list of choices, or a mapping of choices to their titles; got {_describe(value)}"
        )
    return Choices(tuple((choice, None) for choice in _CONVERTER.structure(value, tuple[str, ...])))


def _unstructure_choices(value: Choices) -> list[str] | dict[str, Any]:
    """A list, or a mapping to titles when a choice has one."""
    if all(title is None for _, title in value):
        return [choice for choice, _ in value]
    return {choice: None if title is None else _CONVERTER.unstructure(title, Text) for choice, title in value}


def _condition_value(value: Any, _: Any) -> Value:
    scalar = (str, int, bool)
    if isinstance(value, scalar):
        return value
    # `in` and `not_in` take a list of values of the field's type (validation matches items to the field).
    if isinstance(value, list) and all(isinstance(item, scalar) for item in value):
        return tuple(value)
    raise _ShapeError(
        f"Expected a value (a string, an integer, true or false) or a list of values; got {_describe(value)}"
    )


def _sequence_factory(kind: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    items = cattrs.cols.homogenous_tuple_structure_factory(kind, converter)

    def structure(value: Any, _: Any) -> Any:
        # cattrs would take any iterable: a string would become a tuple of its characters.
        if not isinstance(value, list | tuple):
            raise _ShapeError(f"Expected a list, got {_describe(value)}")
        return items(value, kind)

    return structure


def _mapping_factory(kind: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    entries = cattrs.gen.mapping_structure_factory(kind, converter)
    entry_types = set(getattr(kind.__args__[1], "__args__", (kind.__args__[1],)))
    noun = next(noun for entry_type, noun in _MAPPING_NOUNS.items() if entry_type in entry_types)

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _ShapeError(f"Expected a mapping of {noun}, got {_describe(value)}")
        return entries(value, kind)

    return structure


def _class_factory(kind: type, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    renames = {
        name: override(rename=key) for name, key in _RENAMED.items() if name in attrs.fields_dict(kind)
    }
    fields: Callable[[Any, Any], Any] = make_dict_structure_fn(kind, converter, **renames)  # type: ignore[arg-type]
    keys = ", ".join(document_keys(kind))

    def structure(value: Any, _: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _ShapeError(f"Expected a mapping with the keys {keys}; got {_describe(value)}")
        conflicts = _conflicts(value, kind)
        try:
            result = fields(value, kind)
        except ClassValidationError as error:
            raise ClassValidationError(error.message, [*error.exceptions, *conflicts], kind) from None
        if conflicts:
            raise ClassValidationError(f"While structuring {kind.__name__}", conflicts, kind)
        return result

    return structure


def _class_unstructure_factory(kind: type, converter: cattrs.Converter) -> Callable[[Any], Any]:
    renames = {
        name: override(rename=key) for name, key in _RENAMED.items() if name in attrs.fields_dict(kind)
    }
    return make_dict_unstructure_fn(kind, converter, _cattrs_omit_if_default=True, **renames)  # type: ignore[arg-type]


def _conflicts(value: Mapping[str, Any], kind: type) -> list[Exception]:
    """The document rule cattrs cannot state: a transition has `by` or a `signoff`, not both."""
    if kind is not TransitionEntry or "by" not in value or "signoff" not in value:
        return []
    conflict = _ShapeError(
        "Give `by` or `signoff`, not both: the signers of a sign-off are the roles that fire it; remove `by`"
    )
    conflict.add_note(AttributeValidationNote("Structuring TransitionEntry @ attribute by", "by", Names))
    return [conflict]


def _is_sequence(kind: Any) -> bool:
    return getattr(kind, "__origin__", None) is tuple and kind.__args__[-1] is Ellipsis


def _is_mapping(kind: Any) -> bool:
    return getattr(kind, "__origin__", None) is dict


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(int, _strict(int, "an integer"))
    converter.register_structure_hook(bool, _strict(bool, "true or false"))
    converter.register_structure_hook(FieldType, _choice(FieldType, "field type"))
    converter.register_structure_hook(Op, _choice(Op, "operator"))
    converter.register_structure_hook(InputMode, _choice(InputMode, "input mode"))
    converter.register_structure_hook(Text, _text)
    converter.register_structure_hook(Names, _names)
    converter.register_structure_hook(Choices, _choice_list)
    converter.register_structure_hook(Value, _condition_value)
    converter.register_structure_hook_factory(_is_sequence, _sequence_factory)
    converter.register_structure_hook_factory(_is_mapping, _mapping_factory)
    converter.register_structure_hook_factory(attrs.has, _class_factory)
    converter.register_unstructure_hook_factory(attrs.has, _class_unstructure_factory)
    converter.register_unstructure_hook(Choices, _unstructure_choices)
    return converter


_CONVERTER = _make_converter()
_STRUCTURE_TEXT = make_dict_structure_fn(Text, _CONVERTER)
