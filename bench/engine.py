"""The engine benchmark: just_workflow's pure step and full fire against transitions, python-statemachine and a dict table.

Run from the repository root: ``python -m bench.engine`` (``--quick`` for a short run).

Two workloads, run by every contender in the same process:

1. happy path: start an instance of ``sme_approaching_hei`` and drive it to the
   signed Memorandum: 10 fires, 8 with a payload, a two-party sign-off last.
2. guarded cycle: one instance fires ``go`` and ``back`` between two states,
   each fire guarded by the actor's role, a required field and a condition.

The guard work is the same for every contender: the actor's role, the
transition's required fields and conditions, and the required fields and
conditions of the target state's invariants, evaluated on the context with
the payload applied (conditions through the engine's own compiled checks);
sign-offs collect one signature per role and move with the last; every
contender records each fire in a history. The engine does more on top: it
type-checks payloads and builds full event records (and ``fire`` hashes them
into the chain and stores them).

Contenders:

- ``jw step``: :func:`~just_workflow.step.begin` / :func:`~just_workflow.step.step`
  with ``seal=False``, a ``Command`` built for each fire as a caller builds it:
  guards checked, event record made, no hashing;
- ``jw step_with``: :func:`~just_workflow.step.step_with`, as :meth:`Engine.fire`
  calls it: the command given as trigger, actor and payload, no ``Command``;
- ``jw step + hash chain``: ``jw step`` sealed (canonical body, SHA-256), to show what the chain costs;
- ``jw fire``: :meth:`Engine.fire` on a :class:`MemoryStore`: clock, hash chain, store;
- ``jw floor``: the least a fire on this step can do (:class:`JwFloor`): the sealed step,
  the clock, the event and the snapshot kept under a lock, a copy handed out, no checks;
- ``transitions``: a ``Machine`` per instance, and one shared ``Machine`` with
  models added (``auto_transitions=False``, guards as conditions, an ``after``
  callback records the history);
- ``python-statemachine``: a ``StateMachine`` class built from the definition, an instance per run;
- ``dict table``: ``moves[state][trigger]``, a guard call, a tuple appended: the limit for pure Python.

Times are CPU time of this process (``time.process_time``), so that other
work on the machine skews them less; each rate is the best of several rounds,
the contenders taking turns within each round.
"""

from __future__ import annotations

import abc
import argparse
import gc
import itertools
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from time import time_ns
from typing import Any

import attrs
import statemachine
import transitions

from bench.machine import description as machine_description
from just_workflow import definition as d
from just_workflow.clock import new_instance_id, utc_text
from just_workflow.engine import Engine
from just_workflow.errors import ConcurrencyConflict
from just_workflow.events import Actor, Event
from just_workflow.formats.loading import load_definition
from just_workflow.guards import condition_check
from just_workflow.instance import Command, Instance, detached_instance
from just_workflow.step import begin, step, step_with
from just_workflow.store.memory import MemoryStore
from just_workflow.table import Table, compile_definition
from just_workflow.testing.harness import every_role_open

ROOT = Path(__file__).resolve().parent.parent
NOW = "2025-01-01T12:00:00+00:00"

#: A fire as every contender receives it: trigger, role, payload.
Fire = tuple[str, str, Mapping[str, Any]]

HAPPY_PATH: tuple[Fire, ...] = (
    ("contact_career_services", "sme", {"purpose": "joint research on production scheduling"}),
    ("route_request", "career_services", {"departments": ["computer_science"]}),
    (
        "define_interest",
        "sme",
        {
            "short_term_ambitions": "a trainee in scheduling",
            "medium_term_ambitions": "a joint research project",
            "forms": "traineeships and a shared project",
        },
    ),
    (
        "define_offer",
        "sme",
        {"offer": ["internship_programmes", "laboratories_access"], "offer_explanation": "our test plant"},
    ),
    ("define_fit", "sme", {"fit": ["commitment_to_cause"], "fit_explanation": "lean production"}),
    (
        "define_ways",
        "sme",
        {
            "ways_of_collaboration": ["traineeship", "joint_research_projects"],
            "ways_explanation": "one trainee a year, one project",
        },
    ),
    ("define_fields", "department", {"fields_of_collaboration": ["operations research"]}),
    (
        "draft_agreement",
        "department",
        {
            "moa_reference": "MoA-1",
            "sme_signatory": "A. Novak, director",
            "hei_signatory": "I. Kral, dean",
            "valid_until": "2029-12-31",
        },
    ),
    ("sign_moa", "sme", {}),
    ("sign_moa", "department", {}),
)

