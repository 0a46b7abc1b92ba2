"""How a command fails: one ``Error: ...`` line on standard error, never a traceback.

Every command is a :class:`ReportingCommand`, their group a
:class:`ReportingGroup`. What a command raises becomes

- a library error (:class:`~just_workflow.errors.WorkflowError`) or a file
  that cannot be read or written (:class:`OSError`): ``Error: ...``, exit 1;
- a usage error (click's): click's ``Error: ...``, exit 2;
- Ctrl-C (:class:`KeyboardInterrupt`): ``Error: interrupted``, exit 130;
- anything else, a bug: ``Error: internal error: ...``, exit 1; with
  ``JUST_WORKFLOW_DEBUG=1`` in the environment it is raised as it is, with its
  traceback (the CLI tests run so, to keep bugs visible).

With ``--json`` the error is printed on standard output too, as
``{"error": {"type": ..., "message": ...}}`` (and the problems of a
definition, the trigger and reasons of a refusal).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

import click

from just_workflow.errors import DefinitionError, Refusal, WorkflowError

#: The environment variable that lets unexpected exceptions through, traceback and all.
DEBUG_VARIABLE = "JUST_WORKFLOW_DEBUG"
#: The exit status after Ctrl-C: 128 + SIGINT, as shells report it.
INTERRUPTED = 130


class Interrupted(click.ClickException):
    """Ctrl-C: click prints ``Error: ...`` and exits with status 130."""

    exit_code = INTERRUPTED


class ReportingCommand(click.Command):
    """A click command that reports every failure as one ``Error: ...`` line (and JSON with ``--json``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does; a usage error is also printed as JSON when ``--json`` is among ``args``."""
        # the options are not parsed yet, so ``--json`` is looked for by hand, before the parser consumes ``args``
        as_json = _asks_for_json(args)
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as failure:
            _echo_json_if(as_json, failure, failure.format_message())
            raise

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; turn what it raises into an error line and an exit status."""
        as_json = bool(ctx.params.get("as_json"))
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as failure:
            _echo_json_if(as_json, failure, failure.format_message())
            raise
        except BrokenPipeError:  # the reader went away (``| head``): click's main ends quietly
            raise
        except (WorkflowError, OSError) as failure:
            raise _reported(failure, _message(failure), as_json) from None
        except KeyboardInterrupt as failure:
            _echo_json_if(as_json, failure, "interrupted")
            raise Interrupted("interrupted") from None
        except Exception as failure:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            message = f"internal error: {type(failure).__name__}: {failure} (set {DEBUG_VARIABLE}=1 for the traceback)"
            raise _reported(failure, message, as_json) from None


class ReportingGroup(click.Group):
    """The group of the commands: Ctrl-C while it reads a command's arguments exits 130 too."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command asked for; a ReportingCommand has reported its own failures already."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("interrupted") from None


def _reported(failure: BaseException, message: str, as_json: bool) -> click.ClickException:
    """The click error (exit status 1) to raise for ``failure``, after printing it as JSON when asked."""
    _echo_json_if(as_json, failure, message)
    return click.ClickException(message)


def _message(failure: BaseException) -> str:
    """What went wrong, readably: an OSError names its file first, without its errno."""
    if isinstance(failure, OSError) and failure.strerror:
        return f"{failure.filename}: {failure.strerror}" if failure.filename else failure.strerror
    return str(failure)


def _asks_for_json(args: Sequence[str]) -> bool:
    """Whether ``--json`` is an option among ``args`` (not after ``--``)."""
    options = args[: args.index("--")] if "--" in args else args
    return "--json" in options


def _echo_json_if(as_json: bool, failure: BaseException, message: str) -> None:
    """Print ``failure`` on standard output as ``{"error": {...}}`` when ``as_json``."""
    if not as_json:
        return
    error: dict[str, Any] = {"type": type(failure).__name__, "message": message}
    if isinstance(failure, DefinitionError):
        error["problems"] = [problem.to_json() for problem in failure.problems]
    if isinstance(failure, Refusal):
        error["trigger"] = failure.trigger
        error["reasons"] = list(failure.reasons)
    click.echo(json.dumps({"error": error}, indent=2, ensure_ascii=False))
