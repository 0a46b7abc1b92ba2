"""Diagrams of protocols and instances, in Mermaid or Graphviz dot."""