CYCLE = d.Definition(
    protocol="guarded_cycle",
    version=1,
    title=d.Text("Two states and two guarded triggers, fired in turn"),
    roles=(d.Role("owner", open=True), d.Role("reviewer", open=True)),
    states=(d.State("ping"), d.State("pong")),
    initial="ping",
    context=(d.Field("budget", d.FieldType.INT),),
    transitions=(
        d.Transition("fund", ("ping",), ("owner",), inputs=(d.Input("budget"),)),
        d.Transition(
            "go",
            ("ping",),
            ("owner",),
            "pong",
            requires=("budget",),
            conditions=(d.Condition("budget", d.Op.GE, 1),),
        ),
        d.Transition(
            "back",
            ("pong",),
            ("reviewer",),
            "ping",
            requires=("budget",),
            conditions=(d.Condition("budget", d.Op.GE, 1),),
        ),
    ),
)
CYCLE_SETUP: tuple[Fire, ...] = (("fund", "owner", {"budget": 100}),)
CYCLE_FIRES: tuple[Fire, ...] = (("go", "owner", {}), ("back", "reviewer", {}))


class Refused(Exception):
    """A contender refused a fire of the workload: the benchmark is wrong, not slow."""


# -- the definition as plain guards, for the contenders ------------------------------------------


@attrs.frozen
class Move:
    """One transition from one source state, with the guard every contender evaluates."""

    trigger: str
    source: str
    target: str  # the source itself for a transition that stays
    roles: frozenset[str]
    signers: tuple[str, ...]
    guard: Callable[[Mapping[str, Any]], bool]


def moves_of(definition: d.Definition) -> list[Move]:
    """Every (transition, source) of ``definition`` with its guard: requires and conditions, the target's invariants."""
    found = []
    for transition in definition.transitions:
        for source in transition.sources:
            target = transition.target or source
            invariants = [i for i in definition.invariants if target in i.states]
            requires = tuple(transition.requires) + tuple(f for i in invariants for f in i.requires)
            conditions = tuple(transition.conditions) + tuple(c for i in invariants for c in i.conditions)
            roles = transition.signoff.all_of if transition.signoff else transition.by
            signers = transition.signoff.all_of if transition.signoff else ()
            found.append(
                Move(
                    transition.trigger,
                    source,
                    target,
                    frozenset(roles),
                    signers,
                    _guard(requires, conditions),
                )
            )
    return found


def _guard(
    requires: tuple[str, ...], conditions: Iterable[d.Condition]
) -> Callable[[Mapping[str, Any]], bool]:
    checks = tuple(condition_check(c) for c in conditions)

    # Plain loops, as the engine's own guards: a generator here would slow the contenders down, not the engine.
    def guard(context: Mapping[str, Any]) -> bool:
        for name in requires:
            if name not in context:
                return False
        for check in checks:  # noqa: SIM110 (see above)
            if check(context) is not None:
                return False
        return True

    return guard


# -- contenders ----------------------------------------------------------------------------------


def _actors(fires: Iterable[Fire]) -> dict[str, Actor]:
    return {role: Actor(f"{role}-1", role) for _, role, _ in fires}


def _calls(fires: Iterable[Fire]) -> list[tuple[str, Actor, Mapping[str, Any]]]:
    """The fires as trigger, actor, payload: the arguments a caller has at hand."""
    actors = _actors(fires)
    return [(trigger, actors[role], payload) for trigger, role, payload in fires]


