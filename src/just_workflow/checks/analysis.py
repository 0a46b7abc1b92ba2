"""The analyses of a sound definition, as findings: what is wrong beyond its structure.

States that cannot be reached or from which no final state can be; moves
out of final states; triggers that are nondeterministic for some role;
guards that can never pass because a field they read is never set; moves
that may break an invariant; unused roles and fields; missing titles and
translations. The graph and data-flow facts come from
:mod:`just_workflow.checks.graph`; deciding whether two conditions exclude or
imply each other needs the value sets below.
"""

from __future__ import annotations

import datetime
import heapq
from collections.abc import Callable, Collection, Hashable, Iterator, Sequence

import attrs

from just_workflow.checks.findings import (
    Finding,
    FindingCode,
    error,
    listing,
    plural,
    quoted,
    show,
    unknown,
    warning,
)
from just_workflow.checks.graph import (
    fields_possibly_set,
    fields_surely_set,
    guaranteed_fields,
    reachable_states,
    states_reaching,
)
from just_workflow.definition import (
    LANGUAGES,
    Condition,
    Definition,
    Field,
    FieldType,
    Invariant,
    Op,
    Text,
    Transition,
    Value,
)


def analysis_findings(definition: Definition, guards: Collection[str] | None = None) -> Iterator[Finding]:
    """Every finding of the analyses of a structurally sound ``definition``, unsorted.

    ``guards`` names the registered Python guards; None skips that check.
    """
    yield from _graph_findings(definition)
    yield from _nondeterminism_findings(definition)
    yield from _signoff_input_findings(definition)
    yield from _unset_field_findings(definition)
    yield from _invariant_break_findings(definition)
    yield from _unbindable_findings(definition)
    yield from _unused_findings(definition)
    yield from _text_findings(definition)
    if guards is not None:
        yield from _unknown_guard_findings(definition, guards)


def _unknown_guard_findings(definition: Definition, registry: Collection[str]) -> Iterator[Finding]:
    known = sorted(registry)
    for index, transition in enumerate(definition.transitions):
        for position, guard in enumerate(transition.guards):
            if guard not in registry:
                message = unknown("guard", guard, "guards", known, known_as="registered guards")
                yield error(FindingCode.UNKNOWN_GUARD, f"$.transitions[{index}].guards[{position}]", message)


def _graph_findings(definition: Definition) -> Iterator[Finding]:
    finals = definition.final_states()
    if not finals:
        yield error(
            FindingCode.NO_FINAL_STATE, "$.states", "No final state: mark at least one state `final: true`"
        )
    reachable = reachable_states(definition)
    finishing = states_reaching(definition, finals)
    for state in definition.states:
        path, name = f"$.states.{state.name}", state.name
        if name not in reachable:
            message = f"State {name!r} cannot be reached from the initial state {definition.initial!r}"
            yield error(FindingCode.UNREACHABLE_STATE, path, message)
        if finals and not state.final and name not in finishing:
            message = (
                f"No final state can be reached from state {name!r}; final states are: {listing(finals)}"
            )
            yield error(FindingCode.TRAP_STATE, path, message)
    for index, transition in enumerate(definition.transitions):
        for position, source in enumerate(transition.sources):
            if definition.state_map[source].final:
                message = (
                    f"Transition {transition.trigger!r} leaves the final state {source!r}; "
                    "a final state accepts no trigger"
                )
                yield error(
                    FindingCode.TRANSITION_FROM_FINAL, f"$.transitions[{index}].from[{position}]", message
                )


def _nondeterminism_findings(definition: Definition) -> Iterator[Finding]:
    """One finding per conflict: the first two transitions of a trigger that overlap in a state, with a count.

    Transitions are compared only with those of the same trigger and source
    state, and each only until it overlaps an earlier one: thousands of
    copies of one transition cost as many comparisons, not their square,
    and give one finding that counts the others.
    """
    transitions = definition.transitions
    finals = set(definition.final_states())
    moves: dict[tuple[str, str], list[int]] = {}  # (trigger, state) -> the transitions firing it, in order
    for index, transition in enumerate(transitions):
        for state in transition.sources:
            if state not in finals:
                moves.setdefault((transition.trigger, state), []).append(index)
    # (earlier, later, how many more) -> the states where this is the first overlap of that trigger
    conflicts: dict[tuple[int, int, int], list[str]] = {}
    for (_, state), indices in moves.items():
        compared = _OverlapIndex(definition)
        overlaps = [(earlier, later) for later in indices if (earlier := compared.add(later)) is not None]
        if overlaps:
            earlier, later = overlaps[0]
            conflicts.setdefault((earlier, later, len(overlaps) - 1), []).append(state)
    for (earlier, later, more), states in conflicts.items():
        first, second = transitions[earlier], transitions[later]
        roles = [r for r in second.firing_roles if r in first.firing_roles]
        message = (
            f"Transitions $.transitions[{earlier}] and $.transitions[{later}] both fire "
            f"{second.trigger!r} in {plural('state', states)} {quoted(states)} for "
            f"{plural('role', roles)} {quoted(roles)}, and their guards are not mutually exclusive; "
            "give both a condition on the same field with disjoint values"
        )
        if more:
            message += f" ({more:,} more like it)"
        yield error(FindingCode.NONDETERMINISTIC, f"$.transitions[{later}]", message)


