"""Report and dashboard numbers from table `aggregates` (an aggregated `analyze --insights`).

When the database holds aggregates, `queries.summary` and the dashboard's views read them
instead of `invocations` (which then holds only the failed invocations, loaded one by one).

Exact: invocations, errors, timeouts, cold starts and their ratios, duration max and mean,
init max, memory, billed time and cost. Time filters apply to whole time bins (1 min to 1 day,
chosen at load time from the range: at most 200 bins): a bin counts when it overlaps the
range, so a load's own --since/--until select all it loaded; a range that cuts a bin is said
on stderr with the bins used (`widened`).

Estimated: percentiles (duration p50/p90/p99, init p50/p99), from per-bucket counts on a log
scale: bucket b holds values in [2^(b/8), 2^((b+1)/8)) ms, with each bucket's exact smallest
and largest value. Every order statistic is estimated by the geometric mean of its bucket's
smallest and largest value, so it is within a factor 2^(1/16) of the true value; an
interpolated percentile (DuckDB's quantile_cont, as the file report) is a weighted mean of
two such estimates, so the same bound holds: |estimate / true - 1| <= ERROR_BOUND (4.43 %).
The smallest and largest value are exact. Durations under 0.01 ms share one bucket (absolute
error under 0.01 ms there).

Not available: single invocations other than failed ones (slowest invocations, log lines of
successful ones), versions (a version filter matches no aggregate), percentiles of successful
invocations alone (an outcome filter 'success' gives counts, statistics null).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import duckdb

from analyzer import pricing
from analyzer.filters import Filters, _naive_utc

BUCKETS_PER_DOUBLING = 8
"""Histogram buckets per doubling of the value (edges grow by 2^(1/8))."""

ERROR_BOUND = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1
"""Largest relative error of an estimated percentile (0.0443)."""

REPORT_NOTE = (
    "aggregated in CloudWatch Logs Insights: counts exact, percentiles estimated within 4.43 %"
)
"""Said on stderr after a report answered from aggregates (analyze --insights, report --db)."""

DRILLDOWN_NOTE = (
    "aggregated by CloudWatch Logs Insights: no single invocations but failed ones "
    "(see error groups); percentiles estimated within 4.5 %. "
    "Re-run with --per-invocation to load every invocation"
)
"""What the dashboard shows where single invocations would be."""

Hist = list[tuple[int, int, float, float]]
"""(bucket, count, smallest, largest) per non-empty bucket, in bucket order."""

Row = dict[str, Any]


def _ask(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The row of a question about what the database holds; None in a database made without
    schema.sql's newest table (every answer then reads as 'no')."""
    try:
        return con.execute(sql).fetchone()
    except duckdb.CatalogException:
        return None


def present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database holds aggregates instead of invocations: an aggregated --insights
    load, its failed invocations aside (a load that would mix them with invocations loaded
    otherwise is refused, `mixing`; a database mixed before that answers from invocations)."""
    # two queries: a file load (no aggregates) answers after the first, cheaper one
    row = _ask(con, "SELECT EXISTS (SELECT 1 FROM aggregates)")
    if not (row and row[0]):
        return False
    row = _ask(
        con,
        "SELECT NOT EXISTS (SELECT 1 FROM invocations WHERE source IS DISTINCT FROM 'insights')",
    )
    return bool(row and row[0])


MIXED_INTO_AGGREGATES = (
    "this --db holds an aggregated `analyze --insights` load (counts per time bin, not single "
    "invocations); adding {what} would give wrong totals: use another --db"
)
MIXED_INTO_INVOCATIONS = (
    "this --db holds single invocations (loaded from files or with --per-invocation); an "
    "aggregated --insights load would give wrong totals with them: use another --db, or add "
    "--per-invocation"
)


def mixing(con: duckdb.DuckDBPyConnection, adding: str) -> str | None:
    """Why a load must not go into this database, or None. `adding`: 'aggregates' (an
    aggregated --insights load), 'per-invocation' (--insights --per-invocation) or 'files'.

    Aggregates and single invocations do not add up (the aggregated load keeps only its
    failed invocations one by one), so one database holds one kind: an aggregated load may
    replace an earlier aggregated load, nothing else may join it."""
    row = _ask(
        con,
        "SELECT EXISTS (SELECT 1 FROM aggregates), EXISTS (SELECT 1 FROM invocations WHERE"
        " source IS DISTINCT FROM 'insights') OR EXISTS (SELECT 1 FROM files WHERE format"
        " = 'insights')",
    )
    has_aggregates, has_single = bool(row and row[0]), bool(row and row[1])
    if adding == "aggregates":
        return MIXED_INTO_INVOCATIONS if has_single else None
    if has_aggregates:
        what = "files" if adding == "files" else "a --per-invocation load"
        return MIXED_INTO_AGGREGATES.format(what=what)
    return None


def inits_unknown(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether init failures are unknown: everything loaded came from Logs Insights (an
    aggregated or --per-invocation load), which does not query INIT_REPORT lines."""
    row = _ask(
        con,
        "SELECT (EXISTS (SELECT 1 FROM aggregates) OR EXISTS (SELECT 1 FROM invocations"
        " WHERE source = 'insights')) AND NOT EXISTS (SELECT 1 FROM invocations WHERE"
        " source IS DISTINCT FROM 'insights')",
    )
    return bool(row and row[0])