class JwStep:
    """The pure core: ``begin`` and ``step`` without hashing, a ``Command`` built per fire as a caller does."""

    name = "jw step (pure, no hashing)"
    seal = False

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.table: Table = compile_definition(definition)
        self.starter = Actor(f"{start_role}-1", start_role)

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        table, starter, calls, seal = self.table, self.starter, _calls(fires), self.seal

        def work(count: int) -> None:
            for _ in range(count):
                instance, _event = begin(table, "bench", starter, NOW, seal=seal)
                for trigger, actor, payload in calls:
                    instance, _event = step(table, instance, Command(trigger, actor, payload), NOW, seal=seal)

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        table, seal = self.table, self.seal
        calls = itertools.cycle(_calls(fires))  # one endless turn: rounds go on where the last stopped
        current = [self.set_up(setup)]

        def work(count: int) -> None:
            instance = current[0]
            for trigger, actor, payload in itertools.islice(calls, count):
                instance, _event = step(table, instance, Command(trigger, actor, payload), NOW, seal=seal)
            current[0] = instance

        return work

    def set_up(self, setup: Sequence[Fire]) -> Instance:
        """A started instance after the ``setup`` fires."""
        instance, _event = begin(self.table, "bench", self.starter, NOW, seal=self.seal)
        for trigger, actor, payload in _calls(setup):
            instance, _event = step(
                self.table, instance, Command(trigger, actor, payload), NOW, seal=self.seal
            )
        return instance


class JwStepWith(JwStep):
    """The pure core as ``Engine.fire`` calls it: ``step_with``, the command given field by field, no Command."""

    name = "jw step_with (pure, no hashing, no Command)"

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        table, starter, calls, seal = self.table, self.starter, _calls(fires), self.seal

        def work(count: int) -> None:
            for _ in range(count):
                instance, _event = begin(table, "bench", starter, NOW, seal=seal)
                for trigger, actor, payload in calls:
                    instance, _event = step_with(table, instance, trigger, actor, payload, NOW, seal=seal)

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        table, seal = self.table, self.seal
        calls = itertools.cycle(_calls(fires))
        current = [self.set_up(setup)]

        def work(count: int) -> None:
            instance = current[0]
            for trigger, actor, payload in itertools.islice(calls, count):
                instance, _event = step_with(table, instance, trigger, actor, payload, NOW, seal=seal)
            current[0] = instance

        return work


class JwSealedStep(JwStep):
    """The pure core with the hash chain: what ``fire`` adds to ``step`` before the clock and the store."""

    name = "jw step + hash chain (pure)"
    seal = True


class _Fires(abc.ABC):
    """A contender that starts instances and fires them through an object's ``fire``, as a caller of the engine does."""

    @property
    @abc.abstractmethod
    def firing(self) -> Any:
        """What ``fire(instance_id, trigger, actor, payload)`` is called on."""

    @abc.abstractmethod
    def start(self) -> Instance:
        """A new instance of the definition, started by the start role's actor."""

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        firing, start, calls = self.firing, self.start, _calls(fires)

        def work(count: int) -> None:
            for _ in range(count):
                instance_id = start().id
                for trigger, actor, payload in calls:
                    firing.fire(instance_id, trigger, actor, payload)

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        firing = self.firing
        instance_id = self.start().id
        for trigger, actor, payload in _calls(setup):
            firing.fire(instance_id, trigger, actor, payload)
        calls = itertools.cycle(_calls(fires))

        def work(count: int) -> None:
            for trigger, actor, payload in itertools.islice(calls, count):
                firing.fire(instance_id, trigger, actor, payload)

        return work


class JwFire(_Fires):
    """The engine with its in-memory store: clock, hash chain, store append."""

    name = "jw fire (MemoryStore, hash chain)"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.definition = definition
        self.engine = Engine([definition])
        self.starter = Actor(f"{start_role}-1", start_role)

    @property
    def firing(self) -> Engine:
        return self.engine

    def start(self) -> Instance:
        return self.engine.start(self.definition.protocol, self.starter)


