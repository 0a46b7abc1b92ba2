"""Forms of a trigger's inputs: a JSON-ready schema to draw them, and the parsing of what an HTML form posts.

:func:`schema` describes each input of a trigger (name, type, required,
title and description in a language, choices with titles, limits, the
current value) from the definition's context fields. :func:`parse` turns
the strings a form posts into the payload ``Engine.fire`` takes, or raises
one :class:`~just_workflow.errors.InvalidPayload` whose ``fields`` maps
every bad input to why. Each value is judged by the engine's own check
(:func:`~just_workflow.guards.value_check`); the form rules here only read
strings: a blank text, date or number is not given, an unchecked checkbox
posts nothing and is false, a list comes as several values or one item a
line. :func:`strings` is the inverse: the strings a form posts for a payload.

The party triggers (``invite``, ``remove_party``, ``replace_party``) have
forms too: the role (a choice of the roles that have parties) and the ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from just_workflow.canonical import MAX_SAFE_INTEGER
from just_workflow.definition import PARTY_TRIGGERS, Definition, Field, FieldType, Text, Transition
from just_workflow.errors import InvalidPayload, TransitionNotAllowed
from just_workflow.guards import value_check
from just_workflow.instance import Option
from just_workflow.parties import PARTY_INPUTS

#: The texts a checkbox posts for true and for false (compared without case or surrounding blanks).
TRUE_TEXTS = frozenset({"on", "true", "1", "yes"})
FALSE_TEXTS = frozenset({"off", "false", "0", "no", ""})

_INTEGER = re.compile(r"[+-]?[0-9]+")
_PARTY_TITLES = {"role": "Role", "party": "Party", "new_party": "New party"}

#: What a form posts, as Flask's ``request.form``, Starlette's form data, Django's ``QueryDict`` or a dict
#: (a string or a list of strings by name).
FormData = Mapping[str, Any]


@attrs.frozen
class FormField:
    """One input of a trigger's form: the field it sets, whether it is required, whether its choices are roles."""

    field: Field
    required: bool
    roles: bool = False


def fields(definition: Definition, trigger: str | Option) -> tuple[FormField, ...]:
    """The inputs of ``trigger`` in ``definition``, in declaration order.

    Given the :class:`~just_workflow.instance.Option` the engine offered, they
    are those of the transition it chose. Given a trigger name whose
    transitions take different inputs (variants by state or condition), they
    are every input of any of them, required when all of them require it.
    An unknown trigger raises :class:`~just_workflow.errors.TransitionNotAllowed`.
    """
    name = _name(trigger)
    if name in PARTY_TRIGGERS:
        return tuple(
            FormField(_party_field(definition, key), True, key == "role") for key in PARTY_INPUTS[name]
        )
    variants = _variants(definition, trigger)
    taken = dict.fromkeys(given.field for variant in variants for given in variant.inputs)
    return tuple(
        FormField(
            definition.field_map[key],
            all(any(i.field == key and i.required for i in variant.inputs) for variant in variants),
        )
        for key in taken
    )


def _name(trigger: str | Option) -> str:
    return trigger.trigger if isinstance(trigger, Option) else trigger


def _variants(definition: Definition, trigger: str | Option) -> list[Transition]:
    """The transitions of ``trigger``: the one the option was offered for, else all; none for a party trigger."""
    name = _name(trigger)
    if name in PARTY_TRIGGERS:
        return []
    variants = [t for t in definition.transitions if t.trigger == name]
    if not variants:
        available = (*definition.triggers(), *PARTY_TRIGGERS)
        raise TransitionNotAllowed(
            f"Trigger {name!r} is unknown in protocol {definition.protocol!r}. "
            f"Triggers: {', '.join(available)}.",
            trigger=name,
            state="",
            available=available,
        )
    if isinstance(trigger, Option):
        chosen = [t for t in variants if tuple(i.field for i in t.inputs) == trigger.inputs]
        variants = chosen or variants
    return variants


