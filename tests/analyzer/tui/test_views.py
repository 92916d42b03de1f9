"""The dashboard's queries over fixed seeded rows."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from analyzer import queries, views
from analyzer.filters import Filters

from .conftest import INJECTION_ID, INJECTION_LINES


def _by_function(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, dict[str, object]]:
    return {str(r["function"]): r for r in views.function_summary(con, filters)}


def _count(con: duckdb.DuckDBPyConnection, where: str) -> int:
    row = con.execute(f"SELECT count(*) FROM invocations WHERE {where}").fetchone()
    assert row is not None
    return int(row[0])


def test_summary_counts_match_the_table(db: duckdb.DuckDBPyConnection) -> None:
    """Per-function invocations, errors, timeouts and OOM equal direct counts."""
    orders = _by_function(db, Filters())["orders"]
    assert orders["invocations"] == _count(db, "function = 'orders'")
    assert orders["errors"] == _count(db, "function = 'orders' AND outcome = 'error'")
    assert orders["timeouts"] == _count(db, "function = 'orders' AND outcome = 'timeout'")
    oom = "function = 'orders' AND error_type = 'Runtime.OutOfMemory'"
    assert orders["oom"] == _count(db, oom)


def test_error_rate_excludes_timeouts(db: duckdb.DuckDBPyConnection) -> None:
    """Errors (and so the error rate) count outcome 'error' only; timeouts are counted apart."""
    billing = _by_function(db, Filters())["billing"]
    errors = _count(db, "function = 'billing' AND outcome = 'error'")
    timeouts = _count(db, "function = 'billing' AND outcome = 'timeout'")
    assert timeouts > 0 and billing["errors"] == errors and billing["timeouts"] == timeouts
    assert billing["error_rate"] == errors / _count(db, "function = 'billing'")


def test_warm_and_cold_durations_are_split(db: duckdb.DuckDBPyConnection) -> None:
    """Cold p50 comes only from cold starts (which are slower in the fixture)."""
    orders = _by_function(db, Filters())["orders"]
    assert orders["cold_p50"] > 600 > orders["warm_p50"]  # type: ignore[operator]


def test_init_failures_come_from_their_table(db: duckdb.DuckDBPyConnection) -> None:
    """Init failures without a request id are counted per function."""
    rows = _by_function(db, Filters())
    assert (rows["billing"]["init_failures"], rows["orders"]["init_failures"]) == (1, 0)


def test_outcome_filter_applies(db: duckdb.DuckDBPyConnection) -> None:
    """With outcome=timeout exactly the timed-out invocations are summarised."""
    rows = views.function_summary(db, Filters(outcome="timeout"))
    assert rows and all(r["invocations"] == r["timeouts"] for r in rows)
    assert sum(int(r["invocations"]) for r in rows) == _count(db, "outcome = 'timeout'")  # type: ignore[call-overload]


def test_bucket_size_follows_the_span() -> None:
    """A 35-minute span gets 1-minute buckets, a week gets 3-hour buckets."""
    assert (views.choose_bucket(35 * 60), views.choose_bucket(7 * 86400)) == (60, 10800)


def test_series_covers_every_invocation(db: duckdb.DuckDBPyConnection) -> None:
    """The time series' buckets add up to the invocation count, gaps filled."""
    series = views.timeseries(db, Filters(function="orders"))
    assert sum(r["invocations"] for r in series.rows) == _count(db, "function = 'orders'")


def test_histogram_covers_every_duration(db: duckdb.DuckDBPyConnection) -> None:
    """Warm plus cold counts over all bins equal the invocations with a duration."""
    bins = views.histogram(db, Filters())
    assert sum(b["warm"] + b["cold"] for b in bins) == _count(db, "duration_ms IS NOT NULL")


def test_message_pattern_normalises_ids(db: duckdb.DuckDBPyConnection) -> None:
    """UUIDs, hex and digits are replaced so similar messages group together."""
    message = "id 7f3a9c2e-1234-4abc-8def-0123456789ab at 0xdeadBEEF n=42"
    assert views.normalize_message(db, message) == "id <uuid> at <hex> n=<n>"


def test_error_groups_merge_similar_messages(db: duckdb.DuckDBPyConnection) -> None:
    """All ValueErrors of the fixture fall into one pattern group."""
    groups = [g for g in views.error_groups(db, Filters()) if g["error_type"] == "ValueError"]
    assert [g["pattern"] for g in groups] == ["bad order id <n> for user <hex>"]


