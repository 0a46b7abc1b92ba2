"""The demo: three people run the SME-approaching-HEI protocol on a SQLite file, then an auditor checks it.

``run_demo`` is what ``just-workflow demo`` prints: each step with the state,
who acted and what they gave; career services inviting the department; another SME
refused on this request; the Memorandum refused before the fields of
collaboration are defined, with the engine's reason; both signatures; the
history; the hash chain verified; the log exported and replayed; the diagram
of the path taken.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from just_workflow.audit.logfile import export_log, read_log
from just_workflow.audit.replay import replay
from just_workflow.definition import Definition
from just_workflow.diagrams import diagram
from just_workflow.engine import Engine
from just_workflow.errors import WorkflowError
from just_workflow.events import Actor
from just_workflow.instance import Instance
from just_workflow.store.sqlite import SQLiteStore

PROTOCOL = "sme_approaching_hei"

ANNA = Actor("anna.novak", role="sme")
CARLA = Actor("carla.rossi", role="career_services")
DARIO = Actor("dario.horvat", role="department")
BRUNO = Actor("bruno.kovac", role="sme")  # another SME's representative: not a party to Anna's request

#: The steps of the demo, in order: who fires what, with which payload.
SCRIPT: tuple[tuple[Actor, str, Mapping[str, Any]], ...] = (
    (ANNA, "contact_career_services", {"purpose": "Joint teaching and research in data analytics"}),
    (CARLA, "route_request", {"departments": ["informatics", "economics"]}),
    (CARLA, "invite", {"role": "department", "party": DARIO.id}),
    (
        ANNA,
        "define_interest",
        {
            "short_term_ambitions": "Two trainees and a guest lecture from next semester",
            "medium_term_ambitions": "A joint research project on demand forecasting",
            "forms": "Traineeships, co-taught lectures, a shared lab project",
        },
    ),
    (
        ANNA,
        "define_offer",
        {
            "offer": ["internship_programmes", "laboratories_access"],
            "offer_explanation": "Paid traineeships on real retail data; our analytics lab two days a week",
        },
    ),
    (
        ANNA,
        "define_fit",
        {
            "fit": ["reputation", "commitment_to_cause"],
            "fit_explanation": "A regional analytics leader committed to hiring local graduates",
        },
    ),
    (
        ANNA,
        "define_ways",
        {
            "ways_of_collaboration": ["traineeship", "joint_research_projects"],
            "ways_explanation": "Six-month traineeships; a joint project proposal in the autumn",
        },
    ),
)
#: What the department writes into the Memorandum when drafting it.
MEMORANDUM: Mapping[str, Any] = {
    "moa_reference": "MoA-2026-014",
    "sme_signatory": "Anna Novak, managing director",
    "hei_signatory": "Prof. Ivan Kral, dean",
    "valid_until": "2029-03-31",
}
FINISH: tuple[tuple[Actor, str, Mapping[str, Any]], ...] = (
    (DARIO, "define_fields", {"fields_of_collaboration": ["data analytics", "supply-chain optimisation"]}),
    (DARIO, "draft_agreement", MEMORANDUM),
    (ANNA, "sign_moa", {}),
    (DARIO, "sign_moa", {}),
)


def _payload_text(payload: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in payload.items()) or "-"


def run_demo(definitions: Mapping[str, Definition], db_path: Path, say: Callable[[str], None]) -> bool:
    """Run the demo on ``db_path`` (created or reused), printing with ``say``; True when the audit passes."""
    existed = db_path.exists()
    store = SQLiteStore(db_path)
    ticks = iter(range(10_000))
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    engine = Engine(
        definitions, store=store, clock=lambda: start + datetime.timedelta(minutes=7 * next(ticks))
    )
    definition = engine.definition(PROTOCOL)
    say(f"Database: {db_path} ({'reused: a new instance is added' if existed else 'new file'})")
    say(f"Protocol: {definition.title.get()} ({PROTOCOL} v{definition.version})")
    say(f"People:   {ANNA.id} ({ANNA.role}), {CARLA.id} ({CARLA.role}), {DARIO.id} ({DARIO.role}),")
    say(f"          {BRUNO.id} ({BRUNO.role}, another SME)")
    say("")
    inst = engine.start(PROTOCOL, actor=ANNA)
    say(f"Started instance {inst.id} in state '{inst.state}'.")
    say("")
    for actor, trigger, payload in SCRIPT:
        inst = _fire(engine, inst, actor, trigger, payload, say)

    say("")
    say("Another SME cannot act on Anna's request; before the fields of collaboration are defined,")
    say("the Memorandum cannot be drafted or signed:")
    refusals: tuple[tuple[Actor, str, Mapping[str, Any]], ...] = (
        (BRUNO, "define_interest", {}),
        (DARIO, "draft_agreement", MEMORANDUM),
        (ANNA, "sign_moa", {}),
    )
    for actor, trigger, payload in refusals:
        try:
            engine.fire(inst.id, trigger, actor=actor, payload=payload, expected_seq=inst.seq)
        except WorkflowError as refused:
            say(f"  refused  {actor.id} ({actor.role}) {trigger}: {type(refused).__name__}: {refused}")
    blocked = {o.trigger: o for o in engine.options(inst.id, DARIO)}["draft_agreement"]
    say(f"  options() tells {DARIO.id} why not: {'; '.join(blocked.reasons)}")
    say("")
    for actor, trigger, payload in FINISH:
        inst = _fire(engine, inst, actor, trigger, payload, say)
        if inst.signatures:
            waiting = {o.trigger: o for o in engine.options(inst.id, DARIO)}[trigger].pending
            say(
                f"           signed by {', '.join(inst.signatures[trigger])}; waiting for: {', '.join(waiting)}"
            )

    say("")
    say("History:")
    say(f"  {'seq':>3}  {'at':<16}  {'actor':<13}  {'trigger':<24}  {'source -> target':<37}  hash")
    for event in engine.history(inst.id):
        moved = f"{event.source or '-'} -> {event.target}"
        at = event.at[:16].replace("T", " ")
        trigger = event.trigger or "(start)"
        say(
            f"  {event.seq:>3}  {at:<16}  {event.actor.id:<13}  {trigger:<24}  {moved:<37}  {event.hash[:12]}"
        )

    say("")
    verified = engine.verify(inst.id)
    say(
        f"Hash chain of the stored history: {'verified' if verified.ok else 'BROKEN'} ({inst.seq} events, head {inst.head[:16]}…)"
    )
    log_path = db_path.with_suffix(".log.jsonl")
    export_log(store, log_path, instance_ids=[inst.id])
    log = read_log(log_path)
    report = replay(log, list(definitions.values()), expected_heads=log.heads)
    say(f"Exported the log to {log_path}; an auditor replays it against the protocol definitions:")
    for line in report.format().splitlines():
        say(f"  {line}")
    say("")
    say("Diagram (Mermaid) with the path taken:")
    say(diagram(definition, instance=inst, history=engine.history(inst.id), format="mermaid"))
    return bool(verified.ok and report.ok)


def _fire(
    engine: Engine,
    inst: Instance,
    actor: Actor,
    trigger: str,
    payload: Mapping[str, Any],
    say: Callable[[str], None],
) -> Instance:
    before = inst.state
    inst = engine.fire(inst.id, trigger, actor=actor, payload=payload, expected_seq=inst.seq)
    moved = f"{before} -> {inst.state}" if before != inst.state else f"stays in {inst.state}"
    say(f"  {inst.seq:>2}. {actor.id} ({actor.role}) {trigger}  [{moved}]  gave: {_payload_text(payload)}")
    return inst