def applies(con: duckdb.DuckDBPyConnection, filters: Filters) -> bool:
    """Whether to answer from the aggregates: they exist and the filters do not select only
    failed invocations (those are all in `invocations`, exactly)."""
    return filters.outcome not in ("error", "timeout") and present(con)


def widened(con: duckdb.DuckDBPyConnection, filters: Filters) -> str | None:
    """What an aggregated answer's --since/--until really selected, when it cut a time bin
    (bins are the finest time there: the whole bins overlapping the range count), else None."""
    if (filters.since is None and filters.until is None) or not applies(con, filters):
        return None
    w, params = where(filters)
    row = con.execute(
        "SELECT min(bin_start), max(bin_start + to_seconds(bin_seconds)), max(bin_seconds)"
        f" FROM aggregates WHERE {w}",
        params,
    ).fetchone()
    if not row or row[0] is None:
        return None
    lo, hi, width = row
    since = _naive_utc(filters.since) if filters.since is not None else None
    until = _naive_utc(filters.until) if filters.until is not None else None
    if (since is None or lo >= since) and (until is None or hi <= until):
        return None
    span = f"{width // 60} min" if width < 3600 else f"{width // 3600} h"
    return (
        f"--since/--until cut a time bin: the aggregates answered for the whole {span} bins "
        f"[{lo:%Y-%m-%d %H:%M:%S}, {hi:%Y-%m-%d %H:%M:%S}) UTC (exact only if that range "
        "is what the load read); align the range to bins, or load with --per-invocation for "
        "exact times"
    )


def edge(bucket: int) -> float:
    """The lower edge (ms) of a bucket."""
    return float(2 ** (bucket / BUCKETS_PER_DOUBLING))


def where(filters: Filters) -> tuple[str, list[object]]:
    """SQL over `aggregates` for the function, time (by bin start), cold and version filters."""
    clauses: list[str] = []
    params: list[object] = []
    if filters.function is not None:
        clauses.append("function = ?")
        params.append(filters.function)
    if filters.since is not None:  # bins that overlap [since, until)
        clauses.append("bin_start + to_seconds(bin_seconds) > ?")
        params.append(_naive_utc(filters.since))
    if filters.until is not None:
        clauses.append("bin_start < ?")
        params.append(_naive_utc(filters.until))
    if filters.cold is not None:
        clauses.append("cold_start = ?")
        params.append(filters.cold)
    if filters.version is not None:
        clauses.append("FALSE")  # aggregates carry no version
    return (" AND ".join(clauses) if clauses else "TRUE"), params


def _value(hist: Hist, rank: int, n: int) -> float:
    """Estimate of the `rank`-th smallest of the `n` values of a histogram (0-based): exact
    for the smallest and the largest, else its bucket's geometric middle."""
    if rank <= 0:
        return hist[0][2]
    if rank >= n - 1:
        return hist[-1][3]
    seen = 0
    for _, count, lo, hi in hist:
        seen += count
        if rank < seen:
            return math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2
    return hist[-1][3]


