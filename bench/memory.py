"""Peak memory of a piece of work, measured in a fresh Python process of its own.

The peak resident set is the process's ``VmHWM`` (Linux): it starts afresh
with the process's own memory, where ``ru_maxrss`` would also count the
benchmark's own process at the time it was forked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_REPORT_PEAK = """
with open("/proc/self/status") as _status:
    print(next(_line.split()[1] for _line in _status if _line.startswith("VmHWM:")))
"""


def peak_memory(code: str, *args: str) -> tuple[int, str]:
    """Run ``code`` with ``sys.argv[1:] == args`` from the repository root; its peak memory in bytes and output."""
    done = subprocess.run(
        [sys.executable, "-c", code + _REPORT_PEAK, *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    *output, peak = done.stdout.splitlines()
    return int(peak) * 1024, "\n".join(output)  # VmHWM is in kB
