"""The summary behind `lambdascope report`: per function and in total, as the JSON contract.

Shape (design.md §3, `schema` 1): `ingest` from the `files` table, then `totals` and
`functions` (sorted by name, an unknown function last as `null`) with the same keys.

Rounding: milliseconds to `MS_DECIMALS` (3) places, ratios to `RATIO_DECIMALS` (6) places,
memory in whole MB. Percentiles are DuckDB `quantile_cont` (linear interpolation) over every
invocation with a known duration, timed-out ones included.

`null` means unknowable, never zero: ratios and statistics of zero invocations, durations
when no REPORT said one, `errors`/`timeouts` when no invocation has a known outcome,
`cold_starts` when no invocation says whether it was cold.

An aggregated `analyze --insights` load (table `aggregates`) answers from the aggregates:
counts exact, percentiles estimated within `aggregates.ERROR_BOUND` (analyzer/aggregates.py).

After the contract keys each entry has `init_failures`: the failed init phases of table
`init_failures` (INIT_REPORT with an error or timeout status); one that went on to reach an
invocation is also counted in that invocation's `errors`. They count under outcome `error`
and cold starts, not under another outcome, warm only or a version
(`Filters.init_failures_where`). A function that only failed to initialise is listed with
zero invocations when its failures count. After an --insights load (aggregated or
--per-invocation) it is `null` (unknown: INIT_REPORT lines are not queried there), never 0.
"""

from __future__ import annotations

from typing import Any

import duckdb

from analyzer import aggregates
from analyzer.filters import Filters

SCHEMA_VERSION = 1
"""Value of the `schema` key; bumped only on an incompatible change of the JSON shape."""

MS_DECIMALS = 3
"""Decimal places kept for millisecond values."""

RATIO_DECIMALS = 6
"""Decimal places kept for `error_rate` and `cold_start_ratio`."""

COUNT_KEYS = ("invocations", "errors", "timeouts", "cold_starts")
"""The counting keys of a totals/function entry, in contract order."""

DURATION_STATS = ("p50", "p90", "p99", "max", "mean")
"""Keys of the `duration_ms` object."""

INIT_STATS = ("p50", "p99", "max")
"""Keys of the `init_ms` object."""

_AGGREGATES = """
    count(*) AS invocations,
    count(*) FILTER (WHERE outcome = 'error') AS errors,
    count(*) FILTER (WHERE outcome = 'timeout') AS timeouts,
    count(outcome) AS known_outcomes,
    count(*) FILTER (WHERE cold_start) AS cold_starts,
    count(cold_start) AS known_cold,
    quantile_cont(duration_ms, [0.5, 0.9, 0.99]) AS duration_q,
    max(duration_ms) AS duration_max,
    sum(duration_ms::DECIMAL(38, 6)) / count(duration_ms) AS duration_mean,
    quantile_cont(init_ms, [0.5, 0.99]) AS init_q,
    max(init_ms) AS init_max,
    max(memory_mb) AS memory_size_mb,
    max(max_memory_mb) AS max_memory_used_mb
"""


def _ms(value: float | None) -> float | None:
    """A millisecond value rounded for output; None stays None."""
    return None if value is None else round(float(value), MS_DECIMALS)


def _ratio(part: int | None, whole: int) -> float | None:
    """`part / whole` rounded, None when either is unknown or `whole` is zero."""
    if part is None or whole == 0:
        return None
    return round(part / whole, RATIO_DECIMALS)


def _entry(row: tuple[Any, ...], init_failures: int | None) -> dict[str, Any]:
    """One totals/function object from an aggregate row (columns as in `_AGGREGATES`)."""
    (
        n,
        errors,
        timeouts,
        known_outcomes,
        cold,
        known_cold,
        dq,
        dmax,
        dmean,
        iq,
        imax,
        mem,
        used,
    ) = row
    if n and not known_outcomes:
        errors = timeouts = None
    if n and not known_cold:
        cold = None
    dq = dq or [None, None, None]
    iq = iq or [None, None]
    return {
        "invocations": n,
        "errors": errors,
        "timeouts": timeouts,
        "cold_starts": cold,
        "error_rate": _ratio(errors, n),
        "cold_start_ratio": _ratio(cold, n),
        "duration_ms": {
            "p50": _ms(dq[0]),
            "p90": _ms(dq[1]),
            "p99": _ms(dq[2]),
            "max": _ms(dmax),
            "mean": _ms(dmean),
        },
        "init_ms": {"p50": _ms(iq[0]), "p99": _ms(iq[1]), "max": _ms(imax)},
        "memory_size_mb": None if mem is None else int(mem),
        "max_memory_used_mb": None if used is None else int(used),
        "init_failures": init_failures,
    }


_EMPTY_ROW: tuple[Any, ...] = (0, 0, 0, 0, 0, 0, None, None, None, None, None, None, None)
"""The aggregate row of a function that has no (matching) invocations."""


def function_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every named function of the data, before any filter: invocations and init failures."""
    rows = con.execute(
        "SELECT function FROM invocations WHERE function IS NOT NULL "
        "UNION SELECT function FROM init_failures WHERE function IS NOT NULL "
        "UNION SELECT function FROM aggregates WHERE function IS NOT NULL ORDER BY 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def empty_entry() -> dict[str, Any]:
    """The totals/function entry of no invocations: zero counts, `null` statistics."""
    return _entry(_EMPTY_ROW, 0)


def ingest(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What was read: files, lines, events and rejected lines over the `files` table."""
    row = con.execute(
        "SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(events), 0), "
        "coalesce(sum(rejected), 0) FROM files"
    ).fetchall()[0]
    return {
        "files": int(row[0]),
        "lines": int(row[1]),
        "events": int(row[2]),
        "rejected": int(row[3]),
    }


def init_failures(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str | None, int]:
    """Init failures per function that `filters` selects (`Filters.init_failures_where`)."""
    selected = filters.init_failures_where()
    if selected is None:
        return {}
    where, params = selected
    rows = con.execute(
        f"SELECT function, count(*) FROM init_failures WHERE {where} GROUP BY function", params
    ).fetchall()
    return {fn: int(count) for fn, count in rows}


def summary(con: duckdb.DuckDBPyConnection, filters: Filters | None = None) -> dict[str, Any]:
    """The `report --format json` document for the invocations `filters` selects."""
    filters = filters or Filters()
    where, params = filters.where()
    if aggregates.applies(con, filters):  # an aggregated --insights load
        rows = aggregates.summary_rows(con, filters)
    else:
        rows = con.execute(
            f"SELECT grouping(function) AS is_total, function, {_AGGREGATES} "
            f"FROM invocations WHERE {where} "
            "GROUP BY GROUPING SETS ((function), ()) ORDER BY is_total, function NULLS LAST",
            params,
        ).fetchall()
    unknown_inits = aggregates.inits_unknown(con)  # Logs Insights loads: INIT_REPORT unread
    failures = {} if unknown_inits else init_failures(con, filters)
    per_function = {row[1]: row[2:] for row in rows if not row[0]}
    total_row = next((row[2:] for row in rows if row[0]), _EMPTY_ROW)
    for fn in failures:
        per_function.setdefault(fn, _EMPTY_ROW)
    names = sorted(per_function, key=lambda fn: (fn is None, fn or ""))
    functions = [
        {"function": fn, **_entry(per_function[fn], None if unknown_inits else failures.get(fn, 0))}
        for fn in names
    ]
    return {
        "schema": SCHEMA_VERSION,
        "ingest": ingest(con),
        "totals": _entry(total_row, None if unknown_inits else sum(failures.values())),
        "functions": functions,
    }