class JwFloor(_Fires):
    """The least a fire on this step can do: the work ``Engine.fire`` must do, none of what it checks.

    A fire reads the kept snapshot, stamps the default clock's time, runs
    the sealed ``step_with``, keeps the event and the new snapshot under a
    lock after comparing the snapshot's ``seq`` (the event in its instance's
    history and in the change feed), and hands out a copy of the new
    snapshot, as the engine does. Left out: the checks of the request's
    text and of the clock's role, an expected ``seq``, idempotency keys, the
    table looked up by the snapshot's digest, the retry, the hooks, noting
    the instance for the work lists' indexes. Its rate over transitions' is
    the most that a fire built on this step and these records can reach.
    """

    name = "jw floor (sealed step, kept under a lock, a copy out)"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.table: Table = compile_definition(definition)
        self.starter = Actor(f"{start_role}-1", start_role)
        self.lock = threading.Lock()
        self.snapshots: dict[str, Instance] = {}
        self.histories: dict[str, list[Event]] = {}
        self.feed: list[Event] = []

    @property
    def firing(self) -> JwFloor:
        return self

    def start(self) -> Instance:
        """A new instance, its start event kept, as ``Engine.start`` keeps it."""
        instance, event = begin(self.table, new_instance_id(), self.starter, utc_text(time_ns()))
        with self.lock:
            self.snapshots[instance.id] = instance
            self.histories[instance.id] = [event]
            self.feed.append(event)
        return detached_instance(instance)

    def fire(self, instance_id: str, trigger: str, actor: Actor, payload: Mapping[str, Any]) -> Instance:
        """The fire's new snapshot, a copy of the one kept."""
        instance = self.snapshots[instance_id]
        after, event = step_with(self.table, instance, trigger, actor, payload, utc_text(time_ns()))
        self.keep(instance.seq, after, event)
        return detached_instance(after)

    def keep(self, seq: int, after: Instance, event: Event) -> None:
        """Keep the step's event and snapshot if the kept snapshot is still at ``seq``, as a store's append does."""
        instance_id = after.id
        lock = self.lock
        lock.acquire()  # acquire and release, as MemoryStore.append: `with` costs more
        try:
            kept = self.snapshots[instance_id].seq
            if kept != seq:
                raise ConcurrencyConflict(instance_id, seq, kept)
            self.histories[instance_id].append(event)
            self.feed.append(event)
            self.snapshots[instance_id] = after
        finally:
            lock.release()


class _Model:
    """A transitions model: its state (set by the machine), context, signatures and history."""

    def __init__(self) -> None:
        self.context: Mapping[str, Any] = {}
        self.pending: Mapping[str, Any] = {}
        self.signed: tuple[str, ...] = ()
        self.history: list[tuple[str, str, str, str]] = []


def admits(move: Move, last: bool | None) -> Callable[[Any, str, Mapping[str, Any]], bool]:
    """The guard a machine library calls: may ``role`` fire ``move`` with ``payload`` on ``machine``?

    ``machine`` holds ``context``, ``signed`` and ``pending`` (the context to
    take on success). ``last`` tells, for a sign-off, whether this entry takes
    the last signature (True) or an earlier one (False); None: no sign-off.
    """
    roles, guard, needed = move.roles, move.guard, len(move.signers)

    def check(machine: Any, role: str, payload: Mapping[str, Any]) -> bool:
        if role not in roles:
            return False
        if last is not None and (role in machine.signed or (len(machine.signed) + 1 == needed) != last):
            return False
        context = {**machine.context, **payload} if payload else machine.context
        if not guard(context):
            return False
        machine.pending = context
        return True

    return check


def records(move: Move, last: bool | None) -> Callable[[Any, str], None]:
    """The callback a machine library calls after ``move``: take the context, the signature, a history entry."""
    trigger, source = move.trigger, move.source
    target = source if last is False else move.target

    def record(machine: Any, role: str) -> None:
        machine.context = machine.pending
        machine.signed = (*machine.signed, role) if last is False else ()
        machine.history.append((trigger, source, target, role))

    return record


def _entries(move: Move) -> list[tuple[str | None, bool | None]]:
    """(target, last) of the machine transitions for ``move``: a sign-off stays for its first signatures."""
    if move.signers:
        return [(move.source, False), (move.target, True)]
    return [(move.target, None)]