def quantiles(hist: Hist, qs: tuple[float, ...]) -> list[float | None]:
    """quantile_cont estimates of `hist` at each q (None for an empty histogram)."""
    n = sum(c for _, c, _, _ in hist)
    if n == 0:
        return [None for _ in qs]
    out: list[float | None] = []
    for q in qs:
        h = (n - 1) * q
        k = math.floor(h)
        v = _value(hist, k, n)
        if h > k:
            v += (h - k) * (_value(hist, k + 1, n) - v)
        out.append(v)
    return out


def _merge(hist: Hist) -> Hist:
    """Bucket rows of several groups merged per bucket, in bucket order."""
    merged: dict[int, tuple[int, float, float]] = {}
    for b, c, lo, hi in hist:
        old = merged.get(b)
        merged[b] = (c, lo, hi) if old is None else (old[0] + c, min(old[1], lo), max(old[2], hi))
    return [(b, *merged[b]) for b in sorted(merged)]


_HIST_SQL = """
SELECT {group} AS grp, kind, bucket,
  sum(CASE WHEN kind = 'init' THEN init_count ELSE duration_count END) AS n,
  min(CASE WHEN kind = 'init' THEN init_min ELSE duration_min END) AS lo,
  max(CASE WHEN kind = 'init' THEN init_max ELSE duration_max END) AS hi
FROM aggregates WHERE kind IN ('report', 'init') AND bucket IS NOT NULL AND {where}
GROUP BY ALL ORDER BY bucket
"""


def _histograms(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    group: str = "function",
    group_params: tuple[object, ...] = (),
) -> dict[tuple[Any, str], Hist]:
    """Histograms per (`group` value, kind 'report' | 'init'); `group` is a SQL expression
    over `aggregates` whose `?` take `group_params`."""
    w, params = where(filters)
    out: dict[tuple[Any, str], Hist] = {}
    rows = con.execute(_HIST_SQL.format(group=group, where=w), [*group_params, *params])
    for grp, kind, bucket, n, lo, hi in rows.fetchall():
        if n:
            out.setdefault((grp, kind), []).append((int(bucket), int(n), float(lo), float(hi)))
    return out


