"""Files a command writes whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write that appears under ``path`` only once the block ends without an exception.

    It is a temporary file in ``path``'s folder (so that the rename is
    atomic), removed when the block fails or is interrupted: a reader never
    sees a partial file under ``path``, and a file already there is kept.
    """
    try:
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as failure:  # name the file asked for, not the temporary one
        raise OSError(failure.errno, failure.strerror, str(path)) from failure
    temporary = Path(name)
    try:
        _set_default_mode(temporary)
        with open(descriptor, "wb") as file:
            yield file
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _set_default_mode(path: Path) -> None:
    """Give ``path`` the mode a new file gets (a temporary file is readable by its owner only)."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)
