"""Sign-offs: who has signed, who still must, and when the move happens.

A snapshot's ``signatures`` maps each sign-off trigger begun in the current
state to the roles that have signed it, each with the ids of the parties who
signed. A role of ``all_of`` is done with one signature, by one of its
parties; a role of ``every_party`` when every party bound to it has signed.
One actor signs once per sign-off, for one role. Pure functions, for
:mod:`~just_workflow.step`.
"""

from __future__ import annotations

from collections.abc import Mapping

from just_workflow.errors import NotAuthorized
from just_workflow.events import Actor
from just_workflow.instance import NO_ENTRIES, read_only, updated
from just_workflow.messages import Reason
from just_workflow.table import CompiledTransition

#: What a snapshot keeps of the sign-offs begun in its state: trigger -> role -> ids of the signers.
Signatures = Mapping[str, Mapping[str, tuple[str, ...]]]


def pending(
    move: CompiledTransition, signed: Mapping[str, tuple[str, ...]], parties: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The roles of ``move``'s sign-off that still have to sign, in the order of ``all_of``."""
    waiting = []
    for index, role in enumerate(move.signers):
        ids = signed.get(role, ())
        # A role listed twice needs two signatures, which one role never gives: such a sign-off never completes.
        if len(ids) <= move.signers[:index].count(role) or (
            role in move.every_party and any(p not in ids for p in parties.get(role, ()))
        ):
            waiting.append(role)
    return tuple(waiting)


def refusal(move: CompiledTransition, signed: Mapping[str, tuple[str, ...]], actor: Actor) -> str | None:
    """Why ``actor`` may not sign now (their role, or they themselves, signed already), or None."""
    trigger = move.source.trigger
    if actor.role in signed and actor.role not in move.every_party:
        default = f"role {actor.role!r} has already signed {trigger!r}"
        return Reason(default, "role-already-signed", role=actor.role, trigger=trigger)
    for role, ids in signed.items():
        if actor.id in ids:
            if role == actor.role:
                return Reason(
                    f"{actor.id!r} has already signed {trigger!r}",
                    "already-signed",
                    actor=actor.id,
                    trigger=trigger,
                )
            default = f"{actor.id!r} has already signed {trigger!r} as {role!r}: one actor signs for one role"
            return Reason(default, "signed-for-another-role", actor=actor.id, trigger=trigger, role=role)
    return None


def sign(
    move: CompiledTransition, signatures: Signatures, actor: Actor, parties: Mapping[str, tuple[str, ...]]
) -> tuple[Signatures, bool]:
    """The signatures with ``actor``'s added, and whether the sign-off is now complete; or a refusal.

    A complete sign-off is used up: its entry leaves the signatures, even
    when the move leads back to the same state.
    """
    trigger = move.source.trigger
    signed = signatures.get(trigger, NO_ENTRIES)
    reason = refusal(move, signed, actor)
    if reason is not None:
        waiting = pending(move, signed, parties)
        default = f"{reason[0].upper()}{reason[1:]}; waiting for: {', '.join(waiting) or 'nobody'}."
        raise NotAuthorized(
            Reason(default, "signoff-refused", reason=reason, roles=waiting),
            trigger=trigger,
            role=actor.role,
            allowed_roles=waiting,
        )
    role = actor.role
    signed = {**signed, role: (*signed.get(role, ()), actor.id)}
    if pending(move, signed, parties):
        return updated(signatures, {trigger: read_only(signed)}), False
    if trigger in signatures:
        return read_only({name: roles for name, roles in signatures.items() if name != trigger}), True
    return signatures, True
