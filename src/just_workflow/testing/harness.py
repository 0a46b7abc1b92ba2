"""One engine driving one instance at a time, and the checks after every step of the property test.

:class:`InstanceRun` fires commands on an :class:`~just_workflow.engine.Engine`
with a :class:`~just_workflow.store.memory.MemoryStore`, keeps the trace of
the current instance and checks, after every step:

- the live snapshot keeps the definition's invariants, and no command of
  representative values passes its guards only to break an invariant;
- a refused fire wrote nothing (same snapshot, same history);
- the new event links to the previous head, carries its hash and replays to
  the stored snapshot (:meth:`InstanceRun.check_history` replays and verifies
  the whole history);
- a pending sign-off still waits for some role;
- the instance can move on: some command would be accepted unless it is
  final. A state whose ways out need named Python guards counts as stuck
  only at the end of the test (:meth:`GuardLog.check`), when several
  attempts in a row were refused there and those guards never passed;
- a final state has no transition declared from it.

:func:`sweep` drives the engine along the model checker's shortest path to
each abstract state of a definition, with these checks. Every failure is a
:class:`ProtocolViolation` whose message ends with the numbered trace.
"""

from __future__ import annotations

import collections
import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn, TypeGuard

import attrs

from just_workflow.audit.verify import verify
from just_workflow.checks.abstraction import Abstraction
from just_workflow.checks.trace import Trace, TraceStep, signature_note
from just_workflow.deadlines import SYSTEM, moment
from just_workflow.definition import Definition
from just_workflow.engine import Engine
from just_workflow.errors import GuardFailed, WorkflowError
from just_workflow.events import SIGN, Actor, Event, compute_hash
from just_workflow.guards import NamedGuard
from just_workflow.instance import Command, Instance
from just_workflow.parties import joined_by
from just_workflow.step import apply_event, step
from just_workflow.store.memory import MemoryStore
from just_workflow.table import CompiledTransition, Table

#: Refused attempts in a row after which a state whose moves all need named guards counts as stuck.
STUCK_AFTER = 5

#: Evaluations of a named guard, all false, after which it counts as a guard that never passes.
GUARD_EVIDENCE = 10

#: The most abstract states the sweep visits; a larger definition is swept up to there.
SWEEP_MAX_STATES = 20_000

_DRY_RUN_NOW = "2026-01-01T00:00:00+00:00"
_INVARIANT = re.compile(r"invariant '([^']+)' would be broken")


class ProtocolViolation(AssertionError):
    """A protocol, or the engine running it, broke a property; the message ends with the trace that shows it."""

    def __init__(self, message: str, trace: Trace | None = None) -> None:
        self.message = message
        self.trace = trace
        super().__init__(message if trace is None else f"{message}\n{trace.format()}")


class TickingClock:
    """A clock that starts on 2026-01-01 (UTC) and advances one second per reading: runs repeat exactly.

    :meth:`advance_to` moves it on to a later time, as days pass before a deadline.
    """

    def __init__(self) -> None:
        self.now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    def __call__(self) -> datetime.datetime:
        self.now += datetime.timedelta(seconds=1)
        return self.now

    def advance_to(self, moment: datetime.datetime) -> None:
        """Move on to ``moment`` (never back): the next reading is a second after it."""
        self.now = max(self.now, moment)