def summary_rows(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[tuple[Any, ...]]:
    """Rows as queries.summary's GROUPING SETS query gives them: (is_total, function, then the
    13 columns of queries._AGGREGATES), totals row first."""
    w, params = where(filters)
    rows = con.execute(
        "SELECT grouping(function) AS is_total, function, coalesce(sum(invocations), 0),"
        " coalesce(sum(errors), 0), coalesce(sum(timeouts), 0),"
        " coalesce(sum(invocations) FILTER (WHERE cold_start), 0),"
        " max(duration_max), sum(duration_sum) / nullif(sum(duration_count), 0),"
        " max(init_max), max(memory_mb), max(max_memory_mb) "
        f"FROM aggregates WHERE {w} "
        "GROUP BY GROUPING SETS ((function), ()) ORDER BY is_total, function NULLS LAST",
        params,
    ).fetchall()
    hists = _histograms(con, filters)
    out: list[tuple[Any, ...]] = []
    for is_total, fn, n, errors, timeouts, cold, dmax, dmean, imax, mem, used in rows:
        if is_total:
            dur = _merge([x for (_, k), h in hists.items() if k == "report" for x in h])
            init = _merge([x for (_, k), h in hists.items() if k == "init" for x in h])
        else:
            dur, init = hists.get((fn, "report"), []), hists.get((fn, "init"), [])
        n = int(n)
        if filters.outcome == "success":  # counts only: no statistic of successes alone
            n, errors, timeouts = n - int(errors) - int(timeouts), 0, 0
            cold, dur, init, dmax, dmean, imax = None, [], [], None, None, None
        dq = quantiles(dur, (0.5, 0.9, 0.99)) if dur else None
        iq = quantiles(init, (0.5, 0.99)) if init else None
        counts = (n, int(errors), int(timeouts), n, cold, n)
        out.append((is_total, fn, *counts, dq, dmax, dmean, iq, imax, mem, used))
    return out


def function_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every function the aggregates name, sorted."""
    sql = "SELECT DISTINCT function FROM aggregates WHERE function IS NOT NULL ORDER BY 1"
    return [str(r[0]) for r in con.execute(sql).fetchall()]


def time_bounds(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """The first and last time bin's start."""
    row = con.execute("SELECT min(bin_start), max(bin_start) FROM aggregates").fetchone()
    return (row[0], row[1]) if row else (None, None)


def function_summary(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[Row]:
    """views.function_summary's rows from the aggregates (oom from the failed invocations)."""
    w, params = where(filters)
    counts = con.execute(
        "SELECT function, coalesce(sum(invocations), 0), coalesce(sum(errors), 0),"
        " coalesce(sum(timeouts), 0), coalesce(sum(invocations) FILTER (WHERE cold_start), 0),"
        " max(duration_max) FILTER (WHERE NOT cold_start),"
        " max(duration_max) FILTER (WHERE cold_start), max(memory_mb), max(max_memory_mb),"
        " sum(billed_sum / 1000.0 * memory_mb / 1024.0) "
        f"FROM aggregates WHERE {w} GROUP BY function",
        params,
    ).fetchall()
    oom = dict(
        con.execute(
            "SELECT function, count(*) FROM invocations "
            "WHERE error_type = 'Runtime.OutOfMemory' GROUP BY 1"
        ).fetchall()
    )
    split = _histograms(con, filters, "function || '|' || cold_start::VARCHAR")
    out: list[Row] = []
    for fn, n, errors, timeouts, cold, warm_max, cold_max, mem, used, gbs in counts:
        n, errors, timeouts = int(n), int(errors), int(timeouts)
        success = filters.outcome == "success"
        if success:
            n, errors, timeouts = n - errors - timeouts, 0, 0
        warm = [] if success else split.get((f"{fn}|false", "report"), [])
        hot = [] if success else split.get((f"{fn}|true", "report"), [])
        init = [] if success else split.get((f"{fn}|true", "init"), [])
        row: Row = {
            "function": fn, "invocations": n, "errors": errors,
            "error_rate": errors / n if n else None, "timeouts": timeouts,
            "oom": 0 if success else int(oom.get(fn, 0)), "init_failures": None,
            "cold_starts": None if success else int(cold),
            "cold_ratio": None if success or not n else int(cold) / n,
        }  # fmt: skip
        for prefix, hist in (("warm", warm), ("cold", hot)):
            for name, v in zip(
                ("p50", "p90", "p99"), quantiles(hist, (0.5, 0.9, 0.99)), strict=True
            ):
                row[f"{prefix}_{name}"] = v
            row[f"{prefix}_max"] = None if success else (warm_max if prefix == "warm" else cold_max)
        row["init_p50"], row["init_p99"] = quantiles(init, (0.5, 0.99))
        row["memory_mb"], row["max_memory_mb"] = mem, used
        row["cost_usd"] = pricing.cost(gbs, n, "x86_64") if gbs is not None else None
        out.append(row)
    out.sort(key=lambda r: (-r["invocations"], r["function"] or ""))
    return out


def series(
    con: duckdb.DuckDBPyConnection, filters: Filters, choose: Callable[[float], int]
) -> tuple[int, list[Row]]:
    """(bucket seconds, rows per non-empty bucket) as views.timeseries queries them; p99
    estimated per bucket. Buckets are never finer than the load's time bins."""
    w, params = where(filters)
    span = con.execute(
        "SELECT epoch(max(bin_start)) - epoch(min(bin_start)), max(bin_seconds) "
        f"FROM aggregates WHERE {w}",
        params,
    ).fetchone()
    size = choose(float(span[0]) if span and span[0] is not None else 0.0)
    size = max(size, int(span[1]) if span and span[1] else 0)
    bucket = "time_bucket(to_seconds(?), bin_start)"
    rows = con.execute(
        f"SELECT {bucket} AS bucket, coalesce(sum(invocations), 0), coalesce(sum(errors), 0),"
        " coalesce(sum(timeouts), 0), coalesce(sum(invocations) FILTER (WHERE cold_start), 0) "
        f"FROM aggregates WHERE kind <> 'init' AND {w} GROUP BY 1 ORDER BY 1",
        [size, *params],
    ).fetchall()
    hists: dict[Any, Hist] = {}
    for (t, kind), hist in _histograms(con, filters, bucket, (size,)).items():
        if kind == "report":
            hists[t] = hist
    success = filters.outcome == "success"
    found: list[Row] = []
    for t, n, errors, timeouts, cold in rows:
        if success:
            n, errors, timeouts = int(n) - int(errors) - int(timeouts), 0, 0
        p99 = None if success else quantiles(hists.get(t, []), (0.99,))[0]
        found.append(
            {"bucket": t, "invocations": int(n), "errors": int(errors),
             "timeouts": int(timeouts), "cold_starts": int(cold), "p99": p99}
        )  # fmt: skip
    return size, found


def histogram(con: duckdb.DuckDBPyConnection, filters: Filters, bins: int = 12) -> list[Row]:
    """views.histogram's rows from the buckets: min to p99 in at most `bins` rows (groups of
    whole buckets), warm and cold counts, and an overflow row above p99 when it is long."""
    if filters.outcome == "success":
        return []
    w, params = where(filters)
    found = con.execute(
        "SELECT bucket, coalesce(sum(duration_count) FILTER (WHERE NOT cold_start), 0),"
        " coalesce(sum(duration_count) FILTER (WHERE cold_start), 0),"
        " min(duration_min), max(duration_max) FROM aggregates "
        f"WHERE kind = 'report' AND bucket IS NOT NULL AND {w} GROUP BY 1 ORDER BY 1",
        params,
    ).fetchall()
    found = [r for r in found if r[1] + r[2]]
    if not found:
        return []
    hist: Hist = [(int(b), int(wm + cd), float(lo), float(hi)) for b, wm, cd, lo, hi in found]
    lo_all, hi_all = hist[0][2], hist[-1][3]
    p99 = quantiles(hist, (0.99,))[0] or hi_all
    long_tail = hi_all > p99 * 1.05 and p99 > lo_all
    top = max(b for b, _, lo, _ in hist if lo <= p99) if long_tail else hist[-1][0]
    first = hist[0][0]
    width = max(1, math.ceil((top - first + 1) / bins))
    counts = {int(b): (int(wm), int(cd)) for b, wm, cd, _, _ in found}
    out: list[Row] = []
    for g_lo in range(first, top + 1, width):
        g_hi = min(g_lo + width, top + 1)
        warm = sum(counts.get(b, (0, 0))[0] for b in range(g_lo, g_hi))
        cold = sum(counts.get(b, (0, 0))[1] for b in range(g_lo, g_hi))
        out.append(
            {"lo_ms": max(edge(g_lo), lo_all), "hi_ms": min(edge(g_hi), hi_all),
             "overflow": False, "warm": warm, "cold": cold}
        )  # fmt: skip
    if long_tail:
        rest = [c for b, c in counts.items() if b > top]
        out.append(
            {"lo_ms": edge(top + 1), "hi_ms": hi_all, "overflow": True,
             "warm": sum(c[0] for c in rest), "cold": sum(c[1] for c in rest)}
        )  # fmt: skip
    return out


def right_sizing(con: duckdb.DuckDBPyConnection, filters: Filters) -> pricing.RightSizing | None:
    """views.right_sizing from the aggregates' billed time, memory and max memory used."""
    w, params = where(filters)
    row = con.execute(
        "SELECT sum(invocations), sum(billed_sum), max(memory_mb), max(max_memory_mb),"
        " sum(billed_sum / 1000.0 * memory_mb / 1024.0) FROM aggregates "
        f"WHERE kind = 'report' AND billed_sum IS NOT NULL AND memory_mb IS NOT NULL AND {w}",
        params,
    ).fetchone()
    return pricing.right_size_row(row)


def totals(con: duckdb.DuckDBPyConnection, filters: Filters) -> Row:
    """views.totals' counts from the aggregates (without the `files` part)."""
    w, params = where(filters)
    row = con.execute(
        "SELECT coalesce(sum(invocations), 0), coalesce(sum(errors), 0),"
        " coalesce(sum(timeouts), 0), coalesce(sum(invocations) FILTER (WHERE cold_start), 0),"
        " count(DISTINCT function) FILTER (WHERE kind = 'report') "
        f"FROM aggregates WHERE {w}",
        params,
    ).fetchone()
    n, errors, timeouts, cold, functions = (int(v) for v in (row or (0, 0, 0, 0, 0)))
    if filters.outcome == "success":
        n, errors, timeouts = n - errors - timeouts, 0, 0
    first, last = time_bounds(con)
    return {
        "invocations": n, "errors": errors, "timeouts": timeouts, "cold_starts": cold,
        "functions": functions, "untimed": 0, "first": first, "last": last,
        "aggregated": True,
    }  # fmt: skip
