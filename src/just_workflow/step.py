"""The pure core: ``begin`` and ``step`` turn a snapshot and a command into the next snapshot and its event.

``step_with`` is ``step`` with the command given field by field, as
:meth:`~just_workflow.engine.Engine.fire` receives it.

No clock, no store, no randomness: the caller passes ``now`` (an ISO 8601
string) and gets back new immutable values, or a typed refusal. Replay,
property tests and concurrency control all rest on that. Events come out
linked to the snapshot's head (``prev_hash``) and hashed, and the new
snapshot's ``head`` is that hash; ``seal=False`` skips the hashing (both
hashes stay empty), for dry runs and for measuring the step alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from just_workflow import parties, signoffs
from just_workflow.definition import PARTY_TRIGGERS
from just_workflow.errors import (
    CANNOT_FIRE,
    INVALID_PAYLOAD,
    GuardFailed,
    InvalidPayload,
    NotAuthorized,
    Refusal,
    TransitionNotAllowed,
    headline,
)
from just_workflow.events import FIRE, PARTY, SIGN, START, Actor, Event, genesis_hash, new_event
from just_workflow.instance import NO_ENTRIES, Command, Instance, Option, build_instance, read_only, updated
from just_workflow.messages import Reason, Titles, translated
from just_workflow.table import CompiledTransition, Table


def begin(
    table: Table, instance_id: str, actor: Actor, now: str, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Start an instance of ``table``'s protocol in its initial state."""
    definition = table.definition
    if actor.role not in table.start_roles:
        allowed = ", ".join(sorted(table.start_roles))
        default = f"Role {actor.role!r} may not start '{definition.protocol}'; roles that may: {allowed}."
        raise NotAuthorized(
            Reason(
                default,
                "start-not-allowed",
                role=actor.role,
                protocol=definition.protocol,
                roles=sorted(table.start_roles),
            ),
            trigger="start",
            role=actor.role,
            allowed_roles=sorted(table.start_roles),
        )
    event = new_event(
        instance_id,
        1,
        START,
        definition.protocol,
        definition.version,
        table.digest,
        None,
        None,
        definition.initial,
        actor,
        NO_ENTRIES,
        now,
        genesis_hash(instance_id, definition.protocol, definition.version),
        seal=seal,
    )
    instance = build_instance(
        Instance,
        instance_id,
        definition.protocol,
        definition.version,
        table.digest,
        definition.initial,
        NO_ENTRIES,
        NO_ENTRIES,
        1,
        event.hash,
        read_only({actor.role: (actor.id,)}),  # the starter is bound to their role
    )
    return instance, event


