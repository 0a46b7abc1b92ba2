"""``python -m bench [--quick] [--write-docs]``: run every benchmark, one after the other, each printing its results.

With ``--write-docs`` the run also rewrites the results sections of
docs/performance.md (``make perf-docs``): the tables, the targets and where
the run took place.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
from collections.abc import Sequence

from bench import machine, page

#: The benchmark modules, in the order they run; each has ``results(argv)`` and ``main(argv)``, and accepts ``--quick``.
MODULES = ("bench.startup", "bench.engine", "bench.persistence", "bench.replay", "bench.verify")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks, passing ``--quick`` on; with ``--write-docs``, put their results in the page."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs: rough numbers in a minute or so")
    parser.add_argument(
        "--write-docs", action="store_true", help="rewrite the results sections of docs/performance.md"
    )
    args = parser.parse_args(argv)
    command = (
        "python -m bench" + (" --quick" if args.quick else "") + (" --write-docs" if args.write_docs else "")
    )
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    sections = {"machine": [f"Measured with `{command}` on {today}, on:", "", *machine.description()]}
    print("\n".join(sections["machine"]))
    print()
    for name in MODULES:
        print(f"## {name}")
        print()
        sections[name] = importlib.import_module(name).results(["--quick"] if args.quick else [])
        print("\n".join(sections[name]))
        print()
    if args.write_docs:
        page.write(sections)
        print(f"Rewrote the results sections of {page.PAGE}.")


if __name__ == "__main__":
    main()
