"""The dashboard's queries: plain functions from a DuckDB connection and `Filters` to rows.

Each returns plain Python values (dicts or dataclasses) so widgets never see SQL. Values are
always `?` parameters; the only SQL text spliced in is the fragment `Filters.where()` builds.
Percentiles are `quantile_cont`, like the report, so the numbers on screen match it.
After an aggregated `analyze --insights` load the same functions answer from table
`aggregates` (analyzer/aggregates.py: counts exact, percentiles estimated, no single
invocations but failed ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from analyzer import aggregates, pricing
from analyzer.filters import Filters
from analyzer.queries import init_failures

Row = dict[str, Any]
"""One result row: column name to value."""

BUCKETS_S = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 10800, 21600, 43200, 86400, 604800)
"""Time-series bucket sizes to choose from, in seconds."""

MAX_BUCKETS = 60
"""The largest number of buckets a time series is cut into."""

OOM = "Runtime.OutOfMemory"
"""The error type the loader gives an invocation that ran out of memory."""

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_PATTERN_SQL = (
    "regexp_replace(regexp_replace(regexp_replace(regexp_replace("
    "coalesce(error_message, ''), ?, '<uuid>', 'g'), '0x[0-9a-fA-F]+', '<hex>', 'g'), "
    "'\\b[0-9a-fA-F]{12,}\\b', '<hex>', 'g'), '[0-9]+', '<n>', 'g')"
)
"""SQL turning an error message into its pattern (uuids, hex and digits normalised)."""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> list[Row]:
    """Run `sql` and return each row as a dict keyed by column name."""
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description or ()]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def functions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every function name that has invocations, sorted."""
    if aggregates.present(con):
        return aggregates.function_names(con)
    sql = "SELECT DISTINCT function FROM invocations WHERE function IS NOT NULL ORDER BY 1"
    return [r[0] for r in con.execute(sql).fetchall()]


