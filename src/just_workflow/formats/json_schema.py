"""The JSON Schema (draft 2020-12) of definition documents, for editors and other tools.

:func:`definition_schema` describes the file format key by key: types,
required keys, names, and the rules that fit in a schema (``by`` or
``signoff``, ``choices`` only on str and list[str] fields...). It cannot see
references between keys (a ``to`` naming an undeclared state, a condition
value that does not fit its field): the loader checks those too.
``docs/definition.schema.json`` is this schema as a file
(:func:`schema_json`); ``just-workflow schema`` prints it.
"""

from __future__ import annotations

import json
from typing import Any

from just_workflow.checks.validation import IDENTIFIER
from just_workflow.definition import LANGUAGES, FieldType, Op

_NAME = {"$ref": "#/$defs/name"}
_TEXT = {"$ref": "#/$defs/text"}
#: An ISO 8601 duration of whole numbers, at least one of them (the loader says which number is wrong).
_DURATION_PATTERN = r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$"


def _names(meaning: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/names", "description": meaning}


def _name_list(meaning: str) -> dict[str, Any]:
    return {"$ref": "#/$defs/name_list", "description": meaning}


def _text(meaning: str) -> dict[str, Any]:
    return {**_TEXT, "description": meaning}


def _entry(properties: dict[str, Any], meaning: str) -> dict[str, Any]:
    """A role or a state: a mapping of optional keys, or nothing at all after the name."""
    return {
        "type": ["object", "null"],
        "description": meaning,
        "properties": properties,
        "additionalProperties": False,
    }


def _without(key: str, kinds: list[FieldType]) -> dict[str, Any]:
    """A field spec of one of the types ``kinds`` has no ``key``."""
    types = [kind.value for kind in kinds]
    return {"if": {"properties": {"type": {"enum": types}}}, "then": {"not": {"required": [key]}}}


def definition_schema() -> dict[str, Any]:
    """The JSON Schema of a definition document (see the module docstring)."""
    scalar = {"type": ["string", "integer", "boolean"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "just_workflow definition",
        "description": "A collaboration protocol as a finite-state machine (docs/definition-format.md).",
        "type": "object",
        "required": ["protocol", "version", "title", "roles", "initial", "states", "transitions"],
        "additionalProperties": False,
        "properties": {
            "protocol": {**_NAME, "description": "The protocol's name."},
            "version": {"type": "integer", "minimum": 1, "description": "The version, an integer from 1."},
            "title": _text("The protocol's title."),
            "description": _text("What the protocol is for."),
            "source": {"type": "string", "description": "Where the protocol comes from."},
            "roles": {
                "type": "object",
                "minProperties": 1,
                "description": "The parties that act, by name.",
                "propertyNames": _NAME,
                "additionalProperties": {"$ref": "#/$defs/role"},
            },
            "context": {
                "type": ["object", "null"],
                "description": "The typed instance data, by field name; set only through transition inputs.",
                "propertyNames": _NAME,
                "additionalProperties": {"$ref": "#/$defs/field"},
            },
            "initial": {**_NAME, "description": "The state an instance starts in."},
            "start_by": _name_list("The roles that may start an instance (omitted: any role)."),
            "states": {
                "type": "object",
                "minProperties": 1,
                "description": "The states, by name.",
                "propertyNames": _NAME,
                "additionalProperties": {"$ref": "#/$defs/state"},
            },
            "transitions": {
                "type": "array",
                "minItems": 1,
                "description": "The moves between states.",
                "items": {"$ref": "#/$defs/transition"},
            },
            "invariants": {
                "type": "array",
                "description": "Rules that hold in given states after every step.",
                "items": {"$ref": "#/$defs/invariant"},
            },
        },
        "$defs": {
            "name": {"type": "string", "pattern": f"^{IDENTIFIER.pattern}$"},
            "name_list": {"type": "array", "items": _NAME, "uniqueItems": True},
            "names": {
                "oneOf": [_NAME, {"type": "array", "items": _NAME, "minItems": 1, "uniqueItems": True}],
            },
            "text": {
                "oneOf": [
                    {"type": "string", "description": "English only."},
                    {
                        "type": "object",
                        "required": ["en"],
                        "additionalProperties": False,
                        "properties": {language: {"type": "string"} for language in LANGUAGES},
                    },
                ],
            },
            "role": _entry(
                {
                    "title": _TEXT,
                    "description": _TEXT,
                    "open": {
                        "type": "boolean",
                        "description": "An office: any actor with the role acts, none is bound (default: closed).",
                    },
                    "invited_by": _name_list(
                        "The roles whose parties may bind a party of this (closed) role."
                    ),
                },
                "A role; may be empty.",
            ),
            "state": _entry(
                {
                    "title": _TEXT,
                    "description": _TEXT,
                    "final": {"type": "boolean", "description": "A final state accepts no trigger."},
                    "deadline": {"$ref": "#/$defs/deadline"},
                },
                "A state; may be empty.",
            ),
            "deadline": {
                "type": "object",
                "description": "The engine's clock fires `fire` as the system role when the deadline passes.",
                "required": ["fire"],
                "anyOf": [{"required": ["after"]}, {"required": ["at"]}],
                "additionalProperties": False,
                "properties": {
                    "fire": {**_NAME, "description": "The trigger fired; only the system role fires it."},
                    "after": {
                        "type": "string",
                        "pattern": _DURATION_PATTERN,
                        "description": "An ISO 8601 duration (P14D, PT48H, P1M) from entering the state, "
                        "or after the date of `at`.",
                    },
                    "at": {**_NAME, "description": "A date field: due at the start of its day (UTC)."},
                },
            },
            "field": {
                "type": "object",
                "description": "A context field.",
                "required": ["type"],
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": [kind.value for kind in FieldType]},
                    "title": _TEXT,
                    "description": _TEXT,
                    "choices": {
                        "description": "The allowed values (str and list[str] fields): a list, or a mapping "
                        "of each value to its title (null: none).",
                        "oneOf": [
                            {
                                "type": "array",
                                "items": {"type": "string"},
                                "minItems": 1,
                                "uniqueItems": True,
                            },
                            {
                                "type": "object",
                                "minProperties": 1,
                                "additionalProperties": {"oneOf": [_TEXT, {"type": "null"}]},
                            },
                        ],
                    },
                    "min_items": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "The fewest items (list[str] fields).",
                    },
                },
                "allOf": [
                    _without("choices", [FieldType.INT, FieldType.BOOL, FieldType.DATE]),
                    _without("min_items", [kind for kind in FieldType if kind is not FieldType.LIST_STR]),
                ],
            },
            "condition": {
                "type": "object",
                "description": "A comparison on a context field; false while the field is unset.",
                "required": ["field", "op", "value"],
                "additionalProperties": False,
                "properties": {
                    "field": _NAME,
                    "op": {"enum": [op.value for op in Op]},
                    "value": {"oneOf": [scalar, {"type": "array", "items": scalar}]},
                },
            },
            "conditions": {"type": "array", "items": {"$ref": "#/$defs/condition"}},
            "transition": {
                "type": "object",
                "required": ["trigger", "from"],
                "additionalProperties": False,
                "properties": {
                    "trigger": {**_NAME, "description": "The name callers fire."},
                    "from": _names("The state, or states, it leaves."),
                    "to": {**_NAME, "description": "The state it enters; omitted: it stays."},
                    "by": _names("The role, or roles, that may fire it; omitted when a signoff is given."),
                    "input": {
                        "type": "object",
                        "description": "The context fields it takes from the payload.",
                        "propertyNames": _NAME,
                        "additionalProperties": {"enum": ["required", "optional"]},
                    },
                    "requires": _name_list("Fields that must be set, the inputs applied."),
                    "conditions": {"$ref": "#/$defs/conditions"},
                    "guards": _name_list("Names of Python guards registered on the engine."),
                    "signoff": {
                        "type": "object",
                        "description": "Each role signs once; the move happens with the last signature.",
                        "required": ["all_of"],
                        "additionalProperties": False,
                        "properties": {
                            "all_of": {"type": "array", "items": _NAME, "minItems": 1, "uniqueItems": True},
                            "every_party": _name_list("Roles of all_of whose every bound party signs."),
                        },
                    },
                    "title": _TEXT,
                    "description": _TEXT,
                    "joins": {
                        "type": "boolean",
                        "description": "Firing it binds the actor to their role; allowed unbound while the role has no party.",
                    },
                },
                "oneOf": [{"required": ["by"]}, {"required": ["signoff"]}],
                "dependentRequired": {"signoff": ["to"]},
            },
            "invariant": {
                "type": "object",
                "required": ["name", "in"],
                "additionalProperties": False,
                "properties": {
                    "name": _NAME,
                    "in": _names("The state, or states, it holds in."),
                    "requires": _name_list("Fields that must be set."),
                    "conditions": {"$ref": "#/$defs/conditions"},
                    "description": _TEXT,
                },
            },
        },
    }


def schema_json() -> str:
    """The schema as ``docs/definition.schema.json`` holds it: indented, keys sorted, a final newline."""
    return json.dumps(definition_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