#: A field as a guard reads it: its name, and whether the transition takes it as input (the payload's value).
_Reading = tuple[str, bool]


class _OverlapIndex:
    """The transitions of one trigger and state, added in order; each added is compared with those before.

    Comparing each with all before is quadratic: thousands of variants told
    apart by ``kind eq v1``, ``kind eq v2``... would take millions of
    comparisons. So the earlier transitions are indexed by the values their
    conditions admit, when finite: only those admitting one of the new
    transition's values on that field, or with no such condition, can overlap it.
    """

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.added: list[int] = []
        # reading -> value -> the transitions with a condition on it admitting the value
        self.admitting: dict[_Reading, dict[Hashable, list[int]]] = {}
        # reading -> the transitions without a condition on it admitting finitely many values
        self.unconstrained: dict[_Reading, list[int]] = {}

    def add(self, later: int) -> int | None:
        """Add transition ``later``; the first one added before it that shares a role and may fire with it."""
        second = self.definition.transitions[later]
        finite = self._finite_sets(second)
        roles = set(second.firing_roles)
        overlap = None
        for earlier in self._candidates(finite):
            first = self.definition.transitions[earlier]
            shared = not roles.isdisjoint(first.firing_roles)
            if shared and not guards_exclusive(self.definition, first, second):
                overlap = earlier
                break
        for reading in finite.keys() - self.unconstrained.keys():
            self.unconstrained[reading] = list(self.added)
        for reading, listed in self.unconstrained.items():
            if reading not in finite:
                listed.append(later)
        for reading, sets in finite.items():
            for value in frozenset().union(*sets):
                self.admitting.setdefault(reading, {}).setdefault(value, []).append(later)
        self.added.append(later)
        return overlap

    def _candidates(self, finite: dict[_Reading, list[frozenset[Hashable]]]) -> Iterator[int]:
        """The transitions added so far that may overlap one with these finite sets, in order, each once.

        One condition narrows enough: a transition left out has a condition on its field admitting none of
        its values, which :func:`guards_exclusive` counts as exclusive.
        """
        if not finite:
            yield from self.added
            return
        reading, (values, *_) = next(iter(finite.items()))
        admitting = self.admitting.get(reading, {})
        lists = [self.unconstrained.get(reading, self.added), *(admitting.get(v, []) for v in values)]
        previous = None
        for index in heapq.merge(*lists):
            if index != previous:
                yield index
            previous = index

    def _finite_sets(self, transition: Transition) -> dict[_Reading, list[frozenset[Hashable]]]:
        """For each field read, the value sets of its conditions that admit finitely many values."""
        sets: dict[_Reading, list[frozenset[Hashable]]] = {}
        for condition in transition.conditions:
            admitted = admitted_values(condition, self.definition.field_map[condition.field])
            if isinstance(admitted, Finite):
                reading = (condition.field, _takes(transition, condition.field))
                sets.setdefault(reading, []).append(admitted.values)
        return sets


def _signoff_input_findings(definition: Definition) -> Iterator[Finding]:
    """A sign-off of several roles cannot take a required input: each signature would clear the others."""
    for index, transition in enumerate(definition.transitions):
        signoff = transition.signoff
        required = [item.field for item in transition.inputs if item.required]
        if signoff is None or len(set(signoff.all_of)) < 2 or not required:
            continue
        message = (
            f"Sign-off {transition.trigger!r} requires input(s) {', '.join(required)}: every signature would "
            "change the context and so clear the signatures before it, and the sign-off could never complete; "
            "set the field(s) in an earlier transition and list them in `requires`"
        )
        yield error(FindingCode.SIGNOFF_WITH_INPUT, f"$.transitions[{index}].input", message)


