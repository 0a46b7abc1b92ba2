"""The ``just-workflow`` command line: one click group, its commands grouped by what they work on.

- :mod:`~just_workflow.cli.definitions`: ``validate``, ``check``, ``schema``, ``diagram``;
- :mod:`~just_workflow.cli.instances`: ``start``, ``fire``, ``invite``, ``options``, ``history``, ``tick``, ``demo``;
- :mod:`~just_workflow.cli.lists`: ``list``, ``inbox``;
- :mod:`~just_workflow.cli.audit`: ``export``, ``replay``, ``verify``;
- :mod:`~just_workflow.cli.common`: the shared options and conventions;
- :mod:`~just_workflow.cli.failures`: how a command fails (``Error: ...``, never a traceback);
- :mod:`~just_workflow.cli.files`: files written whole or not at all.
"""

from __future__ import annotations

import click

from just_workflow.cli import audit, definitions, instances, lists
from just_workflow.cli.failures import ReportingGroup


@click.group(cls=ReportingGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="just_workflow")
def main() -> None:
    """Run, check and audit collaboration protocols.

    Shared conventions: --db (a SQLite file or a postgresql:// URL; default
    ./workflows.db; env JUST_WORKFLOW_DB), --definitions (default
    ./definitions when present), --json for machine-readable output, --lang
    for titles. Exit 0 when all is well, 1 when the command found problems,
    2 on usage errors, 130 when interrupted; an error is one line, `Error:
    ...`, and with --json a JSON object on standard output too.
    """


for command in (
    definitions.validate_command,
    definitions.check_command,
    definitions.schema_command,
    definitions.diagram_command,
    instances.demo_command,
    instances.start_command,
    instances.fire_command,
    instances.invite_command,
    instances.options_command,
    instances.history_command,
    instances.tick_command,
    lists.list_command,
    lists.inbox_command,
    audit.export_command,
    audit.replay_command,
    audit.verify_command,
):
    main.add_command(command)
