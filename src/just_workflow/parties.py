"""Parties: which actors are bound to an instance in which role, and the built-in triggers that change them.

A role says what someone is; a party says which instance they belong to. A
closed role acts only through its bound parties; an open role (an office)
through any actor that has it. The starter is bound by ``begin``; the
triggers ``invite``, ``remove_party`` and ``replace_party`` (every protocol
has them, in every state that is not final) bind, unbind and replace the
others, as events in the chain like any fire. Pure functions, as ``step``.

Who may change a party of role ``R``: a party of one of ``R``'s
``invited_by`` roles (any actor of such a role when it is open). A party
may also remove themselves or hand their place over (``replace_party`` of
themselves). The last party of a role that nobody may bind (the starter's,
usually) is not removed, only replaced; an actor holds one role per
instance. A change of parties withdraws every signature given in the
state: a signature endorses the parties it saw, as it endorses the content
(and a sign-off of every party never waits for one who left).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from just_workflow.canonical import is_valid_text
from just_workflow.definition import INVITE, REMOVE_PARTY, REPLACE_PARTY, SYSTEM_ROLE
from just_workflow.errors import INVALID_PAYLOAD, InvalidPayload, NotAParty, NotAuthorized, headline
from just_workflow.events import Actor
from just_workflow.instance import NO_ENTRIES, Instance, Option, read_only, updated
from just_workflow.messages import Reason
from just_workflow.table import CompiledTransition, Table

#: The payload keys of each party trigger.
PARTY_INPUTS: Mapping[str, tuple[str, ...]] = {
    INVITE: ("role", "party"),
    REMOVE_PARTY: ("role", "party"),
    REPLACE_PARTY: ("role", "party", "new_party"),
}


_VERBS = {INVITE: "invite", REMOVE_PARTY: "remove", REPLACE_PARTY: "replace"}
_TITLE_CODES = {
    INVITE: "title-invite",
    REMOVE_PARTY: "title-remove-party",
    REPLACE_PARTY: "title-replace-party",
}


def admitted(table: Table, instance: Instance, move: CompiledTransition, actor: Actor) -> bool:
    """Whether ``actor`` acts on ``instance`` for ``move``: an open role, a bound party, or one who joins."""
    role = actor.role
    if role in table.open_roles:
        return True
    bound = instance.parties.get(role)
    if bound is None:
        return move.joins
    return actor.id in bound


def not_a_party(instance: Instance, trigger: str, actor: Actor) -> NotAParty:
    """The refusal of an actor whose role may fire ``trigger`` but who is not bound to the instance."""
    bound = instance.parties.get(actor.role, ())
    default = (
        f"{actor.id!r} is not a party to this instance as {actor.role!r} "
        f"(its {actor.role} parties: {', '.join(bound) or 'none yet'}); only they may fire {trigger!r}."
    )
    return NotAParty(
        Reason(
            default, "not-a-party-to-fire", actor=actor.id, role=actor.role, actors=bound, trigger=trigger
        ),
        trigger=trigger,
        role=actor.role,
        actor_id=actor.id,
        parties=bound,
    )


def not_a_party_reason(actor: Actor) -> Reason:
    """Why an actor whose role may act is not admitted: they are not bound to the instance in it."""
    default = f"{actor.id!r} is not a party to this instance as {actor.role!r}"
    return Reason(default, "not-a-party", actor=actor.id, role=actor.role)


def joined(instance: Instance, actor: Actor) -> Mapping[str, tuple[str, ...]]:
    """The parties after ``actor`` fired a joining transition (unchanged when already bound)."""
    bound = instance.parties.get(actor.role, ())
    if actor.id in bound:
        return instance.parties
    return updated(instance.parties, {actor.role: (*bound, actor.id)})


def joined_by(before: Instance, after: Instance, actor: Actor) -> bool:
    """Whether a step from ``before`` to ``after`` bound ``actor`` by joining a role that had no party."""
    return actor.role not in before.parties and after.parties.get(actor.role) == (actor.id,)


def role_of(parties: Mapping[str, tuple[str, ...]], actor_id: str) -> str | None:
    """The role ``actor_id`` is bound to, or None."""
    for role, bound in parties.items():
        if actor_id in bound:
            return role
    return None


def change(
    table: Table, instance: Instance, trigger: str, actor: Actor, payload: Mapping[str, Any]
) -> tuple[Mapping[str, tuple[str, ...]], Mapping[str, Mapping[str, tuple[str, ...]]], dict[str, Any]]:
    """The parties and signatures after a party trigger, and the payload to record; or a refusal."""
    values = _payload(table, trigger, payload)
    role, party = values["role"], values["party"]
    _check_changer(table, instance, trigger, actor, role, party)
    bound = instance.parties.get(role, ())
    parties = dict(instance.parties)
    if trigger == INVITE:
        _check_free(instance, trigger, "party", party)
        parties[role] = (*bound, party)
    elif party not in bound:
        default = f"{party!r} is not a party as {role!r} (its parties: {', '.join(bound) or 'none'})"
        raise _invalid(
            trigger, "party", Reason(default, "not-a-party-as", actor=party, role=role, actors=bound)
        )
    elif trigger == REMOVE_PARTY:
        parties[role] = tuple(p for p in bound if p != party)
        if not parties[role]:
            if not table.inviters[role]:
                default = f"{party!r} is the last party as {role!r}, which nobody may bind again: replace them instead"
                raise _invalid(
                    trigger, "party", Reason(default, "last-party-replace", actor=party, role=role)
                )
            del parties[role]
    else:
        new_party = values["new_party"]
        _check_free(instance, trigger, "new_party", new_party)
        parties[role] = tuple(new_party if p == party else p for p in bound)
    return read_only(parties), NO_ENTRIES, values


def options(table: Table, instance: Instance, actor: Actor) -> list[Option]:
    """The party triggers ``actor`` may use on ``instance``, as options.

    ``invite`` when their role binds parties of another; ``remove_party``
    and ``replace_party`` for those roles' parties, and for their own place
    when they are a bound party (leaving, or handing over).
    """
    mine = sorted(role for role, inviters in table.inviters.items() if actor.role in inviters)
    bound_here = actor.id in instance.parties.get(actor.role, ())
    if not mine and not bound_here:
        return []
    not_bound = []
    if mine and actor.role not in table.open_roles and not bound_here:
        not_bound.append(not_a_party_reason(actor))
    result = []
    for trigger in (INVITE, REMOVE_PARTY, REPLACE_PARTY):
        if trigger == INVITE:
            if not mine:
                continue
            why, about = not_bound, mine
        else:
            about = sorted({*mine, actor.role} if bound_here else set(mine))
            others = [role for role in mine if instance.parties.get(role)]
            why = [] if bound_here else list(not_bound)
            if not bound_here and not others:
                why.append(
                    Reason(f"no party of {', '.join(mine)} is bound yet", "no-party-bound", roles=mine)
                )
            if (
                trigger == REMOVE_PARTY
                and not others
                and bound_here
                and _last_unbindable(table, instance, actor.role)
            ):
                default = f"{actor.id!r} is the last party as {actor.role!r}, which nobody may bind again"
                why.append(Reason(default, "last-party", actor=actor.id, role=actor.role))
        result.append(
            Option(
                trigger=trigger,
                allowed=not why,
                reasons=tuple(why),
                title=Reason(
                    f"{trigger.replace('_', ' ').capitalize()}: {', '.join(about)}",
                    _TITLE_CODES[trigger],
                    roles=about,
                ),
                inputs=PARTY_INPUTS[trigger],
            )
        )
    return result


def _last_unbindable(table: Table, instance: Instance, role: str) -> bool:
    """Whether ``role`` has one party left and nobody may bind another: that party may not leave."""
    return len(instance.parties.get(role, ())) == 1 and not table.inviters[role]


def _payload(table: Table, trigger: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    expected = PARTY_INPUTS[trigger]
    problems: dict[str, str] = {
        key: Reason(
            f"unknown input {key!r}; {trigger!r} takes: {', '.join(expected)}",
            "unknown-party-input",
            input=key,
            trigger=trigger,
            names=expected,
        )
        for key in payload
        if key not in expected
    }
    for key in expected:
        value = payload.get(key)
        if value is None:
            problems[key] = Reason(f"required input {key!r} is missing", "required-input-missing", field=key)
        elif not isinstance(value, str) or not value:
            default = f"input {key!r} must be a non-empty string, got {value!r}"
            problems[key] = Reason(default, "party-input-not-text", input=key)
        elif not is_valid_text(value):
            default = f"input {key!r} is not valid Unicode text: {value!r} holds a lone surrogate"
            problems[key] = Reason(default, "party-input-invalid-text", input=key)
    role = payload.get("role")
    if isinstance(role, str) and role and role not in table.inviters:
        roles = ", ".join(sorted(table.inviters)) or "none"
        if role == SYSTEM_ROLE:
            what, code = (
                "is the engine's clock's, which fires deadlines: nobody is invited to it",
                "role-is-system",
            )
        elif role in table.open_roles:
            what, code = "is open: any actor with it acts, none is bound", "role-is-open"
        else:
            what, code = "is not a role of this protocol", "role-unknown"
        default = f"role {role!r} {what}; roles with parties: {roles}"
        problems["role"] = Reason(default, code, role=role, roles=sorted(table.inviters))
    if problems:
        reasons = list(problems.values())
        raise InvalidPayload(
            headline(INVALID_PAYLOAD, trigger, reasons), trigger=trigger, reasons=reasons, fields=problems
        )
    return {key: payload[key] for key in expected}


def _check_changer(
    table: Table, instance: Instance, trigger: str, actor: Actor, role: str, party: str
) -> None:
    """Refuse unless ``actor`` binds parties of ``role`` here, or removes or hands over their own place."""
    if trigger != INVITE and actor.role == role and actor.id == party:
        return
    inviters = table.inviters[role]
    if actor.role not in inviters:
        allowed = sorted(inviters)
        default = (
            f"Role {actor.role!r} may not {_VERBS[trigger]} a party of {role!r}; "
            f"roles that may: {', '.join(allowed) or 'none'}."
        )
        raise NotAuthorized(
            Reason(default, f"may-not-{_VERBS[trigger]}", role=actor.role, other=role, roles=allowed),
            trigger=trigger,
            role=actor.role,
            allowed_roles=allowed,
        )
    if actor.role not in table.open_roles and actor.id not in instance.parties.get(actor.role, ()):
        raise not_a_party(instance, trigger, actor)


def _check_free(instance: Instance, trigger: str, field: str, party: str) -> None:
    held = role_of(instance.parties, party)
    if held is not None:
        default = f"{party!r} is already a party as {held!r}; an actor holds one role per instance"
        raise _invalid(trigger, field, Reason(default, "already-a-party", actor=party, role=held))


def _invalid(trigger: str, field: str, reason: Reason) -> InvalidPayload:
    return InvalidPayload(
        headline(INVALID_PAYLOAD, trigger, [reason]),
        trigger=trigger,
        reasons=[reason],
        fields={field: reason},
    )
