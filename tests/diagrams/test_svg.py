"""SVG diagrams: self-contained (nothing fetched to view them), drawn by Graphviz's dot, refused clearly without it."""

from __future__ import annotations

import os
import shutil

import pytest

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.diagrams import diagram, svg


@pytest.fixture
def graphviz() -> None:
    """Graphviz's dot on the PATH; CI installs it and sets JUST_WORKFLOW_REQUIRE_GRAPHVIZ, so it never skips there."""
    if shutil.which("dot") is None:
        if os.environ.get("JUST_WORKFLOW_REQUIRE_GRAPHVIZ"):
            pytest.fail(
                "Graphviz's dot is missing and JUST_WORKFLOW_REQUIRE_GRAPHVIZ is set: apt-get install graphviz"
            )
        pytest.skip("Graphviz's dot is missing: apt-get install graphviz")


def test_an_instance_draws_as_a_self_contained_svg(
    graphviz: None, moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """The states' titles and the taken arrows' marks are in the SVG; no script, image or link to fetch."""
    engine, instance = moa_run
    text = diagram(moa, instance, "svg", history=engine.history(instance.id))
    assert text.lstrip().startswith("<?xml") and "</svg>" in text
    assert "Signed" in text and "✓ 3, 4 · define [sme/department]" in text
    assert "<script" not in text and "<image" not in text and 'href="http' not in text
    assert "url(http" not in text and "@import" not in text


def test_without_graphviz_svg_is_refused_naming_what_to_install(
    moa: d.Definition, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(svg.shutil, "which", lambda program: None)
    with pytest.raises(
        jw.WorkflowError, match=r"protocol 'moa' as SVG needs Graphviz's dot.*apt-get install graphviz"
    ):
        diagram(moa, format="svg")
    assert diagram(moa, format="dot").startswith("digraph")  # the text formats need nothing
