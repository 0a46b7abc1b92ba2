"""Work lists on the command line: ``list`` (``engine.find``) and ``inbox`` (``engine.inbox``), a page at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from just_workflow.cli.common import db_option, definitions_option, json_option, open_engine
from just_workflow.cli.failures import ReportingCommand
from just_workflow.cli.instances import instance_json
from just_workflow.events import Actor

if TYPE_CHECKING:
    from just_workflow.instance import Instance
    from just_workflow.queries import Page

limit_option = click.option(
    "--limit", type=int, default=50, show_default=True, help="Instances per page (1 to 1000)."
)
after_option = click.option(
    "--after", metavar="CURSOR", help="Continue after this cursor (the `next` a page printed)."
)


def _print_page(page: Page[Instance], as_json: bool) -> None:
    """A page: one line per instance and the cursor of the next page; or ``{"items": [...], "next": ...}``."""
    if as_json:
        body = {"items": [instance_json(instance) for instance in page.items], "next": page.next}
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for instance in page.items:
        parties = "; ".join(f"{role}: {', '.join(ids)}" for role, ids in instance.parties.items())
        click.echo(
            f"{instance.id}  {instance.protocol} v{instance.version}  {instance.state}  seq {instance.seq}"
            f"  {parties}"
        )
    if not page.items:
        click.echo("No instances.")
    if page.next is not None:
        click.echo(f"next: {page.next}")


@click.command("list", cls=ReportingCommand)
@click.option("--protocol", help="Only instances of this protocol (every version).")
@click.option("--state", help="Only instances in this state.")
@click.option("--party", metavar="ACTOR", help="Only instances this actor id is a party to (any role).")
@click.option(
    "--active/--all",
    "active",
    default=None,
    help="Only instances not in a final state (default: all).",
)
@click.option(
    "--updated-after",
    metavar="TIME",
    help="Only instances changed after this ISO 8601 time (with its offset).",
)
@click.option("--newest-first", is_flag=True, help="The newest instances first (default: the oldest).")
@limit_option
@after_option
@db_option(must_exist=True)
@definitions_option
@json_option
def list_command(
    protocol: str | None,
    state: str | None,
    party: str | None,
    active: bool | None,
    updated_after: str | None,
    newest_first: bool,
    limit: int,
    after: str | None,
    db: str,
    definitions_folder: Path | None,
    as_json: bool,
) -> None:
    """List a page of instances that fit every filter given, in the order they were started.

    Prints `next: CURSOR` when there are more: pass it as --after for the
    next page. Exit 0 on success, 1 on a bad filter or cursor, 2 on usage
    errors.
    """
    with open_engine(db, definitions_folder) as engine:
        page = engine.find(
            protocol=protocol,
            state=state,
            party=party,
            active=True if active else None,
            updated_after=updated_after,
            limit=limit,
            after=after,
            newest_first=newest_first,
        )
    _print_page(page, as_json)


@click.command("inbox", cls=ReportingCommand)
@click.argument("actor_id", metavar="ACTOR")
@click.option("--role", required=True, help="The role the actor acts in (e.g. sme).")
@limit_option
@after_option
@db_option(must_exist=True)
@definitions_option
@json_option
def inbox_command(
    actor_id: str,
    role: str,
    limit: int,
    after: str | None,
    db: str,
    definitions_folder: Path | None,
    as_json: bool,
) -> None:
    """List a page of the instances where ACTOR, in a role, may fire something now, newest first.

    Prints `next: CURSOR` when there are more: pass it as --after. Exit 0 on
    success, 1 on a bad cursor, 2 on usage errors.
    """
    with open_engine(db, definitions_folder) as engine:
        page = engine.inbox(Actor(actor_id, role), limit=limit, after=after)
    _print_page(page, as_json)