def _transitions_config(definition: d.Definition) -> dict[str, Any]:
    """Machine arguments for ``definition``: guards as conditions, an ``after`` callback recording history."""
    entries = []
    for move in moves_of(definition):
        for target, last in _entries(move):
            check, record = admits(move, last), records(move, last)
            entries.append(
                {
                    "trigger": move.trigger,
                    "source": move.source,
                    "dest": None if target == move.source else target,  # staying is an internal transition
                    "conditions": [
                        lambda e, check=check: check(e.model, e.kwargs["role"], e.kwargs["payload"])
                    ],
                    "after": [lambda e, record=record: record(e.model, e.kwargs["role"])],
                }
            )
    return {
        "states": [state.name for state in definition.states],
        "initial": definition.initial,
        "transitions": entries,
        "auto_transitions": False,
        "send_event": True,
    }


class TransitionsPerInstance:
    """transitions: a Machine built for each instance."""

    name = "transitions (a Machine per instance)"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.config = _transitions_config(definition)

    def start(self) -> _Model:
        model = _Model()
        transitions.Machine(model=model, **self.config)
        return model

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        start = self.start

        def work(count: int) -> None:
            for _ in range(count):
                model = start()
                for trigger, role, payload in fires:
                    if not model.trigger(trigger, role=role, payload=payload):
                        raise Refused(trigger)

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        model = self.start()
        for trigger, role, payload in setup:
            model.trigger(trigger, role=role, payload=payload)
        turns = itertools.cycle(fires)

        def work(count: int) -> None:
            for trigger, role, payload in itertools.islice(turns, count):
                if not model.trigger(trigger, role=role, payload=payload):
                    raise Refused(trigger)

        return work


class TransitionsShared(TransitionsPerInstance):
    """transitions: one Machine, each instance a model added to it (and removed when its run ends)."""

    name = "transitions (one shared Machine)"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        super().__init__(definition, start_role)
        self.machine = transitions.Machine(model=None, **self.config)

    def start(self) -> _Model:
        model = _Model()
        self.machine.add_model(model)
        return model

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        machine = self.machine

        def work(count: int) -> None:
            for _ in range(count):
                model = _Model()
                machine.add_model(model)
                for trigger, role, payload in fires:
                    if not model.trigger(trigger, role=role, payload=payload):
                        raise Refused(trigger)
                machine.remove_model(model)

        return work


def _statemachine_class(definition: d.Definition) -> type[statemachine.StateMachine]:
    """A python-statemachine class for ``definition``: guards as ``cond``, history recorded ``on`` transitions."""
    states = {
        s.name: statemachine.State(s.name, initial=s.name == definition.initial, final=s.final)
        for s in definition.states
    }
    events: dict[str, Any] = {}
    for move in moves_of(definition):
        source = states[move.source]
        for target, last in _entries(move):
            # python-statemachine passes the callbacks the arguments they name: machine, role, payload.
            options = {"cond": admits(move, last), "on": records(move, last)}
            found = (
                source.to.itself(internal=True, **options)
                if target == move.source
                else source.to(states[target], **options)
            )
            events[move.trigger] = events[move.trigger] | found if move.trigger in events else found
    return type(f"{definition.protocol}_machine", (statemachine.StateMachine,), {**states, **events})


class StateMachineContender:
    """python-statemachine: a class built from the definition, an instance per run."""

    name = "python-statemachine"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.machine_class = _statemachine_class(definition)

    def start(self) -> Any:
        machine = self.machine_class()
        machine.context, machine.pending, machine.signed, machine.history = {}, {}, (), []
        return machine

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        start = self.start

        def work(count: int) -> None:
            for _ in range(count):
                machine = start()
                for trigger, role, payload in fires:
                    machine.send(trigger, role=role, payload=payload)

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        machine = self.start()
        for trigger, role, payload in setup:
            machine.send(trigger, role=role, payload=payload)
        turns = itertools.cycle(fires)

        def work(count: int) -> None:
            for trigger, role, payload in itertools.islice(turns, count):
                machine.send(trigger, role=role, payload=payload)

        return work