class GuardLog:
    """How often each named guard was evaluated and passed, with traces where guards held an instance back.

    Whether a guard that refuses is a mistake shows only over the whole run
    (it may pass with other values), so :meth:`check` decides at the end.
    """

    def __init__(self) -> None:
        self.evaluations: collections.Counter[str] = collections.Counter()
        self.passes: collections.Counter[str] = collections.Counter()
        self.refusals: dict[str, Trace] = {}
        self.stuck: dict[str, tuple[tuple[str, ...], Trace]] = {}

    def wrap(self, name: str, guard: NamedGuard) -> NamedGuard:
        """``guard``, counting its evaluations and passes under ``name``."""

        def recorded(context: Mapping[str, Any], actor: Any) -> bool:
            passed = bool(guard(context, actor))
            self.evaluations[name] += 1
            self.passes[name] += passed
            return passed

        return recorded

    def note_refusal(self, refusal: GuardFailed, trace: Trace) -> None:
        """Keep ``trace`` as the example of each named guard ``refusal`` names, when it is the shortest so far."""
        for name in self.evaluations:
            known = self.refusals.get(name)
            if f"guard '{name}' is false" in refusal.reasons and (
                known is None or len(trace.steps) < len(known.steps)
            ):
                self.refusals[name] = trace

    def note_stuck(self, state: str, guards: Sequence[str], trace: Trace) -> None:
        """Keep ``trace``: in ``state``, only moves behind ``guards`` were left, and attempts kept being refused."""
        known = self.stuck.get(state)
        if known is None or len(trace.steps) < len(known[1].steps):
            self.stuck[state] = (tuple(dict.fromkeys(guards)), trace)

    def check(self, definition: Definition) -> None:
        """Raise :class:`ProtocolViolation` for a state stuck behind guards that never passed, or such a guard."""
        for state, (guards, trace) in sorted(self.stuck.items()):
            if not any(self.passes[name] for name in guards):
                raise ProtocolViolation(
                    f"Stuck in {state!r}: no transition could fire there for {STUCK_AFTER} attempts in a row, and "
                    f"the named guards of its ways out ({', '.join(guards)}) never passed in this test",
                    trace,
                )
        for name, count in sorted(self.evaluations.items()):
            if count >= GUARD_EVIDENCE and not self.passes[name]:
                users = ", ".join(
                    dict.fromkeys(t.trigger for t in definition.transitions if name in t.guards)
                )
                raise ProtocolViolation(
                    f"Named guard {name!r} refused all {count} of its evaluations: the transitions that use it "
                    f"({users}) never fired at run time",
                    self.refusals.get(name),
                )


def broken_invariants(refusal: GuardFailed) -> str:
    """The invariants a refusal says would be broken, quoted and comma-separated ('' when none)."""
    names = dict.fromkeys(match.group(1) for reason in refusal.reasons if (match := _INVARIANT.match(reason)))
    return ", ".join(map(repr, names))


def _only_named_guards(refusal: WorkflowError) -> TypeGuard[GuardFailed]:
    """Whether ``refusal`` comes from named Python guards alone (the declarative guards passed)."""
    return isinstance(refusal, GuardFailed) and all(
        reason.startswith("guard '") and reason.endswith("' is false") for reason in refusal.reasons
    )


