"""Run every benchmark module found in this package (`python -m benchmarks [NAME...]`)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the named benchmarks, or all of them; each writes its own results JSON."""
    here = Path(__file__).parent
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )
    if not names:
        print("no benchmarks yet", file=sys.stderr)
        return 1
    rc = 0
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        rc |= int(module.main())
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
