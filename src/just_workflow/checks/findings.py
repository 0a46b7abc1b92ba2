"""Findings of the static checks, and the phrasing their messages share.

A :class:`Finding` is one problem of a definition: a severity, a stable
code (one of :class:`FindingCode`, the list of every code), a message saying
what is wrong, where and what would be valid, and the path in the file
format's spelling (``$.transitions[3].to``). The checks live in
:mod:`just_workflow.checks.validation` and :mod:`just_workflow.checks.analysis`;
the model checker's findings in :mod:`just_workflow.checks.modelcheck`.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Sequence

import attrs

from just_workflow.errors import Located


class Severity(enum.StrEnum):
    """How bad a finding is: an error makes the definition wrong, a warning leaves it unfinished."""

    ERROR = "error"
    WARNING = "warning"


class FindingCode(enum.StrEnum):
    """The stable code of every finding, to search for or filter on; ``docs/validation.md`` lists each one."""

    # Structural: what makes a definition unusable (all errors; the loader refuses them).
    BAD_IDENTIFIER = "bad-identifier"  # a name that does not match ^[a-z][a-z0-9_]*$
    BAD_VERSION = "bad-version"  # a version that is not an integer >= 1
    OUT_OF_BOUNDS = "out-of-bounds"  # a lone surrogate, an integer beyond ±(2**53 - 1), NaN or infinity
    NO_ROLES = "no-roles"  # no role declared
    NO_STATES = "no-states"  # no state declared
    NO_TRANSITIONS = "no-transitions"  # no transition declared
    DUPLICATE_NAME = "duplicate-name"  # a role, state, field or invariant declared twice
    DUPLICATE_ENTRY = "duplicate-entry"  # a name listed twice in one list
    UNKNOWN_STATE = "unknown-state"  # a state named but not declared
    UNKNOWN_ROLE = "unknown-role"  # a role named but not declared
    UNKNOWN_FIELD = "unknown-field"  # a context field named but not declared
    BAD_CHOICES = "bad-choices"  # `choices` on a field that cannot have them, or empty
    BAD_MIN_ITEMS = "bad-min-items"  # `min_items` on a field that cannot have it, or negative
    BAD_CONDITION = "bad-condition"  # a condition whose operator or value does not fit its field
    SIGNOFF_WITHOUT_TARGET = "signoff-without-target"  # a sign-off with no `to`
    BY_WITH_SIGNOFF = "by-with-signoff"  # a sign-off whose `by` is not its signers
    NO_ACTOR = "no-actor"  # a transition with neither `by` nor `signoff`
    EMPTY_LIST = "empty-list"  # an empty `from`, `signoff.all_of` or `in`
    RESERVED_TRIGGER = "reserved-trigger"  # a transition named invite, remove_party or replace_party
    BAD_PARTY_RULE = "bad-party-rule"  # `invited_by` on an open role, `every_party` beyond `all_of` or open
    RESERVED_ROLE = "reserved-role"  # a role named `system` declared, invited, starting or signing
    BAD_DEADLINE = (
        "bad-deadline"  # a duration that is not ISO 8601, an `at` not a date field, on a final state
    )
    BAD_DEADLINE_TRIGGER = "bad-deadline-trigger"  # a deadline's trigger missing, staying, or not `system`'s
    SYSTEM_WITHOUT_DEADLINE = "system-without-deadline"  # a `system` transition not a deadline of its state

    # Analyses of a sound definition: errors.
    UNKNOWN_GUARD = "unknown-guard"  # a named guard missing from the registry given
    NO_FINAL_STATE = "no-final-state"  # no state is final
    UNREACHABLE_STATE = "unreachable-state"  # a state no run reaches (the model checker reports it too)
    TRAP_STATE = "trap-state"  # a state from which no final state is reached (the model checker too)
    TRANSITION_FROM_FINAL = "transition-from-final"  # a transition out of a final state
    NONDETERMINISTIC = "nondeterministic"  # one trigger, state and role, guards not mutually exclusive
    SIGNOFF_WITH_INPUT = "signoff-with-input"  # a sign-off of several roles that requires an input
    GUARD_NEVER_PASSES = "guard-never-passes"  # a guard reads a field no path sets
    INVARIANT_AT_START = "invariant-at-start"  # an invariant with requirements holds in the initial state
    INVARIANT_MAY_BREAK = "invariant-may-break"  # a transition may enter an invariant's state breaking it

    # Analyses of a sound definition: warnings.
    UNUSED_ROLE = "unused-role"  # a role no transition and no `start_by` names
    UNBINDABLE_ROLE = "unbindable-role"  # a closed role nobody starts, invites or joins: it never acts
    UNUSED_FIELD = "unused-field"  # a field no transition takes as input
    MISSING_TITLE = "missing-title"  # a role, state or transition without a title
    MISSING_TRANSLATION = "missing-translation"  # a title or description missing a language

    # The model checker (besides the trap and unreachable states above).
    INVARIANT_BROKEN = "invariant-broken"  # a step the guards allow breaks an invariant, or the start does
    DEAD_TRANSITION = "dead-transition"  # a transition that can never fire from one of its states
    UNBOUND_ACTOR_MOVED = "unbound-actor-moved"  # an actor with the role but not a party moved an instance
    MODEL_CHECK_INCOMPLETE = "model-check-incomplete"  # a warning: the exploration hit its bound

    # `just-workflow check`: a file that does not load.
    INVALID_DEFINITION = "invalid-definition"  # one of the loader's problems


@attrs.frozen
class Finding(Located):
    """One problem of a definition: severity, stable code, message, and where (``path=$.states.draft``).

    The checks see a definition, not its file: their findings have a path
    only. A tool that knows the file sets ``file`` (and, for a file that
    does not load, the ``line`` and ``column`` of its problems); the text
    form then starts with them.
    """

    severity: Severity
    code: FindingCode
    message: str

    def __str__(self) -> str:
        text = f"{self.severity.name} {self.code} {self.path}: {self.message}"
        return text if self.file is None else f"{self.position()}: {text}"

    def to_json(self) -> dict[str, object]:
        """The finding as JSON data: where it is, then what it says."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "code": self.code.value,
            "message": self.message,
            "path": self.path,
        }


def error(code: FindingCode, path: str, message: str) -> Finding:
    """An error finding."""
    return Finding(Severity.ERROR, code, message, path=path)


def warning(code: FindingCode, path: str, message: str) -> Finding:
    """A warning finding."""
    return Finding(Severity.WARNING, code, message, path=path)


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
