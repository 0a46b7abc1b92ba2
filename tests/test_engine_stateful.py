"""Engine, SQLite store and replay against a pure model: random fires, refusals, stale seqs and repeated keys.

A Hypothesis ``RuleBasedStateMachine`` runs two engines on one SQLite
database file (a second process's view of the same instances) with a shared
ticking clock, over the bundled ``sme_approaching_hei`` and a small grant
protocol with a sign-off, mutually exclusive variants of a trigger and
invariants. The rules start instances (by roles that may or may not), fire
commands that are available or not, by roles that may or may not, with
valid or broken payloads: at the current seq, at a stale one, at the seq an
engine last read, with idempotency keys new and used, and while the other
engine fires between a fire's read and its write (so that the store's own
seq check is what stops it).

The model is the transitions-based reference of the differential test,
which writes the run-time semantics down independently of the engine's
compiled table; around it, the model keeps each instance's seq, its
snapshots and the events it expects, and the idempotency keys used. After
every fire the engine's answer is the model's: the snapshot, a refusal of
the same type, a :class:`~just_workflow.ConcurrencyConflict` naming the
expected and actual seq, or the first result of a used key; a fire that is
not accepted writes nothing. After every step, for every instance and both
engines: the stored snapshot and history are the model's, the seqs are
gapless, the hash chain links, ``state_at`` of the last seq is the
snapshot, and replay (with the expected head) and ``verify`` pass.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

import just_workflow as jw
import test_differential  # the reference semantics, shared with the differential test
from just_workflow import definition as d
from just_workflow.events import START, genesis_hash
from just_workflow.instance import Command
from just_workflow.testing import TickingClock, every_role_open, payloads

# Every role open: the model here is of states, guards and sign-offs; parties have tests of their own.
SME = every_role_open(
    jw.load_definition(Path(__file__).resolve().parent.parent / "definitions" / "sme_approaching_hei.yaml")
)


# A grant request: routed by its track to one of two reviews (variants of one trigger, told apart by a
# condition), approved by a two-party sign-off that a review comment resets; a fast review is for small
# amounts only and an approval needs notes (invariants the engine must enforce at run time).
GRANT = d.Definition(
    protocol="grant",
    version=1,
    title=d.Text("Grant request"),
    roles=(d.Role("applicant", open=True), d.Role("reviewer", open=True), d.Role("chair", open=True)),
    states=(
        d.State("draft"),
        d.State("submitted"),
        d.State("fast_review"),
        d.State("full_review"),
        d.State("approved", final=True),
        d.State("rejected", final=True),
    ),
    initial="draft",
    start_by=("applicant",),
    context=(
        d.Field("amount", d.FieldType.INT),
        d.Field("track", d.FieldType.STR, choices=("fast", "full")),
        d.Field("notes", d.FieldType.STR),
        d.Field("due", d.FieldType.DATE),
        d.Field("topics", d.FieldType.LIST_STR, choices=("science", "teaching", "outreach"), min_items=1),
    ),
    transitions=(
        d.Transition(
            "submit",
            ("draft",),
            ("applicant",),
            "submitted",
            inputs=(
                d.Input("track"),
                d.Input("amount"),
                d.Input("topics"),
                d.Input("due", False),
                d.Input("notes", False),
            ),
        ),
        d.Transition(
            "edit",
            ("submitted",),
            ("applicant",),
            inputs=(d.Input("amount", False), d.Input("due", False), d.Input("notes", False)),
        ),
        d.Transition(
            "route",
            ("submitted",),
            ("chair",),
            "fast_review",
            conditions=(d.Condition("track", d.Op.EQ, "fast"),),
        ),
        d.Transition(
            "route",
            ("submitted",),
            ("chair",),
            "full_review",
            conditions=(d.Condition("track", d.Op.EQ, "full"),),
        ),
        d.Transition(
            "comment", ("fast_review", "full_review"), ("reviewer", "chair"), inputs=(d.Input("notes"),)
        ),
        d.Transition("send_back", ("full_review",), ("chair",), "submitted"),
        d.Transition(
            "approve",
            ("fast_review", "full_review"),
            ("reviewer", "chair"),
            "approved",
            signoff=d.Signoff(("reviewer", "chair")),
        ),
        d.Transition(
            "reject",
            ("submitted", "fast_review", "full_review"),
            ("reviewer", "chair"),
            "rejected",
            inputs=(d.Input("notes"),),
        ),
    ),
    invariants=(
        d.Invariant(
            "fast_track_is_small", ("fast_review",), ("amount",), (d.Condition("amount", d.Op.LE, 1000),)
        ),
        d.Invariant("approval_has_notes", ("approved",), ("notes",)),
    ),
)

DEFINITIONS = {definition.protocol: definition for definition in (SME, GRANT)}
OUTSIDER = "auditor"  # a role no definition declares
KEYS = ("key-1", "key-2", "key-3")  # few, so that keys are used again
VIEWS = st.sampled_from((0, 1))  # which engine acts: the first, or the second process's
MAX_INSTANCES = 5

# What the model keeps per seq: the state, the context and the signatures after that event.
Snapshot = tuple[str, dict[str, Any], dict[str, tuple[str, ...]]]
# What the model expects of each stored event: kind, trigger, source, target, actor, payload.
Expectation = tuple[str, str | None, str | None, str, jw.Actor, dict[str, Any]]


@attrs.define
class Expected:
    """The model of one instance: the reference machine, a snapshot and an event per seq, the keys used."""

    definition: d.Definition
    reference: test_differential.Reference
    snapshots: list[Snapshot]
    events: list[Expectation]
    keys: dict[str, tuple[int, Command]] = attrs.field(factory=dict)  # a used key: its seq and request

    @classmethod
    def started(cls, definition: d.Definition, starter: jw.Actor) -> Expected:
        """A new instance in the initial state with an empty context, after its start event."""
        initial = definition.initial
        return cls(
            definition,
            test_differential.Reference(definition),
            [(initial, {}, {})],
            [(START, None, None, initial, starter, {})],
        )

    @property
    def seq(self) -> int:
        """The seq of the last event."""
        return len(self.events)

    @property
    def state(self) -> str:
        """The current state, as the reference machine holds it."""
        state: str = self.reference.model.state  # type: ignore[attr-defined]
        return state

    def trial(self, command: Command) -> tuple[Any, ...]:
        """The reference's verdict on ``command`` in the current snapshot, without taking it."""
        reference = test_differential.Reference(self.definition)
        state, reference.model.context, reference.model.signatures = self.snapshots[-1]
        reference.machine.set_state(state)
        return reference.fire(command)

    def outcome(self, command: Command, expected_seq: int | None, key: str | None) -> tuple[Any, ...]:
        """What a fire must do, in the order the semantics say: a used key, a stale seq, then the protocol."""
        if key is not None and key in self.keys:
            seq, first = self.keys[key]
            if (first.trigger, first.actor, dict(first.payload)) != (
                command.trigger,
                command.actor,
                dict(command.payload),
            ):
                return ("refused", jw.IdempotencyKeyReused)  # a key names one request
            return ("repeated", seq)
        if expected_seq is not None and expected_seq != self.seq:
            return ("conflict", expected_seq, self.seq)
        source = self.state
        verdict = self.reference.fire(command)
        if verdict[0] == "refused":
            return verdict
        _, target, context, signatures, kind, payload = verdict
        self.snapshots.append((target, dict(context), dict(signatures)))
        self.events.append((kind, command.trigger, source, target, command.actor, dict(payload)))
        if key is not None:
            self.keys[key] = (self.seq, command)
        return ("moved", self.seq)


