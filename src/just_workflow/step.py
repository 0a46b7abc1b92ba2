"""The pure core: ``begin`` and ``step`` turn a snapshot and a command into the next snapshot and its event.

No clock, no store, no randomness: the caller passes ``now`` (an ISO 8601
string) and gets back new immutable values, or a typed refusal. Replay,
property tests and concurrency control all rest on that. Events come out
linked to the snapshot's head (``prev_hash``) and hashed, and the new
snapshot's ``head`` is that hash; ``seal=False`` skips the hashing (both
hashes stay empty), for dry runs and for measuring the step alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from just_workflow.errors import (
    GuardFailed,
    InvalidPayload,
    NotAuthorized,
    TransitionNotAllowed,
    WorkflowError,
)
from just_workflow.events import FIRE, SIGN, START, Actor, Event, genesis_hash, new_event
from just_workflow.instance import Command, Instance
from just_workflow.table import CompiledTransition, Table

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
        {},
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
        {},
        _NO_SIGNATURES,
        1,
        event.hash,
    )
    return instance, event


def step(
    table: Table, instance: Instance, command: Command, now: str, *, seal: bool = True
) -> tuple[Instance, Event]:
    """Fire ``command`` on ``instance``: the next snapshot and its (unhashed) event, or a refusal."""
    state = instance.state
    triggers = table.moves.get(state)
    trigger = command.trigger
    candidates = triggers.get(trigger) if triggers is not None else None
    if candidates is None:
        raise _not_available(table, state, trigger)
    actor = command.actor
    role = actor.role
    refusals: list[WorkflowError] = []
    for candidate in candidates:
        if role in candidate.roles:
            try:
                return _apply(table, instance, candidate, command, now, seal)
            except (GuardFailed, InvalidPayload, NotAuthorized) as refusal:
                refusals.append(refusal)
    if not refusals:  # no candidate authorizes the role
        roles = sorted({r for c in candidates for r in c.roles})
        raise NotAuthorized(
            f"Role {role!r} may not fire {trigger!r} in state {state!r}; roles that may: {', '.join(roles)}.",
            trigger=trigger,
            role=role,
            allowed_roles=roles,
        )
    # Several candidates exist only when their conditions exclude each other: the variant whose conditions
    # hold is the one the caller meant, so its refusal is the useful one.
    raise min(refusals, key=_is_other_variant)


def _is_other_variant(refusal: WorkflowError) -> bool:
    reasons: tuple[str, ...] = getattr(refusal, "reasons", ())
    return any(reason.startswith("condition ") for reason in reasons)


def _apply(
    table: Table, instance: Instance, move: CompiledTransition, command: Command, now: str, seal: bool
) -> tuple[Instance, Event]:
    trigger = command.trigger
    payload = command.payload
    context = instance.context
    signatures = instance.signatures
    if payload or move.required_inputs:
        values, problems = move.normalize_payload(payload)
        if problems:
            raise InvalidPayload(
                f"Invalid payload for {trigger!r}: {'; '.join(problems)}.", trigger=trigger, reasons=problems
            )
        if values:
            context = {**context, **values}
            signatures = _NO_SIGNATURES  # a signature endorses the content it saw
    else:
        values = {}
    reasons = move.guard_reasons(context, command.actor)
    if reasons:
        raise GuardFailed(f"Cannot fire {trigger!r}: {'; '.join(reasons)}.", trigger=trigger, reasons=reasons)
    source = instance.state
    target = move.source.target or source
    kind = FIRE
    if move.signers:
        kind = SIGN
        role = command.actor.role
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
    checks = table.invariants.get(target)
    if checks:
        broken: list[str] = []
        for invariant in checks:
            broken += invariant.violations(context)
        if broken:
            raise GuardFailed(
                f"Cannot fire {trigger!r}: {'; '.join(broken)}.", trigger=trigger, reasons=broken
            )
    seq = instance.seq + 1
    event = new_event(
        instance.id,
        seq,
        kind,
        instance.protocol,
        instance.version,
        instance.digest,
        trigger,
        source,
        target,
        command.actor,
        values,
        now,
        instance.head,
        seal=seal,
    )
    after = Instance(
        instance.id,
        instance.protocol,
        instance.version,
        instance.digest,
        target,
        context,
        signatures,
        seq,
        event.hash,
    )
    return after, event


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
