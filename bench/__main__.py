"""``python -m bench [MODULE ...] [--quick] [--write-docs]``: run the benchmarks, one after the other, each printing its results.

Without MODULE, every benchmark runs; with some (``bench.lists``), only
those. With ``--write-docs`` the run also rewrites the results sections of
docs/performance.md (``make perf-docs``): the tables, the targets and where
the run took place; a run of some modules rewrites their sections only,
each saying when it was measured, and leaves the others as they were.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
from collections.abc import Sequence

from bench import machine, page

#: The benchmark modules, in the order they run; each has ``results(argv)`` and ``main(argv)``, and accepts ``--quick``.
MODULES = (
    "bench.startup",
    "bench.engine",
    "bench.persistence",
    "bench.postgres",
    "bench.replay",
    "bench.lists",
    "bench.verify",
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks, passing ``--quick`` on; with ``--write-docs``, put their results in the page."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "modules", nargs="*", metavar="MODULE", help=f"run only these, of: {', '.join(MODULES)}"
    )
    parser.add_argument("--quick", action="store_true", help="short runs: rough numbers in a minute or so")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the results sections of docs/performance.md"
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.modules if name not in MODULES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; the benchmarks: {', '.join(MODULES)}")
    command = " ".join(
        [
            "python -m bench",
            *args.modules,
            *(["--quick"] if args.quick else []),
            *(["--write-docs"] if args.write_docs else []),
        ]
    )
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    measured = [f"Measured with `{command}` on {today}, on:", "", *machine.description()]
    sections = {} if args.modules else {"machine": measured}
    print("\n".join(measured))
    print()
    for name in args.modules or MODULES:
        print(f"## {name}")
        print()
        sections[name] = importlib.import_module(name).results(["--quick"] if args.quick else [])
        if args.modules:  # the machine section stays the full run's: this section says when it was measured
            sections[name] = [f"Measured with `{command}` on {today}.", "", *sections[name]]
        print("\n".join(sections[name]))
        print()
    if args.write_docs:
        page.write(sections, partial=bool(args.modules))
        print(f"Rewrote the results sections of {page.PAGE}.")


if __name__ == "__main__":
    main()