def _unset_field_findings(definition: Definition) -> Iterator[Finding]:
    possible = fields_possibly_set(definition)
    setters: dict[str, dict[str, None]] = {}  # field -> triggers taking it as input, in order
    for transition in definition.transitions:
        for item in transition.inputs:
            setters.setdefault(item.field, {})[transition.trigger] = None
    for index, transition in enumerate(definition.transitions):
        path = f"$.transitions[{index}]"
        own = {item.field for item in transition.inputs}
        # Sources never arrived in are left out: what keeps the run from them is reported where it happens.
        sources = [s for s in transition.sources if s in possible and not definition.state_map[s].final]
        reads = [(f"{path}.requires[{k}]", name) for k, name in enumerate(transition.requires)]
        reads += [(f"{path}.conditions[{k}].field", c.field) for k, c in enumerate(transition.conditions)]
        for where, name in reads:
            stuck = [s for s in sources if name not in own and name not in possible[s]]
            if stuck:
                takers = listing(setters.get(name, ()))
                message = (
                    f"Transition {transition.trigger!r} needs field {name!r} in {plural('state', stuck)} "
                    f"{quoted(stuck)}, but no path there sets it and the transition does not take it as input: "
                    f"the guard can never pass (transitions that take {name!r} as input: {takers})"
                )
                yield error(FindingCode.GUARD_NEVER_PASSES, where, message)


def _invariant_break_findings(definition: Definition) -> Iterator[Finding]:
    for index, invariant in enumerate(definition.invariants):
        if definition.initial in invariant.states and (invariant.requires or invariant.conditions):
            position = invariant.states.index(definition.initial)
            message = (
                f"Invariant {invariant.name!r} holds in the initial state {definition.initial!r}, where an "
                "instance starts with no field set: it is broken from the start"
            )
            yield error(FindingCode.INVARIANT_AT_START, f"$.invariants[{index}].in[{position}]", message)
    surely = fields_surely_set(definition)
    finals = set(definition.final_states())
    for index, transition in enumerate(definition.transitions):
        steps = [(s, transition.target or s) for s in transition.sources if s in surely and s not in finals]
        for invariant in definition.invariants:
            entering = [(source, target) for source, target in steps if target in invariant.states]
            path = f"$.transitions[{index}]"
            yield from _invariant_breaks(definition, path, transition, invariant, entering, surely)


def _invariant_breaks(
    definition: Definition,
    path: str,
    transition: Transition,
    invariant: Invariant,
    entering: Sequence[tuple[str, str]],
    surely: dict[str, frozenset[str]],
) -> Iterator[Finding]:
    """How ``transition`` may break ``invariant`` on its steps ``entering`` (source, target) its states."""
    name, broken = transition.trigger, f"breaking invariant {invariant.name!r}"
    own = guaranteed_fields(transition)
    lacking = {
        source: [f for f in invariant.requires if f not in surely[source] | own] for source, _ in entering
    }
    missing = list(dict.fromkeys(f for fields in lacking.values() for f in fields))
    if missing:
        targets = list(dict.fromkeys(target for source, target in entering if lacking[source]))
        message = (
            f"Transition {name!r} may reach {plural('state', targets)} {quoted(targets)} without "
            f"{plural('field', missing)} {quoted(missing)} set, {broken}; add "
            f"{'them' if len(missing) > 1 else 'it'} to the transition's `requires` or required inputs"
        )
        yield error(FindingCode.INVARIANT_MAY_BREAK, path, message)
    inputs = {item.field for item in transition.inputs}

    def kept(source: str, wanted: Condition) -> bool:
        # The transition's own condition implies it, or it held in the source and the value stays.
        if any(implies(definition, mine, wanted) for mine in transition.conditions):
            return True
        return source in invariant.states and wanted.field not in inputs

    for wanted in invariant.conditions:
        targets = list(dict.fromkeys(target for source, target in entering if not kept(source, wanted)))
        if targets:
            rule = f"{wanted.field} {wanted.op} {show(wanted.value)}"
            message = (
                f"Transition {name!r} may reach {plural('state', targets)} {quoted(targets)} with a value of "
                f"{wanted.field!r} for which `{rule}` fails, {broken}; give the transition a condition "
                "that implies it"
            )
            yield error(FindingCode.INVARIANT_MAY_BREAK, path, message)


