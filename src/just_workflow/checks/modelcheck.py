"""The model checker: every reachable abstract state of a definition, explored breadth first.

A definition is finite once its context is abstracted: which fields are set
and, for each, which class of values it holds (one representative per class
the conditions tell apart, see :mod:`just_workflow.checks.abstraction`), plus the
signatures given so far. :func:`model_check` starts an instance and fires
every command of representative values in every state it reaches, with the
engine's own :func:`~just_workflow.step.step`, so that its semantics are the
engine's. It reports:

- ``invariant-broken``: a transition whose guards pass but whose step would
  break an invariant (the engine refuses it at run time: the protocol is
  stuck on that path), or an invariant broken right at the start; with the
  shortest trace;
- ``trap-state``: a reachable state from which no final state can be reached;
- ``dead-transition``: a transition that can never fire from one of its
  ``from`` states (a final one included);
- ``unreachable-state``: a state no run reaches.

Named Python guards are unknown to the checker: it assumes they may pass.
When the exploration hits ``max_states``, or has made
:data:`STEPS_PER_STATE` steps per state it may keep, it stops; the report
says so and keeps only the violations found, which are real.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import attrs

from just_workflow.checks import DEFAULT_MAX_STATES
from just_workflow.checks.abstraction import Abstraction
from just_workflow.checks.findings import Finding, FindingCode, Severity
from just_workflow.checks.trace import Trace, TraceStep, signature_note
from just_workflow.definition import Definition
from just_workflow.errors import Located, WorkflowError
from just_workflow.events import SIGN, Actor
from just_workflow.instance import Command, Instance
from just_workflow.parties import joined_by
from just_workflow.step import begin, step
from just_workflow.table import CompiledTransition, Table, compile_definition

#: Called every :data:`PROGRESS_EVERY` states explored, with the numbers of states explored and discovered so far.
Progress = Callable[[int, int], None]

#: How many states the exploration explores between two calls of its progress callback (about a second's work).
PROGRESS_EVERY = 10_000

#: The most steps (a command tried on one candidate transition, refused or not) the exploration makes per state it
#: may keep: ``max_states`` bounds its time as well as its memory, even where nearly every step is refused (the
#: payloads of a move with many optional inputs number in the millions, a trigger may have thousands of
#: candidates). The bundled protocols make 2 to 6 per state.
STEPS_PER_STATE = 1_000

_INSTANCE = "model-check"
_NOW = "2026-01-01T00:00:00+00:00"


@attrs.frozen
class ModelFinding(Located):
    """One fact the exploration proved wrong, where it is in the file, and the shortest run that shows it.

    Not a :class:`~just_workflow.checks.findings.Finding`: it is always an
    error, and it keeps apart what a finding's message would run together:
    the run that shows it (``trace``) and what it is about (``trigger``,
    ``state``, ``invariant``). :meth:`to_finding` gives the finding, the
    trace ending its message.
    """

    code: FindingCode
    message: str
    # Keyword-only, like the location: a path given third by position is refused, not taken for a trigger.
    trigger: str | None = attrs.field(default=None, kw_only=True)
    state: str | None = attrs.field(default=None, kw_only=True)
    invariant: str | None = attrs.field(default=None, kw_only=True)
    trace: Trace | None = attrs.field(default=None, kw_only=True)

    def __str__(self) -> str:
        return str(self.to_finding())

    def to_finding(self) -> Finding:
        """The finding as the static checks report theirs: an error, its trace (if any) ending the message."""
        message = self.message if self.trace is None else f"{self.message}\n{self.trace.format('    ')}"
        return Finding(
            Severity.ERROR,
            self.code,
            message,
            path=self.path,
            file=self.file,
            line=self.line,
            column=self.column,
        )


@attrs.frozen
class ModelCheckReport:
    """What :func:`model_check` explored and found.

    ``states`` counts the abstract states explored, ``moves`` the accepted
    steps between them. ``invariants`` names the invariants proven to hold
    on every path (all of them unless a finding says otherwise, and only when
    the exploration was complete). ``assumed_guards`` names the Python guards
    taken as possibly passing. ``bounded`` says the exploration stopped at
    ``max_states``: then only the invariant violations found are reported.
    """

    protocol: str
    version: int
    states: int
    moves: int
    seconds: float
    bounded: bool
    max_states: int
    findings: tuple[ModelFinding, ...]
    invariants: tuple[str, ...]
    assumed_guards: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the exploration was complete and found nothing wrong."""
        return not self.findings and not self.bounded

    def summary(self) -> str:
        """One line: the protocol, the size of the exploration, its time, and the verdict."""
        size = f"{self.states} abstract states, {self.moves} moves, {self.seconds:.2f} s"
        verdict = "ok" if self.ok else f"{len(self.findings)} finding(s)"
        if self.bounded:
            verdict += f"; stopped at --max-states {self.max_states}: the exploration is incomplete"
        return f"{self.protocol} v{self.version}: {size}: {verdict}"


