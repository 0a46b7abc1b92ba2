"""The ``just-workflow`` command line: one click group, one command per task."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import click

from just_workflow.audit import export_heads, export_log, read_log, verify
from just_workflow.definition import LANGUAGES, Definition
from just_workflow.diagrams import FORMATS, diagram, protocols_markdown
from just_workflow.errors import DefinitionError, WorkflowError
from just_workflow.events import Event
from just_workflow.instance import Instance
from just_workflow.loading import (
    SYNTAXES,
    definition_files,
    index_versions,
    load_all_versions,
    load_definition,
    load_definitions,
)
from just_workflow.modelcheck import DEFAULT_MAX_STATES, ModelCheckReport, model_check
from just_workflow.replay import ReplayReport, replay
from just_workflow.schema import schema_json
from just_workflow.store.sqlite import SQLiteStore
from just_workflow.validation import Finding, Severity, check


@click.group()
@click.version_option(package_name="just_workflow")
def main() -> None:
    """Run, check and audit collaboration protocols."""


def _definition_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files given, and the definition files of the folders given (sorted, not recursive)."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found = definition_files(path)
        if not found:
            raise click.UsageError(f"No definition files ({', '.join(SYNTAXES)}) in folder {path}")
        yield from found


@attrs.frozen
class _Located:
    """A finding of one file; a problem that kept the file from loading also has a line and column."""

    file: str
    finding: Finding
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line, self.column) if part is not None)
        return f"{where}: {self.finding}"

    def as_json(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "column": self.column, **attrs.asdict(self.finding)}


def _check_file(path: Path) -> list[_Located]:
    """The findings of one file; a file that does not load gives its load problems as errors."""
    try:
        definition = load_definition(path)
    except DefinitionError as failure:
        return [
            _Located(
                problem.file or str(path),
                Finding(Severity.ERROR, "invalid-definition", problem.message, problem.path),
                problem.line,
                problem.column,
            )
            for problem in failure.problems
        ]
    return [_Located(str(path), finding) for finding in check(definition)]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@main.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--strict", is_flag=True, help="Fail on warnings too (missing titles or translations, unused names)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings and the totals as one JSON object.")
@click.option(
    "--max-states",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_STATES,
    show_default=True,
    help="The most abstract states the model check explores per definition.",
)
@click.option("-v", "--verbose", is_flag=True, help="Also print the size and time of each model check.")
def check_command(
    paths: tuple[Path, ...], strict: bool, as_json: bool, max_states: int, verbose: bool
) -> None:
    """Check definition files, or the folders holding them, for errors and warnings.

    Each file is loaded and checked: structure, reachable and final states,
    nondeterministic triggers, guards that can never pass, invariants a
    transition may break, unused roles and fields, titles and translations.
    A file that does not load counts as errors. A file without errors is
    then model checked: every reachable abstract state is explored, and an
    invariant a transition can break, a state a run can get stuck in, a
    transition that can never fire or a state no run reaches is an error,
    shown with the shortest run that leads to it. An exploration stopped by
    --max-states is a warning. Exit 0 when no error was found (with
    --strict: no warning either), 1 otherwise, 2 on usage errors.
    """
    files = list(_definition_files(paths))
    found = [located for path in files for located in _check_file(path)]
    failed = {located.file for located in found if located.finding.severity is Severity.ERROR}
    reports = [_model_check_file(path, max_states) for path in files if str(path) not in failed]
    found += [located for _, model_found in reports for located in model_found]
    errors = sum(located.finding.severity is Severity.ERROR for located in found)
    warnings = len(found) - errors
    if as_json:
        report = {
            "definitions": len(files),
            "errors": errors,
            "warnings": warnings,
            "findings": [located.as_json() for located in found],
        }
        if verbose:
            report["model_checks"] = [attrs.asdict(model, filter=_summary_fields) for model, _ in reports]
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for located in found:
            click.echo(str(located))
        for model, _ in reports if verbose else ():
            click.echo(model.summary())
        click.echo(
            f"{_count(len(files), 'definition')}, {_count(errors, 'error')}, {_count(warnings, 'warning')}"
        )
    if errors or (strict and warnings):
        raise SystemExit(1)


def _model_check_file(path: Path, max_states: int) -> tuple[ModelCheckReport, list[_Located]]:
    """The model check of a file that loads, and its findings; a progress bar on stderr while it is long."""
    definition = load_definition(path)
    with contextlib.ExitStack() as stack:
        shown: list[Any] = []  # the bar, once the exploration is long enough to show one

        def progress(explored: int, _discovered: int) -> None:
            if not shown:
                label = f"Model checking {definition.protocol}"
                shown.append(
                    stack.enter_context(click.progressbar(length=max_states, label=label, file=sys.stderr))
                )
            shown[0].update(explored - shown[0].pos)

        report = model_check(definition, max_states=max_states, progress=progress)
    found = [_Located(str(path), finding.to_finding()) for finding in report.findings]
    if report.bounded:
        message = (
            f"The model check stopped at --max-states {max_states}: states beyond were not explored, so traps, "
            "dead transitions and unreachable states are not reported; raise --max-states"
        )
        found.append(_Located(str(path), Finding(Severity.WARNING, "model-check-incomplete", message)))
    return report, found


def _summary_fields(attribute: attrs.Attribute[Any], _value: object) -> bool:
    """The fields of a model check report that --json --verbose prints (its findings are printed apart)."""
    return attribute.name != "findings"


@main.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Load definition files, or the folders holding them, and report every problem.

    Prints `ok  FILE  PROTOCOL vVERSION` for each valid file; for each invalid
    one, `invalid  FILE` and its problems as `FILE:LINE:COLUMN: $.path: message`.
    Two files defining the same protocol version are a problem too. Exit 0 when
    every file is valid, 1 otherwise, 2 on usage errors.
    """
    loaded = []
    problems = 0
    for path in _definition_files(paths):
        try:
            definition = load_definition(path)
        except DefinitionError as failure:
            click.echo(f"invalid  {path}")
            for problem in failure.problems:
                click.echo(str(problem))
            problems += len(failure.problems)
            continue
        loaded.append(definition)
        click.echo(f"ok  {path}  {definition.protocol} v{definition.version}")
    try:
        index_versions(loaded)
    except DefinitionError as failure:
        for problem in failure.problems:
            click.echo(str(problem))
        problems += len(failure.problems)
    if problems:
        raise SystemExit(1)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of definition files (docs/definition.schema.json)."""
    click.echo(schema_json(), nl=False)


@main.command("diagram")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--instance", "instance_id", help="Highlight this stored instance's current state and path.")
@click.option(
    "--db",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The SQLite database holding the instance.",
)
@click.option("--format", "diagram_format", type=click.Choice(FORMATS), default="mermaid", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Title language.")
def diagram_command(
    path: Path, instance_id: str | None, db: Path | None, diagram_format: str, lang: str
) -> None:
    """Print the state diagram of a definition file, in Mermaid or Graphviz dot.

    With --instance and --db, the instance's current state and the path it
    took are highlighted, drawn on the definition version it runs under.
    Given a folder, print a Markdown page with the Mermaid diagram of every
    definition in it (docs/protocols.md is made so). Exit 0 on success, 1
    when a definition or the instance cannot be read, 2 on usage errors.
    """
    if (instance_id is None) != (db is None):
        raise click.UsageError("--instance and --db go together: give both, or neither.")
    if path.is_dir():
        if instance_id is not None or diagram_format != "mermaid":
            raise click.UsageError(
                "A folder gives a Markdown page of Mermaid diagrams: no --instance, no --format."
            )
        try:
            definitions = load_definitions(path)
        except DefinitionError as failure:
            raise click.ClickException(str(failure)) from None
        click.echo(protocols_markdown(definitions.values(), lang=lang), nl=False)
        return
    try:
        definition = load_definition(path)
    except DefinitionError as failure:
        raise click.ClickException(str(failure)) from None
    instance: Instance | None = None
    history: list[Event] = []
    if instance_id is not None and db is not None:
        try:
            with SQLiteStore(db) as store:
                instance = store.load(instance_id)
                history = store.events(instance_id)
                definition = _definition_run_by(instance, definition, store.definitions())
        except WorkflowError as failure:
            raise click.ClickException(str(failure)) from None
    click.echo(diagram(definition, instance, diagram_format, history=history, lang=lang), nl=False)


def _definition_run_by(instance: Instance, given: Definition, stored: Iterable[Definition]) -> Definition:
    """The definition ``instance`` runs under: ``given`` when it is that one, else the stored one."""
    if instance.protocol != given.protocol:
        raise WorkflowError(
            f"Instance {instance.id!r} runs protocol {instance.protocol!r}, but {given.origin} defines "
            f"{given.protocol!r}: give the definition file of {instance.protocol!r}."
        )
    if given.digest == instance.digest:
        return given
    for definition in stored:
        if definition.digest == instance.digest:
            click.echo(
                f"Note: instance {instance.id!r} runs version {definition.version} of {instance.protocol!r}; "
                f"{given.origin} holds version {given.version}: drawing the stored version {definition.version}.",
                err=True,
            )
            return definition
    raise WorkflowError(
        f"Instance {instance.id!r} runs a version of {instance.protocol!r} (version {instance.version}, "
        f"digest {instance.digest[:12]}…) that is neither {given.origin} nor stored in the database."
    )


# Audit: export, replay, verify


def _trusted_definitions(folder: Path | None) -> list[Definition]:
    """Every definition version in ``folder``; DefinitionError becomes a command error."""
    if folder is None:
        return []
    try:
        return list(load_all_versions(folder).values())
    except DefinitionError as failure:
        raise click.ClickException(str(failure)) from None


def _print_report(report: ReplayReport, as_json: bool) -> None:
    """Print an audit report, readable or as JSON; exit 1 when it found a problem."""
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.format())
    if not report.ok:
        raise SystemExit(1)


@main.command("export")
@click.option(
    "--db",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The SQLite database to export from.",
)
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
    db: Path,
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
    with SQLiteStore(db) as store:
        try:
            destination: Path | BinaryIO = output if output is not None else sys.stdout.buffer
            heads = export_log(store, destination, instance_ids or None, include_definitions=with_definitions)
        except WorkflowError as failure:
            raise click.ClickException(str(failure)) from None
    if heads_file is not None:
        export_heads(heads.values(), heads_file)
    if output is not None:
        events = sum(head.seq for head in heads.values())
        click.echo(
            f"Exported {_count(events, 'event')} of {_count(len(heads), 'instance')} to {output}.", err=True
        )


@main.command("replay")
@click.argument("log_file", metavar="LOG", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--definitions",
    "definitions_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of the trusted definition files, every version (default: ./definitions when present).",
)
@click.option(
    "--expect-heads",
    "heads_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A heads file (or an earlier log) kept apart from LOG: events cut off before its heads are reported.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
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
    if definitions_folder is None and Path("definitions").is_dir():
        definitions_folder = Path("definitions")
    definitions = _trusted_definitions(definitions_folder)
    expected = None
    if heads_file is not None:
        try:
            expected = read_log(heads_file).heads
        except WorkflowError as failure:
            raise click.BadParameter(str(failure), param_hint="--expect-heads") from None
    try:
        report = replay(read_log(log_file, strict=False), definitions, expected)
    except DefinitionError as failure:  # a definition names Python guards, which only code can register
        raise click.ClickException(str(failure)) from None
    _print_report(report, as_json)


@main.command("verify")
@click.argument("instance_ids", nargs=-1, metavar="[ID]...")
@click.option(
    "--db",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The SQLite database holding the instances.",
)
@click.option(
    "--definitions",
    "definitions_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of trusted definition files, preferred to the versions the database keeps.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
def verify_command(
    instance_ids: tuple[str, ...], db: Path, definitions_folder: Path | None, as_json: bool
) -> None:
    """Verify instances stored in a database (default: all): hash chains, steps, snapshots.

    Every stored history is replayed under the definition version it
    recorded, and each stored snapshot (state, context, signatures, seq,
    head) is compared with the replayed one. Nothing is written. Exit 0 when
    everything agrees, 1 on any problem or an unknown instance, 2 on usage
    errors.
    """
    definitions = _trusted_definitions(definitions_folder) if definitions_folder is not None else None
    with SQLiteStore(db) as store:
        try:
            report = verify(store, instance_ids or None, definitions=definitions)
        except WorkflowError as failure:
            raise click.ClickException(str(failure)) from None
    _print_report(report, as_json)
