"""The transition table: a Definition compiled once into dict lookups and small check functions.

``compile_definition(definition, guards)`` resolves everything the hot path
needs (roles as frozensets, input checks, compiled conditions, named guards,
invariants by state) so that :func:`just_workflow.step.step` does no parsing
and no searching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from just_workflow.definition import SYSTEM_ROLE, Condition, Definition, Invariant, Transition
from just_workflow.errors import DefinitionError, Problem
from just_workflow.guards import ConditionCheck, NamedGuard, ValueCheck, condition_check, value_check


@attrs.frozen
class CompiledTransition:
    """One transition, ready to evaluate."""

    source: Transition
    index: int
    roles: frozenset[str]
    inputs: Mapping[str, ValueCheck]
    required_inputs: tuple[str, ...]
    requires: tuple[str, ...]
    conditions: tuple[tuple[str, ConditionCheck], ...]  # (the field it reads, the check)
    named_guards: tuple[tuple[str, NamedGuard], ...]
    signers: tuple[str, ...]
    every_party: frozenset[str] = frozenset()  # signer roles whose every bound party signs
    joins: bool = False

    def normalize_payload(self, payload: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The payload with values normalized, and why it does not fit the inputs: a reason by input."""
        reasons: dict[str, str] = {}
        values: dict[str, Any] = {}
        inputs = self.inputs
        for key, value in payload.items():
            check = inputs.get(key)
            if check is None:
                accepted = ", ".join(inputs) or "none"
                reasons[key] = f"unknown input '{key}'; '{self.source.trigger}' accepts: {accepted}"
                continue
            normalized, reason = check(value)
            if reason is None:
                values[key] = normalized
            else:
                reasons[key] = reason
        for key in self.required_inputs:
            if key not in payload:
                reasons[key] = f"required input '{key}' is missing"
        return values, reasons

    def guard_reasons(
        self, context: Mapping[str, Any], actor: Any, assumed: frozenset[str] = frozenset()
    ) -> list[str]:
        """Why the guards are false on ``context`` (empty when they all pass).

        ``assumed`` names fields taken as given (inputs not yet supplied, for
        :meth:`Engine.options`); conditions and named guards that read them
        are not judged.
        """
        # Plain loops, no comprehensions: this runs on every fire.
        reasons: list[str] = []
        for name in self.requires:
            if name not in context and name not in assumed:
                reasons.append(f"required field '{name}' is not set")
        for field, check in self.conditions:
            if field not in assumed:
                reason = check(context)
                if reason is not None:
                    reasons.append(reason)
        if not assumed:  # a named guard may read any input: judge it only with the payload known
            for name, guard in self.named_guards:
                if not guard(context, actor):
                    reasons.append(f"guard '{name}' is false")
        return reasons


@attrs.frozen
class CompiledInvariant:
    """An invariant, ready to evaluate on a state's context."""

    source: Invariant
    conditions: tuple[tuple[str, ConditionCheck], ...]  # (the field it reads, the check)

    def violations(self, context: Mapping[str, Any], assumed: frozenset[str] = frozenset()) -> list[str]:
        """What the context breaks of this invariant (empty when it holds); ``assumed`` fields are not judged."""
        name = self.source.name
        reasons: list[str] = []
        for field in self.source.requires:
            if field not in context and field not in assumed:
                reasons.append(f"invariant '{name}' would be broken: field '{field}' is not set")
        for field, check in self.conditions:
            if field not in assumed:
                reason = check(context)
                if reason is not None:
                    reasons.append(f"invariant '{name}' would be broken: {reason}")
        return reasons


