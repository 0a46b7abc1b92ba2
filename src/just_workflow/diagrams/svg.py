"""A self-contained SVG drawing of a :class:`~just_workflow.diagrams.model.Picture`, laid out by Graphviz.

The picture's dot text (:mod:`.dot`) goes through Graphviz's ``dot``
program: SVG with its text and shapes inline, no script, no font or image
fetched, so a browser without network access shows it as it is. Laying out
a graph well is Graphviz's craft; the library does not repeat it, and
needs the program only for this format (Debian: ``apt-get install
graphviz``).
"""

from __future__ import annotations

import shutil
import subprocess

from just_workflow.diagrams.dot import dot
from just_workflow.diagrams.model import Picture
from just_workflow.errors import WorkflowError

#: How long Graphviz may take for one drawing: a protocol's picture takes well under a second.
TIMEOUT_SECONDS = 60


def svg(picture: Picture) -> str:
    """The picture as an SVG document; WorkflowError when Graphviz's ``dot`` is missing or fails."""
    program = shutil.which("dot")
    if program is None:
        raise WorkflowError(
            f"Drawing protocol {picture.protocol!r} as SVG needs Graphviz's dot program, which is not on the "
            "PATH (Debian: apt-get install graphviz); the 'mermaid' and 'dot' formats need nothing."
        )
    done = subprocess.run(
        [program, "-Tsvg"],
        input=dot(picture).encode(),
        capture_output=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", errors="replace").strip()
        raise WorkflowError(f"Graphviz's dot could not draw protocol {picture.protocol!r}: {problem}")
    return done.stdout.decode("utf-8")
