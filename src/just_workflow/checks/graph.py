"""The state graph and the data flow of a definition: facts the static checks rest on.

Pure functions over a structurally sound :class:`~just_workflow.definition.Definition`
(every name it mentions is declared): the moves a run may take, the states
reachable from ``initial`` or leading to a goal, and which context fields
may or must be set in each state. A final state accepts no trigger, so no
move starts from one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from just_workflow.definition import Definition, Transition


def fields_read(transition: Transition) -> frozenset[str]:
    """The fields the transition's guard reads: ``requires`` and the conditions' fields.

    A condition is false while its field is unset, so each of them must be set for the guard to pass.
    """
    return frozenset(transition.requires) | {condition.field for condition in transition.conditions}


def moves(definition: Definition) -> Iterator[tuple[Transition, str, str]]:
    """Every ``(transition, source, target)`` a run may take; a transition without ``to`` stays."""
    finals = set(definition.final_states())
    for transition in definition.transitions:
        for source in transition.sources:
            if source not in finals:
                yield transition, source, transition.target or source


def reachable_states(definition: Definition) -> set[str]:
    """The states some sequence of moves leads to from ``initial``, guards ignored."""
    successors: dict[str, set[str]] = {}
    for _, source, target in moves(definition):
        successors.setdefault(source, set()).add(target)
    return _closure({definition.initial}, successors)


def states_reaching(definition: Definition, goals: Collection[str]) -> set[str]:
    """The states from which some sequence of moves leads to one of ``goals`` (goals included)."""
    predecessors: dict[str, set[str]] = {}
    for _, source, target in moves(definition):
        predecessors.setdefault(target, set()).add(source)
    return _closure(set(goals), predecessors)


def _closure(start: set[str], neighbours: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    pending = list(start)
    while pending:
        for state in neighbours.get(pending.pop(), ()):
            if state not in seen:
                seen.add(state)
                pending.append(state)
    return seen


def fields_possibly_set(definition: Definition) -> dict[str, frozenset[str]]:
    """For each state a run can arrive in, the fields that some run may have set on arrival.

    A move counts only when every field its guard reads may be set by then
    (its own inputs included): a guard reading a field that is never set can
    never pass. The states missing from the result are never arrived in.
    """
    possible: dict[str, frozenset[str]] = {definition.initial: frozenset()}
    changed = True
    while changed:
        changed = False
        for transition, source, target in moves(definition):
            if source not in possible:
                continue
            after = possible[source] | {i.field for i in transition.inputs}
            if not fields_read(transition) <= after:
                continue
            merged = possible.get(target, frozenset()) | after
            if merged != possible.get(target):
                possible[target] = merged
                changed = True
    return possible


def fields_surely_set(definition: Definition) -> dict[str, frozenset[str]]:
    """For each reachable state, the fields every run has set while it is there.

    They are the fields set on every path into the state (a move sets its
    required inputs, and its guard only passes with the fields it reads set),
    plus the fields the state's invariants need: the engine refuses any
    step that would break an invariant, so while in the state they hold.
    """
    held = _invariant_fields(definition)
    surely: dict[str, frozenset[str]] = {definition.initial: held.get(definition.initial, frozenset())}
    changed = True
    while changed:
        changed = False
        for transition, source, target in moves(definition):
            if source not in surely:
                continue
            after = surely[source] | set(guaranteed_fields(transition)) | held.get(target, frozenset())
            narrowed = surely[target] & after if target in surely else after
            if narrowed != surely.get(target):
                surely[target] = narrowed
                changed = True
    return surely


def guaranteed_fields(transition: Transition) -> frozenset[str]:
    """The fields set after ``transition`` fires: its required inputs and the fields its guard reads."""
    return fields_read(transition) | {i.field for i in transition.inputs if i.required}


def _invariant_fields(definition: Definition) -> dict[str, frozenset[str]]:
    fields: dict[str, frozenset[str]] = {}
    for invariant in definition.invariants:
        needed = set(invariant.requires) | {condition.field for condition in invariant.conditions}
        for state in invariant.states:
            fields[state] = fields.get(state, frozenset()) | needed
    return fields