def _unbindable_findings(definition: Definition) -> Iterator[Finding]:
    """A closed role that no start, invitation or joining transition ever binds: its transitions never fire."""
    starters = set(definition.start_by or definition.role_map)
    joiners = {role for t in definition.transitions if t.joins for role in t.firing_roles}
    for role in definition.roles:
        if role.open or role.invited_by or role.name in starters | joiners:
            continue
        acts = any(role.name in t.firing_roles for t in definition.transitions)
        if acts:
            message = (
                f"Role {role.name!r} is closed, but nothing binds a party to it: it does not start the "
                "instance, no role invites it (`invited_by`) and no transition it fires `joins`; make it "
                "`open: true` or say who invites it"
            )
            yield warning(FindingCode.UNBINDABLE_ROLE, f"$.roles.{role.name}", message)


def _unused_findings(definition: Definition) -> Iterator[Finding]:
    used = set(definition.start_by)
    for transition in definition.transitions:
        used.update(transition.by, transition.firing_roles)
    for role in definition.roles:
        if role.name not in used:
            message = f"Role {role.name!r} is never used: no `by`, `signoff` or `start_by` names it"
            yield warning(FindingCode.UNUSED_ROLE, f"$.roles.{role.name}", message)
    inputs = {item.field for transition in definition.transitions for item in transition.inputs}
    for field in definition.context:
        if field.name not in inputs:
            message = f"Field {field.name!r} is never set: no transition takes it as `input`"
            yield warning(FindingCode.UNUSED_FIELD, f"$.context.{field.name}", message)


def _text_findings(definition: Definition) -> Iterator[Finding]:
    yield from _translations("the protocol", "$", definition.title, definition.description)
    for role in definition.roles:
        yield from _titled(f"role {role.name!r}", f"$.roles.{role.name}", role.title, role.description)
    for field in definition.context:
        what, path = f"field {field.name!r}", f"$.context.{field.name}"
        yield from _translations(what, path, field.title, field.description)
        yield from _choice_titles(field, path)
    for state in definition.states:
        yield from _titled(f"state {state.name!r}", f"$.states.{state.name}", state.title, state.description)
    for index, transition in enumerate(definition.transitions):
        what, path = f"transition {transition.trigger!r}", f"$.transitions[{index}]"
        yield from _titled(what, path, transition.title, transition.description)
    for index, invariant in enumerate(definition.invariants):
        what, path = f"invariant {invariant.name!r}", f"$.invariants[{index}]"
        yield from _translations(what, path, None, invariant.description)


def _choice_titles(field: Field, path: str) -> Iterator[Finding]:
    """A choice is shown to people as an option of a form: each needs a title in every language."""
    titles = field.choice_titles or {}
    for choice in field.choices or ():
        title = titles.get(choice)
        what = f"choice {choice!r} of field {field.name!r}"
        if title is None:
            message = f"The {what} has no title; give one in {', '.join(LANGUAGES)}"
            yield warning(FindingCode.MISSING_TRANSLATION, f"{path}.choices.{choice}", message)
        else:
            yield from _translations(what, f"{path}.choices", title, None, key=choice)


def _titled(what: str, path: str, title: Text | None, description: Text | None) -> Iterator[Finding]:
    """States, roles and transitions are shown to people: each needs a title."""
    if title is None:
        message = f"{what[0].upper()}{what[1:]} has no title; give one in {', '.join(LANGUAGES)}"
        yield warning(FindingCode.MISSING_TITLE, path, message)
    yield from _translations(what, path, title, description)


def _translations(
    what: str, path: str, title: Text | None, description: Text | None, key: str = "title"
) -> Iterator[Finding]:
    """A text missing languages, located at ``path.key`` (``key``: where the title is; a choice's is its value)."""
    for where, kind, text in ((key, "title", title), ("description", "description", description)):
        if text is not None and text.missing():
            message = f"{kind.capitalize()} of {what} has no translation in {', '.join(text.missing())}"
            yield warning(FindingCode.MISSING_TRANSLATION, f"{path}.{where}", message)


# Value sets: what a condition admits, in a form where disjointness and inclusion can be decided


@attrs.frozen
class Finite:
    """Exactly these values."""

    values: frozenset[Hashable]


@attrs.frozen
class AllBut:
    """Every value of an unbounded domain except these."""

    excluded: frozenset[Hashable]


@attrs.frozen
class Interval:
    """The integers from ``low`` to ``high``, both included; None is unbounded (dates as day numbers)."""

    low: int | None
    high: int | None

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
        )


ValueSet = Finite | AllBut | Interval


