"""Findings of the static checks, and the phrasing their messages share.

A :class:`Finding` is one problem of a definition: a severity, a stable
code, a message saying what is wrong, where and what would be valid, and
the path in the file format's spelling (``$.transitions[3].to``). The checks
live in :mod:`just_workflow.checks.validation` and :mod:`just_workflow.checks.analysis`.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence

import attrs


class Severity(enum.StrEnum):
    """How bad a finding is: an error makes the definition wrong, a warning leaves it unfinished."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Finding:
    """One problem of a definition: severity, stable code, message, and where (``$.states.draft``)."""

    severity: Severity
    code: str
    message: str
    path: str = "$"

    def __str__(self) -> str:
        return f"{self.severity.name} {self.code} {self.path}: {self.message}"


def error(code: str, path: str, message: str) -> Finding:
    """An error finding."""
    return Finding(Severity.ERROR, code, message, path)


def warning(code: str, path: str, message: str) -> Finding:
    """A warning finding."""
    return Finding(Severity.WARNING, code, message, path)


def listing(names: Iterable[str]) -> str:
    """``a, b, c``, or ``none``."""
    return ", ".join(names) or "none"


def quoted(names: Iterable[str]) -> str:
    """``'a', 'b', 'c'``."""
    return ", ".join(repr(name) for name in names)


def plural(noun: str, names: Sequence[object]) -> str:
    """``noun`` with an ``s`` when there are several ``names``."""
    return noun + "s" if len(names) > 1 else noun


def suggestion(name: str, known: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or nothing when none is close."""
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown(noun: str, name: str, key: str, known: Sequence[str], known_as: str = "") -> str:
    """The message for a name that is not declared: what, where, the valid names, the closest one."""
    valid = f"{known_as or noun + 's'} are: {listing(known)}"
    return f"Unknown {noun} {name!r} in `{key}`; {valid}{suggestion(name, known)}"


def show(value: object) -> str:
    """A value as the file format spells it: ``'a'``, ``3``, ``true``, ``['a', 'b']``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(item) for item in value) + "]"
    return repr(value)