@attrs.frozen
class Table:
    """A compiled definition: moves by state and trigger, invariants by state.

    :meth:`authorized` is the one answer to "which transitions may this role
    fire from this state": the engine's step, its options, the model checker
    and the test kit all ask it.
    """

    definition: Definition
    digest: str
    moves: Mapping[str, Mapping[str, tuple[CompiledTransition, ...]]]
    finals: frozenset[str]
    invariants: Mapping[str, tuple[CompiledInvariant, ...]]
    start_roles: frozenset[str]
    open_roles: frozenset[str]
    inviters: Mapping[str, frozenset[str]]  # a closed role -> the roles that may bind its parties
    # (state, trigger, role) -> the candidates that role may fire; a key per role that may, none for others.
    by_role: Mapping[tuple[str, str, str], tuple[CompiledTransition, ...]]

    def authorized(self, state: str, trigger: str, role: str) -> tuple[CompiledTransition, ...]:
        """The transitions of ``trigger`` from ``state`` that ``role`` may fire, in definition order."""
        return self.by_role.get((state, trigger, role), ())

    def roles_for(self, state: str, trigger: str) -> list[str]:
        """The roles that may fire ``trigger`` from ``state``, sorted."""
        candidates = self.moves.get(state, {}).get(trigger, ())
        return sorted({role for candidate in candidates for role in candidate.roles})


def _checks(conditions: tuple[Condition, ...]) -> tuple[tuple[str, ConditionCheck], ...]:
    return tuple((condition.field, condition_check(condition)) for condition in conditions)


def compile_definition(definition: Definition, guards: Mapping[str, NamedGuard] | None = None) -> Table:
    """Compile ``definition``; every named guard it references must be in ``guards``."""
    registry = dict(guards or {})
    missing = sorted({g for t in definition.transitions for g in t.guards if g not in registry})
    if missing:
        known = ", ".join(sorted(registry)) or "none"
        raise DefinitionError(
            [
                Problem(
                    f"named guard {name!r} is not registered on the engine; registered: {known}",
                    path="$.transitions",
                    file=definition.origin,
                )
                for name in missing
            ]
        )
    checks = {field.name: value_check(field) for field in definition.context}
    finals = frozenset(definition.final_states())
    moves: dict[str, dict[str, list[CompiledTransition]]] = {
        state.name: {} for state in definition.states if not state.final
    }
    for index, transition in enumerate(definition.transitions):
        compiled = CompiledTransition(
            source=transition,
            index=index,
            roles=frozenset(transition.firing_roles),
            inputs={i.field: checks[i.field] for i in transition.inputs},
            required_inputs=tuple(i.field for i in transition.inputs if i.required),
            requires=transition.requires,
            conditions=_checks(transition.conditions),
            named_guards=tuple((name, registry[name]) for name in transition.guards),
            signers=transition.signoff.all_of if transition.signoff else (),
            every_party=frozenset(transition.signoff.every_party if transition.signoff else ()),
            joins=transition.joins,
        )
        for state in transition.sources:
            if state in moves:
                moves[state].setdefault(transition.trigger, []).append(compiled)
    invariants: dict[str, list[CompiledInvariant]] = {}
    for invariant in definition.invariants:
        compiled_invariant = CompiledInvariant(invariant, _checks(invariant.conditions))
        for state in invariant.states:
            invariants.setdefault(state, []).append(compiled_invariant)
    by_role: dict[tuple[str, str, str], list[CompiledTransition]] = {}
    for state, by_trigger in moves.items():
        for trigger, candidates in by_trigger.items():
            for candidate in candidates:
                for role in candidate.source.firing_roles:
                    by_role.setdefault((state, trigger, role), []).append(candidate)
    return Table(
        definition=definition,
        digest=definition.digest,
        moves={state: {t: tuple(c) for t, c in by_trigger.items()} for state, by_trigger in moves.items()},
        by_role={key: tuple(candidates) for key, candidates in by_role.items()},
        finals=finals,
        invariants={state: tuple(items) for state, items in invariants.items()},
        start_roles=frozenset(definition.start_by or (role.name for role in definition.roles)),
        # The clock's `system` role acts as an office does: no party is bound to it.
        open_roles=frozenset([*(role.name for role in definition.roles if role.open), SYSTEM_ROLE]),
        inviters={role.name: frozenset(role.invited_by) for role in definition.roles if not role.open},
    )