def time_bounds(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """The first and last invocation start time in the whole database (naive UTC)."""
    if aggregates.present(con):
        return aggregates.time_bounds(con)
    row = con.execute("SELECT min(start_ts), max(start_ts) FROM invocations").fetchone()
    return (row[0], row[1]) if row else (None, None)


_SUMMARY_SQL = """
SELECT function,
  count(*) AS invocations,
  count(*) FILTER (WHERE outcome = 'error') AS errors,
  count(*) FILTER (WHERE outcome = 'timeout') AS timeouts,
  count(*) FILTER (WHERE error_type = 'Runtime.OutOfMemory') AS oom,
  count(*) FILTER (WHERE cold_start) AS cold_starts,
  quantile_cont(duration_ms, [0.5, 0.9, 0.99]) FILTER (WHERE NOT coalesce(cold_start, false))
    AS warm_q,
  max(duration_ms) FILTER (WHERE NOT coalesce(cold_start, false)) AS warm_max,
  quantile_cont(duration_ms, [0.5, 0.9, 0.99]) FILTER (WHERE cold_start) AS cold_q,
  max(duration_ms) FILTER (WHERE cold_start) AS cold_max,
  quantile_cont(init_ms, [0.5, 0.99]) AS init_q,
  max(memory_mb) AS memory_mb,
  max(max_memory_mb) AS max_memory_mb,
  sum(billed_ms / 1000.0 * memory_mb / 1024.0) AS gb_seconds
FROM invocations WHERE {where}
GROUP BY function ORDER BY invocations DESC, function
"""


def _quantiles(values: list[float] | None, names: tuple[str, ...], prefix: str) -> Row:
    """Spread a DuckDB quantile list over named keys (None when there was no value)."""
    return {f"{prefix}_{n}": (values[i] if values else None) for i, n in enumerate(names)}


def function_summary(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[Row]:
    """One row per function: counts, rates, warm/cold durations, init, memory, cost."""
    if aggregates.applies(con, filters):
        return aggregates.function_summary(con, filters)
    where, params = filters.where()
    inits = init_failures(con, filters)
    unknown_inits = aggregates.inits_unknown(con)
    out: list[Row] = []
    for r in _rows(con, _SUMMARY_SQL.format(where=where), params):
        n = int(r["invocations"])
        row: Row = {
            "function": r["function"],
            "invocations": n,
            "errors": r["errors"],
            "error_rate": r["errors"] / n if n else None,
            "timeouts": r["timeouts"],
            "oom": r["oom"],
            "init_failures": None if unknown_inits else inits.get(r["function"], 0),
            "cold_starts": r["cold_starts"],
            "cold_ratio": r["cold_starts"] / n if n else None,
        }
        row |= _quantiles(r["warm_q"], ("p50", "p90", "p99"), "warm")
        row["warm_max"] = r["warm_max"]
        row |= _quantiles(r["cold_q"], ("p50", "p90", "p99"), "cold")
        row["cold_max"] = r["cold_max"]
        row |= _quantiles(r["init_q"], ("p50", "p99"), "init")
        row["memory_mb"] = r["memory_mb"]
        row["max_memory_mb"] = r["max_memory_mb"]
        gbs = r["gb_seconds"]
        row["cost_usd"] = pricing.cost(gbs, n, "x86_64") if gbs is not None else None
        out.append(row)
    return out


def choose_bucket(span_seconds: float) -> int:
    """The smallest bucket size (s) that cuts `span_seconds` into at most MAX_BUCKETS."""
    for size in BUCKETS_S:
        if span_seconds / size <= MAX_BUCKETS:
            return size
    return BUCKETS_S[-1]


@dataclass(frozen=True)
class Series:
    """A time series: bucket size and one row per bucket, gaps filled with zeros."""

    bucket_seconds: int
    rows: list[Row]


_SERIES_SQL = """
SELECT time_bucket(to_seconds(?), start_ts) AS bucket,
  count(*) AS invocations,
  count(*) FILTER (WHERE outcome = 'error') AS errors,
  count(*) FILTER (WHERE outcome = 'timeout') AS timeouts,
  count(*) FILTER (WHERE cold_start) AS cold_starts,
  quantile_cont(duration_ms, 0.99) AS p99
FROM invocations WHERE start_ts IS NOT NULL AND {where}
GROUP BY bucket ORDER BY bucket
"""


def timeseries(con: duckdb.DuckDBPyConnection, filters: Filters) -> Series:
    """Invocations, errors, timeouts, cold starts and p99 duration per time bucket."""
    if aggregates.applies(con, filters):
        size, found = aggregates.series(con, filters, choose_bucket)
    else:
        where, params = filters.where()
        span = con.execute(
            f"SELECT epoch(max(start_ts)) - epoch(min(start_ts)) FROM invocations WHERE {where}",
            params,
        ).fetchone()
        size = choose_bucket(float(span[0]) if span and span[0] is not None else 0.0)
        found = _rows(con, _SERIES_SQL.format(where=where), [size, *params])
    if not found:
        return Series(size, [])
    by_bucket = {r["bucket"]: r for r in found}
    first, last = found[0]["bucket"], found[-1]["bucket"]
    step = timedelta(seconds=size)
    rows: list[Row] = []
    t = first
    while t <= last:
        empty = {"bucket": t, "invocations": 0, "errors": 0, "timeouts": 0}
        rows.append(by_bucket.get(t, empty | {"cold_starts": 0, "p99": None}))
        t = t + step
    return Series(size, rows)


_HIST_SQL = """
SELECT CASE WHEN duration_ms > ? THEN ?
    ELSE least(greatest(CAST(floor({pos}) AS INTEGER), 0), ? - 1) END AS bin,
  count(*) FILTER (WHERE NOT coalesce(cold_start, false)) AS warm,
  count(*) FILTER (WHERE cold_start) AS cold
FROM invocations WHERE duration_ms IS NOT NULL AND {where}
GROUP BY bin ORDER BY bin
"""

_HIST_LINEAR = "(duration_ms - ?) / ?"
"""Bin position on equal-width bins: (d - lo) / width."""

_HIST_LOG = "(ln(greatest(duration_ms, ?)) - ?) / ?"
"""Bin position on log-spaced bins: (ln d - ln lo) / ln(ratio of neighbouring edges)."""

LOG_RATIO = 8.0
"""Bins are log-spaced when the range they cover spans more than this factor."""


def _edges(lo: float, top: float, bins: int) -> tuple[list[float], bool]:
    """Bin edges from `lo` to `top`: log-spaced over a wide range, else equal widths."""
    lo = max(lo, 0.01)  # ln needs > 0; sub-0.01 ms durations fall in the first bin
    if top > lo * LOG_RATIO:
        return [lo * (top / lo) ** (i / bins) for i in range(bins + 1)], True
    width = (top - lo) / bins if top > lo else 1.0
    return [lo + i * width for i in range(bins + 1)], False


def histogram(con: duckdb.DuckDBPyConnection, filters: Filters, bins: int = 12) -> list[Row]:
    """Duration histogram from min to p99 (log-spaced when wide), warm and cold counts.

    Durations above p99 (timeouts, outliers) go to one last `overflow` row, so a single
    30 s timeout does not squeeze every other invocation into the first bin.
    """
    if aggregates.applies(con, filters):
        return aggregates.histogram(con, filters, bins)
    where, params = filters.where()
    stats = con.execute(
        "SELECT min(duration_ms), quantile_cont(duration_ms, 0.99), max(duration_ms) "
        f"FROM invocations WHERE {where}",
        params,
    ).fetchone()
    if not stats or stats[0] is None:
        return []
    lo, p99, hi = (float(v) for v in stats)
    top = p99 if hi > p99 * 1.05 and p99 > lo else hi
    edges, log = _edges(lo, top, bins)
    if log:
        pos = _HIST_LOG
        pos_params: list[object] = [edges[0], math.log(edges[0]), math.log(edges[1] / edges[0])]
    else:
        pos, pos_params = _HIST_LINEAR, [edges[0], edges[1] - edges[0]]
    sql = _HIST_SQL.format(pos=pos, where=where)
    counts = {r["bin"]: r for r in _rows(con, sql, [top, bins, *pos_params, bins, *params])}
    out: list[Row] = []
    for i in range(bins + (1 if top < hi else 0)):
        c = counts.get(i, {"warm": 0, "cold": 0})
        lo_ms, hi_ms = (edges[i], edges[i + 1]) if i < bins else (top, hi)
        out.append(
            {"lo_ms": lo_ms, "hi_ms": hi_ms, "overflow": i == bins}
            | {"warm": c["warm"], "cold": c["cold"]}
        )
    return out


_GROUPS_SQL = """
SELECT coalesce(error_type, CASE WHEN outcome = 'timeout' THEN 'Task timed out' END, 'error')
    AS error_type,
  {pattern} AS pattern,
  count(*) AS count,
  min(start_ts) AS first_seen,
  max(start_ts) AS last_seen,
  any_value(request_id ORDER BY start_ts) AS example
FROM invocations WHERE outcome IN ('error', 'timeout') AND {where}
GROUP BY 1, 2 ORDER BY count DESC, error_type, pattern
LIMIT ?
"""


def error_groups(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 200) -> list[Row]:
    """Errors and timeouts grouped by type and message pattern, most frequent first."""
    where, params = filters.where()
    # Out of memory is one failure whatever the runtime printed (often nothing, sometimes
    # "Runtime exited with error: signal: killed"): one group, not one per wording.
    pattern = f"CASE WHEN error_type = ? THEN 'out of memory' ELSE {_PATTERN_SQL} END"
    sql = _GROUPS_SQL.format(pattern=pattern, where=where)
    return _rows(con, sql, [OOM, _UUID, *params, limit])


def normalize_message(con: duckdb.DuckDBPyConnection, message: str) -> str:
    """The pattern `error_groups` would file `message` under."""
    sql = f"SELECT {_PATTERN_SQL} FROM (SELECT ? AS error_message)"
    row = con.execute(sql, [_UUID, message]).fetchone()
    return str(row[0]) if row else ""


_INVOCATION_COLUMNS = (
    "request_id, start_ts, duration_ms, billed_ms, cold_start, init_ms, outcome, "
    "error_type, max_memory_mb, memory_mb, version"
)


def slowest(con: duckdb.DuckDBPyConnection, filters: Filters, limit: int = 100) -> list[Row]:
    """The slowest invocations (longest duration first); none after an aggregated load
    (`drilldown_note` says why)."""
    if aggregates.applies(con, filters):
        return []
    where, params = filters.where()
    sql = (
        f"SELECT {_INVOCATION_COLUMNS} FROM invocations "
        f"WHERE duration_ms IS NOT NULL AND {where} "
        "ORDER BY duration_ms DESC, request_id LIMIT ?"
    )
    return _rows(con, sql, [*params, limit])


def drilldown_note(con: duckdb.DuckDBPyConnection) -> str | None:
    """Why single invocations are missing (an aggregated --insights load), else None."""
    return aggregates.DRILLDOWN_NOTE if aggregates.present(con) else None


def invocation(con: duckdb.DuckDBPyConnection, request_id: str) -> Row | None:
    """Every recorded field of one invocation, or None when the id is unknown."""
    found = _rows(con, "SELECT * FROM invocations WHERE request_id = ? LIMIT 1", [request_id])
    return found[0] if found else None


_LINES_SQL = """
WITH own AS (
  SELECT file_id, min(line_no) AS lo, max(line_no) AS hi, max(env_id) AS env_id
  FROM events WHERE request_id = ? GROUP BY file_id
)
SELECT e.line_no, e.ts, e.kind, e.level, e.message, f.path
FROM events e JOIN own o ON e.file_id = o.file_id AND e.line_no BETWEEN o.lo AND o.hi
LEFT JOIN files f ON f.file_id = e.file_id
WHERE e.request_id = ? OR (e.request_id IS NULL AND e.env_id IS NOT DISTINCT FROM o.env_id)
ORDER BY e.file_id, e.line_no
"""


def invocation_lines(con: duckdb.DuckDBPyConnection, request_id: str) -> list[Row]:
    """The log lines of one invocation in file order (START … REPORT, app lines, traceback).

    Lines without a request id (a traceback's continuation lines in a message-only file)
    count when they sit between the invocation's first and last line of the same file and
    execution environment: an environment runs one invocation at a time.
    """
    return _rows(con, _LINES_SQL, [request_id, request_id])


def right_sizing(con: duckdb.DuckDBPyConnection, filters: Filters) -> pricing.RightSizing | None:
    """Cost now and at a suggested memory size, from billed duration and max memory used."""
    if aggregates.applies(con, filters):
        return aggregates.right_sizing(con, filters)
    where, params = filters.where()
    row = con.execute(
        "SELECT count(*), sum(billed_ms), max(memory_mb), max(max_memory_mb), "
        "sum(billed_ms / 1000.0 * memory_mb / 1024.0) "
        f"FROM invocations WHERE billed_ms IS NOT NULL AND memory_mb IS NOT NULL AND {where}",
        params,
    ).fetchone()
    return pricing.right_size_row(row)


def totals(con: duckdb.DuckDBPyConnection, filters: Filters) -> Row:
    """Whole-selection counts for the status line, plus what was read from files."""
    files = _rows(
        con,
        "SELECT count(*) AS files, coalesce(sum(lines), 0) AS lines, "
        "coalesce(sum(rejected), 0) AS rejected FROM files",
        [],
    )
    if aggregates.applies(con, filters):
        return aggregates.totals(con, filters) | files[0]
    where, params = filters.where()
    found = _rows(
        con,
        "SELECT count(*) AS invocations, count(*) FILTER (WHERE outcome = 'error') AS errors, "
        "count(*) FILTER (WHERE outcome = 'timeout') AS timeouts, "
        "count(*) FILTER (WHERE cold_start) AS cold_starts, "
        "count(DISTINCT function) AS functions "
        f"FROM invocations WHERE {where}",
        params,
    )
    return found[0] | files[0] | _time_range(con, filters)


def _time_range(con: duckdb.DuckDBPyConnection, filters: Filters) -> Row:
    """The data's first/last start time, and (time filter set) how many it drops for lack of one.

    An invocation without a start time cannot be placed in a time range, so a time filter
    leaves it out; the status line says so rather than dropping it silently.
    """
    untimed = 0
    if filters.since is not None or filters.until is not None:
        where, params = filters.replace(since=None, until=None).where()
        row = con.execute(
            f"SELECT count(*) FROM invocations WHERE start_ts IS NULL AND {where}", params
        ).fetchone()
        untimed = int(row[0]) if row else 0
    span = _rows(con, "SELECT min(start_ts) AS first, max(start_ts) AS last FROM invocations", [])
    return {"untimed": untimed} | span[0]
