"""The docs are executed: every ```python block of README.md and docs/*.md runs, in order, per file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from fixtures import DEFINITIONS, ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(document: Path) -> list[tuple[int, str]]:
    """The python blocks of a Markdown file, each with the line it starts on."""
    text = document.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start()) + 2, match.group(1)) for match in BLOCK.finditer(text)]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_blocks_run(
    document: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """Every python block of the document runs without error, in a folder holding a copy of definitions/.

    A page whose examples read the store's URL from ``JUST_WORKFLOW_DB`` gets
    a fresh schema of the test PostgreSQL database there.
    """
    shutil.copytree(DEFINITIONS, tmp_path / "definitions")
    monkeypatch.chdir(tmp_path)
    if any('os.environ["JUST_WORKFLOW_DB"]' in source for _, source in python_blocks(document)):
        monkeypatch.setenv("JUST_WORKFLOW_DB", request.getfixturevalue("postgres_url"))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for line, source in python_blocks(document):
        code = compile(source, f"{document.name}:{line}", "exec")
        exec(code, namespace)


def test_the_readme_and_every_doc_page_have_examples() -> None:
    """README.md and each docs page carry at least one executed python example."""
    without = [
        p.name for p in DOCUMENTS if not python_blocks(p) and p.name not in {"cli.md", "performance.md"}
    ]
    assert without == []
