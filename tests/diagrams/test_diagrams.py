"""diagram(): the picture of a definition, an instance and its history, in the format asked for."""

from __future__ import annotations

import attrs
import pytest

import just_workflow as jw
from just_workflow import definition as d
from just_workflow.diagrams import FORMATS, diagram
from just_workflow.diagrams.dot import dot
from just_workflow.diagrams.mermaid import mermaid
from just_workflow.diagrams.model import picture_of


def test_each_format_is_its_writer_on_the_picture(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """Mermaid is the default; both formats draw the same picture, titled in the language asked for."""
    engine, instance = moa_run
    history = engine.history(instance.id)
    picture = picture_of(moa, instance, history, "sk")
    assert FORMATS == ("mermaid", "dot", "svg")  # svg: dot's text laid out by Graphviz (test_svg.py)
    assert diagram(moa, instance, history=history, lang="sk") == mermaid(picture)
    assert diagram(moa, instance, "dot", history=history, lang="sk") == dot(picture)


def test_the_package_draws_with_this_function() -> None:
    """just_workflow.diagram, imported on first use, is this one."""
    assert jw.diagram is diagram


def test_an_instance_of_another_protocol_is_refused(
    moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]
) -> None:
    """Drawing an instance or a history on the wrong definition names both protocols."""
    engine, instance = moa_run
    other = attrs.evolve(moa, protocol="other")
    with pytest.raises(jw.WorkflowError, match="runs protocol 'moa', not 'other'"):
        diagram(other, instance)
    with pytest.raises(jw.WorkflowError, match="belongs to protocol 'moa', not to 'other'"):
        diagram(other, history=engine.history(instance.id))


def test_an_unknown_format_lists_the_formats(moa: d.Definition) -> None:
    """format must be mermaid, dot or svg."""
    with pytest.raises(ValueError, match="Unknown diagram format 'png'; formats are: mermaid, dot, svg"):
        diagram(moa, format="png")


def test_diagrams_are_deterministic(moa: d.Definition, moa_run: tuple[jw.Engine, jw.Instance]) -> None:
    """The same definition and instance always give the same text, in both formats."""
    engine, instance = moa_run
    history = engine.history(instance.id)
    for form in ("mermaid", "dot"):  # the text formats; svg is Graphviz's layout of dot's text
        assert diagram(moa, instance, form, history=history) == diagram(moa, instance, form, history=history)