def model_check(
    definition: Definition, *, max_states: int = DEFAULT_MAX_STATES, progress: Progress | None = None
) -> ModelCheckReport:
    """Explore every reachable abstract state of ``definition`` (at most ``max_states``) and report."""
    started = time.perf_counter()
    explorer = explore(definition, max_states=max_states, progress=progress)
    findings = explorer.findings()
    broken = {finding.invariant for finding in findings}
    proven = () if explorer.bounded else tuple(i.name for i in definition.invariants if i.name not in broken)
    return ModelCheckReport(
        protocol=definition.protocol,
        version=definition.version,
        states=len(explorer.nodes),
        moves=explorer.moves,
        seconds=time.perf_counter() - started,
        bounded=explorer.bounded,
        max_states=max_states,
        findings=tuple(findings),
        invariants=proven,
        assumed_guards=explorer.assumed_guards,
    )


def _assume_passes(_context: Mapping[str, Any], _actor: Any) -> bool:
    return True


def abstract_key(instance: Instance) -> Hashable:
    """What identifies an abstract state: the state, the context, who signed what and who is bound (in any order)."""
    return (
        instance.state,
        tuple(sorted(instance.context.items())),
        tuple(
            sorted(
                (trigger, tuple(sorted(signed.items()))) for trigger, signed in instance.signatures.items()
            )
        ),
        tuple(sorted((role, tuple(sorted(ids))) for role, ids in instance.parties.items())),
    )


@attrs.frozen
class _Violation:
    """A step whose guards pass but that would break ``invariant``, first found from ``node``."""

    node: int
    step: TraceStep
    transition: int
    invariant: int
    reasons: tuple[str, ...]


def explore(
    definition: Definition, *, max_states: int = DEFAULT_MAX_STATES, progress: Progress | None = None
) -> Exploration:
    """The breadth-first exploration of ``definition``'s abstract states, done."""
    exploration = Exploration(definition, max_states)
    exploration.run(progress)
    return exploration


