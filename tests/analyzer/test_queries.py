"""`analyzer.queries.summary`: the report JSON contract over rows inserted with SQL."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from analyzer.filters import Filters
from analyzer.queries import MS_DECIMALS, RATIO_DECIMALS, summary
from analyzer.store import open_db

ENTRY_KEYS = [
    "invocations",
    "errors",
    "timeouts",
    "cold_starts",
    "error_rate",
    "cold_start_ratio",
    "duration_ms",
    "init_ms",
    "memory_size_mb",
    "max_memory_used_mb",
]
T0 = datetime(2026, 11, 24, 8, 0, 0)
_IDS = itertools.count()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory database with every table of schema.sql."""
    return open_db()


def add(con: duckdb.DuckDBPyConnection, **cols: Any) -> None:
    """Insert one invocation; unspecified columns get a plain successful warm call."""
    row: dict[str, Any] = {
        "function": "orders",
        "request_id": f"req-{next(_IDS)}",
        "start_ts": T0,
        "cold_start": False,
        "duration_ms": 10.0,
        "memory_mb": 128,
        "max_memory_mb": 64,
        "outcome": "success",
    }
    row.update(cols)
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    con.execute(f"INSERT INTO invocations ({names}) VALUES ({marks})", list(row.values()))


def qcont(con: duckdb.DuckDBPyConnection, values: list[float], q: float) -> float:
    """DuckDB's quantile_cont of `values`, rounded like the summary."""
    row = con.execute("SELECT quantile_cont(v, ?) FROM unnest(?) AS t(v)", [q, values]).fetchone()
    assert row is not None
    return round(float(row[0]), MS_DECIMALS)


