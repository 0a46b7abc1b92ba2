"""Static checks of a definition: ``check`` and the structural checks, reported as findings.

:func:`structural_findings` lists what makes a definition unusable: bad
names, undeclared states, roles and fields, conditions that do not fit their
field. The loader raises them as a DefinitionError, so a loaded definition
has none. :func:`check` adds the analyses of a sound definition
(:mod:`just_workflow.checks.analysis`): unreachable and trap states,
nondeterministic triggers, guards that can never pass, invariants a
transition may break, unused roles and fields, missing titles and
translations.

Findings come sorted in document order: as their paths appear in a file,
names in declaration order. ``docs/validation.md`` lists every code with its
message.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence

from just_workflow.checks.analysis import analysis_findings
from just_workflow.checks.findings import (
    Finding,
    FindingCode,
    Severity,
    error,
    listing,
    quoted,
    show,
    suggestion,
    unknown,
)
from just_workflow.deadlines import DurationError, parse_duration
from just_workflow.definition import (
    PARTY_TRIGGERS,
    SYSTEM_ROLE,
    Condition,
    Definition,
    Field,
    FieldType,
    Invariant,
    Op,
    Transition,
    out_of_bounds,
)

__all__ = ["IDENTIFIER", "Finding", "Severity", "check", "structural_findings"]

#: The rule for every name: protocol, roles, fields, states, triggers, guards, invariants.
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")

_ORDERED_OPS = (Op.GT, Op.GE, Op.LT, Op.LE)
_EXPECTED = {
    FieldType.STR: "a string",
    FieldType.INT: "an integer",
    FieldType.BOOL: "true or false",
    FieldType.DATE: "a date YYYY-MM-DD",
    FieldType.LIST_STR: "a list of strings",
}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The code of a name that refers to an undeclared state, role or field.
_UNKNOWN = {
    "state": FindingCode.UNKNOWN_STATE,
    "role": FindingCode.UNKNOWN_ROLE,
    "field": FindingCode.UNKNOWN_FIELD,
}


def structural_findings(definition: Definition) -> list[Finding]:
    """The problems that make ``definition`` unusable, all errors, in document order."""
    findings = itertools.chain(
        (error(FindingCode.OUT_OF_BOUNDS, path, reason) for path, reason in out_of_bounds(definition)),
        _name_findings(definition),
        _field_spec_findings(definition),
        _references(definition, "role", "start_by", definition.start_by, "$.start_by"),
        _party_findings(definition),
        _reserved_role_findings(definition),
        _deadline_findings(definition),
        *(
            _transition_findings(definition, f"$.transitions[{index}]", transition)
            for index, transition in enumerate(definition.transitions)
        ),
        *(
            _invariant_findings(definition, f"$.invariants[{index}]", invariant)
            for index, invariant in enumerate(definition.invariants)
        ),
    )
    return sorted(findings, key=_document_order(definition))


def check(definition: Definition, guards: Collection[str] | None = None) -> list[Finding]:
    """Every finding of ``definition`` in document order; empty when it is clean.

    ``guards`` is the registry of named Python guards (a mapping or a set of
    names) the engine will get; when given, names missing from it are errors.
    The analyses need a structurally sound definition: while it has
    structural problems, only those are reported.
    """
    findings = structural_findings(definition)
    if findings:
        return findings
    return sorted(analysis_findings(definition, guards), key=_document_order(definition))


def _identifier(kind: str, name: str, path: str) -> Iterator[Finding]:
    if IDENTIFIER.fullmatch(name):
        return
    fixed = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    hint = f" (did you mean {fixed!r}?)" if IDENTIFIER.fullmatch(fixed) else ""
    message = f"Invalid {kind} name {name!r}; names match ^{IDENTIFIER.pattern}${hint}"
    yield error(FindingCode.BAD_IDENTIFIER, path, message)


def _unique_names(kind: str, entries: Iterable[tuple[str, str]]) -> Iterator[Finding]:
    """Declared names (name, path): each a valid identifier, declared once."""
    seen: set[str] = set()
    for name, path in entries:
        yield from _identifier(kind, name, path)
        if name in seen:
            yield error(
                FindingCode.DUPLICATE_NAME, path, f"Duplicate {kind} name {name!r}: declare each {kind} once"
            )
        seen.add(name)


def _name_findings(definition: Definition) -> Iterator[Finding]:
    yield from _identifier("protocol", definition.protocol, "$.protocol")
    version = definition.version
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        yield error(FindingCode.BAD_VERSION, "$.version", f"Invalid version {version!r}; use an integer >= 1")
    sections = (
        ("role", "roles", definition.roles, FindingCode.NO_ROLES),
        ("state", "states", definition.states, FindingCode.NO_STATES),
    )
    for kind, section, declared, code in sections:
        if not declared:
            yield error(code, f"$.{section}", f"No {section}: declare at least one {kind}")
        yield from _unique_names(kind, ((item.name, f"$.{section}.{item.name}") for item in declared))
    yield from _unique_names(
        "field", ((field.name, f"$.context.{field.name}") for field in definition.context)
    )
    if definition.initial not in definition.state_map:
        yield error(
            FindingCode.UNKNOWN_STATE,
            "$.initial",
            _undeclared(definition, "state", definition.initial, "initial"),
        )
    if not definition.transitions:
        yield error(
            FindingCode.NO_TRANSITIONS, "$.transitions", "No transitions: declare how the protocol moves"
        )
    invariants = definition.invariants
    yield from _unique_names(
        "invariant", ((inv.name, f"$.invariants[{k}].name") for k, inv in enumerate(invariants))
    )


def _field_spec_findings(definition: Definition) -> Iterator[Finding]:
    for field in definition.context:
        path, name = f"$.context.{field.name}", field.name
        if field.choices is not None:
            if field.type not in (FieldType.STR, FieldType.LIST_STR):
                message = (
                    f"Field {name!r} of type {field.type} cannot have `choices`; only str and list[str] can"
                )
                yield error(FindingCode.BAD_CHOICES, f"{path}.choices", message)
            elif not field.choices:
                message = (
                    f"Field {name!r} has an empty `choices` list; list the allowed values or drop `choices`"
                )
                yield error(FindingCode.BAD_CHOICES, f"{path}.choices", message)
            yield from _repeats("Choice", "choices", field.choices, f"{path}.choices")
        if field.min_items is not None:
            if field.type is not FieldType.LIST_STR:
                message = f"Field {name!r} of type {field.type} cannot have `min_items`; only list[str] can"
                yield error(FindingCode.BAD_MIN_ITEMS, f"{path}.min_items", message)
            elif field.min_items < 0:
                message = f"Field {name!r} has `min_items` {field.min_items}; use 0 or more"
                yield error(FindingCode.BAD_MIN_ITEMS, f"{path}.min_items", message)


def _repeats(noun: str, key: str, names: Sequence[str], path: str) -> Iterator[Finding]:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            yield error(
                FindingCode.DUPLICATE_ENTRY, f"{path}[{index}]", f"{noun} {name!r} is listed twice in `{key}`"
            )
        seen.add(name)


def _declared(definition: Definition, noun: str) -> list[str]:
    if noun == "state":
        return [state.name for state in definition.states]
    if noun == "role":
        return [role.name for role in definition.roles]
    return [field.name for field in definition.context]


def _undeclared(definition: Definition, noun: str, name: str, key: str) -> str:
    return unknown(noun, name, key, _declared(definition, noun))


def _references(
    definition: Definition,
    noun: str,
    key: str,
    names: Sequence[str],
    path: str,
    reserved: Collection[str] = (),
) -> Iterator[Finding]:
    """Names that refer to declared states, roles or fields (or ``reserved`` ones): each declared, each listed once."""
    known = set(_declared(definition, noun))
    for index, name in enumerate(names):
        if name not in known and name not in reserved:
            yield error(_UNKNOWN[noun], f"{path}[{index}]", _undeclared(definition, noun, name, key))
    yield from _repeats(noun.capitalize(), key, names, path)


def _party_findings(definition: Definition) -> Iterator[Finding]:
    """Who binds whom: declared roles, closed ones only; the triggers every protocol has, never redeclared."""
    for role in definition.roles:
        path = f"$.roles.{role.name}.invited_by"
        yield from _references(definition, "role", "invited_by", role.invited_by, path)
        if role.open and role.invited_by:
            message = f"Role {role.name!r} is open (any actor with it acts), so nobody is invited to it: drop `invited_by` or `open`"
            yield error(FindingCode.BAD_PARTY_RULE, path, message)
    for index, transition in enumerate(definition.transitions):
        path = f"$.transitions[{index}]"
        if transition.trigger in PARTY_TRIGGERS:
            message = (
                f"Trigger {transition.trigger!r} is built in (every protocol has {quoted(PARTY_TRIGGERS)} "
                "to bind its parties): name the transition otherwise"
            )
            yield error(FindingCode.RESERVED_TRIGGER, f"{path}.trigger", message)
        signoff = transition.signoff
        if signoff is not None:
            every = f"{path}.signoff.every_party"
            yield from _references(definition, "role", "signoff.every_party", signoff.every_party, every)
            for signer in signoff.every_party:
                if signer in definition.role_map and signer not in signoff.all_of:
                    message = (
                        f"Role {signer!r} is in `every_party` but not in `all_of`; every_party lists signers"
                    )
                    yield error(FindingCode.BAD_PARTY_RULE, every, message)
                elif signer in definition.role_map and definition.role_map[signer].open:
                    message = f"Role {signer!r} is open: it has no bound parties, so `every_party` cannot count them"
                    yield error(FindingCode.BAD_PARTY_RULE, every, message)
        if transition.joins and signoff is not None:
            message = (
                f"Transition {transition.trigger!r} is a sign-off: only a party signs, so it cannot `joins`"
            )
            yield error(FindingCode.BAD_PARTY_RULE, f"{path}.joins", message)


def _reserved_role_findings(definition: Definition) -> Iterator[Finding]:
    """The ``system`` role is the engine's clock's: never declared, and it neither starts, invites nor signs."""
    why = "`system` is reserved for the engine's clock, which fires deadlines"
    if SYSTEM_ROLE in definition.role_map:
        yield error(
            FindingCode.RESERVED_ROLE,
            f"$.roles.{SYSTEM_ROLE}",
            f"Role {SYSTEM_ROLE!r} cannot be declared: {why}; name the role otherwise",
        )
    for index, name in enumerate(definition.start_by):
        if name == SYSTEM_ROLE:
            message = f"Role {SYSTEM_ROLE!r} cannot start an instance: {why}"
            yield error(FindingCode.RESERVED_ROLE, f"$.start_by[{index}]", message)
    for role in definition.roles:
        for index, name in enumerate(role.invited_by):
            if name == SYSTEM_ROLE:
                message = f"Role {SYSTEM_ROLE!r} invites nobody: {why}"
                yield error(FindingCode.RESERVED_ROLE, f"$.roles.{role.name}.invited_by[{index}]", message)
    for number, transition in enumerate(definition.transitions):
        signoff = transition.signoff
        for key, names in (
            (("all_of", signoff.all_of), ("every_party", signoff.every_party)) if signoff else ()
        ):
            for index, name in enumerate(names):
                if name == SYSTEM_ROLE:
                    message = f"Role {SYSTEM_ROLE!r} signs nothing: {why}"
                    path = f"$.transitions[{number}].signoff.{key}[{index}]"
                    yield error(FindingCode.RESERVED_ROLE, path, message)
        if SYSTEM_ROLE in transition.by and transition.joins:
            message = f"Transition {transition.trigger!r} is fired by {SYSTEM_ROLE!r}, which binds no party: drop `joins`"
            yield error(FindingCode.RESERVED_ROLE, f"$.transitions[{number}].joins", message)


def _deadline_findings(definition: Definition) -> Iterator[Finding]:
    """Each deadline well formed, firing a transition that leaves its state and only ``system`` fires.

    Every ``system`` transition is the deadline of each state it leaves: the clock fires nothing else.
    """
    for state in definition.states:
        deadline = state.deadline
        if deadline is None:
            continue
        path = f"$.states.{state.name}.deadline"
        if state.final:
            message = f"State {state.name!r} is final: nothing leaves it, so it has no deadline"
            yield error(FindingCode.BAD_DEADLINE, path, message)
        if deadline.after is None and deadline.at is None:
            message = "A deadline needs `after` (a duration from entering the state) or `at` (a date field)"
            yield error(FindingCode.BAD_DEADLINE, path, message)
        if deadline.after is not None:
            try:
                parse_duration(deadline.after)
            except DurationError as problem:
                yield error(FindingCode.BAD_DEADLINE, f"{path}.after", f"Invalid duration: {problem}")
        if deadline.at is not None:
            field = definition.field_map.get(deadline.at)
            if field is None:
                yield error(
                    FindingCode.UNKNOWN_FIELD,
                    f"{path}.at",
                    _undeclared(definition, "field", deadline.at, "at"),
                )
            elif field.type is not FieldType.DATE:
                message = f"Field {deadline.at!r} is {field.type}; a deadline `at` names a date field"
                yield error(FindingCode.BAD_DEADLINE, f"{path}.at", message)
        if not state.final:
            yield from _deadline_trigger_findings(definition, state.name, deadline.fire, f"{path}.fire")
    deadlines = definition.deadlines
    for number, transition in enumerate(definition.transitions):
        if SYSTEM_ROLE not in transition.by:
            continue
        for index, source in enumerate(transition.sources):
            if source in definition.state_map and (
                source not in deadlines or deadlines[source].fire != transition.trigger
            ):
                message = (
                    f"Transition {transition.trigger!r} is fired by {SYSTEM_ROLE!r} from {source!r}, whose "
                    f"deadline does not fire it: the clock fires only deadlines; give {source!r} a deadline "
                    f"firing {transition.trigger!r}, or another role"
                )
                yield error(
                    FindingCode.SYSTEM_WITHOUT_DEADLINE, f"$.transitions[{number}].from[{index}]", message
                )


def _deadline_trigger_findings(
    definition: Definition, state: str, trigger: str, path: str
) -> Iterator[Finding]:
    """The transitions of a deadline's trigger from its state: at least one, each leaving, each ``system``'s alone."""
    candidates = [
        (number, transition)
        for number, transition in enumerate(definition.transitions)
        if transition.trigger == trigger and state in transition.sources
    ]
    if not candidates:
        triggers = sorted({t.trigger for t in definition.transitions if state in t.sources})
        message = (
            f"The deadline of {state!r} fires {trigger!r}, but no transition of {trigger!r} leaves {state!r}; "
            f"its triggers are: {listing(triggers)}{suggestion(trigger, triggers)}"
        )
        yield error(FindingCode.BAD_DEADLINE_TRIGGER, path, message)
    for number, transition in candidates:
        where = f"$.transitions[{number}]"
        if transition.target is None or transition.target == state:
            message = (
                f"Transition {trigger!r} is the deadline of {state!r} but stays in it: "
                "a deadline leaves its state (else it would fire again at once); give it a `to`"
            )
            yield error(FindingCode.BAD_DEADLINE_TRIGGER, f"{where}.to", message)
        if tuple(transition.firing_roles) != (SYSTEM_ROLE,):
            message = (
                f"Transition {trigger!r} is the deadline of {state!r}: only {SYSTEM_ROLE!r} fires it "
                f"(`by: {SYSTEM_ROLE}`); a person's way out is a transition of another trigger"
            )
            yield error(FindingCode.BAD_DEADLINE_TRIGGER, f"{where}.by", message)
        required = [item.field for item in transition.inputs if item.required]
        if required:
            message = (
                f"Transition {trigger!r} is the deadline of {state!r}, which the clock fires with no payload; "
                f"it requires {quoted(required)}: make them optional or drop them"
            )
            yield error(FindingCode.BAD_DEADLINE_TRIGGER, f"{where}.input", message)


def _transition_findings(definition: Definition, path: str, transition: Transition) -> Iterator[Finding]:
    name = transition.trigger
    yield from _identifier("trigger", name, f"{path}.trigger")
    if not transition.sources:
        yield error(
            FindingCode.EMPTY_LIST,
            f"{path}.from",
            f"Transition {name!r} has an empty `from`; list its states",
        )
    yield from _references(definition, "state", "from", transition.sources, f"{path}.from")
    if transition.target is not None and transition.target not in definition.state_map:
        yield error(
            FindingCode.UNKNOWN_STATE, f"{path}.to", _undeclared(definition, "state", transition.target, "to")
        )
    signoff = transition.signoff
    if signoff is None:  # a sign-off's `by` mirrors its `all_of`, which is checked below
        yield from _references(definition, "role", "by", transition.by, f"{path}.by", (SYSTEM_ROLE,))
    if signoff is None and not transition.by:
        message = (
            f"Transition {name!r} has no `by` and no `signoff`; roles are: {listing(definition.role_map)}"
        )
        yield error(FindingCode.NO_ACTOR, f"{path}.by", message)
    if signoff is not None:
        if not signoff.all_of:
            message = f"Transition {name!r} has an empty `signoff.all_of`; list the roles that sign"
            yield error(FindingCode.EMPTY_LIST, f"{path}.signoff.all_of", message)
        yield from _references(definition, "role", "signoff.all_of", signoff.all_of, f"{path}.signoff.all_of")
        if transition.target is None:
            message = (
                f"Transition {name!r} has a `signoff` but no `to`; a sign-off moves to a state: add `to`"
            )
            yield error(FindingCode.SIGNOFF_WITHOUT_TARGET, f"{path}.signoff", message)
        if transition.by and set(transition.by) != set(signoff.all_of):
            message = (
                f"Transition {name!r} has both `by` ({listing(transition.by)}) and `signoff`; omit `by`: "
                f"the signers ({listing(signoff.all_of)}) are the roles that fire it"
            )
            yield error(FindingCode.BY_WITH_SIGNOFF, f"{path}.by", message)
    inputs = [item.field for item in transition.inputs]
    for index, field in enumerate(inputs):
        where = f"{path}.input.{field}"
        if field not in definition.field_map:
            yield error(FindingCode.UNKNOWN_FIELD, where, _undeclared(definition, "field", field, "input"))
        elif field in inputs[:index]:
            yield error(FindingCode.DUPLICATE_ENTRY, where, f"Field {field!r} is listed twice in `input`")
    yield from _references(definition, "field", "requires", transition.requires, f"{path}.requires")
    yield from _condition_findings(definition, transition.conditions, f"{path}.conditions")
    for index, guard in enumerate(transition.guards):
        yield from _identifier("guard", guard, f"{path}.guards[{index}]")
    yield from _repeats("Guard", "guards", transition.guards, f"{path}.guards")


def _invariant_findings(definition: Definition, path: str, invariant: Invariant) -> Iterator[Finding]:
    if not invariant.states:
        message = f"Invariant {invariant.name!r} has an empty `in`; list the states it holds in"
        yield error(FindingCode.EMPTY_LIST, f"{path}.in", message)
    yield from _references(definition, "state", "in", invariant.states, f"{path}.in")
    yield from _references(definition, "field", "requires", invariant.requires, f"{path}.requires")
    yield from _condition_findings(definition, invariant.conditions, f"{path}.conditions")


def _condition_findings(
    definition: Definition, conditions: Sequence[Condition], path: str
) -> Iterator[Finding]:
    for index, condition in enumerate(conditions):
        where = f"{path}[{index}]"
        field = definition.field_map.get(condition.field)
        if field is None:
            message = _undeclared(definition, "field", condition.field, "conditions")
            yield error(FindingCode.UNKNOWN_FIELD, f"{where}.field", message)
            continue
        problem = _condition_problem(condition, field)
        if problem is not None:
            key, message = problem
            yield error(FindingCode.BAD_CONDITION, f"{where}.{key}", message)


def _condition_problem(condition: Condition, field: Field) -> tuple[str, str] | None:
    """What in the condition does not fit its field, as (``op`` or ``value``, message); None if it fits."""
    op, value, kind, name = condition.op, condition.value, field.type, field.name
    if op in _ORDERED_OPS and kind not in (FieldType.INT, FieldType.DATE):
        return "op", f"`{op}` compares int or date fields; field {name!r} is {kind}: use eq, ne, in or not_in"
    if op is Op.CONTAINS and kind is not FieldType.LIST_STR:
        return (
            "op",
            f"`contains` applies to list[str] fields; field {name!r} is {kind}: use eq, ne, in or not_in",
        )
    item_kind = FieldType.STR if op is Op.CONTAINS else kind
    if op in (Op.IN, Op.NOT_IN):
        if not isinstance(value, list | tuple):
            return (
                "value",
                f"`{op}` on field {name!r} needs a list, each item {_EXPECTED[kind]}; got {show(value)}",
            )
        items: Sequence[object] = value
    else:
        items = [value]
    for item in items:
        if not _fits(item, item_kind):
            return (
                "value",
                f"`{op}` on field {name!r} ({kind}) needs {_EXPECTED[item_kind]}; got {show(item)}",
            )
    if field.choices is not None:
        for item in items:
            for choice in item if isinstance(item, list | tuple) else [item]:
                if choice not in field.choices:
                    listed = listing(field.choices)
                    hint = suggestion(str(choice), field.choices)
                    return (
                        "value",
                        f"{choice!r} is not a choice of field {name!r}; choices are: {listed}{hint}",
                    )
    return None


def _fits(value: object, kind: FieldType) -> bool:
    if kind is FieldType.STR:
        return isinstance(value, str)
    if kind is FieldType.INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is FieldType.BOOL:
        return isinstance(value, bool)
    if kind is FieldType.DATE:
        return isinstance(value, str) and _ISO_DATE.fullmatch(value) is not None and _is_date(value)
    return isinstance(value, list | tuple) and all(isinstance(item, str) for item in value)


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


# Document order: findings sorted as their paths appear in a file, names in declaration order


#: Top-level keys in the order a definition file lists them.
_SECTIONS = (
    "protocol",
    "version",
    "title",
    "description",
    "source",
    "roles",
    "context",
    "initial",
    "start_by",
    "states",
    "transitions",
    "invariants",
)
#: Keys inside roles, fields, states, transitions, conditions and invariants, in their usual order.
_KEYS = (
    "name",
    "trigger",
    "type",
    "from",
    "in",
    "to",
    "by",
    "input",
    "requires",
    "conditions",
    "field",
    "op",
    "value",
    "guards",
    "signoff",
    "all_of",
    "choices",
    "min_items",
    "title",
    "description",
    "final",
)
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _document_order(definition: Definition) -> Callable[[Finding], list[int]]:
    declared = {
        "roles": [role.name for role in definition.roles],
        "states": [state.name for state in definition.states],
        "context": [field.name for field in definition.context],
    }

    def position(finding: Finding) -> list[int]:
        order: list[int] = []
        section = ""
        for depth, (key, index) in enumerate(_PATH_PART.findall(finding.path)):
            if index:
                order.append(int(index))
            elif depth == 0:
                section = key
                order.append(_rank(_SECTIONS, key))
            elif depth == 1 and section in declared:
                order.append(_rank(declared[section], key))
            else:
                order.append(_rank(_KEYS, key))
        return order

    return position


def _rank(names: Sequence[str], name: str) -> int:
    return names.index(name) if name in names else len(names)
