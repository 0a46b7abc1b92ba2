"""Commands on instances: ``start``, ``fire``, ``options``, ``history``, ``tick``, and the ``demo``."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from just_workflow.cli.common import (
    actor_options,
    db_option,
    definitions_folder_or_default,
    definitions_option,
    json_option,
    lang_option,
    open_engine,
)
from just_workflow.cli.failures import ReportingCommand
from just_workflow.definition import SYSTEM_ROLE
from just_workflow.events import Actor

if TYPE_CHECKING:
    from just_workflow.engine import Engine
    from just_workflow.instance import Instance


def instance_json(instance: Instance) -> dict[str, Any]:
    return {
        "id": instance.id,
        "protocol": instance.protocol,
        "version": instance.version,
        "state": instance.state,
        "context": {k: list(v) if isinstance(v, tuple) else v for k, v in instance.context.items()},
        "signatures": {
            k: {role: list(ids) for role, ids in v.items()} for k, v in instance.signatures.items()
        },
        "parties": {role: list(ids) for role, ids in instance.parties.items()},
        "seq": instance.seq,
        "head": instance.head,
    }


def _print_instance(engine: Engine, instance: Instance, as_json: bool, lang: str = "en") -> None:
    due = engine.deadline(instance.id)
    if as_json:
        shown = instance_json(instance)
        if due is not None:
            shown["deadline"] = {"trigger": due.trigger, "due_at": due.due_at.isoformat()}
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    state = engine.definition(instance.protocol, instance.version).state_map[instance.state]
    title = state.title.get(lang) if state.title else instance.state
    click.echo(f"instance {instance.id}  {instance.protocol} v{instance.version}")
    click.echo(f"state    {instance.state} ({title})  seq {instance.seq}  head {instance.head[:16]}…")
    for name, value in instance.context.items():
        click.echo(f"  {name} = {list(value) if isinstance(value, tuple) else value!r}")
    for role, ids in instance.parties.items():
        click.echo(f"  party {role}: {', '.join(ids)}")
    for trigger, signed in instance.signatures.items():
        signers = ", ".join(f"{', '.join(ids)} ({role})" for role, ids in signed.items())
        click.echo(f"  {trigger}: signed by {signers}")
    if due is not None:
        click.echo(f"  deadline: {due.trigger} due {due.due_at.isoformat()}")


def _payload(payload_json: str | None, settings: tuple[str, ...]) -> dict[str, Any]:
    """The payload from ``--payload JSON`` and ``--set key=value`` (values read as JSON when they parse)."""
    payload: dict[str, Any] = {}
    if payload_json is not None:
        try:
            payload = json.loads(payload_json)
        except json.JSONDecodeError as error:
            raise click.BadParameter(f"not JSON: {error}", param_hint="--payload") from None
        except ValueError:  # json parses an integer with int(), which refuses too many digits
            raise click.BadParameter(_TOO_MANY_DIGITS, param_hint="--payload") from None
        if not isinstance(payload, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--payload")
    for setting in settings:
        key, sep, text = setting.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{setting!r} is not key=value", param_hint="--set")
        try:
            payload[key] = json.loads(text)
        except json.JSONDecodeError:
            payload[key] = text
        except ValueError:
            raise click.BadParameter(f"{key}: {_TOO_MANY_DIGITS}", param_hint="--set") from None
    return payload


#: Why an integer cannot be read: Python's limit on the digits of an integer read from text.
_TOO_MANY_DIGITS = f"an integer has more than {sys.get_int_max_str_digits()} digits; to give it as text, quote it as a JSON string"


@click.command("start", cls=ReportingCommand)
@click.argument("protocol")
@actor_options
@click.option("--id", "instance_id", help="The new instance's id (default: a random one).")
@click.option("--version", "version", type=int, help="The protocol version (default: the newest).")
@db_option(must_exist=False)
@definitions_option
@json_option
def start_command(
    protocol: str,
    actor_id: str,
    role: str,
    instance_id: str | None,
    version: int | None,
    db: str,
    definitions_folder: Path | None,
    as_json: bool,
) -> None:
    """Start an instance of PROTOCOL as an actor in a role; print it.

    The database is created when missing. Exit 0 when started, 1 when
    refused (unknown protocol, a role that may not start it), 2 on usage
    errors.
    """
    with open_engine(db, definitions_folder) as engine:
        instance = engine.start(protocol, Actor(actor_id, role), version=version, instance_id=instance_id)
        _print_instance(engine, instance, as_json)


@click.command("fire", cls=ReportingCommand)
@click.argument("instance_id", metavar="ID")
@click.argument("trigger")
@actor_options
@click.option("--payload", "payload_json", metavar="JSON", help="The payload as a JSON object.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="One payload field (repeatable).")
@click.option("--expected-seq", type=int, help="Refuse if the instance is no longer at this seq.")
@click.option("--key", "idempotency_key", help="An idempotency key: the same key again writes nothing.")
@db_option(must_exist=True)
@definitions_option
@json_option
def fire_command(
    instance_id: str,
    trigger: str,
    actor_id: str,
    role: str,
    payload_json: str | None,
    settings: tuple[str, ...],
    expected_seq: int | None,
    idempotency_key: str | None,
    db: str,
    definitions_folder: Path | None,
    as_json: bool,
) -> None:
    """Fire TRIGGER on instance ID as an actor in a role; print the new snapshot.

    A refusal prints the engine's reason (which trigger, role, field or
    guard) and writes nothing. Exit 0 when fired, 1 when refused, 2 on usage
    errors.
    """
    payload = _payload(payload_json, settings)
    with open_engine(db, definitions_folder) as engine:
        instance = engine.fire(
            instance_id,
            trigger,
            Actor(actor_id, role),
            payload,
            expected_seq=expected_seq,
            idempotency_key=idempotency_key,
        )
        _print_instance(engine, instance, as_json)


@click.command("invite", cls=ReportingCommand)
@click.argument("instance_id", metavar="ID")
@click.argument("party_role", metavar="ROLE")
@click.argument("party_id", metavar="PARTY")
@actor_options
@click.option("--expected-seq", type=int, help="Refuse if the instance is no longer at this seq.")
@click.option("--key", "idempotency_key", help="An idempotency key: the same key again writes nothing.")
@db_option(must_exist=True)
@definitions_option
@json_option
def invite_command(
    instance_id: str,
    party_role: str,
    party_id: str,
    actor_id: str,
    role: str,
    expected_seq: int | None,
    idempotency_key: str | None,
    db: str,
    definitions_folder: Path | None,
    as_json: bool,
) -> None:
    """Bind PARTY to instance ID as a party of ROLE, invited by an actor; print the new snapshot.

    The inviting actor must be a party of a role that ROLE is invited by
    (any actor of it, when that role is open). Exit 0 when bound, 1 when
    refused, 2 on usage errors.
    """
    with open_engine(db, definitions_folder) as engine:
        instance = engine.invite(
            instance_id,
            role=party_role,
            actor_id=party_id,
            by=Actor(actor_id, role),
            expected_seq=expected_seq,
            idempotency_key=idempotency_key,
        )
        _print_instance(engine, instance, as_json)


@click.command("options", cls=ReportingCommand)
@click.argument("instance_id", metavar="ID")
@actor_options
@db_option(must_exist=True)
@definitions_option
@lang_option
@json_option
def options_command(
    instance_id: str,
    actor_id: str,
    role: str,
    db: str,
    definitions_folder: Path | None,
    lang: str,
    as_json: bool,
) -> None:
    """List what an actor may fire on instance ID now, and why not.

    Exit 0 on success, 1 when the instance is unknown, 2 on usage errors.
    """
    with open_engine(db, definitions_folder) as engine:
        instance = engine.get(instance_id)
        definition = engine.definition(instance.protocol, instance.version)
        options = engine.options(instance_id, Actor(actor_id, role))
    titles = {t.trigger: t.title.get(lang) for t in definition.transitions if t.title}
    if as_json:
        rows = [
            {
                "trigger": o.trigger,
                "title": titles.get(o.trigger, o.trigger),
                "allowed": o.allowed,
                "reasons": list(o.reasons),
                "inputs": list(o.inputs),
                "pending": list(o.pending),
                "due": o.due,
            }
            for o in options
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not options:
        click.echo(f"Instance {instance_id} is in the final state '{instance.state}': nothing can be fired.")
    for o in options:
        mark = "yes" if o.allowed else "no "
        line = f"{mark}  {o.trigger:<26} {titles.get(o.trigger, '')}"
        if o.inputs:
            line += f"  inputs: {', '.join(o.inputs)}"
        if o.pending:
            line += f"  waiting for: {', '.join(o.pending)}"
        if o.due is not None:
            line += f"  due {o.due} (the clock fires it)"
        click.echo(line)
        for reason in o.reasons:
            click.echo(f"       - {reason}")


@click.command("history", cls=ReportingCommand)
@click.argument("instance_id", metavar="ID")
@db_option(must_exist=True)
@json_option
def history_command(instance_id: str, db: str, as_json: bool) -> None:
    """Print the history of instance ID, oldest event first.

    Exit 0 on success, 1 when the instance is unknown, 2 on usage errors.
    """
    with open_engine(db, None) as engine:
        events = engine.history(instance_id)
    if as_json:
        click.echo(json.dumps([e.to_json() for e in events], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'seq':>4}  {'at':<25}  {'actor':<20}  {'trigger':<24}  {'source -> target':<40}  hash")
    for e in events:
        moved = f"{e.source or '-'} -> {e.target}"
        who = "deadline (clock)" if e.actor.role == SYSTEM_ROLE else f"{e.actor.id} ({e.actor.role})"
        click.echo(
            f"{e.seq:>4}  {e.at:<25}  {who:<20}  {e.trigger or '(start)':<24}  {moved:<40}  {e.hash[:12]}"
        )


@click.command("tick", cls=ReportingCommand)
@click.option(
    "--now",
    "now_text",
    metavar="ISO",
    help="The time to fire at, ISO 8601 (default: now; without an offset, UTC).",
)
@db_option(must_exist=True)
@definitions_option
@json_option
def tick_command(now_text: str | None, db: str, definitions_folder: Path | None, as_json: bool) -> None:
    """Fire every deadline that has passed, as the engine's clock; print what fired.

    Each event is stamped with the time given (default: now); a deadline
    already fired is never fired again. A deadline the protocol refuses (a
    guard) is skipped, stays due and is listed. Exit 0 when every passed
    deadline fired, 1 when one was skipped, 2 on usage errors.
    """
    now = _moment(now_text)
    with open_engine(db, definitions_folder) as engine:
        passed = {due.instance_id: due for due in engine.due(now)}
        ticked = engine.tick(now)
    fired = [(passed[instance.id], instance) for instance in ticked]
    if as_json:
        rows = {
            "fired": [
                {
                    "instance": instance.id,
                    "trigger": due.trigger,
                    "due_at": due.due_at.isoformat(),
                    "state": instance.state,
                    "seq": instance.seq,
                }
                for due, instance in fired
            ],
            "skipped": [
                {
                    "instance": skipped.instance_id,
                    "trigger": skipped.trigger,
                    "due_at": skipped.due_at.isoformat(),
                    "reason": str(skipped.refusal),
                }
                for skipped in ticked.skipped
            ],
        }
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        for due, instance in fired:
            click.echo(
                f"fired    {instance.id}  {due.trigger} (due {due.due_at.isoformat()})  -> {instance.state}"
            )
        for skipped in ticked.skipped:
            click.echo(
                f"skipped  {skipped.instance_id}  {skipped.trigger} (due {skipped.due_at.isoformat()}): "
                f"{skipped.refusal}"
            )
        if not fired and not ticked.skipped:
            click.echo("No deadline has passed.")
    if ticked.skipped:
        raise SystemExit(1)


def _moment(text: str | None) -> datetime.datetime | None:
    """``--now`` as an aware time (UTC when it has no offset), or None."""
    if text is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time (2026-03-16T09:00:00+00:00)", param_hint="--now"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


@click.command("demo", cls=ReportingCommand)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("just-workflow-demo.db"),
    show_default=True,
    help="The SQLite file the demo runs on (reused when it exists: a new instance is added).",
)
@definitions_option
def demo_command(db: Path, definitions_folder: Path | None) -> None:
    """Run the SME-approaching-HEI protocol with three people, then audit it.

    Shows each step, the Memorandum refused before the fields of
    collaboration are defined (with the engine's reason), both signatures,
    the history, the verified hash chain, the exported log replayed as an
    auditor would, and the diagram of the path taken. Exit 0 when the audit
    passes, 1 otherwise.
    """
    from just_workflow.cli.demo import run_demo
    from just_workflow.formats.loading import load_definitions

    folder = definitions_folder_or_default(definitions_folder)
    if folder is None:
        raise click.UsageError("No ./definitions folder here: pass --definitions DIR.")
    ok = run_demo(load_definitions(folder), db, click.echo)
    if not ok:
        raise SystemExit(1)
