"""The ``just-workflow`` command line: one click group, one command per task."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="just_workflow")
def main() -> None:
    """Run, check and audit collaboration protocols."""
