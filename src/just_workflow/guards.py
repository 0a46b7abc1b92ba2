"""Guards and inputs, compiled: payload value checks, declarative conditions, named Python guards.

Everything here turns parts of a :class:`~just_workflow.definition.Definition`
into small functions the transition table calls on the hot path. Checks
return a reason string (what is wrong, with the offending value) or None.
"""

from __future__ import annotations

import datetime
import operator
from collections.abc import Callable, Mapping
from typing import Any

from just_workflow.canonical import is_safe_integer, is_valid_text
from just_workflow.definition import Condition, Field, FieldType, Op
from just_workflow.messages import Reason

#: A named Python guard registered on the engine: ``guard(context, actor) -> bool``.
#: It must be pure (no clock, no I/O): replay and the test kit call it again.
NamedGuard = Callable[[Mapping[str, Any], Any], bool]

#: Checks one payload value and returns ``(normalized value, None)`` or ``(None, reason)``.
ValueCheck = Callable[[Any], tuple[Any, str | None]]

#: A compiled condition: ``None`` when it holds on the context, else the reason.
ConditionCheck = Callable[[Mapping[str, Any]], str | None]


def _describe(value: Any) -> str:
    return f"{value!r} ({type(value).__name__})"


_INVALID_TEXT = "is not valid Unicode (it holds a lone surrogate)"


def _expects(code: str, default: str, field: str, value: Any) -> Reason:
    """The reason a value of the wrong type is refused."""
    return Reason(f"{default}, got {_describe(value)}", code, field=field)


def _not_a_choice(field: str, value: Any, listed: str, choices: Any) -> Reason:
    default = f"field '{field}': {value!r} is not one of the choices: {listed}"
    return Reason(default, "not-a-choice", field=field, value=value, choices=tuple(choices or ()))


def value_check(field: Field) -> ValueCheck:
    """The check of payload values for ``field``: type, choices, ``min_items``; dates to ISO strings."""
    name, kind = field.name, field.type
    choices = frozenset(field.choices) if field.choices is not None else None
    listed = ", ".join(field.choices or ())

    def check_str(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, str):
            return None, _expects("expects-text", f"field '{name}' expects a string", name, value)
        if not is_valid_text(value):
            return None, Reason(f"field '{name}': {value!r} {_INVALID_TEXT}", "invalid-text", field=name)
        if choices is not None and value not in choices:
            return None, _not_a_choice(name, value, listed, field.choices)
        return value, None

    def check_int(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, _expects("expects-integer", f"field '{name}' expects an integer", name, value)
        if not is_safe_integer(value):
            default = f"field '{name}': the integer is outside ±(2**53 - 1), the range the audit log holds"
            return None, Reason(default, "integer-out-of-range", field=name)
        return value, None

    def check_bool(value: Any) -> tuple[Any, str | None]:
        if not isinstance(value, bool):
            return None, _expects("expects-boolean", f"field '{name}' expects true or false", name, value)
        return value, None

    def check_date(value: Any) -> tuple[Any, str | None]:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value.isoformat(), None
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value).isoformat(), None
            except ValueError:
                pass
        return None, _expects("expects-date", f"field '{name}' expects a date (YYYY-MM-DD)", name, value)

    def check_list(value: Any) -> tuple[Any, str | None]:
        # A plain loop and a set method, no generator: every fire that sets a list runs this.
        strings = isinstance(value, list | tuple)
        if strings:
            for item in value:
                if not isinstance(item, str):
                    strings = False
                    break
        if not strings:
            return None, _expects("expects-list", f"field '{name}' expects a list of strings", name, value)
        for item in value:
            if not is_valid_text(item):
                return None, Reason(f"field '{name}': {item!r} {_INVALID_TEXT}", "invalid-text", field=name)
        if choices is not None and not choices.issuperset(value):
            unknown = next(item for item in value if item not in choices)
            return None, _not_a_choice(name, unknown, listed, field.choices)
        if field.min_items is not None and len(value) < field.min_items:
            default = f"field '{name}' needs at least {field.min_items} item(s), got {len(value)}"
            return None, Reason(default, "too-few-items", field=name, min=field.min_items, count=len(value))
        return tuple(value), None

    checks: dict[FieldType, ValueCheck] = {
        FieldType.STR: check_str,
        FieldType.INT: check_int,
        FieldType.BOOL: check_bool,
        FieldType.DATE: check_date,
        FieldType.LIST_STR: check_list,
    }
    return checks[kind]


_COMPARE: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq,
    Op.NE: operator.ne,
    Op.IN: lambda value, options: value in options,
    Op.NOT_IN: lambda value, options: value not in options,
    Op.CONTAINS: lambda value, item: item in value,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
    Op.LT: operator.lt,
    Op.LE: operator.le,
}


def condition_check(condition: Condition) -> ConditionCheck:
    """Compile ``condition``; an unset field makes it false."""
    name, expected = condition.field, condition.value
    compare = _COMPARE[condition.op]
    text = f"{name} {condition.op.value} {expected!r}"

    op = condition.op.value

    def check(context: Mapping[str, Any]) -> str | None:
        if name not in context:
            default = f"condition '{text}' is false: '{name}' is not set"
            return Reason(default, "condition-field-not-set", field=name, op=op, expected=expected)
        if compare(context[name], expected):
            return None
        default = f"condition '{text}' is false: '{name}' is {context[name]!r}"
        return Reason(default, "condition-false", field=name, op=op, expected=expected, value=context[name])

    return check