class Interleaving:
    """A store that lets another writer in once, right after its next load: between a fire's read and its write.

    Everything else goes to the SQLite store it wraps.
    """

    def __init__(self, store: jw.SQLiteStore) -> None:
        self.store = store
        self.meanwhile: Callable[[], object] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def load(self, instance_id: str) -> jw.Instance:
        """The snapshot, then the other writer's turn, if one is waiting."""
        snapshot = self.store.load(instance_id)
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return snapshot


class EngineAgainstModel(RuleBasedStateMachine):
    """Two engines on one SQLite file driven at random: every answer and every stored history is the model's."""

    instances = Bundle("instances")
    used_keys = Bundle("used_keys")

    def __init__(self) -> None:
        super().__init__()
        self.directory = tempfile.mkdtemp(prefix="just-workflow-stateful-")
        path = Path(self.directory) / "workflow.db"
        clock = TickingClock()
        self.stores = [Interleaving(jw.SQLiteStore(path)), Interleaving(jw.SQLiteStore(path))]
        self.engines = [jw.Engine(DEFINITIONS, store=store, clock=clock) for store in self.stores]
        self.expected: dict[str, Expected] = {}
        self.seen: list[dict[str, int]] = [{}, {}]  # per engine: each instance's seq when it last read it
        self.start_attempts = 0

    def teardown(self) -> None:
        """Close both stores and remove the database."""
        for interleaving in self.stores:
            interleaving.store.close()
        shutil.rmtree(self.directory)

    # -- rules -----------------------------------------------------------------------------------

    @rule(target=instances, protocol=st.sampled_from(sorted(DEFINITIONS)), view=VIEWS, data=st.data())
    def start(self, protocol: str, view: int, data: st.DataObject) -> Any:
        """Start an instance as a role that may or may not start it; a refused start creates nothing."""
        definition = DEFINITIONS[protocol]
        role = data.draw(st.sampled_from([*(r.name for r in definition.roles), OUTSIDER]), label="role")
        allowed = role in (definition.start_by or [r.name for r in definition.roles])
        if allowed and len(self.expected) >= MAX_INSTANCES:
            return multiple()
        self.start_attempts += 1
        instance_id, starter = f"{protocol}-{self.start_attempts}", jw.Actor(f"{role}-1", role)
        engine = self.engines[view]
        try:
            snapshot = engine.start(protocol, starter, instance_id=instance_id)
        except jw.WorkflowError as refusal:
            assert type(refusal) is jw.NotAuthorized and not allowed, refusal
            assert instance_id not in set(engine.store.instance_ids())
            return multiple()
        assert allowed, f"role {role!r} started {protocol!r}"
        expected = self.expected[instance_id] = Expected.started(definition, starter)
        self._check_snapshot(snapshot, instance_id, expected.seq)
        self.seen[view][instance_id] = snapshot.seq
        return instance_id

    @rule(
        target=used_keys,
        instance_id=instances,
        view=VIEWS,
        fires=st.integers(1, 4),
        at_seq=st.booleans(),
        data=st.data(),
    )
    def fire(self, instance_id: str, view: int, fires: int, at_seq: bool, data: st.DataObject) -> Any:
        """Fire a few commands, each at the current seq (or without one), maybe with an idempotency key."""
        expected = self.expected[instance_id]
        keys: list[str | None] = []
        for _ in range(fires):
            key = data.draw(st.none() | st.sampled_from(KEYS), label="key")
            self._fire(
                view, instance_id, self._command(instance_id, data), expected.seq if at_seq else None, key
            )
            keys.append(key)
        return multiple(*((instance_id, key) for key in keys if key in expected.keys))

    @rule(instance_id=instances, view=VIEWS, data=st.data())
    def fire_at_a_stale_seq(self, instance_id: str, view: int, data: st.DataObject) -> None:
        """A fire decided on another seq raises ConcurrencyConflict and writes nothing; decided again, it goes."""
        seq = self.expected[instance_id].seq
        stale = data.draw(st.integers(0, seq + 2).filter(lambda n: n != seq), label="expected_seq")
        command = self._command(instance_id, data)
        assert self._fire(view, instance_id, command, stale, None)[0] == "conflict"
        self._fire(view, instance_id, command, self.seen[view][instance_id], None)

    @rule(instance_id=instances, view=VIEWS, data=st.data())
    def fire_as_last_read(self, instance_id: str, view: int, data: st.DataObject) -> None:
        """Fire at the seq this engine last read: stale when the other engine has fired since."""
        if instance_id not in self.seen[view]:
            self.seen[view][instance_id] = self.engines[view].get(instance_id).seq
        command = self._command(instance_id, data)
        self._fire(view, instance_id, command, self.seen[view][instance_id], None)

    @rule(used=used_keys, view=VIEWS, data=st.data())
    def fire_again_with_a_used_key(self, used: tuple[str, str], view: int, data: st.DataObject) -> None:
        """A used key returns the first fire's snapshot for the same request, whatever the seq; another is refused."""
        instance_id, key = used
        seq = self.expected[instance_id].seq
        expected_seq = data.draw(st.none() | st.integers(0, seq + 1), label="expected_seq")
        first = self.expected[instance_id].keys[key][1]
        command = (
            first if data.draw(st.booleans(), label="same request") else self._command(instance_id, data)
        )
        outcome = self._fire(view, instance_id, command, expected_seq, key)
        assert outcome[0] == "repeated" or outcome == ("refused", jw.IdempotencyKeyReused)

    @rule(instance_id=instances, view=VIEWS, at_seq=st.booleans(), data=st.data())
    def fire_while_the_other_engine_fires(
        self, instance_id: str, view: int, at_seq: bool, data: st.DataObject
    ) -> None:
        """The other engine fires between this fire's read and its write: the store's seq check must see it."""
        expected = self.expected[instance_id]
        mine, theirs = self._command(instance_id, data), self._command(instance_id, data)
        seq, expected_seq = expected.seq, expected.seq if at_seq else None
        on_the_snapshot_read = expected.trial(mine)
        self.stores[view].meanwhile = lambda: self._fire(1 - view, instance_id, theirs, seq, None)
        result = self._attempt(view, instance_id, mine, expected_seq, None)
        assert self.stores[view].meanwhile is None, "the fire did not read the instance"
        if on_the_snapshot_read[0] == "refused":  # refused before it would write: the other fire is not seen
            outcome = on_the_snapshot_read
        elif expected.seq != seq and expected_seq is not None:
            outcome = ("conflict", expected_seq, expected.seq)
        else:  # the other fire was refused, or this one reloads and goes on from there
            outcome = expected.outcome(mine, None, None)
        self._compare(view, instance_id, mine, outcome, result)

    @rule(instance_id=instances, view=VIEWS, data=st.data())
    def look_back(self, instance_id: str, view: int, data: st.DataObject) -> None:
        """state_at an earlier seq rebuilds the snapshot the model had then."""
        seq = data.draw(st.integers(1, self.expected[instance_id].seq), label="seq")
        self._check_snapshot(self.engines[view].state_at(instance_id, seq), instance_id, seq)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def the_store_holds_what_the_model_says(self) -> None:
        """Both engines see the model's snapshot and events, a linked chain, and a history that replays."""
        for instance_id, expected in self.expected.items():
            engine, other = self.engines
            snapshot = engine.get(instance_id)
            assert other.get(instance_id) == snapshot
            self._check_snapshot(snapshot, instance_id, expected.seq)
            history = engine.history(instance_id)
            assert other.history(instance_id) == history
            assert [event.seq for event in history] == list(range(1, expected.seq + 1))
            recorded = [(e.kind, e.trigger, e.source, e.target, e.actor, e.payload) for e in history]
            assert recorded == expected.events
            links = [genesis_hash(instance_id, snapshot.protocol, snapshot.version)]
            assert [event.prev_hash for event in history] == links + [event.hash for event in history[:-1]]
            assert snapshot.head == history[-1].hash
            assert all(a.at < b.at for a, b in itertools.pairwise(history)), "the clock ticks"
            assert engine.state_at(instance_id, expected.seq) == snapshot
            report = jw.replay(history, DEFINITIONS, expected_heads={instance_id: jw.Head.of(snapshot)})
            assert report.ok, report.format()
            assert report.instances[instance_id] == snapshot
            verified = other.verify(instance_id)
            assert verified.ok, verified.format()

    # -- helpers ---------------------------------------------------------------------------------

    def _command(self, instance_id: str, data: st.DataObject) -> Command:
        """Mostly a command the state declares, by a role that may fire it, with a valid payload; else any.

        Random commands alone seldom get an instance past its first states,
        and one that ends it (withdraw, reject) is drawn less often, so that
        instances live on to their sign-offs. The rest are an unknown
        trigger or any of the definition's commands. The clock's commands
        are left out: only ``Engine.tick`` fires as ``system`` (tests/test_deadlines.py).
        """
        expected = self.expected[instance_id]
        definition, state = expected.definition, expected.state
        declared = [
            t for t in definition.transitions if state in t.sources and d.SYSTEM_ROLE not in t.firing_roles
        ]
        if not declared or data.draw(st.integers(0, 3), label="any command") == 0:
            command = test_differential.next_command(data, definition, state)
            assume(command.actor.role != d.SYSTEM_ROLE)
            return command
        finals = definition.final_states()
        lasting = [t for t in declared if t.signoff or t.target not in finals]
        if lasting and data.draw(st.integers(0, 2), label="may end") > 0:
            declared = lasting
        transition = data.draw(st.sampled_from(declared), label="transition")
        role = data.draw(st.sampled_from(transition.firing_roles), label="role")
        payload = data.draw(payloads(definition, transition), label="payload")
        return Command(transition.trigger, jw.Actor(f"{role}-1", role), payload)

    def _fire(
        self, view: int, instance_id: str, command: Command, expected_seq: int | None, key: str | None
    ) -> tuple[Any, ...]:
        """Fire on engine ``view`` and compare what happens with the model's outcome, which it returns."""
        engine = self.engines[view]
        history, before = engine.history(instance_id), engine.get(instance_id)
        outcome = self.expected[instance_id].outcome(command, expected_seq, key)
        self._compare(
            view, instance_id, command, outcome, self._attempt(view, instance_id, command, expected_seq, key)
        )
        if outcome[0] != "moved":
            assert engine.history(instance_id) == history, f"{outcome[0]}, yet an event was written"
            assert engine.get(instance_id) == before, f"{outcome[0]}, yet the snapshot changed"
        return outcome

    def _attempt(
        self, view: int, instance_id: str, command: Command, expected_seq: int | None, key: str | None
    ) -> jw.Instance | jw.WorkflowError:
        """What engine ``view`` makes of the fire: the snapshot it returns, or the error it raises."""
        try:
            return self.engines[view].fire(
                instance_id,
                command.trigger,
                command.actor,
                command.payload,
                expected_seq=expected_seq,
                idempotency_key=key,
            )
        except jw.WorkflowError as refusal:
            return refusal

    def _compare(
        self,
        view: int,
        instance_id: str,
        command: Command,
        outcome: tuple[Any, ...],
        result: jw.Instance | jw.WorkflowError,
    ) -> None:
        """The engine's ``result`` is the model's ``outcome``; an accepted fire's snapshot is the stored one."""
        if isinstance(result, jw.WorkflowError):
            if outcome[0] == "conflict":
                assert type(result) is jw.ConcurrencyConflict, result
                assert (result.expected, result.actual) == outcome[1:]
                self.seen[view][instance_id] = result.actual  # the caller reloads and decides again
            else:
                assert outcome == ("refused", type(result)), f"{command}: model {outcome}, engine {result!r}"
            return
        assert outcome[0] in ("moved", "repeated"), f"{command}: model {outcome}, engine accepted it"
        self._check_snapshot(result, instance_id, outcome[1])
        if outcome[0] == "moved":
            assert self.engines[view].get(instance_id) == result
            self.seen[view][instance_id] = result.seq

    def _check_snapshot(self, snapshot: jw.Instance, instance_id: str, seq: int) -> None:
        """``snapshot`` is the model's snapshot of ``instance_id`` after event ``seq``."""
        expected = self.expected[instance_id]
        definition = expected.definition
        state, context, signatures = expected.snapshots[seq - 1]
        found = (
            snapshot.id,
            snapshot.protocol,
            snapshot.version,
            snapshot.digest,
            snapshot.seq,
            snapshot.state,
        )
        assert found == (instance_id, definition.protocol, definition.version, definition.digest, seq, state)
        found_values = (dict(snapshot.context), {t: tuple(roles) for t, roles in snapshot.signatures.items()})
        assert found_values == (context, signatures), (
            f"{instance_id} after event {seq}: model {context}, {signatures}"
        )


TestEngineAgainstModel = EngineAgainstModel.TestCase
# Hypothesis's settings for state machines on the current profile, with short runs.
TestEngineAgainstModel.settings = settings(TestEngineAgainstModel.settings, stateful_step_count=30)
TestEngineAgainstModel.__doc__ = (
    "Engine, store and replay agree with the model under random fires and conflicts."
)
