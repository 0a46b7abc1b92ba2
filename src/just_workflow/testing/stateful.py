"""The property test of a protocol: the engine driven through every abstract state, then at random.

:func:`run_protocol_test` runs an :class:`~just_workflow.engine.Engine` on a
:class:`~just_workflow.store.memory.MemoryStore` in two phases, with the
checks of :mod:`just_workflow.testing.harness` after every step:

1. the sweep (:func:`~just_workflow.testing.harness.sweep`): along the model
   checker's shortest path to each abstract state of the definition, fire
   every step on the engine, with the real named guards. Random commands
   alone seldom reach the end of a long protocol with a particular set of
   fields left unset; the sweep visits each such combination once;
2. the state machine (:func:`protocol_machine`, a Hypothesis
   ``RuleBasedStateMachine``): a rule per trigger and role that may fire it
   (enabled in the states the definition declares it from, with a valid
   payload of random values), a rule that fires a command the engine must
   refuse (a trigger not available, a role that may not fire it, a broken
   payload, an actor claiming the clock's ``system`` role), a rule that lets
   the current state's deadline pass (the clock advanced, the engine ticked),
   and a rule that starts a new instance once the current one is final.

A fire the definition declares must not be refused as unavailable or
unauthorized, nor for an invariant. After both phases, the named guards are
judged (:meth:`~just_workflow.testing.harness.GuardLog.check`): a state stuck
behind guards that never passed, or a guard that refused every one of its
evaluations, fails the test. Every failure is a
:class:`~just_workflow.testing.harness.ProtocolViolation` whose message ends
with the numbered trace of the instance.

:func:`protocol_test` wraps all this in a ``unittest.TestCase`` that pytest
collects: ``TestMyProtocol = protocol_test(load_definition("my.yaml"))``.
"""

from __future__ import annotations

import unittest
from collections.abc import Mapping
from typing import Any, ClassVar

from hypothesis import Phase, Verbosity
from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from just_workflow.checks.abstraction import Abstraction, fresh_name, outsider
from just_workflow.definition import SYSTEM_ROLE, Definition, Transition
from just_workflow.errors import (
    GuardFailed,
    InvalidPayload,
    NotAParty,
    NotAuthorized,
    TransitionNotAllowed,
    WorkflowError,
)
from just_workflow.events import Actor
from just_workflow.guards import NamedGuard
from just_workflow.instance import Command, Instance
from just_workflow.testing.harness import GuardLog, InstanceRun, broken_invariants, sweep
from just_workflow.testing.strategies import payloads

#: A command the engine must refuse, the refusal it must raise, and why.
Refusable = tuple[Command, type[WorkflowError], str]


