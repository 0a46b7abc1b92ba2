"""Commands on definition files: ``validate``, ``check``, ``schema``, ``diagram``."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from just_workflow.checks import DEFAULT_MAX_STATES
from just_workflow.cli.common import (
    count,
    db_option,
    definitions_folder_or_default,
    json_option,
    lang_option,
    opened_store,
)
from just_workflow.cli.failures import ReportingCommand
from just_workflow.diagrams import FORMATS
from just_workflow.errors import DefinitionError, Problem, WorkflowError
from just_workflow.formats import SYNTAXES

if TYPE_CHECKING:
    from just_workflow.checks.findings import Finding
    from just_workflow.checks.modelcheck import ModelCheckReport
    from just_workflow.definition import Definition
    from just_workflow.events import Event
    from just_workflow.instance import Instance


def _definition_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files given, and the definition files of the folders given (sorted, not recursive).

    No path given means ``./definitions`` when it exists.
    """
    from just_workflow.formats.loading import definition_files

    if not paths:
        default = definitions_folder_or_default(None)
        if default is None:
            raise click.UsageError("Give definition files or folders (there is no ./definitions folder).")
        paths = [default]
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        found = definition_files(path)
        if not found:
            raise click.UsageError(f"No definition files ({', '.join(SYNTAXES)}) in folder {path}")
        yield from found


def _check_file(path: Path) -> list[Finding]:
    """The findings of one file, each naming it; a file that does not load gives its load problems as errors."""
    from just_workflow.checks.findings import Finding, FindingCode, Severity
    from just_workflow.checks.validation import check
    from just_workflow.formats.loading import load_definition

    try:
        definition = load_definition(path)
    except DefinitionError as failure:
        return [
            Finding(
                Severity.ERROR,
                FindingCode.INVALID_DEFINITION,
                problem.message,
                path=problem.path,
                file=problem.file or str(path),
                line=problem.line,
                column=problem.column,
            )
            for problem in failure.problems
        ]
    return [attrs.evolve(finding, file=str(path)) for finding in check(definition)]


@click.command("check", cls=ReportingCommand)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--strict", is_flag=True, help="Fail on warnings too (missing titles or translations, unused names)."
)
@json_option
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
    from just_workflow.checks.findings import Severity

    files = list(_definition_files(paths))
    found = [finding for path in files for finding in _check_file(path)]
    failed = {finding.file for finding in found if finding.severity is Severity.ERROR}
    reports = [_model_check_file(path, max_states) for path in files if str(path) not in failed]
    found += [finding for _, model_found in reports for finding in model_found]
    errors = sum(finding.severity is Severity.ERROR for finding in found)
    warnings = len(found) - errors
    if as_json:
        report = {
            "definitions": len(files),
            "errors": errors,
            "warnings": warnings,
            "findings": [finding.to_json() for finding in found],
        }
        if verbose:
            report["model_checks"] = [attrs.asdict(model, filter=_summary_fields) for model, _ in reports]
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for finding in found:
            click.echo(str(finding))
        for model, _ in reports if verbose else ():
            click.echo(model.summary())
        click.echo(
            f"{count(len(files), 'definition')}, {count(errors, 'error')}, {count(warnings, 'warning')}"
        )
    if errors or (strict and warnings):
        raise SystemExit(1)


def _model_check_file(path: Path, max_states: int) -> tuple[ModelCheckReport, list[Finding]]:
    """The model check of a file that loads, and its findings; a progress bar on stderr while it is long."""
    from just_workflow.checks.findings import Finding, FindingCode, Severity
    from just_workflow.checks.modelcheck import model_check
    from just_workflow.formats.loading import load_definition

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
    found = [attrs.evolve(finding.to_finding(), file=str(path)) for finding in report.findings]
    if report.bounded:
        message = (
            f"The model check stopped at --max-states {max_states}: states beyond were not explored, so traps, "
            "dead transitions and unreachable states are not reported; raise --max-states"
        )
        found.append(Finding(Severity.WARNING, FindingCode.MODEL_CHECK_INCOMPLETE, message, file=str(path)))
    return report, found