class DictTable:
    """A bare dict table: ``moves[state][trigger]``, a guard call, a tuple appended."""

    name = "dict table (pure Python limit)"

    def __init__(self, definition: d.Definition, start_role: str) -> None:
        self.initial = definition.initial
        self.moves: dict[str, dict[str, list[Move]]] = {}
        for move in moves_of(definition):
            self.moves.setdefault(move.source, {}).setdefault(move.trigger, []).append(move)

    def runs(self, fires: Sequence[Fire]) -> Callable[[int], None]:
        moves, initial = self.moves, self.initial

        def work(count: int) -> None:
            for _ in range(count):
                state, context, signed, history = initial, {}, (), []
                for trigger, role, payload in fires:
                    state, context, signed = _dict_fire(
                        moves, state, context, signed, history, trigger, role, payload
                    )

        return work

    def cycle(self, setup: Sequence[Fire], fires: Sequence[Fire]) -> Callable[[int], None]:
        moves = self.moves
        history: list[tuple[str, str, str, str]] = []
        state, context, signed = self.initial, {}, ()
        for trigger, role, payload in setup:
            state, context, signed = _dict_fire(
                moves, state, context, signed, history, trigger, role, payload
            )
        current = [state]
        turns = itertools.cycle(fires)

        def work(count: int) -> None:
            state = current[0]
            for trigger, role, _payload in itertools.islice(turns, count):
                for move in moves[state][trigger]:
                    if role in move.roles and move.guard(context):
                        break
                else:
                    raise Refused(trigger)
                history.append((trigger, state, move.target, role))
                state = move.target
            current[0] = state

        return work


def _dict_fire(
    moves: Mapping[str, Mapping[str, list[Move]]],
    state: str,
    context: Mapping[str, Any],
    signed: tuple[str, ...],
    history: list[tuple[str, str, str, str]],
    trigger: str,
    role: str,
    payload: Mapping[str, Any],
) -> tuple[str, Mapping[str, Any], tuple[str, ...]]:
    after = {**context, **payload} if payload else context
    for move in moves[state][trigger]:
        if role in move.roles and role not in signed and move.guard(after):
            break
    else:
        raise Refused(trigger)
    target = move.target
    if move.signers:
        signed = (*signed, role)
        if len(signed) < len(move.signers):
            target = state
    if target != state:
        signed = ()
    history.append((trigger, state, target, role))
    return target, after, signed


CONTENDERS = (
    JwStep,
    JwStepWith,
    JwSealedStep,
    JwFire,
    JwFloor,
    TransitionsPerInstance,
    TransitionsShared,
    StateMachineContender,
    DictTable,
)


# -- timing ----------------------------------------------------------------------------------

#: Makes a fresh ``work(count)`` for one timed round (the making is not timed).
Maker = Callable[[], Callable[[int], None]]


def calibrated(work: Callable[[int], None], round_seconds: float) -> int:
    """How many units ``work`` needs to run about ``round_seconds``."""
    count = 1
    while True:
        started = time.process_time()
        work(count)
        elapsed = time.process_time() - started
        if elapsed >= round_seconds / 4:
            return max(1, round(count * round_seconds / elapsed))
        count *= 2


def interleaved_rates(makers: Mapping[str, Maker], round_seconds: float, rounds: int) -> dict[str, float]:
    """Units per second of each maker's work: the best of ``rounds`` rounds.

    The contenders take turns within each round, so that a change in the
    machine's load touches all of them alike; each round starts from fresh
    objects and a collected heap.
    """
    counts = {name: calibrated(make(), round_seconds) for name, make in makers.items()}
    best = dict.fromkeys(makers, float("inf"))
    for _ in range(rounds):
        for name, make in makers.items():
            work = make()
            gc.collect()
            started = time.process_time()
            work(counts[name])
            best[name] = min(best[name], (time.process_time() - started) / counts[name])
    return {name: 1 / seconds for name, seconds in best.items()}


def memory_per_instance(make_start: Callable[[], Callable[[], object]], count: int) -> float:
    """Bytes allocated per idle instance, over ``count`` instances kept alive."""
    start = make_start()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [start() for _ in range(count)]
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return (after - before) / count