def schema(
    definition: Definition,
    trigger: str | Option,
    *,
    context: Mapping[str, Any] | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """The form of ``trigger`` as JSON data: its ``trigger``, ``title``, ``description`` and ``fields``.

    Each field has ``name``, ``type`` (``str``, ``int``, ``bool``, ``date``,
    ``list[str]``), ``required``, ``title`` and ``description`` in ``lang``
    (English when a translation is missing), ``choices`` (``[{"value",
    "title"}]`` or None), the limits ``min_items``, ``minimum`` and
    ``maximum`` (None where none applies), and ``value``: the field's value
    in ``context`` (an instance's, to fill the form in), else None.
    """
    name = _name(trigger)
    variants = _variants(definition, trigger)
    transition = variants[0] if variants else None
    if transition is not None and transition.title is not None:
        title = transition.title.get(lang)
    elif isinstance(trigger, Option) and trigger.title:
        title = trigger.title
    else:
        title = name.replace("_", " ").capitalize()
    description = transition.description if transition is not None else None
    current = context or {}
    return {
        "trigger": name,
        "title": title,
        "description": description.get(lang) if description else None,
        "fields": [_field_schema(definition, given, current, lang) for given in fields(definition, trigger)],
    }


def parse(definition: Definition, trigger: str | Option, form: FormData) -> dict[str, Any]:
    """The payload ``trigger`` takes, read from the strings a form posted; or an ``InvalidPayload``.

    Only the trigger's inputs are read: other keys of the form (the expected
    seq, a token) are left alone. Values come out as the engine keeps them
    (dates as ``YYYY-MM-DD``, lists as tuples), each checked by the engine's
    own check; the error names every bad field in ``fields`` at once.
    """
    name = _name(trigger)
    payload: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for given in fields(definition, trigger):
        field = given.field
        value, problem = _READERS[field.type](field.name, _texts(form, field.name))
        if problem is None and value is _ABSENT:
            if given.required:
                problem = f"required input '{field.name}' is missing"
            else:
                continue
        if problem is None:
            value, problem = value_check(field)(value)
        if problem is None:
            payload[field.name] = value
        else:
            problems[field.name] = problem
    if problems:
        reasons = list(problems.values())
        raise InvalidPayload(
            f"Invalid form for {name!r}: {'; '.join(reasons)}.",
            trigger=name,
            reasons=reasons,
            fields=problems,
        )
    return payload


def strings(
    definition: Definition, trigger: str | Option, payload: Mapping[str, Any]
) -> dict[str, list[str]]:
    """The strings a form posts for ``payload``, by input: what :func:`parse` reads back as ``payload``.

    A false checkbox posts nothing, a list one string per item; inputs the
    payload does not hold are left out.
    """
    posted: dict[str, list[str]] = {}
    for given in fields(definition, trigger):
        name = given.field.name
        if name not in payload:
            continue
        value = payload[name]
        if isinstance(value, bool):
            texts = ["on"] if value else []
        elif isinstance(value, list | tuple):
            texts = [str(item) for item in value]
        else:
            texts = [str(value)]
        if texts:
            posted[name] = texts
    return posted


# -- reading the strings -------------------------------------------------------------------------------


class _Absent:
    """Not given: nothing posted, or only blanks."""


_ABSENT = _Absent()

#: Reads a field's posted strings: ``(value, None)``, ``(_ABSENT, None)`` or ``(None, reason)``.
_Reader = Callable[[str, list[str]], tuple[Any, str | None]]


def _texts(form: FormData, name: str) -> list[str]:
    """Every string posted for ``name``: several values (``getlist``), a list, one string, or none."""
    getlist = getattr(form, "getlist", None)
    if callable(getlist):
        values = list(getlist(name))
    else:
        value = form.get(name)
        values = [] if value is None else list(value) if isinstance(value, list | tuple) else [value]
    return values


def _one(name: str, texts: list[str], strip: bool) -> tuple[Any, str | None]:
    """The one non-blank string posted, stripped of blanks when ``strip``; a string that is no text is passed on."""
    given = [text for text in texts if not isinstance(text, str) or text.strip()]
    if not given:
        return _ABSENT, None
    if len(given) > 1:
        return None, f"field '{name}' takes one value, got {len(given)}: {given!r}"
    value = given[0]
    return (value.strip() if strip and isinstance(value, str) else value), None


def _read_text(name: str, texts: list[str]) -> tuple[Any, str | None]:
    return _one(name, texts, strip=False)


def _read_date(name: str, texts: list[str]) -> tuple[Any, str | None]:
    return _one(name, texts, strip=True)


def _read_int(name: str, texts: list[str]) -> tuple[Any, str | None]:
    value, problem = _one(name, texts, strip=True)
    if problem is not None or not isinstance(value, str):
        return value, problem
    if not _INTEGER.fullmatch(value):
        return None, f"field '{name}' expects an integer, got {value!r}"
    if len(value.lstrip("+-").lstrip("0")) > 16:  # past 2**53 anyway, and int() refuses past 4300 digits
        return None, f"field '{name}': the integer is outside ±(2**53 - 1), the range the audit log holds"
    return int(value), None


def _read_bool(name: str, texts: list[str]) -> tuple[Any, str | None]:
    answers = []
    for text in texts:
        said = text.strip().lower() if isinstance(text, str) else text
        if isinstance(said, bool):
            answers.append(said)
        elif said in TRUE_TEXTS:
            answers.append(True)
        elif said in FALSE_TEXTS:
            answers.append(False)
        else:
            return None, f"field '{name}' expects a checkbox (on, or nothing), got {text!r}"
    return any(answers), None  # a hidden "false" before the checkbox's "on" is a checked box


def _read_list(name: str, texts: list[str]) -> tuple[Any, str | None]:
    items: list[Any] = []
    for text in texts:
        if isinstance(text, str):
            items += [line.strip() for line in text.splitlines() if line.strip()]
        else:
            items.append(text)
    return (tuple(items) if items else _ABSENT), None


_READERS: dict[FieldType, _Reader] = {
    FieldType.STR: _read_text,
    FieldType.INT: _read_int,
    FieldType.BOOL: _read_bool,
    FieldType.DATE: _read_date,
    FieldType.LIST_STR: _read_list,
}


# -- describing the fields -----------------------------------------------------------------------------


def _field_schema(
    definition: Definition, given: FormField, context: Mapping[str, Any], lang: str
) -> dict[str, Any]:
    field = given.field
    value = context.get(field.name)
    return {
        "name": field.name,
        "type": field.type.value,
        "required": given.required,
        "title": field.title.get(lang) if field.title else field.name.replace("_", " ").capitalize(),
        "description": field.description.get(lang) if field.description else None,
        "choices": None if field.choices is None else list(_choices(definition, given, lang)),
        "min_items": field.min_items,
        "minimum": -MAX_SAFE_INTEGER if field.type is FieldType.INT else None,
        "maximum": MAX_SAFE_INTEGER if field.type is FieldType.INT else None,
        "value": list(value) if isinstance(value, tuple) else value,
    }


def _choices(definition: Definition, given: FormField, lang: str) -> Iterable[dict[str, str]]:
    """The choices of a field with their titles: a role's title for a role.

    The definition format gives other choices no titles yet: a choice's title
    is its value, spaced and capitalized (``joint_teaching``: ``Joint teaching``).
    """
    for choice in given.field.choices or ():
        role = definition.role_map.get(choice) if given.roles else None
        if role is not None and role.title is not None:
            title = role.title.get(lang)
        else:
            title = choice.replace("_", " ").capitalize()
        yield {"value": choice, "title": title}


def _party_field(definition: Definition, key: str) -> Field:
    """The field of a party trigger's input: the role (a choice of the roles that have parties), or an id."""
    roles = tuple(role.name for role in definition.roles if not role.open) if key == "role" else None
    return Field(name=key, type=FieldType.STR, title=Text(en=_PARTY_TITLES[key]), choices=roles)