class ProtocolMachine(RuleBasedStateMachine):
    """Drives instances of ``definition`` through an engine with random commands; see the module docstring."""

    definition: ClassVar[Definition]
    guards: ClassVar[Mapping[str, NamedGuard]]
    guard_log: ClassVar[GuardLog]
    abstraction: ClassVar[Abstraction]
    # Strategies built once per class, by the state they are drawn in, so that Hypothesis reuses them.
    refusable: ClassVar[dict[str, st.SearchStrategy[Refusable]]]
    valid_payloads: ClassVar[dict[Transition, st.SearchStrategy[dict[str, Any]]]]

    def __init__(self) -> None:
        super().__init__()
        self.run = InstanceRun(self.definition, self.guards, self.guard_log, self.abstraction)

    @property
    def instance(self) -> Instance:
        """The snapshot of the current instance."""
        return self.run.instance

    @initialize(data=st.data())
    def start(self, data: st.DataObject) -> None:
        """Start the first instance, as one of the roles that may."""
        self._start(data)

    @precondition(lambda self: self.instance.state in self.run.table.finals)
    @rule(data=st.data())
    def start_another_instance(self, data: st.DataObject) -> None:
        """The instance is final: go on with a new one."""
        self._start(data)

    def _start(self, data: st.DataObject) -> None:
        starters = [role for role in self.abstraction.actors if role in self.run.table.start_roles]
        self.run.start(self.abstraction.actors[data.draw(st.sampled_from(starters), label="starter")])

    def fire_declared(self, trigger: str, role: str, data: st.DataObject) -> None:
        """Fire ``trigger`` as ``role`` with a valid payload, in a state the definition declares it from."""
        state = self.instance.state
        declared = [
            t
            for t in self.definition.transitions
            if t.trigger == trigger and role in t.firing_roles and state in t.sources
        ]
        transition = declared[0] if len(declared) == 1 else data.draw(st.sampled_from(declared), "transition")
        strategy = self.valid_payloads.get(transition)
        if strategy is None:
            strategy = self.valid_payloads[transition] = payloads(self.definition, transition)
        signed_before = self.instance.signatures.get(trigger, ())
        refusal = self.run.fire(
            Command(trigger, self.abstraction.actors[role], data.draw(strategy, "payload"))
        )
        if isinstance(refusal, TransitionNotAllowed):
            self.run.fail(
                f"The definition declares '{trigger}' from {state!r} for role {role!r}, but: {refusal}"
            )
        if isinstance(refusal, GuardFailed) and broken_invariants(refusal):
            self.run.fail(
                f"Transition '{trigger}' passed its guards but would break invariant {broken_invariants(refusal)} "
                "(see the last step)"
            )
        if isinstance(refusal, NotAParty) and self.abstraction.actors[
            role
        ].id not in self.instance.parties.get(role, ()):
            return  # the representative of a closed role is not bound yet: refused, as it must be
        if isinstance(refusal, NotAuthorized) and role not in signed_before:
            self.run.fail(f"Role {role!r} may fire '{trigger}' by the definition, but: {refusal}")
        if isinstance(refusal, InvalidPayload) and len(declared) == 1:
            self.run.fail(f"A valid payload for '{trigger}' was refused: {refusal}")

    @precondition(
        lambda self: bool(self.abstraction.invitations) and self.instance.state in self.run.table.moves
    )
    @rule(data=st.data())
    def invite_a_party(self, data: st.DataObject) -> None:
        """A party of a role that may bind another role's party invites its representative."""
        invitation = data.draw(st.sampled_from(self.abstraction.invitations), label="invitation")
        refusal = self.run.fire(invitation, meant_to_fail=True)
        role, party = invitation.payload["role"], invitation.payload["party"]
        if refusal is None and party not in self.instance.parties.get(role, ()):
            self.run.fail(f"Inviting {party!r} as {role!r} was accepted, but they are not a party")
        if isinstance(refusal, InvalidPayload) and party not in self.instance.parties.get(role, ()):
            self.run.fail(f"Inviting {party!r} as {role!r} was refused: {refusal}")

    @precondition(lambda self: self.run.engine.deadline(self.instance.id) is not None)
    @rule()
    def let_the_deadline_pass(self) -> None:
        """Advance the clock past the state's deadline and tick: the clock fires it, or a guard skips it."""
        trigger = self.definition.deadlines[self.instance.state].fire
        refusal = self.run.tick(trigger)
        if refusal is not None and not isinstance(refusal, GuardFailed):
            self.run.fail(f"The deadline {trigger!r} was refused: {refusal}")
        if isinstance(refusal, GuardFailed) and broken_invariants(refusal):
            self.run.fail(f"The deadline {trigger!r} would break invariant {broken_invariants(refusal)}")

    @rule(data=st.data())
    def fire_a_command_the_engine_must_refuse(self, data: st.DataObject) -> None:
        """An unavailable trigger, an unauthorized role or a broken payload: refused, and nothing written."""
        state = self.instance.state
        strategy = self.refusable.get(state)
        if strategy is None:
            strategy = self.refusable[state] = self._refusable(state)
        command, expected, why = data.draw(strategy, label="command")
        refusal = self.run.fire(command, meant_to_fail=True)
        if refusal is None:
            self.run.fail(f"The engine accepted '{command.trigger}' although {why}")
        actor = command.actor
        if isinstance(refusal, NotAParty) and actor.id not in self.instance.parties.get(actor.role, ()):
            return  # not a party yet: the engine judges that before the payload, as it must
        if not isinstance(refusal, expected):
            self.run.fail(
                f"'{command.trigger}' was refused with {type(refusal).__name__}, not {expected.__name__}: {refusal}"
            )

    def _refusable(self, state: str) -> st.SearchStrategy[Refusable]:
        moves = self.run.table.moves.get(state, {})
        cast = self.abstraction.actors
        anyone = next(iter(cast.values()))
        unavailable = [t for t in self.definition.triggers() if t not in moves]
        unavailable.append(fresh_name("no_such_trigger", unavailable))
        options: list[st.SearchStrategy[Refusable]] = [
            st.sampled_from(
                [
                    (Command(t, anyone, {}), TransitionNotAllowed, f"it is not available in {state!r}")
                    for t in unavailable
                ]
            )
        ]
        strangers = [
            (Command(trigger, actor, {}), NotAuthorized, f"role {actor.role!r} may not fire it")
            for trigger in moves
            for actor in (*cast.values(), outsider(self.definition))
            if not self.run.table.authorized(state, trigger, actor.role)
        ]
        # An actor claiming the clock's role: only the engine's tick fires as `system`.
        impostor = Actor("olga", SYSTEM_ROLE)
        why = f"only the engine's clock acts as {SYSTEM_ROLE!r}"
        strangers += [(Command(trigger, impostor, {}), NotAuthorized, why) for trigger in moves]
        if strangers:
            options.append(st.sampled_from(strangers))
        options += [
            self._broken_command(state, trigger)
            for trigger, candidates in moves.items()
            if any(role in candidates[0].roles for role in self.abstraction.actors)  # not the clock's alone
        ]
        return st.one_of(options)

    def _broken_command(self, state: str, trigger: str) -> st.SearchStrategy[Refusable]:
        candidates = self.run.table.moves[state][trigger]
        role = next(role for role in self.abstraction.actors if role in candidates[0].roles)
        actor = self.abstraction.actors[role]
        # Broken for every candidate: another candidate may take a payload the first one refuses.
        several = len(self.run.table.authorized(state, trigger, role)) > 1
        extra = {fresh_name("no_such_input", list(self.definition.field_map)): "?"} if several else {}
        return payloads(self.definition, candidates[0].source, valid=False).map(
            lambda payload: (
                Command(trigger, actor, {**payload, **extra}),
                InvalidPayload,
                "its payload is broken",
            )
        )

    @invariant()
    def the_instance_is_sound(self) -> None:
        """After every step: the checks of the state (see the module docstring); each fire checked its event."""
        self.run.check_state()

    def teardown(self) -> None:
        """At the end of each example, replay and verify the whole history of the current instance."""
        if hasattr(self.run, "instance"):
            self.run.check_history()


