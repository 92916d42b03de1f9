"""Hand-written DuckDB baseline: REPORT count, p50/p99 duration and cold % of export files.

Usage: python benchmarks/analyzer_duckdb.py PATH...   (files or folders; .gz read as gzip)
Prints one JSON object. One `read_csv` of whole lines plus `regexp_extract`, as in anchors.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

SQL = """
WITH r AS (
    SELECT regexp_extract(line, 'Duration: ([0-9.]+) ms', 1)::DOUBLE AS duration,
           line LIKE '%Init Duration: %' AS cold
    FROM read_csv(?, columns = {'line': 'VARCHAR'}, delim = '\\x01', quote = '', escape = '',
                  header = false, auto_detect = false, strict_mode = false)
    WHERE line LIKE '% REPORT RequestId: %'
)
SELECT count(*), count(*) FILTER (WHERE cold), quantile_cont(duration, [0.5, 0.99]) FROM r
"""
"""Every line as one column (a delimiter that never occurs), REPORT lines only."""


def _files(paths: list[str]) -> list[str]:
    """Every file named, folders walked recursively."""
    out: list[str] = []
    for p in map(Path, paths):
        out += sorted(str(f) for f in p.rglob("*") if f.is_file()) if p.is_dir() else [str(p)]
    return out


def main(paths: list[str]) -> dict[str, object]:
    """One query over all files; the counts and percentiles."""
    row = duckdb.connect().execute(SQL, [_files(paths)]).fetchone()
    assert row is not None
    n, cold, q = row
    return {
        "invocations": n,
        "cold_starts": cold,
        "cold_pct": round(100.0 * cold / n, 3) if n else None,
        "p50": q[0] if q else None,
        "p99": q[1] if q else None,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