def test_slowest_is_longest_first(db: duckdb.DuckDBPyConnection) -> None:
    """Slowest invocations come in descending duration order."""
    durations = [r["duration_ms"] for r in views.slowest(db, Filters(), limit=20)]
    assert durations == sorted(durations, reverse=True)


def test_invocation_lines_in_file_order(db: duckdb.DuckDBPyConnection) -> None:
    """An invocation's lines come back START, app lines, REPORT, text unchanged."""
    lines = [r["message"] for r in views.invocation_lines(db, INJECTION_ID)]
    assert lines[1:4] == list(INJECTION_LINES)
    assert lines[0].startswith("START") and lines[-1].startswith("REPORT")


def test_right_sizing_suggests_less_memory(db: duckdb.DuckDBPyConnection) -> None:
    """Orders uses at most ~40 % of 512 MB, so a smaller size is suggested and cheaper."""
    sizing = views.right_sizing(db, Filters(function="orders"))
    assert sizing is not None
    assert sizing.suggested_mb < sizing.memory_mb
    assert sizing.cost_suggested["x86_64"] < sizing.cost_now["x86_64"]


def test_invocation_lines_include_its_traceback_lines_without_request_id() -> None:
    """Request-id-less lines between START and REPORT of the same environment belong to it."""
    from analyzer.store import open_db

    con = open_db(None)
    rows = [
        (1, "env-a", "r1", "start", "START RequestId: r1"),
        (2, "env-a", None, "app", "Traceback (most recent call last):"),
        (3, "env-b", None, "app", "another environment's line"),
        (4, "env-a", "r1", "report", "REPORT RequestId: r1"),
        (5, "env-a", None, "app", "after the invocation"),
    ]
    con.executemany(
        "INSERT INTO events (file_id, line_no, env_id, request_id, kind, message) "
        "VALUES (1, ?, ?, ?, ?, ?)",
        rows,
    )
    lines = [r["message"] for r in views.invocation_lines(con, "r1")]
    assert lines == [
        "START RequestId: r1",
        "Traceback (most recent call last):",
        "REPORT RequestId: r1",
    ]


def test_totals_count_invocations_a_time_filter_drops_for_lack_of_a_time(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """With `since` set, totals say how many invocations have no start time to filter on."""
    db.execute(
        "INSERT INTO invocations (function, request_id, duration_ms) VALUES ('orders', 'nt-1', 5.0)"
    )
    since = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert views.totals(db, Filters(since=since))["untimed"] == 1
    assert views.totals(db, Filters())["untimed"] == 0


def test_init_failures_follow_the_outcome_and_cold_filters(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """Init failures count under outcome error and cold starts, not under success or warm only."""

    def billing(filters: Filters) -> object:
        return _by_function(db, filters)["billing"]["init_failures"]

    assert billing(Filters(outcome="error")) == billing(Filters(cold=True)) == 1
    assert billing(Filters(outcome="success")) == billing(Filters(cold=False)) == 0


def test_report_and_dashboard_count_init_failures_alike(db: duckdb.DuckDBPyConnection) -> None:
    """Under every outcome, cold and version filter the report counts the dashboard's number."""
    for filters in (
        Filters(),
        *(Filters(outcome=o) for o in ("success", "error", "timeout")),
        Filters(cold=True),
        Filters(cold=False),
        Filters(version="$LATEST"),
    ):
        report = {
            f["function"]: f["init_failures"] for f in queries.summary(db, filters)["functions"]
        }
        dashboard = _by_function(db, filters)
        assert report.get("billing", 0) == dashboard["billing"]["init_failures"], filters


def test_out_of_memory_is_one_error_group(db: duckdb.DuckDBPyConnection) -> None:
    """OOM invocations with and without a runtime message fall in one error group."""
    db.execute(
        "INSERT INTO invocations (function, request_id, outcome, error_type, error_message) "
        "VALUES ('orders', 'oom-x', 'error', 'Runtime.OutOfMemory', NULL)"
    )
    groups = views.error_groups(db, Filters(function="orders"))
    oom = [g for g in groups if g["error_type"] == "Runtime.OutOfMemory"]
    expected = _count(db, "function = 'orders' AND error_type = 'Runtime.OutOfMemory'")
    assert len(oom) == 1 and oom[0]["count"] == expected