class InstanceRun:
    """An engine that drives one instance at a time, the trace of the current one, and the checks of each step."""

    def __init__(
        self,
        definition: Definition,
        guards: Mapping[str, NamedGuard],
        guard_log: GuardLog,
        abstraction: Abstraction,
    ) -> None:
        self.definition = definition
        self.guard_log = guard_log
        self.abstraction = abstraction
        recorded = {name: guard_log.wrap(name, guard) for name, guard in guards.items()}
        self.clock = TickingClock()
        self.engine = Engine([definition], store=MemoryStore(), guards=recorded, clock=self.clock)
        self.table = self.engine.table(definition.protocol, definition.version)
        self.started = 0
        self.refused_in_a_row = 0
        self.instance: Instance
        self.trace: Trace

    def start(self, actor: Actor) -> None:
        """Start a new instance as ``actor``; the trace starts over."""
        self.started += 1
        self.instance = self.engine.start(
            self.definition.protocol, actor, instance_id=f"instance-{self.started}"
        )
        self.trace = Trace(actor, self.instance.state)
        self.refused_in_a_row = 0

    def fire(self, command: Command, *, meant_to_fail: bool = False) -> WorkflowError | None:
        """Fire ``command`` and extend the trace; on a refusal, check that nothing was written and return it.

        A refusal counts towards :attr:`refused_in_a_row` unless the command was ``meant_to_fail``.
        A command of :data:`~just_workflow.deadlines.SYSTEM` is the clock's: :meth:`tick` runs it.
        """
        if command.actor == SYSTEM:
            return self.tick(command.trigger)
        before = self.instance
        written = len(self.engine.history(before.id))
        try:
            after = self.engine.fire(before.id, command.trigger, command.actor, command.payload, before.seq)
        except WorkflowError as refusal:
            self.trace = self.trace.then(
                TraceStep(
                    command.actor, command.trigger, command.payload, before.state, before.state, str(refusal)
                )
            )
            self.refused_in_a_row += not meant_to_fail
            if _only_named_guards(refusal):
                self.guard_log.note_refusal(refusal, self.trace)
            if self.engine.get(before.id) != before or len(self.engine.history(before.id)) != written:
                self.fail(f"The refused fire of '{command.trigger}' wrote to the store")
            return refusal
        event = self.engine.history(before.id)[-1]
        note = ""
        if event.kind == SIGN:
            candidates = self.table.authorized(before.state, command.trigger, command.actor.role)
            signers = next(c.signers for c in candidates if c.signers)
            note = signature_note(signers, after.signatures.get(command.trigger))
        self.trace = self.trace.then(
            TraceStep(command.actor, command.trigger, command.payload, before.state, after.state, note=note)
        )
        self.instance = after
        self.refused_in_a_row = 0
        self._check_new_event(before, event)
        return None

    def tick(self, trigger: str) -> WorkflowError | None:
        """Let time pass to the deadline of the current state, which fires ``trigger``, and tick the engine.

        The step is checked as a fire is; a deadline the protocol refuses (a
        guard) is skipped by the tick: its refusal is returned.
        """
        before = self.instance
        due = self.engine.deadline(before.id)
        if due is None or due.trigger != trigger:
            self.fail(f"No deadline of {before.state!r} fires {trigger!r}, yet the model fires it")
        self.clock.advance_to(due.due_at)
        ticked = self.engine.tick()
        after = next((instance for instance in ticked if instance.id == before.id), None)
        if after is None:
            refusal = next((s.refusal for s in ticked.skipped if s.instance_id == before.id), None)
            if refusal is None:
                self.fail(
                    f"The deadline {trigger!r} of {before.state!r} was due, but the tick neither fired nor skipped it"
                )
            self.trace = self.trace.then(
                TraceStep(SYSTEM, trigger, {}, before.state, before.state, str(refusal))
            )
            return refusal
        event = self.engine.history(before.id)[-1]
        if event.actor != SYSTEM or moment(event.at) < due.due_at:
            self.fail(
                f"The deadline event {event.seq} is not the clock's at or after {due.due_at.isoformat()}"
            )
        self.trace = self.trace.then(TraceStep(SYSTEM, trigger, {}, before.state, after.state))
        self.instance = after
        self.refused_in_a_row = 0
        self._check_new_event(before, event)
        return None

    def _check_new_event(self, before: Instance, event: Event) -> None:
        """The stored event links to the previous head, carries its hash, and replays to the stored snapshot."""
        stored = self.engine.get(before.id)
        if stored != self.instance:
            self.fail("The stored snapshot is not the one the fire returned")
        if event.prev_hash != before.head or compute_hash(event) != event.hash or event.hash != stored.head:
            self.fail(f"The hash chain breaks at event {event.seq}")
        replayed, recomputed = apply_event(self.table, before, event)
        if replayed != stored or recomputed != event:
            self.fail(f"Replaying event {event.seq} from the snapshot before it does not give the stored one")

    def fail(self, message: str) -> NoReturn:
        """Raise a :class:`ProtocolViolation` with the trace of the current instance."""
        raise ProtocolViolation(message, self.trace)

    # -- checks -------------------------------------------------------------------------------

    def check_state(self) -> None:
        """Check the current snapshot: invariants, sign-offs, declared moves, and that it can move on."""
        state, context = self.instance.state, self.instance.context
        for check in self.table.invariants.get(state, ()):
            reasons = check.violations(context)
            if reasons:
                self.fail(f"The live snapshot in {state!r} breaks an invariant: {'; '.join(reasons)}")
        if state in self.table.finals:
            for transition in self.definition.transitions:
                if state in transition.sources:
                    role = transition.firing_roles[0]
                    self.fire(Command(transition.trigger, self.abstraction.actors[role], {}))
                    self.fail(
                        f"The definition declares '{transition.trigger}' from {state!r}, "
                        "but a final state accepts no trigger"
                    )
            return
        self._check_signoffs()
        self._check_moves()

    def _check_signoffs(self) -> None:
        moves = self.table.moves.get(self.instance.state, {})
        for trigger, signed in self.instance.signatures.items():
            for candidate in moves.get(trigger, ()):
                if candidate.signers and _every_role_signed(candidate, signed, self.instance.parties):
                    self.fail(
                        f"The sign-off '{trigger}' has the signatures of every role it lists "
                        f"({', '.join(candidate.signers)}) but did not complete: no role can give the last one"
                    )

    def _check_moves(self) -> None:
        """No representative command passes its guards only to break an invariant; some command is accepted.

        An invitation that binds a representative party counts as a move; a
        stranger (an actor of a closed role never bound) moves nothing.
        """
        state = self.instance.state
        self._check_strangers()
        movable = False
        bound = self._with_every_party_invited()
        for command in self.abstraction.commands(self.table, state, self.instance.context):
            try:
                step(self.table, bound, command, _DRY_RUN_NOW, seal=False)
            except GuardFailed as refusal:
                broken = broken_invariants(refusal)
                if broken:
                    self.fire(command)  # the engine's own refusal, in the trace
                    self.fail(
                        f"Transition '{command.trigger}' passes its guards in {state!r} but would break "
                        f"invariant {broken} (see the last step)"
                    )
            except WorkflowError:
                pass
            else:
                movable = True
        if movable:
            return
        guarded = [name for cs in self.table.moves[state].values() for c in cs for name, _ in c.named_guards]
        if not guarded:
            self.fail(
                f"Stuck in {state!r}: it is not final, and no transition of the protocol can fire there"
            )
        if self.refused_in_a_row >= STUCK_AFTER:
            self.guard_log.note_stuck(state, guarded, self.trace)

    def _with_every_party_invited(self) -> Instance:
        """The current snapshot with every representative party that can be invited bound (a dry run)."""
        instance = self.instance
        progress = True
        while progress:
            progress = False
            for invitation in self.abstraction.invitations:
                try:
                    instance, _ = step(self.table, instance, invitation, _DRY_RUN_NOW, seal=False)
                except WorkflowError:
                    continue
                progress = True
        return instance

    def _check_strangers(self) -> None:
        """Every command of an actor with the role but not a party is refused, but joining a free role."""
        for command in self.abstraction.stranger_commands(self.table, self.instance.state):
            try:
                after, _ = step(self.table, self.instance, command, _DRY_RUN_NOW, seal=False)
            except WorkflowError:
                continue
            role = command.actor.role
            if not joined_by(self.instance, after, command.actor):
                self.fire(command)
                self.fail(
                    f"{command.actor.id!r} of role {role!r}, not a party to the instance, fired "
                    f"'{command.trigger}' in {self.instance.state!r}"
                )

    def check_history(self) -> None:
        """The whole history replays to the live snapshot and its hash chain verifies (each fire checked its event)."""
        live = self.engine.get(self.instance.id)
        if self.engine.state_at(live.id, live.seq) != live:
            self.fail(f"Replaying the history up to seq {live.seq} does not give the live snapshot")
        report = verify(self.engine, [live.id])
        if not report.ok:
            self.fail(
                "The history does not verify: " + "; ".join(str(problem) for problem in report.problems)
            )


