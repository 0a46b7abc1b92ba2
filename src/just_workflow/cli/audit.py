"""Audit commands: ``export`` a history as a log, ``replay`` a log, ``verify`` a database."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from just_workflow.cli.common import (
    count,
    db_option,
    definitions_option,
    json_option,
    opened_store,
    progress_bar,
    trusted_definitions,
)
from just_workflow.cli.failures import ReportingCommand
from just_workflow.cli.files import written_whole
from just_workflow.errors import WorkflowError

if TYPE_CHECKING:
    from just_workflow.audit.report import ReplayReport


def _print_report(report: ReplayReport, as_json: bool) -> None:
    """Print an audit report, readable or as JSON; exit 1 when it found a problem."""
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.format())
    if not report.ok:
        raise SystemExit(1)


@click.command("export", cls=ReportingCommand)
@db_option(must_exist=True)
@click.option(
    "--instance",
    "instance_ids",
    multiple=True,
    metavar="ID",
    help="Export this instance (repeatable; default: every instance).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the log to this file (default: standard output).",
)
@click.option(
    "--heads",
    "heads_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the instances' heads to this file, to keep apart from the log.",
)
@click.option("--with-definitions", is_flag=True, help="Embed the definitions the instances run under.")
def export_command(
    db: str,
    instance_ids: tuple[str, ...],
    output: Path | None,
    heads_file: Path | None,
    with_definitions: bool,
) -> None:
    """Export instances' histories from a database as a JSON Lines audit log.

    The log holds a header, the events of each instance in seq order and each
    instance's head (docs/audit.md gives the exact format). Keep the heads
    (--heads) where the log's holder cannot change them: with them,
    `replay --expect-heads` detects events cut off at the end. Exit 0 on
    success, 1 when an instance is not found, 2 on usage errors.
    """
    from just_workflow.audit.logfile import export_heads, export_log

    # Both files are renamed into place only once both are written: no log without its heads file.
    with opened_store(db) as store, contextlib.ExitStack() as files:
        destination = sys.stdout.buffer if output is None else files.enter_context(written_whole(output))
        heads_destination = None if heads_file is None else files.enter_context(written_whole(heads_file))
        heads = export_log(store, destination, instance_ids or None, include_definitions=with_definitions)
        if heads_destination is not None:
            export_heads(heads.values(), heads_destination)
    if output is not None:
        events = sum(head.seq for head in heads.values())
        click.echo(
            f"Exported {count(events, 'event')} of {count(len(heads), 'instance')} to {output}.", err=True
        )


@click.command("replay", cls=ReportingCommand)
@click.argument("log_file", metavar="LOG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@definitions_option
@click.option(
    "--expect-heads",
    "heads_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A heads file (or an earlier log) kept apart from LOG: events cut off before its heads are reported.",
)
@json_option
def replay_command(
    log_file: Path, definitions_folder: Path | None, heads_file: Path | None, as_json: bool
) -> None:
    """Replay an audit log through its protocols and report every problem.

    Each instance's events are checked in log order: hash, seq, chain link,
    protocol version and definition digest; then every step is run again
    under the definition version it recorded and compared with the record.
    The report gives each instance's final state, and for each instance with
    a problem the first bad seq and what is wrong there. Definitions embedded
    in the log are used only for versions the folder does not hold. Exit 0
    when the log verifies, 1 on any problem, 2 on usage errors.
    """
    from just_workflow.audit.logfile import read_log
    from just_workflow.audit.replay import replay

    definitions = trusted_definitions(definitions_folder)
    expected = None
    if heads_file is not None:
        try:
            expected = read_log(heads_file).heads
        except WorkflowError as failure:
            raise click.BadParameter(str(failure), param_hint="--expect-heads") from None
    # The file is replayed as it is read, whatever its size; the bar counts its bytes.
    size = log_file.stat().st_size
    with progress_bar(f"Replaying {log_file.name}", size, unit=_BYTES_PER_EVENT) as progress:
        report = replay(log_file, definitions, expected, progress=progress)
    _print_report(report, as_json)


# About the size of an event line: a log of this many bytes per event of the progress threshold gets a bar.
_BYTES_PER_EVENT = 500


@click.command("verify", cls=ReportingCommand)
@click.argument("instance_ids", nargs=-1, metavar="[ID]...")
@db_option(must_exist=True)
@definitions_option
@json_option
def verify_command(
    instance_ids: tuple[str, ...], db: str, definitions_folder: Path | None, as_json: bool
) -> None:
    """Verify instances stored in a database (default: all): hash chains, steps, snapshots.

    Every stored history is replayed under the definition version it
    recorded, and each stored snapshot (state, context, signatures, seq,
    head) is compared with the replayed one. Nothing is written. Exit 0 when
    everything agrees, 1 on any problem or an unknown instance, 2 on usage
    errors.
    """
    from just_workflow.audit.verify import verify

    definitions = trusted_definitions(definitions_folder) or None
    with opened_store(db) as store:
        report = verify(store, instance_ids or None, definitions=definitions)
    _print_report(report, as_json)
