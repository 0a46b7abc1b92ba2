"""The results sections of docs/performance.md, rewritten from a run: the page's prose stays, its numbers are the run's.

A results section is the text between ``<!-- results: NAME -->`` and
``<!-- end of results -->``; NAME is a benchmark module (``bench.engine``) or
``machine``, where the run took place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "performance.md"

_SECTION = re.compile(
    r"(?P<start><!-- results: (?P<name>[\w.]+) -->\n).*?(?P<end><!-- end of results -->)", re.DOTALL
)


def rewrite(text: str, sections: Mapping[str, Sequence[str]], *, partial: bool = False) -> str:
    """``text`` with the body of each results section replaced by the lines given for it.

    A section of the page without lines (unless ``partial``: a run of some
    benchmarks leaves the others' sections as they are), or lines without a
    section, is an error: the page and the benchmarks must name the same
    sections.
    """
    written: list[str] = []

    def body(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in sections:
            if partial:
                return match[0]
            raise ValueError(f"{PAGE.name} has a results section {name!r} that no benchmark wrote")
        written.append(name)
        return f"{match['start']}\n" + "\n".join(sections[name]) + f"\n\n{match['end']}"

    rewritten = _SECTION.sub(body, text)
    missing = sorted(set(sections) - set(written))
    if missing:
        raise ValueError(f"{PAGE.name} has no results section for: {', '.join(missing)}")
    return rewritten


def write(sections: Mapping[str, Sequence[str]], *, partial: bool = False) -> None:
    """Rewrite the results sections of docs/performance.md (only those given, when ``partial``)."""
    PAGE.write_text(rewrite(PAGE.read_text(encoding="utf-8"), sections, partial=partial), encoding="utf-8")
