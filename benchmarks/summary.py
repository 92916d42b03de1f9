"""Print the benchmarks' targets from `benchmarks/results/*.json` as one Markdown table.

`python -m benchmarks.summary` is how the README's comparison is written: figures are copied
from the JSON the benchmarks wrote in one run, never typed by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _rows(name: str, data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(benchmark, target, measured, verdict) for every target one results file holds."""
    targets = data.get("targets", [])
    rows: list[tuple[str, str, str, str]] = []
    if isinstance(targets, dict):  # {"first_paint_s<=1": true, ...}: values sit beside it
        for key, ok in targets.items():
            metric, _, limit = key.partition("<=")
            value = data.get(metric)
            rows.append((name, f"{metric} ≤ {limit}", _num(value), "met" if ok else "missed"))
        return rows
    for t in targets:
        op = t.get("op", "<=").replace("<=", "≤").replace(">=", "≥")
        verdict = "met" if t.get("pass") else "missed"
        rows.append((name, f"{t['target']} {op} {_num(t['limit'])}", _num(t["value"]), verdict))
    return rows


def _num(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def main() -> int:
    """Print the table; exit 1 when no results exist yet (run `make bench`)."""
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        print("no results yet: run `make bench`", file=sys.stderr)
        return 1
    print("| benchmark | target | measured | |")
    print("| --- | --- | ---: | --- |")
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in _rows(path.stem, data):
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
