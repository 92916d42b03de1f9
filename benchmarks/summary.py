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


WRAPPER_NAMES = {
    "lambdascope_log_only": "lambdascope, record only (OTel off)",
    "lambdascope_span_metrics_flush_off": "span + metrics, flush off, no-op exporters",
    "lambdascope_span_metrics_flush_interval": "span + metrics, flush interval, no-op exporters",
    "lambdascope_flush_end_loopback": "lambdascope, flush end, OTLP/HTTP to loopback",
    "powertools_logger_metrics": "Powertools Logger + Metrics",
    "otel_contrib_noop_exporter": "OTel contrib AwsLambdaInstrumentor, no-op exporter",
    "otel_contrib_otlp_loopback": "OTel contrib, OTLP/HTTP to loopback",
    "lambdascope_otel_on": "lambdascope, OTel on",
    "lambdascope_otel_off": "lambdascope, OTel off",
    "otel_contrib_otlp": "OTel contrib",
}
"""Variant keys of results/wrapper.json and how the README names them."""


def _wrapper_tables(data: dict[str, Any]) -> None:
    print("| wrapper variant | warm overhead µs (wall) | µs (CPU) |")
    print("| --- | ---: | ---: |")
    for key, row in data.get("warm", {}).items():
        if key in WRAPPER_NAMES:
            cpu = row["cpu_us_per_call"] - data["warm"]["bare"]["cpu_us_per_call"]
            print(f"| {WRAPPER_NAMES[key]} | {_num(row['overhead_us'])} | {_num(cpu)} |")
    print()
    print("| cold: import + setup + first invocation | ms (wall) | ms (CPU) |")
    print("| --- | ---: | ---: |")
    for key, row in data.get("cold", {}).items():
        if key in WRAPPER_NAMES:
            print(f"| {WRAPPER_NAMES[key]} | {_num(row['median_ms'])} | "
                  f"{_num(row['cpu_median_ms'])} |")  # fmt: skip
    print()


def _analyzer_table(data: dict[str, Any]) -> None:
    tools = ["lambdascope", "lnav", "duckdb_handwritten", "python_minimal", "grep_c", "wc_l"]
    print("| input | " + " | ".join(tools) + " |")
    print("| --- |" + " ---: |" * len(tools))
    for name, ds in data.get("datasets", {}).items():
        runs = ds["runs"]
        cells = []
        for tool in tools:
            run = runs.get(tool)
            if not run or run.get("wall_s") is None:
                cells.append("–")
            else:
                cells.append(f"{_num(run['wall_s'])} s, {_num(run.get('peak_rss_mib'))} MiB")
        print(f"| {name} ({ds['data'].get('lines'):,} lines) | " + " | ".join(cells) + " |")
    print()


def main() -> int:
    """Print the tables; exit 1 when no results exist yet (run `make bench`)."""
    files = sorted(RESULTS.glob("*.json"))
    if not files:
        print("no results yet: run `make bench`", file=sys.stderr)
        return 1
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        if path.stem == "wrapper":
            _wrapper_tables(data)
        elif path.stem == "analyzer":
            _analyzer_table(data)
    print("| benchmark | target | measured | |")
    print("| --- | --- | ---: | --- |")
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in _rows(path.stem, data):
            print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