def admitted_values(condition: Condition, field: Field) -> ValueSet | None:
    """The values of ``field`` for which ``condition`` holds; None when it cannot be told simply.

    List fields are left undecided: whether their comparisons mind the order
    of items is the engine's business, and the checks must stay conservative.
    """
    if field.type is FieldType.LIST_STR:
        return None
    op, value = condition.op, condition.value
    dated = field.type is FieldType.DATE
    values: ValueSet
    if op in (Op.EQ, Op.NE):
        values = Finite(frozenset({_comparable(value, dated)}))
    elif op in (Op.IN, Op.NOT_IN) and isinstance(value, list | tuple):
        values = Finite(frozenset(_comparable(item, dated) for item in value))
    elif op in _BOUNDS and isinstance(bound := _comparable(value, dated), int):
        values = _BOUNDS[op](bound)
    else:
        return None
    if op in (Op.NE, Op.NOT_IN) and isinstance(values, Finite):
        values = AllBut(values.values)
    domain = _finite_domain(field)
    if domain is not None and isinstance(values, AllBut):
        values = Finite(domain - values.excluded)
    return values


_BOUNDS: dict[Op, Callable[[int], Interval]] = {
    Op.GT: lambda bound: Interval(bound + 1, None),
    Op.GE: lambda bound: Interval(bound, None),
    Op.LT: lambda bound: Interval(None, bound - 1),
    Op.LE: lambda bound: Interval(None, bound),
}


def _comparable(value: Value, dated: bool) -> Hashable:
    """Dates as day numbers, so that they compare and bound like integers."""
    return datetime.date.fromisoformat(value).toordinal() if dated and isinstance(value, str) else value


def _finite_domain(field: Field) -> frozenset[Hashable] | None:
    if field.type is FieldType.BOOL:
        return frozenset({True, False})
    if field.type is FieldType.STR and field.choices is not None:
        return frozenset(field.choices)
    return None


def disjoint(first: ValueSet, second: ValueSet) -> bool:
    """Whether no value is in both sets (False when it cannot be shown)."""
    match first, second:
        case Finite(a), Finite(b):
            return not a & b
        case (Finite(a), AllBut(b)) | (AllBut(b), Finite(a)):
            return a <= b
        case (Finite(a), Interval() as interval) | (Interval() as interval, Finite(a)):
            return not any(value in interval for value in a)
        case Interval(low_a, high_a), Interval(low_b, high_b):
            return _before(high_a, low_b) or _before(high_b, low_a)
    return False


def included(inner: ValueSet, outer: ValueSet) -> bool:
    """Whether every value of ``inner`` is in ``outer`` (False when it cannot be shown)."""
    match inner, outer:
        case Finite(a), Finite(b):
            return a <= b
        case Finite(a), AllBut(b):
            return not a & b
        case Finite(a), Interval() as interval:
            return all(value in interval for value in a)
        case AllBut(a), AllBut(b):
            return b <= a
        case Interval() as interval, AllBut(b):
            return not any(value in interval for value in b)
        case Interval(low_a, high_a), Interval(low_b, high_b):
            return (low_b is None or (low_a is not None and low_a >= low_b)) and (
                high_b is None or (high_a is not None and high_a <= high_b)
            )
    return False


def _before(high: int | None, low: int | None) -> bool:
    return high is not None and low is not None and high < low


def guards_exclusive(definition: Definition, first: Transition, second: Transition) -> bool:
    """Whether the declarative guards of two transitions can never pass together.

    They cannot when, for one field, a condition of each admits no common
    value. The field must reach both guards the same way: a transition that
    takes it as input judges the payload's value, one that does not judges
    the context's, and those may differ.
    """
    for mine in first.conditions:
        for theirs in second.conditions:
            name = mine.field
            if name != theirs.field or _takes(first, name) != _takes(second, name):
                continue
            field = definition.field_map[name]
            a, b = admitted_values(mine, field), admitted_values(theirs, field)
            if a is not None and b is not None and disjoint(a, b):
                return True
    return False


def implies(definition: Definition, given: Condition, wanted: Condition) -> bool:
    """Whether ``wanted`` holds whenever ``given`` does (False when it cannot be shown)."""
    if given == wanted:
        return True
    if given.field != wanted.field:
        return False
    field = definition.field_map[given.field]
    a, b = admitted_values(given, field), admitted_values(wanted, field)
    return a is not None and b is not None and included(a, b)


def _takes(transition: Transition, name: str) -> bool:
    return any(i.field == name for i in transition.inputs)
