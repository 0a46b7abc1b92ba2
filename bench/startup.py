"""The startup benchmark: ``import just_workflow`` and ``just-workflow --help`` against the libraries below them.

Run from the repository root: ``python -m bench.startup`` (``--quick`` for fewer runs).

Each case is a fresh Python process, so that no module is already loaded:

- ``import attrs, cattrs, yaml``: the libraries the core and the formats stand on;
- ``import just_workflow``: the package as an application imports it;
- ``import click``: the library the command line stands on;
- ``just-workflow --help``: the installed command, printing its help.

The cases take turns, run after run, so that a change in the machine's load
touches all of them alike; each is run once untimed first, so that every
process finds its bytecode cached. The time of a run is the CPU time of the
child process (user and system), which other work on the machine skews less
than the wall clock; the wall clock is shown beside it. Each number is the
median of the runs.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent

IMPORT_BASE = "import attrs, cattrs, yaml"
IMPORT_JW = "import just_workflow"
IMPORT_CLICK = "import click"
HELP = "just-workflow --help"

#: (case, base, at most this many times the base's time).
TARGETS = ((IMPORT_JW, IMPORT_BASE, 2.0), (HELP, IMPORT_CLICK, 3.0))


@attrs.frozen
class Timing:
    """The median CPU time and wall time of a case's runs, in seconds."""

    cpu: float
    wall: float


def commands() -> dict[str, list[str]]:
    """The command line of each case: Python imports, and the installed ``just-workflow`` script."""
    python = sys.executable
    script = shutil.which("just-workflow", path=str(Path(python).parent))
    help_command = (
        [script, "--help"]
        if script is not None
        else [python, "-c", "import sys; from just_workflow.cli import main; sys.exit(main(['--help']))"]
    )
    return {
        IMPORT_BASE: [python, "-c", IMPORT_BASE],
        IMPORT_JW: [python, "-c", IMPORT_JW],
        IMPORT_CLICK: [python, "-c", IMPORT_CLICK],
        HELP: help_command,
    }


def run_once(command: Sequence[str]) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one run of ``command`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def measure(runs: int) -> dict[str, Timing]:
    """The median timing of each case over ``runs`` runs, the cases taking turns."""
    cases = commands()
    for command in cases.values():  # untimed: compiles and caches the bytecode, warms the file cache
        run_once(command)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, command in cases.items():
            samples[name].append(run_once(command))
    return {
        name: Timing(
            cpu=statistics.median(cpu for cpu, _ in runs_of),
            wall=statistics.median(wall for _, wall in runs_of),
        )
        for name, runs_of in samples.items()
    }


def report(results: Mapping[str, Timing], runs: int) -> Iterator[str]:
    """The Markdown table of ``results``, then the targets, each checked."""
    yield f"Median of {runs} runs of each case, each run a fresh process, the cases taking turns:"
    yield ""
    yield "| case | CPU ms | wall ms |"
    yield "|---|---:|---:|"
    for name, timing in results.items():
        yield f"| `{name}` | {timing.cpu * 1e3:.1f} | {timing.wall * 1e3:.1f} |"
    yield ""
    yield "Targets (CPU time; the wall-clock ratio in brackets):"
    yield ""
    for case, base, limit in TARGETS:
        ratio = results[case].cpu / results[base].cpu
        wall = results[case].wall / results[base].wall
        met = "x" if ratio <= limit else " "
        yield f"- [{met}] `{case}` at most {limit:.1f}x `{base}`: {ratio:.2f}x ({wall:.2f}x)"


def results(argv: Sequence[str] | None = None) -> list[str]:
    """Run the benchmark with these command-line arguments; the Markdown of its results."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 runs of each case instead of 9")
    parser.add_argument("--runs", type=int, default=9, help="runs of each case; the median counts")
    args = parser.parse_args(argv)
    runs = 5 if args.quick else args.runs
    return list(report(measure(runs), runs))


def main(argv: Sequence[str] | None = None) -> None:
    """Print the timings and the targets."""
    lines = results(argv)
    print("startup: import and --help, each in a fresh process")
    print()
    print("\n".join(lines))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