class Exploration:
    """The breadth-first exploration and the facts it gathers.

    ``nodes`` are the abstract states in breadth-first order (the first is the
    start); ``parents[n]`` is the node before ``n`` on a shortest path and the
    step from it (None for the start); :meth:`trace` gives that path.
    """

    def __init__(self, definition: Definition, max_states: int) -> None:
        self.definition = definition
        self.max_states = max_states
        self.assumed_guards = tuple(sorted({g for t in definition.transitions for g in t.guards}))
        optimistic = dict.fromkeys(self.assumed_guards, _assume_passes)
        self.table = compile_definition(definition, optimistic)
        # Guards and invariants are judged apart: a step the guards allow but an invariant refuses is a finding.
        self.unchecked = compile_definition(attrs.evolve(definition, invariants=()), optimistic)
        self.abstraction = Abstraction(definition)
        self.single: dict[tuple[str, str, int], Table] = {}
        self.nodes: list[Instance] = []
        self.keys: dict[Hashable, int] = {}
        self.parents: list[tuple[int, TraceStep] | None] = []
        self.successors: list[list[int]] = []
        self.moves = 0
        self.steps = 0  # steps made, refused ones included
        self.bounded = False
        self.completed: set[tuple[int, str]] = set()
        self.signed: set[tuple[int, str]] = set()
        self.refusals: dict[tuple[int, str], str] = {}
        self.violations: dict[tuple[int, int], _Violation] = {}
        # (trigger, role) -> the first node where an actor of the role, never bound, moved the instance.
        self.intrusions: dict[tuple[str, str], tuple[int, TraceStep]] = {}
        cast = self.abstraction.actors
        # One root per role that may start: the starter is a party, so each start is its own abstract state.
        self.starters = [actor for role, actor in cast.items() if role in self.table.start_roles]
        self.roots: dict[int, Actor] = {}

    # -- exploring ------------------------------------------------------------------------------

    def run(self, progress: Progress | None) -> None:
        """Explore from the start, breadth first, until every state is expanded or the bound is hit."""
        for starter in self.starters:
            root, _ = begin(self.table, _INSTANCE, starter, _NOW, seal=False)
            node = self._add(root, None)
            if node is not None:
                self.roots[node] = starter
        expanded = 0
        while expanded < len(self.nodes) and not self.bounded:
            self._expand(expanded)
            expanded += 1
            if progress is not None and expanded % PROGRESS_EVERY == 0:
                progress(expanded, len(self.nodes))
        if progress is not None and expanded > PROGRESS_EVERY and expanded % PROGRESS_EVERY:
            progress(
                expanded, len(self.nodes)
            )  # the last count, when the exploration was long enough to report

    def _add(self, instance: Instance, parent: tuple[int, TraceStep] | None) -> int | None:
        key = abstract_key(instance)
        known = self.keys.get(key)
        if known is not None:
            return known
        if len(self.nodes) >= self.max_states:
            self.bounded = True
            return None
        self.keys[key] = len(self.nodes)
        self.nodes.append(instance)
        self.parents.append(parent)
        self.successors.append([])
        return len(self.nodes) - 1

    def _expand(self, node: int) -> None:
        instance = self.nodes[node]
        for command in self.abstraction.commands(self.table, instance.state, instance.context):
            if self.bounded:
                return  # the commands come one at a time: past the bound, the rest are never made
            authorized = self.table.authorized(instance.state, command.trigger, command.actor.role)
            self._attempt(node, instance, command, authorized)
        if instance.state in self.table.moves:
            for invitation in self.abstraction.invitations:
                self._bind(node, instance, invitation)
        for command in self.abstraction.stranger_commands(self.table, instance.state):
            self._try_stranger(node, instance, command)

    def _bind(self, node: int, instance: Instance, command: Command) -> None:
        """Invite a representative party, as the engine would; a refused invitation is no move."""
        try:
            after, _ = step(self.table, instance, command, _NOW, seal=False)
        except WorkflowError:
            return
        move = TraceStep(command.actor, command.trigger, command.payload, instance.state, after.state)
        child = self._add(after, (node, move))
        if child is not None:
            self.moves += 1
            self.successors[node].append(child)

    def _try_stranger(self, node: int, instance: Instance, command: Command) -> None:
        """Fire as an actor never bound to the instance: any move it makes, but joining a free role, is a finding."""
        try:
            after, _ = step(self.table, instance, command, _NOW, seal=False)
        except WorkflowError:
            return
        if joined_by(instance, after, command.actor):
            return  # a joining transition: the role had no party, and now the stranger is it
        move = TraceStep(command.actor, command.trigger, command.payload, instance.state, after.state)
        self.intrusions.setdefault((command.trigger, command.actor.role), (node, move))

    def _attempt(
        self, node: int, instance: Instance, command: Command, authorized: Sequence[CompiledTransition]
    ) -> None:
        """Fire ``command`` as the engine would: the first authorized candidate that accepts it moves.

        A candidate with named guards may also refuse: the candidates after it are tried too.
        """
        state = instance.state
        for candidate in authorized:
            self.steps += 1
            if self.steps > self.max_states * STEPS_PER_STATE:
                self.bounded = True
                return
            try:
                after, event = step(
                    self._only(state, command.trigger, candidate), instance, command, _NOW, seal=False
                )
            except WorkflowError as refusal:
                self.refusals.setdefault((candidate.index, state), str(refusal))
                continue
            move = TraceStep(command.actor, command.trigger, command.payload, state, after.state)
            if self._breaks_invariant(node, candidate, after, move):
                continue
            if event.kind == SIGN:
                note = signature_note(candidate.signers, after.signatures.get(command.trigger))
                move = attrs.evolve(move, note=note)
            key = (candidate.index, state)
            completed = after.state != state or event.kind != SIGN
            (self.completed if completed else self.signed).add(key)
            child = self._add(after, (node, move))
            if child is not None:
                self.moves += 1
                self.successors[node].append(child)
            if not candidate.named_guards:
                return

    def _only(self, state: str, trigger: str, candidate: CompiledTransition) -> Table:
        """The table without invariants, in which ``candidate`` is the only move for ``trigger`` in ``state``."""
        if len(self.unchecked.moves[state][trigger]) == 1:
            return self.unchecked
        key = (state, trigger, candidate.index)
        table = self.single.get(key)
        if table is None:
            (unchecked,) = (c for c in self.unchecked.moves[state][trigger] if c.index == candidate.index)
            table = self.single[key] = attrs.evolve(
                self.unchecked,
                moves={state: {trigger: (unchecked,)}},
                by_role={(state, trigger, role): (unchecked,) for role in unchecked.roles},
            )
        return table

    def _breaks_invariant(
        self, node: int, candidate: CompiledTransition, after: Instance, move: TraceStep
    ) -> bool:
        """Whether the engine would refuse the step for an invariant; the first such step of a pair is kept."""
        broken = False
        for check in self.table.invariants.get(after.state, ()):
            reasons = check.violations(after.context)
            if not reasons:
                continue
            broken = True
            invariant = self.definition.invariants.index(check.source)
            if (candidate.index, invariant) not in self.violations:
                refused = attrs.evolve(move, refused="; ".join(reasons))
                self.violations[candidate.index, invariant] = _Violation(
                    node, refused, candidate.index, invariant, tuple(reasons)
                )
        return broken

    # -- findings -------------------------------------------------------------------------------

    def path(self, node: int) -> list[tuple[int, TraceStep | None]]:
        """The nodes of the shortest path to ``node``, from the start, each with the step into it."""
        path: list[tuple[int, TraceStep | None]] = []
        parent = self.parents[node]
        while parent is not None:
            path.append((node, parent[1]))
            node = parent[0]
            parent = self.parents[node]
        path.append((node, None))
        return path[::-1]

    def trace(self, node: int, last: TraceStep | None = None) -> Trace:
        """The shortest run to ``node`` (breadth first order makes the recorded parents shortest)."""
        path = self.path(node)
        steps = [move for _, move in path if move is not None]
        return Trace(self.starter_of(node), self.definition.initial, (*steps, *([last] if last else [])))

    def starter_of(self, node: int) -> Actor:
        """Who started the run that reaches ``node`` first."""
        while (parent := self.parents[node]) is not None:
            node = parent[0]
        return self.roots[node]

    def findings(self) -> list[ModelFinding]:
        """What the exploration proved wrong; with a bounded exploration, only the violations found."""
        found = [*self._start_findings(), *self._violation_findings(), *self._intrusion_findings()]
        if not self.bounded:
            found.extend(self._trap_findings())
            found.extend(self._dead_findings())
            found.extend(self._unreachable_findings())
        return found

    def _start_findings(self) -> list[ModelFinding]:
        initial = self.definition.initial
        found = []
        for check in self.table.invariants.get(initial, ()):
            reasons = check.violations({})
            if reasons:
                name = check.source.name
                found.append(
                    ModelFinding(
                        FindingCode.INVARIANT_BROKEN,
                        f"Invariant '{name}' is broken at the start: an instance starts in {initial!r} "
                        f"with no field set ({'; '.join(reasons)})",
                        path=f"$.invariants[{self.definition.invariants.index(check.source)}]",
                        state=initial,
                        invariant=name,
                        trace=self.trace(0),
                    )
                )
        return found

    def _intrusion_findings(self) -> list[ModelFinding]:
        found = []
        for (trigger, role), (node, move) in self.intrusions.items():
            found.append(
                ModelFinding(
                    FindingCode.UNBOUND_ACTOR_MOVED,
                    f"An actor of role {role!r} who is not a party to the instance fired {trigger!r} "
                    f"in state {move.source!r}",
                    path=f"$.roles.{role}",
                    state=move.source,
                    trace=self.trace(node, move),
                )
            )
        return found

    def _violation_findings(self) -> list[ModelFinding]:
        found = []
        for violation in sorted(self.violations.values(), key=lambda v: (v.transition, v.invariant)):
            transition = self.definition.transitions[violation.transition]
            invariant = self.definition.invariants[violation.invariant]
            move = violation.step
            prefix = f"invariant '{invariant.name}' would be broken: "
            broken = "; ".join(reason.removeprefix(prefix) for reason in violation.reasons)
            message = (
                f"Transition '{transition.trigger}' can break invariant '{invariant.name}': its guards let it "
                f"move from {move.source!r} to {move.target!r} while {broken}, and the engine refuses that "
                "step; make the transition require what the invariant needs"
            )
            found.append(
                ModelFinding(
                    FindingCode.INVARIANT_BROKEN,
                    message,
                    path=f"$.transitions[{violation.transition}]",
                    trigger=transition.trigger,
                    state=move.source,
                    invariant=invariant.name,
                    trace=self.trace(violation.node, move),
                )
            )
        return found

    def _trap_findings(self) -> list[ModelFinding]:
        finals = self.table.finals
        predecessors: list[list[int]] = [[] for _ in self.nodes]
        for node, children in enumerate(self.successors):
            for child in children:
                predecessors[child].append(node)
        finishing = {node for node, instance in enumerate(self.nodes) if instance.state in finals}
        pending = list(finishing)
        while pending:
            for parent in predecessors[pending.pop()]:
                if parent not in finishing:
                    finishing.add(parent)
                    pending.append(parent)
        found: list[ModelFinding] = []
        reported: set[str] = set()
        for node, instance in enumerate(self.nodes):
            state = instance.state
            if node in finishing or state in reported:
                continue
            reported.add(state)
            stuck = not self.successors[node]
            why = (
                "no transition can fire there"
                if stuck
                else "the moves from there only lead to states that never reach a final state"
            )
            trace = self.trace(node)
            found.append(
                ModelFinding(
                    FindingCode.TRAP_STATE,
                    f"A run can reach {state!r} and then never reach a final state: {why}",
                    path=f"$.states.{state}",
                    trigger=trace.steps[-1].trigger if trace.steps else None,
                    state=state,
                    trace=trace,
                )
            )
        return found

    def _dead_findings(self) -> list[ModelFinding]:
        reached = {instance.state for instance in self.nodes}
        finals = self.table.finals
        found = []
        for index, transition in enumerate(self.definition.transitions):
            for position, source in enumerate(transition.sources):
                key = (index, source)
                if key in self.completed or (source not in reached and source not in finals):
                    continue
                if source in finals:
                    why = f"{source!r} is final: a final state accepts no trigger"
                elif key in self.signed:
                    why = "its sign-off never completes: " + self._signoff_problem(index, key)
                elif any(v.transition == index and v.step.source == source for v in self.violations.values()):
                    continue  # reported as an invariant it would break
                else:
                    why = "its guards never pass there; the first refusal: " + self.refusals.get(key, "none")
                found.append(
                    ModelFinding(
                        FindingCode.DEAD_TRANSITION,
                        f"Transition '{transition.trigger}' can never fire from {source!r}: {why}",
                        path=f"$.transitions[{index}].from[{position}]",
                        trigger=transition.trigger,
                        state=source,
                    )
                )
        return found

    def _signoff_problem(self, index: int, key: tuple[int, str]) -> str:
        transition = self.definition.transitions[index]
        twice = sorted({role for role in transition.by if transition.by.count(role) > 1})
        if twice:
            return f"`signoff.all_of` lists {', '.join(map(repr, twice))} more than once, but each role signs once"
        required = [item.field for item in transition.inputs if item.required]
        if required:
            return (
                f"each signature must give {', '.join(map(repr, required))}, which changes the context, "
                "and a change of the context clears the signatures given before"
            )
        return self.refusals.get(key, "no last signature is ever accepted")

    def _unreachable_findings(self) -> list[ModelFinding]:
        reached = {instance.state for instance in self.nodes}
        return [
            ModelFinding(
                FindingCode.UNREACHABLE_STATE,
                f"No run reaches state {state.name!r}: no transition into it can ever fire",
                path=f"$.states.{state.name}",
                state=state.name,
            )
            for state in self.definition.states
            if state.name not in reached
        ]