def step(
    table: Table, instance: Instance, command: Command, now: str, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Fire ``command`` on ``instance``: the next snapshot and its event, or a refusal."""
    return step_with(table, instance, command.trigger, command.actor, command.payload, now, seal=seal)


def step_with(
    table: Table,
    instance: Instance,
    trigger: str,
    actor: Actor,
    payload: Mapping[str, Any],
    now: str,
    *,
    seal: bool = True,
) -> tuple[Instance, Event]:
    """:func:`step` with the command given as its trigger, actor and payload: the engine builds no Command."""
    state = instance.state
    # One lookup on the way that succeeds (Table.authorized's, without its call); why nothing is authorized
    # is worked out only for a refusal.
    authorized = table.by_role.get((state, trigger, actor.role), ())
    if len(authorized) == 1:  # the common case: no list of refusals to build
        # An open role admits any actor: asked here first, it saves the call on the fires of an office.
        if actor.role not in table.open_roles and not parties.admitted(table, instance, authorized[0], actor):
            raise parties.not_a_party(instance, trigger, actor)
        return _apply(table, instance, authorized[0], trigger, actor, payload, now, seal)
    if not authorized:
        if trigger in PARTY_TRIGGERS and state in table.moves:
            return _change_parties(table, instance, trigger, actor, payload, now, seal)
        raise _unauthorized(table, state, trigger, actor.role)
    admitted = [c for c in authorized if parties.admitted(table, instance, c, actor)]
    if not admitted:
        raise parties.not_a_party(instance, trigger, actor)
    refusals: list[Refusal] = []
    for candidate in admitted:
        try:
            return _apply(table, instance, candidate, trigger, actor, payload, now, seal)
        except (GuardFailed, InvalidPayload, NotAuthorized) as refusal:
            refusals.append(refusal)
    # Several candidates exist only when their conditions exclude each other: the variant whose conditions
    # hold is the one the caller meant, so its refusal is the useful one.
    raise min(refusals, key=_is_other_variant)


def options(table: Table, instance: Instance, actor: Actor, lang: str | None = None) -> list[Option]:
    """Every trigger of the current state as ``actor`` sees it: allowed or not, and why not.

    The same checks as :func:`step` in the same order, judged before the
    payload is known: the inputs a trigger takes are assumed given, so a
    missing required field that an input sets is not a reason. With
    ``lang``, titles and reasons are in that language, names in them shown
    by their titles (see :mod:`~just_workflow.messages`).
    """
    state = instance.state
    role = actor.role
    result: list[Option] = []
    for trigger, candidates in table.moves.get(state, {}).items():
        chosen = candidates[0]
        authorized = table.authorized(state, trigger, role)
        reasons: list[str] = []
        if not authorized:
            reasons.append(_may_not_fire_it(table, state, trigger, role))
        elif not any(parties.admitted(table, instance, c, actor) for c in authorized):
            reasons.append(parties.not_a_party_reason(actor))
        else:
            for candidate in authorized:
                chosen = candidate
                reasons = _reasons_before_payload(table, instance, candidate, actor)
                if not reasons:
                    break
        result.append(
            Option(
                trigger=trigger,
                allowed=not reasons,
                reasons=tuple(reasons),
                title=chosen.source.title.get(lang or "en") if chosen.source.title else trigger,
                inputs=tuple(i.field for i in chosen.source.inputs),
                pending=signoffs.pending(
                    chosen, instance.signatures.get(trigger, NO_ENTRIES), instance.parties
                )
                if chosen.signers
                else (),
            )
        )
    if state in table.moves:
        result += parties.options(table, instance, actor)
    if lang is None:
        return result
    return [in_language(option, lang, table.definition) for option in result]


def in_language(option: Option, lang: str, titles: Titles) -> Option:
    """``option`` with its reasons, and a title from the catalog, in ``lang``; each keeps its code."""
    return attrs.evolve(
        option,
        title=translated(option.title, lang, titles),
        reasons=tuple(translated(reason, lang, titles) for reason in option.reasons),
    )


def _may_not_fire_it(table: Table, state: str, trigger: str, role: str) -> Reason:
    roles = table.roles_for(state, trigger)
    default = f"role {role!r} may not fire it; roles that may: {', '.join(roles)}"
    return Reason(default, "role-may-not-fire-it", role=role, roles=roles)


def may_fire(table: Table, instance: Instance, actor: Actor) -> bool:
    """Whether ``actor`` may fire one of the protocol's own triggers now, whatever the payload (parties aside).

    The checks of :func:`step` that do not depend on the payload, as
    :func:`options` judges them: a transition of the current state the
    role may fire, the actor admitted to it (an open role, a bound party,
    or one who joins), its guards and the target's invariants on the
    context with the inputs assumed given, and the sign-off. What puts an
    instance in an actor's inbox.
    """
    state = instance.state
    for trigger in table.moves.get(state, ()):
        for candidate in table.authorized(state, trigger, actor.role):
            if parties.admitted(table, instance, candidate, actor) and not _reasons_before_payload(
                table, instance, candidate, actor
            ):
                return True
    return False


def _reasons_before_payload(
    table: Table, instance: Instance, move: CompiledTransition, actor: Actor
) -> list[str]:
    """Why ``move`` would be refused whatever its inputs, as :func:`_apply` would judge it."""
    assumed = frozenset(move.inputs)
    reasons = move.guard_reasons(instance.context, actor, assumed)
    target = move.source.target or instance.state
    judged = assumed | frozenset(move.requires)  # a missing required field is reported once, above
    reasons += _broken_invariants(table, target, instance.context, judged)
    if move.signers:
        signed = instance.signatures.get(move.source.trigger, NO_ENTRIES)
        reason = signoffs.refusal(move, signed, actor)
        if reason is not None:
            reasons.append(reason)
    return reasons


def _broken_invariants(
    table: Table, state: str, context: Mapping[str, Any], assumed: frozenset[str] = frozenset()
) -> list[str]:
    """What ``context`` breaks of the invariants of ``state``; ``assumed`` fields are not judged."""
    broken: list[str] = []
    for invariant in table.invariants.get(state, ()):
        broken += invariant.violations(context, assumed)
    return broken


def _is_other_variant(refusal: Refusal) -> bool:
    return any(reason.startswith("condition ") for reason in refusal.reasons)


def _apply(
    table: Table,
    instance: Instance,
    move: CompiledTransition,
    trigger: str,
    actor: Actor,
    payload: Mapping[str, Any],
    now: str,
    seal: bool,
) -> tuple[Instance, Event]:
    context = instance.context
    signatures = instance.signatures
    values: Mapping[str, Any] = NO_ENTRIES
    if payload or move.required_inputs:
        values, problems = move.normalize_payload(payload)
        if problems:
            reasons = list(problems.values())
            raise InvalidPayload(
                headline(INVALID_PAYLOAD, trigger, reasons), trigger=trigger, reasons=reasons, fields=problems
            )
        if values:
            values = read_only(values)
            context = updated(context, values)
            signatures = NO_ENTRIES  # a signature endorses the content it saw
    if not move.guards_hold(context, actor):
        reasons = move.guard_reasons(context, actor)
        raise GuardFailed(headline(CANNOT_FIRE, trigger, reasons), trigger=trigger, reasons=reasons)
    source = instance.state
    target = move.source.target or source
    kind = FIRE
    bound = parties.joined(instance, actor) if move.joins else instance.parties
    if move.signers:
        kind = SIGN
        signatures, complete = signoffs.sign(move, signatures, actor, bound)
        if not complete:
            target = source
    if target != source:
        signatures = NO_ENTRIES
    for invariant in table.invariants.get(target, ()):
        if not invariant.holds(context):  # the reasons are worked out for a refusal only
            broken = _broken_invariants(table, target, context)
            raise GuardFailed(headline(CANNOT_FIRE, trigger, broken), trigger=trigger, reasons=broken)
    return _recorded(instance, kind, trigger, target, context, signatures, bound, actor, values, now, seal)


def _change_parties(
    table: Table,
    instance: Instance,
    trigger: str,
    actor: Actor,
    payload: Mapping[str, Any],
    now: str,
    seal: bool,
) -> tuple[Instance, Event]:
    """Bind, unbind or replace a party (see :mod:`~just_workflow.parties`): an event that stays in its state."""
    bound, signatures, values = parties.change(table, instance, trigger, actor, payload)
    state = instance.state
    return _recorded(
        instance,
        PARTY,
        trigger,
        state,
        instance.context,
        signatures,
        bound,
        actor,
        read_only(values),
        now,
        seal,
    )


def _recorded(
    instance: Instance,
    kind: str,
    trigger: str,
    target: str,
    context: Mapping[str, Any],
    signatures: Mapping[str, Mapping[str, tuple[str, ...]]],
    bound: Mapping[str, tuple[str, ...]],
    actor: Actor,
    values: Mapping[str, Any],
    now: str,
    seal: bool,
) -> tuple[Instance, Event]:
    """The event of a step accepted from ``instance``, linked to its head, and the snapshot after it."""
    seq = instance.seq + 1
    # Each field read once: a snapshot's fields are read through its instance dict, not a slot.
    instance_id, protocol, version, digest = instance.id, instance.protocol, instance.version, instance.digest
    event = new_event(
        instance_id,
        seq,
        kind,
        protocol,
        version,
        digest,
        trigger,
        instance.state,
        target,
        actor,
        values,
        now,
        instance.head,
        seal=seal,
    )
    after = build_instance(
        Instance, instance_id, protocol, version, digest, target, context, signatures, seq, event.hash, bound
    )
    return after, event


def _unauthorized(table: Table, state: str, trigger: str, role: str) -> Refusal:
    """Why ``role`` may fire no transition of ``trigger`` from ``state``: the trigger is not there, or the role."""
    triggers = table.moves.get(state)
    if triggers is None or trigger not in triggers:
        return _not_available(table, state, trigger)
    roles = table.roles_for(state, trigger)
    default = (
        f"Role {role!r} may not fire {trigger!r} in state {state!r}; roles that may: {', '.join(roles)}."
    )
    return NotAuthorized(
        Reason(default, "role-may-not-fire", role=role, trigger=trigger, state=state, roles=roles),
        trigger=trigger,
        role=role,
        allowed_roles=roles,
    )


def _not_available(table: Table, state: str, trigger: str) -> TransitionNotAllowed:
    moves = table.moves.get(state)
    if moves is None:
        message = f"State {state!r} is final: it accepts no trigger (got {trigger!r})."
        final = Reason(message, "state-final", state=state, trigger=trigger)
        return TransitionNotAllowed(final, trigger=trigger, state=state, available=())
    available = sorted(moves)
    known = trigger in table.definition.triggers()
    what = "is not available" if known else "is unknown"
    message = f"Trigger {trigger!r} {what} in state {state!r}. Available: {', '.join(available) or 'none'}."
    code = "trigger-not-available" if known else "trigger-unknown"
    reason = Reason(message, code, trigger=trigger, state=state, triggers=available)
    return TransitionNotAllowed(reason, trigger=trigger, state=state, available=available)


def apply_event(
    table: Table, instance: Instance | None, event: Event, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Recompute ``event`` from the snapshot before it: what replay compares the record against."""
    if instance is None:
        return begin(table, event.instance, event.actor, event.at, seal=seal)
    return step_with(table, instance, event.trigger or "", event.actor, event.payload, event.at, seal=seal)
