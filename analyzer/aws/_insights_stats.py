"""Logs Insights stats-by-bin rows -> table `aggregates` (`analyze --insights`, aggregated).

STATS_QUERY (dashboards/insights/stats_by_bin.query) has Logs Insights count the REPORT
lines per function (@log), time bin, cold/warm and log-scale duration bucket; INIT_QUERY
(dashboards/insights/init_by_bin.query) does the same for init durations. Only those rows
travel: a bin of a function holds at most 2 x (buckets its durations span) rows, whatever
the number of invocations.

Bucket b holds durations in [2^(b/8), 2^((b+1)/8)) ms (durations under 0.01 ms in the
bucket of 0.01 ms); `analyzer.aggregates` estimates percentiles from them (error bound
there). Rows of the same key from two windows (a range split at the row cap cuts a bin in
two) are merged: counts and sums add, minima and maxima combine, so splitting is exact.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC
from typing import Any

import duckdb

from analyzer.aggregates import BUCKETS_PER_DOUBLING
from analyzer.aws._insights_rows import MB, _float, function_of, parse_ts

_BUCKET = f"floor(log(greatest({{field}}, 0.01)) * {BUCKETS_PER_DOUBLING} / log(2))"
"""Logs Insights expression of a value's bucket (log() is the natural log there)."""

STATS_QUERY = (
    'filter @type = "REPORT"'
    f" | fields {_BUCKET.format(field='@duration')} as bucket,"
    ' greatest(ispresent(@initDuration), strcontains(@message, "Restore Duration:")) as cold'
    " | stats count(*) as invocations,"
    ' sum(strcontains(@message, "Status: error")) as errors,'
    ' sum(strcontains(@message, "Status: timeout")) as timeouts,'
    " count(@duration) as durations, sum(@duration) as duration_sum,"
    " min(@duration) as duration_min, max(@duration) as duration_max,"
    " sum(@billedDuration) as billed_sum, max(@memorySize) as memory_size,"
    " max(@maxMemoryUsed) as max_memory_used"
    " by @log, bin({bin}), cold, bucket"
    " | limit 10000"
)
"""REPORT lines per function, time bin, cold/warm and duration bucket ({bin}: 1m .. 1d); cold:
an Init Duration or a SnapStart Restore Duration, as the file loader counts cold starts."""

INIT_QUERY = (
    'filter @type = "REPORT" and ispresent(@initDuration)'
    f" | fields {_BUCKET.format(field='@initDuration')} as bucket"
    " | stats count(*) as cold_starts, sum(@initDuration) as init_sum,"
    " min(@initDuration) as init_min, max(@initDuration) as init_max"
    " by @log, bin({bin}), bucket"
    " | limit 10000"
)
"""Cold starts per function, time bin and init-duration bucket."""

AGG_BINS = 200
"""Time bins the range is cut into at most (the dashboard's series shows up to 60)."""

BINS_S = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
"""Bin sizes Logs Insights' bin() takes, smallest first (all are dashboard bucket sizes)."""

ROWS_PER_BIN = 48
"""Planning guess of the rows one function's time bin yields (cold/warm x buckets)."""


def agg_bin(start: int, end: int) -> tuple[str, int]:
    """The smallest bin (name, seconds) cutting [start, end) into at most AGG_BINS bins."""
    for name, width in BINS_S.items():
        if (end - start) / width <= AGG_BINS:
            return name, width
    return "1d", 86400


