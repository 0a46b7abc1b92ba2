"""Diagrams of protocols and instances, in Mermaid or Graphviz dot.

:mod:`~just_workflow.diagrams.drawing` draws them, on transitions' diagram
backends; the formats are named here, so that the command line can offer
them without loading transitions.
"""

#: The formats :func:`~just_workflow.diagrams.drawing.diagram` writes.
FORMATS: tuple[str, ...] = ("mermaid", "dot")