def _repeat(make_start: Callable[[], Callable[[], object]]) -> Callable[[int], None]:
    start = make_start()

    def work(count: int) -> None:
        for _ in range(count):
            start()

    return work


def starters(definition: d.Definition) -> dict[str, Callable[[], Callable[[], object]]]:
    """For each way of starting an instance of ``definition``, a factory of fresh ``start()`` functions."""
    sme = Actor("sme-1", "sme")
    table = compile_definition(definition)

    def engine_start() -> Callable[[], object]:
        engine = Engine([definition], store=MemoryStore())
        return lambda: engine.start(definition.protocol, sme)

    return {
        "jw begin (pure, hashed)": lambda: lambda: begin(table, "bench", sme, NOW),
        "jw Engine.start (MemoryStore)": engine_start,
        TransitionsPerInstance.name: lambda: TransitionsPerInstance(definition, "sme").start,
        TransitionsShared.name: lambda: TransitionsShared(definition, "sme").start,
        StateMachineContender.name: lambda: StateMachineContender(definition, "sme").start,
    }


# -- the report ----------------------------------------------------------------------------------


@attrs.frozen
class Results:
    """Rates by contender: happy-path runs/s, guarded-cycle fires/s, starts/s; bytes per idle instance.

    Each rate is the best of ``rounds`` rounds of about ``round_seconds``.
    """

    happy: Mapping[str, float]
    cycle: Mapping[str, float]
    starts: Mapping[str, float]
    memory: Mapping[str, float]
    rounds: int
    round_seconds: float


def happy_definition() -> d.Definition:
    """The bundled ``sme_approaching_hei``, every role an office: the definition of the happy path."""
    return every_role_open(load_definition(ROOT / "definitions" / "sme_approaching_hei.yaml"))


def measure(quick: bool) -> Results:
    """Run every contender on both workloads, then time and weigh their starts."""
    round_seconds, rounds, kept = (0.05, 3, 300) if quick else (0.25, 7, 2000)
    happy = happy_definition()
    happy_makers: dict[str, Maker] = {
        c.name: lambda c=c: c(happy, "sme").runs(HAPPY_PATH) for c in CONTENDERS
    }
    cycle_makers: dict[str, Maker] = {
        c.name: lambda c=c: c(CYCLE, "owner").cycle(CYCLE_SETUP, CYCLE_FIRES) for c in CONTENDERS
    }
    start_makers = starters(happy)
    return Results(
        happy=interleaved_rates(happy_makers, round_seconds, rounds),
        cycle=interleaved_rates(cycle_makers, round_seconds, rounds),
        starts=interleaved_rates(
            {n: lambda m=m: _repeat(m) for n, m in start_makers.items()}, round_seconds, rounds
        ),
        memory={name: memory_per_instance(make, kept) for name, make in start_makers.items()},
        rounds=rounds,
        round_seconds=round_seconds,
    )


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x"


