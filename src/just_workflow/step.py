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

from just_workflow.errors import GuardFailed, InvalidPayload, NotAuthorized, Refusal, TransitionNotAllowed
from just_workflow.events import FIRE, SIGN, START, Actor, Event, genesis_hash, new_event
from just_workflow.instance import Command, Instance, Option
from just_workflow.table import CompiledTransition, Table

# Shared by every snapshot and event that has no values or signatures: records never change their mappings
# in place, and a new empty dict per event would be 64 bytes more to keep and one more object to allocate
# and count towards the next garbage collection.
_NO_VALUES: Mapping[str, Any] = {}
_NO_SIGNATURES: Mapping[str, tuple[str, ...]] = {}


def begin(
    table: Table, instance_id: str, actor: Actor, now: str, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Start an instance of ``table``'s protocol in its initial state."""
    definition = table.definition
    if actor.role not in table.start_roles:
        allowed = ", ".join(sorted(table.start_roles))
        raise NotAuthorized(
            f"Role {actor.role!r} may not start '{definition.protocol}'; roles that may: {allowed}.",
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
        _NO_VALUES,
        now,
        genesis_hash(instance_id, definition.protocol, definition.version),
        seal=seal,
    )
    instance = Instance(
        instance_id,
        definition.protocol,
        definition.version,
        table.digest,
        definition.initial,
        _NO_VALUES,
        _NO_SIGNATURES,
        1,
        event.hash,
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
    # One lookup on the way that succeeds; why nothing is authorized is worked out only for a refusal.
    authorized = table.authorized(state, trigger, actor.role)
    if len(authorized) == 1:  # the common case: no list of refusals to build
        return _apply(table, instance, authorized[0], trigger, actor, payload, now, seal)
    if not authorized:
        raise _unauthorized(table, state, trigger, actor.role)
    refusals: list[Refusal] = []
    for candidate in authorized:
        try:
            return _apply(table, instance, candidate, trigger, actor, payload, now, seal)
        except (GuardFailed, InvalidPayload, NotAuthorized) as refusal:
            refusals.append(refusal)
    # Several candidates exist only when their conditions exclude each other: the variant whose conditions
    # hold is the one the caller meant, so its refusal is the useful one.
    raise min(refusals, key=_is_other_variant)


def options(table: Table, instance: Instance, actor: Actor) -> list[Option]:
    """Every trigger of the current state as ``actor`` sees it: allowed or not, and why not.

    The same checks as :func:`step` in the same order, judged before the
    payload is known: the inputs a trigger takes are assumed given, so a
    missing required field that an input sets is not a reason.
    """
    state = instance.state
    role = actor.role
    result: list[Option] = []
    for trigger, candidates in table.moves.get(state, {}).items():
        chosen = candidates[0]
        authorized = table.authorized(state, trigger, role)
        reasons: list[str] = []
        if not authorized:
            roles = ", ".join(table.roles_for(state, trigger))
            reasons.append(f"role {role!r} may not fire it; roles that may: {roles}")
        for candidate in authorized:
            chosen = candidate
            reasons = _reasons_before_payload(table, instance, candidate, actor)
            if not reasons:
                break
        signed = instance.signatures.get(trigger, ())
        result.append(
            Option(
                trigger=trigger,
                allowed=not reasons,
                reasons=tuple(reasons),
                title=chosen.source.title.get() if chosen.source.title else trigger,
                inputs=tuple(i.field for i in chosen.source.inputs),
                pending=tuple(r for r in chosen.signers if r not in signed),
            )
        )
    return result


def _reasons_before_payload(
    table: Table, instance: Instance, move: CompiledTransition, actor: Actor
) -> list[str]:
    """Why ``move`` would be refused whatever its inputs, as :func:`_apply` would judge it."""
    assumed = frozenset(move.inputs)
    reasons = move.guard_reasons(instance.context, actor, assumed)
    target = move.source.target or instance.state
    judged = assumed | frozenset(move.requires)  # a missing required field is reported once, above
    reasons += _broken_invariants(table, target, instance.context, judged)
    if actor.role in instance.signatures.get(move.source.trigger, ()):
        reasons.append(f"role {actor.role!r} has already signed")
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
    values: Mapping[str, Any] = _NO_VALUES
    if payload or move.required_inputs:
        values, problems = move.normalize_payload(payload)
        if problems:
            raise InvalidPayload(
                f"Invalid payload for {trigger!r}: {'; '.join(problems)}.", trigger=trigger, reasons=problems
            )
        if values:
            context = {**context, **values}
            signatures = _NO_SIGNATURES  # a signature endorses the content it saw
    reasons = move.guard_reasons(context, actor)
    if reasons:
        raise GuardFailed(f"Cannot fire {trigger!r}: {'; '.join(reasons)}.", trigger=trigger, reasons=reasons)
    source = instance.state
    target = move.source.target or source
    kind = FIRE
    if move.signers:
        kind = SIGN
        role = actor.role
        signed = signatures.get(trigger, ())
        if role in signed:
            waiting = [r for r in move.signers if r not in signed]
            raise NotAuthorized(
                f"Role {role!r} has already signed {trigger!r}; waiting for: {', '.join(waiting)}.",
                trigger=trigger,
                role=role,
                allowed_roles=waiting,
            )
        signed = (*signed, role)
        if len(signed) < len(move.signers):
            target = source
            signatures = {**signatures, trigger: signed}
        elif trigger in signatures:  # a completed sign-off is used up, even when it leads back to its state
            signatures = {name: roles for name, roles in signatures.items() if name != trigger}
    if target != source:
        signatures = _NO_SIGNATURES
    if target in table.invariants:
        broken = _broken_invariants(table, target, context)
        if broken:
            raise GuardFailed(
                f"Cannot fire {trigger!r}: {'; '.join(broken)}.", trigger=trigger, reasons=broken
            )
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
        source,
        target,
        actor,
        values,
        now,
        instance.head,
        seal=seal,
    )
    after = Instance(
        instance_id,
        protocol,
        version,
        digest,
        target,
        context,
        signatures,
        seq,
        event.hash,
    )
    return after, event


def _unauthorized(table: Table, state: str, trigger: str, role: str) -> Refusal:
    """Why ``role`` may fire no transition of ``trigger`` from ``state``: the trigger is not there, or the role."""
    triggers = table.moves.get(state)
    if triggers is None or trigger not in triggers:
        return _not_available(table, state, trigger)
    roles = table.roles_for(state, trigger)
    return NotAuthorized(
        f"Role {role!r} may not fire {trigger!r} in state {state!r}; roles that may: {', '.join(roles)}.",
        trigger=trigger,
        role=role,
        allowed_roles=roles,
    )


def _not_available(table: Table, state: str, trigger: str) -> TransitionNotAllowed:
    moves = table.moves.get(state)
    if moves is None:
        message = f"State {state!r} is final: it accepts no trigger (got {trigger!r})."
        return TransitionNotAllowed(message, trigger=trigger, state=state, available=())
    available = sorted(moves)
    known = trigger in table.definition.triggers()
    what = "is not available" if known else "is unknown"
    message = f"Trigger {trigger!r} {what} in state {state!r}. Available: {', '.join(available) or 'none'}."
    return TransitionNotAllowed(message, trigger=trigger, state=state, available=available)


def apply_event(
    table: Table, instance: Instance | None, event: Event, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Recompute ``event`` from the snapshot before it: what replay compares the record against."""
    if instance is None:
        return begin(table, event.instance, event.actor, event.at, seal=seal)
    return step(
        table, instance, Command(event.trigger or "", event.actor, event.payload), event.at, seal=seal
    )