def plan_windows(start: int, end: int, width: int, groups: int, cap: int) -> list[tuple[int, int]]:
    """Bin-aligned half-open [lo, hi) windows covering [start, end), expected to stay under
    ~80 % of `cap` rows each.

    A guess (ROWS_PER_BIN per group and bin): a window that still hits the cap is split on
    demand, and its rows merge exactly.
    """
    per_window = max(1, int(cap * 0.8) // max(1, groups * ROWS_PER_BIN))
    step = per_window * width
    first = start // width * width
    out: list[tuple[int, int]] = []
    lo = first
    while lo < end:
        out.append((max(lo, start), min(lo + step, end)))
        lo += step
    return out


def _bin_start(row: dict[str, str]) -> Any:
    label = next((v for k, v in row.items() if k.startswith("bin(")), "")
    return parse_ts(label)


def _flag(text: str | None) -> bool:
    """Logs Insights' rendering of a boolean ('1', 'true') as a bool."""
    return (text or "").strip().lower() in {"1", "1.0", "true"}


def _int(text: str | None) -> int | None:
    value = _float(text)
    return None if value is None or math.isnan(value) else int(value)


def _mb(text: str | None) -> int | None:
    value = _float(text)
    return None if value is None else round(value / MB)


COLUMNS = {
    "kind": "VARCHAR", "function": "VARCHAR", "bin_start": "TIMESTAMP",
    "bin_seconds": "INTEGER", "cold_start": "BOOLEAN", "bucket": "INTEGER",
    "invocations": "BIGINT", "errors": "BIGINT", "timeouts": "BIGINT",
    "duration_count": "BIGINT", "duration_sum": "DOUBLE", "duration_min": "DOUBLE",
    "duration_max": "DOUBLE", "billed_sum": "DOUBLE", "init_count": "BIGINT",
    "init_sum": "DOUBLE", "init_min": "DOUBLE", "init_max": "DOUBLE",
    "memory_mb": "INTEGER", "max_memory_mb": "INTEGER",
}  # fmt: skip
"""Columns of table `aggregates`, in schema order."""

_SUMS = ("invocations", "errors", "timeouts", "duration_count", "duration_sum", "billed_sum",
         "init_count", "init_sum")  # fmt: skip
_MINS = ("duration_min", "init_min")
_MAXES = ("duration_max", "init_max", "memory_mb", "max_memory_mb")
_KEYS = ("kind", "function", "bin_start", "bin_seconds", "cold_start", "bucket")


def stats_record(row: dict[str, str], width: int) -> dict[str, Any] | None:
    """One `aggregates` record (kind 'report') from a STATS_QUERY row; None without a bin."""
    when = _bin_start(row)
    if when is None:
        return None
    return {
        "kind": "report", "function": function_of(row.get("@log", ""), ""),
        "bin_start": when, "bin_seconds": width, "cold_start": _flag(row.get("cold")),
        "bucket": _int(row.get("bucket")), "invocations": _int(row.get("invocations")) or 0,
        "errors": _int(row.get("errors")) or 0, "timeouts": _int(row.get("timeouts")) or 0,
        "duration_count": _int(row.get("durations")) or 0,
        "duration_sum": _float(row.get("duration_sum")),
        "duration_min": _float(row.get("duration_min")),
        "duration_max": _float(row.get("duration_max")),
        "billed_sum": _float(row.get("billed_sum")),
        "memory_mb": _mb(row.get("memory_size")), "max_memory_mb": _mb(row.get("max_memory_used")),
    }  # fmt: skip


def init_record(row: dict[str, str], width: int) -> dict[str, Any] | None:
    """One `aggregates` record (kind 'init') from an INIT_QUERY row; None without a bin."""
    when = _bin_start(row)
    if when is None:
        return None
    return {
        "kind": "init", "function": function_of(row.get("@log", ""), ""),
        "bin_start": when, "bin_seconds": width, "cold_start": True,
        "bucket": _int(row.get("bucket")), "init_count": _int(row.get("cold_starts")) or 0,
        "init_sum": _float(row.get("init_sum")), "init_min": _float(row.get("init_min")),
        "init_max": _float(row.get("init_max")),
    }  # fmt: skip


def correction(report: dict[str, str], outcome: str, width: int) -> dict[str, Any] | None:
    """The record (kind 'failure') moving one invocation from its REPORT's outcome to `outcome`.

    STATS_QUERY counts only what REPORT `Status:` says; a handler exception (no Status) or a
    later timeout line changes it, as the file loader would. None when nothing changes.
    """
    ts = parse_ts(report.get("@timestamp", ""))
    status = (report.get("status") or "").lower()
    errors = timeouts = 0
    if outcome == "timeout" and status != "timeout":
        timeouts, errors = 1, -1 if status == "error" else 0
    elif outcome == "error" and status not in {"error", "timeout"}:
        errors = 1
    if ts is None or not (errors or timeouts):
        return None
    epoch = int(ts.replace(tzinfo=UTC).timestamp())
    when = parse_ts(str((epoch // width * width) * 1000))
    return {
        "kind": "failure", "function": function_of(report.get("@log", ""), ""),
        "bin_start": when, "bin_seconds": width,
        "cold_start": bool(report.get("@initDuration") or report.get("restoreDuration")),
        "bucket": None,
        "errors": errors, "timeouts": timeouts,
    }  # fmt: skip


class Stage:
    """`aggregates` records written to a temporary NDJSON file as they arrive (memory holds
    one query's rows, not the whole load), merged by key into the table in one statement."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(suffix=".ndjson")
        self._fh = os.fdopen(fd, "w", encoding="utf-8")
        self.functions: set[str] = set()
        """Functions the staged records name."""

    def add(self, records: Iterable[dict[str, Any] | None]) -> None:
        """Stage `records` (None entries skipped)."""
        for r in records:
            if r is not None:
                self._fh.write(json.dumps({k: r.get(k) for k in COLUMNS}, default=str) + "\n")
                if r.get("function"):
                    self.functions.add(str(r["function"]))

    def load(self, con: duckdb.DuckDBPyConnection) -> None:
        """Merge everything staged into `aggregates` (same key: sums add, min/max combine)."""
        self._fh.close()
        types = ", ".join(f"'{k}': '{t}'" for k, t in COLUMNS.items())
        merged = (
            [*_KEYS]
            + [f"coalesce(sum({c}), 0)" if COLUMNS[c] == "BIGINT" else f"sum({c})" for c in _SUMS]
            + [f"min({c})" for c in _MINS]
            + [f"max({c})" for c in _MAXES]
        )
        names = [*_KEYS, *_SUMS, *_MINS, *_MAXES]
        con.execute(
            f"INSERT INTO aggregates ({', '.join(names)}) SELECT {', '.join(merged)} "
            f"FROM read_json(?, format = 'newline_delimited', columns = {{{types}}}) "
            f"GROUP BY ALL",
            [self.path],
        )

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()
        os.unlink(self.path)


def insert_aggregates(con: duckdb.DuckDBPyConnection, records: Iterable[dict[str, Any]]) -> None:
    """Merge `records` by key into table `aggregates`."""
    with Stage() as stage:
        stage.add(records)
        stage.load(con)
