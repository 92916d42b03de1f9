"""Hand-written single-pass baseline: REPORT count, p50/p99 duration and cold % of export files.

Usage: python benchmarks/analyzer_minimal.py PATH...   (files or folders; .gz read as gzip)
Prints one JSON object. Only the stdlib, as a user would write it in five minutes.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast


def _files(paths: list[str]) -> Iterator[Path]:
    """Every file named, folders walked recursively in sorted order."""
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        else:
            yield p


def _open(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it is gzip."""
    return cast(BinaryIO, gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb"))


def main(paths: list[str]) -> dict[str, object]:
    """Scan once; return the counts and percentiles."""
    durations: list[float] = []
    cold = 0
    for path in _files(paths):
        with _open(path) as f:
            for line in f:
                i = line.find(b" REPORT RequestId: ")
                if i < 0:
                    continue
                j = line.index(b"Duration: ", i) + 10
                durations.append(float(line[j : line.index(b" ", j)]))
                if b"Init Duration: " in line:
                    cold += 1
    durations.sort()
    n = len(durations)

    def q(p: float) -> float | None:
        if not n:
            return None
        pos = p * (n - 1)
        lo = int(pos)
        hi = min(lo + 1, n - 1)
        return durations[lo] + (durations[hi] - durations[lo]) * (pos - lo)

    return {
        "invocations": n,
        "cold_starts": cold,
        "cold_pct": round(100.0 * cold / n, 3) if n else None,
        "p50": q(0.5),
        "p99": q(0.99),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