def _every_role_signed(
    move: CompiledTransition, signed: Mapping[str, tuple[str, ...]], parties: Mapping[str, tuple[str, ...]]
) -> bool:
    """Whether each role the sign-off lists has signed (every party, for ``every_party`` roles)."""
    return all(
        role in signed
        and (role not in move.every_party or all(p in signed[role] for p in parties.get(role, ())))
        for role in move.signers
    )


def invite_everyone(engine: Engine, instance_id: str, cast: Mapping[str, Actor]) -> Instance:
    """Bind the actor ``cast`` gives each closed role, each invited by the cast of a role that may; the snapshot.

    Goes round until nobody more can be bound, since a role may be invited
    only by a party bound in an earlier round. Roles nobody may invite (the
    starter's, a role that joins) are left as they are.
    """
    instance = engine.get(instance_id)
    table = engine.table(instance.protocol, instance.version)
    progress = True
    while progress:
        progress = False
        for role, inviters in table.inviters.items():
            party = cast.get(role)
            if party is None or party.id in instance.parties.get(role, ()):
                continue
            for inviter in sorted(inviters):
                if inviter not in cast:
                    continue
                try:
                    instance = engine.invite(instance_id, role=role, actor_id=party.id, by=cast[inviter])
                except WorkflowError:
                    continue
                progress = True
                break
    return instance