def protocol_machine(
    definition: Definition, guards: Mapping[str, NamedGuard] | None = None
) -> type[ProtocolMachine]:
    """A :class:`ProtocolMachine` subclass for ``definition``, with a rule per trigger and role that may fire it.

    ``guards`` are the named Python guards the definition uses. The class's
    ``guard_log`` counts their evaluations; after running the machine,
    ``machine.guard_log.check(definition)`` fails for a guard that never passed.
    """
    namespace: dict[str, Any] = {
        "definition": definition,
        "guards": dict(guards or {}),
        "guard_log": GuardLog(),
        "abstraction": Abstraction(definition),
        "refusable": {},
        "valid_payloads": {},
    }
    for trigger in definition.triggers():
        mine = [t for t in definition.transitions if t.trigger == trigger]
        for role in dict.fromkeys(r for t in mine for r in t.firing_roles if r != SYSTEM_ROLE):
            sources = frozenset(s for t in mine if role in t.firing_roles for s in t.sources)
            namespace[f"fire_{trigger}_as_{role}"] = _declared_rule(trigger, role, sources)
    return type(f"{_camel(definition.protocol)}Machine", (ProtocolMachine,), namespace)


def _declared_rule(trigger: str, role: str, sources: frozenset[str]) -> Any:
    def fire(self: ProtocolMachine, data: st.DataObject) -> None:
        self.fire_declared(trigger, role, data)

    fire.__name__ = f"fire_{trigger}_as_{role}"
    fire.__doc__ = f"Fire {trigger!r} as {role!r} with a valid payload."
    return precondition(lambda self: self.instance.state in sources)(rule(data=st.data())(fire))


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def run_protocol_test(
    definition: Definition,
    *,
    guards: Mapping[str, NamedGuard] | None = None,
    settings: Settings | None = None,
) -> None:
    """Run the property test of ``definition`` (the sweep, then the state machine); raise :class:`ProtocolViolation`.

    ``settings`` default to :func:`default_settings`.
    """
    machine = protocol_machine(definition, guards)
    sweep(definition, guards=guards, guard_log=machine.guard_log)
    run_state_machine_as_test(machine, settings=settings or default_settings())
    machine.guard_log.check(definition)


def default_settings() -> Settings:
    """The current Hypothesis profile without a deadline, the explain phase, or Hypothesis's own list of steps.

    A run of the machine is many fires, longer than a deadline meant for one
    call; the explain phase traces every line and makes a failure slow to
    report; the numbered trace of a :class:`ProtocolViolation` replaces the
    list of rules Hypothesis would print.
    """
    current = Settings.default
    assert current is not None  # a profile is always loaded
    quiet = Verbosity.quiet if current.verbosity == Verbosity.normal else current.verbosity
    phases = tuple(phase for phase in current.phases if phase is not Phase.explain)
    return Settings(current, deadline=None, phases=phases, verbosity=quiet)


def protocol_test(
    definition: Definition,
    *,
    guards: Mapping[str, NamedGuard] | None = None,
    settings: Settings | None = None,
) -> type[unittest.TestCase]:
    """A test case that runs the property test of ``definition``; assign it to a ``Test...`` name for pytest."""

    def runTest(self: unittest.TestCase) -> None:
        run_protocol_test(definition, guards=guards, settings=settings)

    name = f"Test{_camel(definition.protocol)}"
    return type(
        name,
        (unittest.TestCase,),
        {"runTest": runTest, "__doc__": f"The property test of {definition.protocol}."},
    )