def report(results: Results) -> Iterator[str]:
    """The Markdown tables of ``results``, where a fire's time goes, then the targets, each checked."""
    machine, table = TransitionsPerInstance.name, DictTable.name
    yield (
        f"Each rate is the best of {results.rounds} rounds of about {results.round_seconds} s of CPU time, "
        "the contenders taking turns within each round."
    )
    yield ""
    yield "Happy path of `sme_approaching_hei` (start + 10 fires, 8 with a payload, a two-party sign-off):"
    yield ""
    yield "| contender | runs/s | µs per run | fires/s | vs transitions | vs dict table |"
    yield "|---|---:|---:|---:|---:|---:|"
    happy = results.happy
    for name, rate in happy.items():
        yield (
            f"| {name} | {rate:,.0f} | {1e6 / rate:,.1f} | {rate * len(HAPPY_PATH):,.0f} | "
            f"{_ratio(rate, happy[machine])} | {rate / happy[table]:.1%} |"
        )
    yield ""
    yield "Guarded cycle (one instance, `go` and `back` in turn, each guarded by a role, a field, a condition):"
    yield ""
    yield "| contender | fires/s | µs per fire | vs transitions | vs dict table |"
    yield "|---|---:|---:|---:|---:|"
    cycle = results.cycle
    for name, rate in cycle.items():
        yield (
            f"| {name} | {rate:,.0f} | {1e6 / rate:.2f} | {_ratio(rate, cycle[machine])} | "
            f"{rate / cycle[table]:.1%} |"
        )
    yield ""
    yield "Starting an instance of `sme_approaching_hei`, and memory per idle instance (`tracemalloc`):"
    yield ""
    yield "| contender | µs per start | cheaper than a transitions Machine | bytes per idle instance |"
    yield "|---|---:|---:|---:|"
    starts = results.starts
    for name, rate in starts.items():
        yield f"| {name} | {1e6 / rate:,.1f} | {_ratio(rate, starts[machine])} | {results.memory[name]:,.0f} |"
    yield ""
    yield from _fire_time(cycle)
    step, fire, floor = cycle[JwStep.name], cycle[JwFire.name], cycle[JwFloor.name]
    start = starts["jw Engine.start (MemoryStore)"]
    run = happy[JwFire.name]
    checks = [
        (
            step >= 4 * cycle[machine],
            f"`step` at least 4x transitions: {_ratio(step, cycle[machine])} "
            f"(`step_with`, no Command: {_ratio(cycle[JwStepWith.name], cycle[machine])})",
        ),
        (step >= 0.15 * cycle[table], f"`step` at least 15% of the dict table: {step / cycle[table]:.2%}"),
        (
            fire >= 2 * cycle[machine],
            f"`fire` at least 2x transitions: {_ratio(fire, cycle[machine])} (the floor, the most a fire on "
            f"this step can reach: {_ratio(floor, cycle[machine])}; `fire` at {fire / floor:.0%} of it)",
        ),
        (
            run >= 2.5 * happy[machine],
            f"start + happy path with `fire` at least 2.5x transitions: {_ratio(run, happy[machine])}",
        ),
        (
            start >= 10 * starts[machine],
            f"`Engine.start` at least 10x cheaper than a transitions Machine: {_ratio(start, starts[machine])}",
        ),
    ]
    yield ""
    yield "Targets (guarded cycle, happy path and starts, each against a transitions Machine per instance):"
    yield ""
    for met, text in checks:
        yield f"- [{'x' if met else ' '}] {text}"


def _fire_time(cycle: Mapping[str, float]) -> Iterator[str]:
    """A guarded-cycle fire taken apart: the differences between the jw rows of the table."""
    core = 1e6 / cycle[JwStepWith.name]
    command = 1e6 / cycle[JwStep.name] - core
    chain = 1e6 / cycle[JwSealedStep.name] - 1e6 / cycle[JwStep.name]
    kept = 1e6 / cycle[JwFloor.name] - core - chain
    checked = 1e6 / cycle[JwFire.name] - 1e6 / cycle[JwFloor.name]
    yield f"Where a guarded-cycle fire's {1e6 / cycle[JwFire.name]:.2f} µs go (differences between the jw rows):"
    yield ""
    yield f"- {core:.2f} µs: the step itself, as `Engine.fire` calls it (`step_with`);"
    yield f"- {chain:.2f} µs: the hash chain (`step + hash chain` less `step`);"
    yield (
        f"- {kept:.2f} µs: what any fire adds to the step: the clock, keeping the event and the snapshot "
        "under a lock, the copy handed out (`floor` less `step_with` and the hash chain);"
    )
    yield (
        f"- {checked:.2f} µs: what the engine adds to the floor: the request's checks, the table found by "
        "digest, the store's own checks and its index notes (`fire` less `floor`);"
    )
    yield f"- a caller of `step` also builds a `Command`: {command:.2f} µs more (`step` less `step_with`)."


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short rounds: rough numbers in a few seconds")
    args = parser.parse_args(argv)
    return list(report(measure(args.quick)))


def main(argv: Sequence[str] | None = None) -> None:
    """Print the machine, the versions, the tables and the targets."""
    lines = results(argv)
    print("engine: step and fire against transitions, python-statemachine and a dict table")
    print()
    print("\n".join([*machine_description(), "", *lines]))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
