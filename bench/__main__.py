"""``python -m bench [--quick]``: run every benchmark, one after the other, each printing its own tables."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
from collections.abc import Sequence

#: The benchmark modules, in the order they run; each has ``main(argv)`` and accepts ``--quick``.
MODULES = ("bench.startup", "bench.engine", "bench.persistence", "bench.replay")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks that are present, passing ``--quick`` on."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs: rough numbers, in a minute or so")
    args = parser.parse_args(argv)
    for name in MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        print(f"## {name}")
        print()
        importlib.import_module(name).main(["--quick"] if args.quick else [])
        print()


if __name__ == "__main__":
    main()