def _summary_fields(attribute: attrs.Attribute[Any], _value: object) -> bool:
    """The fields of a model check report that --json --verbose prints (its findings are printed apart)."""
    return attribute.name != "findings"


@click.command("validate", cls=ReportingCommand)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@json_option
def validate_command(paths: tuple[Path, ...], as_json: bool) -> None:
    """Load definition files, or the folders holding them, and report every problem.

    Prints `ok  FILE  PROTOCOL vVERSION` for each valid file; for each invalid
    one, `invalid  FILE` and its problems as `FILE:LINE:COLUMN: $.path: message`.
    Two files defining the same protocol version are a problem too. No PATH:
    ./definitions. Exit 0 when every file is valid, 1 otherwise, 2 on usage
    errors.
    """
    from just_workflow.formats.loading import index_versions, load_definition

    loaded = []
    results: list[dict[str, Any]] = []
    problems: list[Problem] = []
    for path in _definition_files(paths):
        try:
            definition = load_definition(path)
        except DefinitionError as failure:
            results.append(
                {"file": str(path), "ok": False, "problems": [p.to_json() for p in failure.problems]}
            )
            problems += failure.problems
            if not as_json:
                click.echo(f"invalid  {path}")
                for problem in failure.problems:
                    click.echo(str(problem))
            continue
        loaded.append(definition)
        results.append(
            {"file": str(path), "ok": True, "protocol": definition.protocol, "version": definition.version}
        )
        if not as_json:
            click.echo(f"ok  {path}  {definition.protocol} v{definition.version}")
    try:
        index_versions(loaded)
    except DefinitionError as failure:
        problems += failure.problems
        results.append({"file": None, "ok": False, "problems": [p.to_json() for p in failure.problems]})
        if not as_json:
            for problem in failure.problems:
                click.echo(str(problem))
    if as_json:
        click.echo(json.dumps({"files": results, "problems": len(problems)}, indent=2, ensure_ascii=False))
    if problems:
        raise SystemExit(1)


@click.command("schema", cls=ReportingCommand)
def schema_command() -> None:
    """Print the JSON Schema of definition files (docs/definition.schema.json)."""
    from just_workflow.formats.json_schema import schema_json

    click.echo(schema_json(), nl=False)


@click.command("diagram", cls=ReportingCommand)
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--instance", "instance_id", help="Highlight this stored instance's current state and path.")
@db_option(must_exist=False)
@click.option("--format", "diagram_format", type=click.Choice(FORMATS), default="mermaid", show_default=True)
@lang_option
def diagram_command(
    path: Path, instance_id: str | None, db: str, diagram_format: str, lang: str | None
) -> None:
    """Print the state diagram of a definition file, in Mermaid, Graphviz dot or SVG (drawn by Graphviz).

    With --instance and --db, the instance's current state and the path it
    took are highlighted, drawn on the definition version it runs under.
    Given a folder, print a Markdown page with the Mermaid diagram of every
    definition in it (docs/protocols.md is made so). Exit 0 on success, 1
    when a definition or the instance cannot be read, 2 on usage errors.
    """
    from just_workflow.diagrams import diagram, protocols_markdown
    from just_workflow.formats.loading import load_definition, load_definitions
    from just_workflow.store.opening import is_server_url, sqlite_path

    if instance_id is not None and not is_server_url(db) and not Path(sqlite_path(db)).is_file():
        raise click.UsageError(f"No database at {db}: give the one holding the instance with --db.")
    if path.is_dir():
        if instance_id is not None or diagram_format != "mermaid":
            raise click.UsageError(
                "A folder gives a Markdown page of Mermaid diagrams: no --instance, no --format."
            )
        definitions = load_definitions(path)
        click.echo(protocols_markdown(definitions.values(), lang=lang), nl=False)
        return
    definition = load_definition(path)
    instance: Instance | None = None
    history: list[Event] = []
    if instance_id is not None:
        with opened_store(db) as store:
            instance = store.load(instance_id)
            history = store.events(instance_id)
            definition = _definition_run_by(instance, definition, store.definitions())
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
