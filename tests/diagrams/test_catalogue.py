"""docs/protocols.md: the page of every bundled protocol, regenerated and compared."""

from __future__ import annotations

from fixtures import DEFINITIONS, ROOT
from just_workflow.diagrams import diagram, protocols_markdown
from just_workflow.formats.loading import load_definitions

PROTOCOLS_DOC = ROOT / "docs" / "protocols.md"


def test_the_protocols_page_is_up_to_date() -> None:
    """docs/protocols.md is exactly what the bundled definitions generate."""
    expected = protocols_markdown(load_definitions(DEFINITIONS).values())
    assert PROTOCOLS_DOC.read_text(encoding="utf-8") == expected, (
        "docs/protocols.md is out of date: regenerate it with `just-workflow diagram definitions > docs/protocols.md`"
    )


def test_the_protocols_page_has_a_diagram_per_protocol() -> None:
    """Each bundled protocol has a section with its title and its Mermaid diagram in one Mermaid block."""
    bundled = load_definitions(DEFINITIONS).values()
    page = protocols_markdown(bundled)
    assert page.count("```mermaid") == len(bundled)
    for definition in bundled:
        assert f"## {definition.title.get()}" in page
        assert f"```mermaid\n{diagram(definition)}```\n" in page
