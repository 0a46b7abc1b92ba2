"""Diagrams of protocols, in Mermaid or Graphviz dot, with an instance's current state and path highlighted.

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
- :mod:`~just_workflow.diagrams.catalogue`: the page of all protocols, ``docs/protocols.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from just_workflow.definition import Definition
from just_workflow.diagrams.catalogue import protocols_markdown
from just_workflow.diagrams.dot import dot
from just_workflow.diagrams.mermaid import mermaid
from just_workflow.diagrams.model import Picture, picture_of
from just_workflow.events import Event
from just_workflow.instance import Instance

_WRITERS: Mapping[str, Callable[[Picture], str]] = {"mermaid": mermaid, "dot": dot}

#: The formats :func:`diagram` writes.
FORMATS: tuple[str, ...] = tuple(_WRITERS)


def diagram(
    definition: Definition,
    instance: Instance | None = None,
    format: str = "mermaid",
    *,
    history: Sequence[Event] = (),
    lang: str = "en",
) -> str:
    """The state diagram of ``definition`` as Mermaid (default) or Graphviz ``dot`` text.

    ``instance`` marks its current state; ``history`` (the instance's events,
    as :meth:`Engine.history` returns them) marks the path taken. Titles are
    in ``lang``, English where a translation is missing.
    """
    if format not in FORMATS:
        raise ValueError(f"Unknown diagram format {format!r}; formats are: {', '.join(FORMATS)}.")
    return _WRITERS[format](picture_of(definition, instance, history, lang))


__all__ = ["FORMATS", "diagram", "protocols_markdown"]