def sweep(
    definition: Definition,
    *,
    guards: Mapping[str, NamedGuard] | None = None,
    guard_log: GuardLog | None = None,
    max_states: int = SWEEP_MAX_STATES,
) -> int:
    """Drive the engine along the shortest path to every abstract state of ``definition``; the number visited.

    Each step of each path is fired on the engine and every state on the way
    is checked once. A step that the real named guards refuse ends its path
    (the model assumed they might pass). Raises :class:`ProtocolViolation`.
    """
    from just_workflow.checks.modelcheck import explore  # modelcheck imports this package's values and trace

    exploration = explore(definition, max_states=max_states)
    run = InstanceRun(definition, guards or {}, guard_log or GuardLog(), exploration.abstraction)
    inner = {parent[0] for parent in exploration.parents if parent is not None}
    checked: set[int] = set()
    for leaf in (node for node in range(len(exploration.nodes)) if node not in inner):
        run.start(exploration.starter_of(leaf))
        for node, move in exploration.path(leaf):
            if move is not None:
                source = run.instance.state
                refusal = run.fire(Command(move.trigger, move.actor, move.payload))
                if refusal is not None and _only_named_guards(refusal):
                    break
                if refusal is not None:
                    run.fail(f"The engine refuses '{move.trigger}', a step the model of the definition takes")
                if run.instance.state != move.target:
                    if _guarded(run.table, source, move.trigger):
                        break  # the model tried each outcome of the named guards; the engine took another
                    run.fail(
                        f"The engine moved to {run.instance.state!r}; the model of the definition, to {move.target!r}"
                    )
            if node not in checked:
                checked.add(node)
                run.check_state()
        run.check_history()
    return len(checked)


def _guarded(table: Table, state: str, trigger: str) -> bool:
    """Whether a move for ``trigger`` in ``state`` has named guards."""
    return any(candidate.named_guards for candidate in table.moves[state][trigger])


def every_role_open(definition: Definition) -> Definition:
    """``definition`` with every role an office, for tests and benchmarks that model states, guards and sign-offs.

    Nobody is bound or invited, so a sign-off that asked every party of a
    role asks one signature of it, as of any role in ``all_of``.
    """
    roles = tuple(attrs.evolve(role, open=True, invited_by=()) for role in definition.roles)
    transitions = tuple(
        attrs.evolve(t, signoff=attrs.evolve(t.signoff, every_party=()))
        if t.signoff is not None and t.signoff.every_party
        else t
        for t in definition.transitions
    )
    return attrs.evolve(definition, roles=roles, transitions=transitions)
