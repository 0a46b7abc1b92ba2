"""Diagrams of protocols, in Mermaid, Graphviz dot or SVG, with an instance's current state and path highlighted.

:func:`diagram` draws a definition: each state titled in a chosen language,
each transition an arrow labelled with its trigger, the roles that may fire
it (``sme/department``: any of them; ``sme+department sign``: a sign-off by
all of them) and its guards (``requires``, conditions, named guards); in
Mermaid, transitions between the same two states share an arrow, a label
line each. Given an instance or its history, the current state is styled
``active``, the states the instance went through ``previous``, and every
transition it took starts with ``✓`` and the seq numbers of the events that
took it.

- :mod:`~just_workflow.diagrams.model`: the picture a definition, an instance and its history make;
- :mod:`~just_workflow.diagrams.mermaid`: its Mermaid text, the boxes drawn by transitions' Mermaid graph;
- :mod:`~just_workflow.diagrams.dot`: its Graphviz dot text, in transitions' palette;
- :mod:`~just_workflow.diagrams.svg`: a self-contained SVG of it, laid out by Graphviz's ``dot`` program;
- :mod:`~just_workflow.diagrams.catalogue`: the page of all protocols, ``docs/protocols.md``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from just_workflow.definition import Definition
    from just_workflow.diagrams.catalogue import protocols_markdown
    from just_workflow.diagrams.model import Picture
    from just_workflow.events import Event
    from just_workflow.instance import Instance

# The writer of each format: its module and function. The writers draw with transitions, imported with the
# first diagram rather than with the package (as the picture's model is), so that what only names the
# formats (the command line's options, shown by --help) imports nothing.
_WRITERS: Mapping[str, tuple[str, str]] = {
    "mermaid": ("just_workflow.diagrams.mermaid", "mermaid"),
    "dot": ("just_workflow.diagrams.dot", "dot"),
    "svg": ("just_workflow.diagrams.svg", "svg"),
}

#: The formats :func:`diagram` writes.
FORMATS: tuple[str, ...] = tuple(_WRITERS)


def diagram(
    definition: Definition,
    instance: Instance | None = None,
    format: str = "mermaid",
    *,
    history: Sequence[Event] = (),
    lang: str | None = None,
) -> str:
    """The state diagram of ``definition`` as Mermaid (default) or Graphviz ``dot`` text, or ``svg``.

    ``svg`` is a self-contained SVG document drawn by Graphviz's ``dot``
    program (WorkflowError when it is not installed).

    A definition holding a value canonical JSON cannot (see
    :func:`~just_workflow.definition.out_of_bounds`) raises DefinitionError.
    ``instance`` marks its current state; ``history`` (the instance's events,
    as :meth:`Engine.history` returns them) marks the path taken. Titles are
    in ``lang``, English where a translation is missing; with a language,
    the edge labels name triggers, roles, fields and choices by their
    titles in it too (without, states are titled in English and labels
    name things as the definition does).
    """
    if format not in FORMATS:
        raise ValueError(f"Unknown diagram format {format!r}; formats are: {', '.join(FORMATS)}.")
    # A diagram is written out as UTF-8: computing the digest refuses (DefinitionError, located) a
    # definition built in code whose text holds a lone surrogate, which has no UTF-8 bytes.
    definition.digest  # noqa: B018
    from just_workflow.diagrams.model import picture_of

    module, function = _WRITERS[format]
    write: Callable[[Picture], str] = getattr(importlib.import_module(module), function)
    return write(picture_of(definition, instance, history, lang))


def __getattr__(name: str) -> Any:
    """Import ``protocols_markdown`` (the catalogue page, drawn by the Mermaid writer) on first use."""
    if name != "protocols_markdown":
        raise AttributeError(f"module 'just_workflow.diagrams' has no attribute {name!r}")
    from just_workflow.diagrams.catalogue import protocols_markdown

    return protocols_markdown


__all__ = ["FORMATS", "diagram", "protocols_markdown"]