def test_empty_database_gives_zero_counts_and_null_statistics(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """With no data, counts are 0 and every ratio or statistic is null, not 0."""
    s = summary(con)
    assert s["schema"] == 1
    assert s["ingest"] == {"files": 0, "lines": 0, "events": 0, "rejected": 0}
    assert s["functions"] == []
    t = s["totals"]
    assert (t["invocations"], t["errors"], t["timeouts"], t["cold_starts"]) == (0, 0, 0, 0)
    assert t["error_rate"] is None and t["cold_start_ratio"] is None
    assert set(t["duration_ms"].values()) == {None}
    assert set(t["init_ms"].values()) == {None}
    assert t["memory_size_mb"] is None and t["max_memory_used_mb"] is None


def test_keys_follow_the_contract_in_order(con: duckdb.DuckDBPyConnection) -> None:
    """Top-level, totals and function keys are the contract's, in its order."""
    add(con)
    s = summary(con)
    assert list(s) == ["schema", "ingest", "totals", "functions"]
    assert list(s["ingest"]) == ["files", "lines", "events", "rejected"]
    assert list(s["totals"])[: len(ENTRY_KEYS)] == ENTRY_KEYS
    assert list(s["functions"][0])[: len(ENTRY_KEYS) + 1] == ["function", *ENTRY_KEYS]
    assert list(s["totals"]["duration_ms"]) == ["p50", "p90", "p99", "max", "mean"]
    assert list(s["totals"]["init_ms"]) == ["p50", "p99", "max"]


def test_counts_errors_timeouts_and_cold_starts(con: duckdb.DuckDBPyConnection) -> None:
    """Errors count outcome 'error' only; timeouts separately; cold starts by flag."""
    add(con, outcome="error", error_type="Runtime.OutOfMemory")
    add(con, outcome="error", cold_start=True, init_ms=200.0)
    add(con, outcome="timeout", duration_ms=3000.0)
    add(con)
    t = summary(con)["totals"]
    assert (t["invocations"], t["errors"], t["timeouts"], t["cold_starts"]) == (4, 2, 1, 1)
    assert t["error_rate"] == 0.5
    assert t["cold_start_ratio"] == 0.25


def test_ratios_are_rounded_to_six_places(con: duckdb.DuckDBPyConnection) -> None:
    """error_rate keeps RATIO_DECIMALS places (1/3 -> 0.333333)."""
    add(con, outcome="error")
    add(con)
    add(con)
    assert summary(con)["totals"]["error_rate"] == round(1 / 3, RATIO_DECIMALS)


def test_duration_percentiles_equal_duckdb_quantile_cont(con: duckdb.DuckDBPyConnection) -> None:
    """p50/p90/p99 are quantile_cont over all known durations, rounded to 3 places."""
    rng = random.Random(7)
    durations = [round(rng.lognormvariate(4, 1), 2) for _ in range(500)]
    for d in durations:
        add(con, duration_ms=d)
    stats = summary(con)["totals"]["duration_ms"]
    assert stats["p50"] == qcont(con, durations, 0.5)
    assert stats["p90"] == qcont(con, durations, 0.9)
    assert stats["p99"] == qcont(con, durations, 0.99)
    assert stats["max"] == max(durations)
    assert stats["mean"] == round(sum(durations) / len(durations), MS_DECIMALS)


def test_timed_out_invocations_count_in_duration_statistics(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """A timeout's duration is part of max and mean, as Logs Insights computes them."""
    add(con, duration_ms=100.0)
    add(con, outcome="timeout", duration_ms=3000.0)
    stats = summary(con)["totals"]["duration_ms"]
    assert stats["max"] == 3000.0
    assert stats["mean"] == 1550.0


def test_unknown_durations_are_left_out_of_statistics(con: duckdb.DuckDBPyConnection) -> None:
    """Invocations without a duration count as invocations but not in duration stats."""
    add(con, duration_ms=None)
    add(con, duration_ms=40.0)
    t = summary(con)["totals"]
    assert t["invocations"] == 2
    assert t["duration_ms"]["p50"] == 40.0 and t["duration_ms"]["mean"] == 40.0


def test_init_statistics_cover_only_invocations_with_init(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """init_ms p50/p99/max come from the rows that have an Init Duration."""
    inits = [150.0, 250.0, 400.0]
    for ms in inits:
        add(con, cold_start=True, init_ms=ms)
    add(con)
    stats = summary(con)["totals"]["init_ms"]
    assert stats == {
        "p50": qcont(con, inits, 0.5),
        "p99": qcont(con, inits, 0.99),
        "max": 400.0,
    }


def test_memory_is_largest_configured_and_largest_used(con: duckdb.DuckDBPyConnection) -> None:
    """memory_size_mb is the largest configured size, max_memory_used_mb the largest use."""
    add(con, memory_mb=128, max_memory_mb=100)
    add(con, memory_mb=256, max_memory_mb=90)
    t = summary(con)["totals"]
    assert (t["memory_size_mb"], t["max_memory_used_mb"]) == (256, 100)


def test_unknown_memory_is_null(con: duckdb.DuckDBPyConnection) -> None:
    """Without any REPORT memory figure both memory values are null."""
    add(con, memory_mb=None, max_memory_mb=None)
    t = summary(con)["totals"]
    assert t["memory_size_mb"] is None and t["max_memory_used_mb"] is None


def test_unknown_outcomes_make_error_counts_null(con: duckdb.DuckDBPyConnection) -> None:
    """When no invocation has a known outcome, errors, timeouts and error_rate are null."""
    add(con, outcome=None)
    add(con, outcome=None)
    t = summary(con)["totals"]
    assert t["invocations"] == 2
    assert (t["errors"], t["timeouts"], t["error_rate"]) == (None, None, None)


def test_unknown_cold_flags_make_cold_starts_null(con: duckdb.DuckDBPyConnection) -> None:
    """When no invocation says whether it was cold, cold_starts and the ratio are null."""
    add(con, cold_start=None)
    t = summary(con)["totals"]
    assert t["cold_starts"] is None and t["cold_start_ratio"] is None


def test_functions_are_sorted_by_name_unknown_last(con: duckdb.DuckDBPyConnection) -> None:
    """Per-function entries are sorted by name; invocations without a function come last."""
    for fn in ("orders", "billing", None, "auth"):
        add(con, function=fn)
    names = [f["function"] for f in summary(con)["functions"]]
    assert names == ["auth", "billing", "orders", None]


def test_per_function_numbers_are_separate(con: duckdb.DuckDBPyConnection) -> None:
    """Each function's entry counts only its own invocations; totals count all."""
    add(con, function="a", outcome="error")
    add(con, function="a")
    add(con, function="b", outcome="timeout", duration_ms=900.0)
    s = summary(con)
    a, b = s["functions"]
    assert (a["function"], a["invocations"], a["errors"], a["timeouts"]) == ("a", 2, 1, 0)
    assert (b["function"], b["invocations"], b["errors"], b["timeouts"]) == ("b", 1, 0, 1)
    assert b["duration_ms"]["max"] == 900.0
    assert s["totals"]["invocations"] == 3


def test_ingest_sums_the_files_table(con: duckdb.DuckDBPyConnection) -> None:
    """ingest counts files and sums their lines, events and rejected lines."""
    con.execute(
        "INSERT INTO files (file_id, path, fingerprint, lines, events, rejected) VALUES "
        "(1, 'a.log', 'x', 100, 98, 2), (2, 'b.log', 'y', 50, 50, 0)"
    )
    assert summary(con)["ingest"] == {"files": 2, "lines": 150, "events": 148, "rejected": 2}


def test_function_filter_restricts_totals_and_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Filters(function=...) keeps only that function, in totals too."""
    add(con, function="a")
    add(con, function="b")
    s = summary(con, Filters(function="b"))
    assert [f["function"] for f in s["functions"]] == ["b"]
    assert s["totals"]["invocations"] == 1


def test_time_filter_keeps_since_inclusive_until_exclusive(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """since is inclusive and until exclusive, on the invocation's start time."""
    for minute in range(5):
        add(con, start_ts=T0.replace(minute=minute))
    f = Filters(since=T0.replace(minute=1, tzinfo=UTC), until=T0.replace(minute=3, tzinfo=UTC))
    assert summary(con, f)["totals"]["invocations"] == 2


def test_outcome_and_cold_filters(con: duckdb.DuckDBPyConnection) -> None:
    """Filters on outcome and cold/warm select the matching invocations only."""
    add(con, outcome="error", cold_start=True)
    add(con, outcome="error")
    add(con)
    assert summary(con, Filters(outcome="error"))["totals"]["invocations"] == 2
    assert summary(con, Filters(cold=True))["totals"]["invocations"] == 1
    assert summary(con, Filters(cold=False))["totals"]["invocations"] == 2


def test_filter_matching_nothing_gives_empty_summary(con: duckdb.DuckDBPyConnection) -> None:
    """A filter that matches nothing yields zero invocations and no functions."""
    add(con)
    s = summary(con, Filters(function="nope"))
    assert s["functions"] == [] and s["totals"]["invocations"] == 0


def test_init_failures_are_counted_apart_from_invocations(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """Init failures without a request id add to init_failures, not to invocations."""
    add(con, function="orders")
    con.execute(
        "INSERT INTO init_failures (function, ts, phase, status) VALUES "
        "('orders', ?, 'init', 'error'), ('broken', ?, 'init', 'timeout')",
        [T0, T0],
    )
    s = summary(con)
    assert s["totals"]["invocations"] == 1
    assert s["totals"]["init_failures"] == 2
    by_name = {f["function"]: f for f in s["functions"]}
    assert by_name["orders"]["init_failures"] == 1
    assert (by_name["broken"]["invocations"], by_name["broken"]["init_failures"]) == (0, 1)
    assert by_name["broken"]["error_rate"] is None


def test_init_failures_follow_the_time_filter(con: duckdb.DuckDBPyConnection) -> None:
    """Time filters apply to init failures by their own time."""
    con.execute(
        "INSERT INTO init_failures (function, ts) VALUES ('a', ?), ('a', ?)",
        [T0, T0.replace(hour=9)],
    )
    since = Filters(since=T0.replace(hour=9, tzinfo=UTC))
    assert summary(con, since)["totals"]["init_failures"] == 1


def test_init_failures_count_as_failed_cold_starts(con: duckdb.DuckDBPyConnection) -> None:
    """Init failures count under outcome error and cold starts, not success or warm only."""
    con.execute("INSERT INTO init_failures (function, ts) VALUES ('a', ?)", [T0])

    def counted(filters: Filters) -> int:
        return int(summary(con, filters)["totals"]["init_failures"])

    assert counted(Filters(outcome="error")) == counted(Filters(cold=True)) == 1
    assert counted(Filters(outcome="success")) == counted(Filters(cold=False)) == 0


def test_summary_leaves_no_unfinished_result() -> None:
    """After summary() the caller's connection takes `con.sql()` at once."""
    from analyzer.queries import summary
    from analyzer.store import open_db

    con = open_db()
    summary(con)
    assert con.sql("SELECT 1").fetchall() == [(1,)]


def test_mean_duration_is_the_exact_mean_rounded(con: duckdb.DuckDBPyConnection) -> None:
    """The mean is exact (decimal sum), so it never depends on the order threads add in."""
    from decimal import Decimal

    rng = random.Random(5)
    values = [Decimal(rng.randint(0, 60_000_000)) / 1000 for _ in range(50_000)]
    con.executemany(
        "INSERT INTO invocations (function, request_id, duration_ms) VALUES ('f', ?, ?)",
        [(f"r{i}", float(v)) for i, v in enumerate(values)],
    )
    expected = round(float(sum(values) / len(values)), MS_DECIMALS)
    assert summary(con)["totals"]["duration_ms"]["mean"] == expected
