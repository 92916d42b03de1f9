"""The duration histogram: readable with timeouts, counts that fit their panel."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from analyzer import views
from analyzer.filters import Filters
from analyzer.store import open_db
from analyzer.tui.screens.function import histogram_text


@pytest.fixture
def with_timeout() -> Iterator[duckdb.DuckDBPyConnection]:
    """500 invocations of 20–700 ms (every tenth cold) and one 30 s timeout."""
    con = open_db(None)
    rows = [(f"r{i}", 20.0 + (i * 37) % 680, i % 10 == 0) for i in range(500)]
    rows.append(("t", 30_000.0, False))
    con.executemany(
        "INSERT INTO invocations (function, request_id, duration_ms, cold_start) "
        "VALUES ('f', ?, ?, ?)",
        rows,
    )
    yield con
    con.close()


def test_one_timeout_does_not_squeeze_the_rest_into_one_bin(
    with_timeout: duckdb.DuckDBPyConnection,
) -> None:
    """With one 30 s outlier the other durations still spread over at least 3 bins."""
    bins = views.histogram(with_timeout, Filters())
    busy = [b for b in bins if not b["overflow"] and b["warm"] + b["cold"] > 0]
    assert len(busy) >= 3 and max(b["warm"] + b["cold"] for b in busy) < 400


def test_durations_above_p99_go_to_the_overflow_row(
    with_timeout: duckdb.DuckDBPyConnection,
) -> None:
    """The last row holds the invocations above p99, the 30 s timeout among them."""
    last = views.histogram(with_timeout, Filters())[-1]
    assert last["overflow"] and last["hi_ms"] == 30_000.0 and last["warm"] >= 1


def test_histogram_keeps_the_warm_cold_split(with_timeout: duckdb.DuckDBPyConnection) -> None:
    """Cold counts over all bins equal the cold invocations."""
    bins = views.histogram(with_timeout, Filters())
    assert sum(b["cold"] for b in bins) == 50
    assert sum(b["warm"] + b["cold"] for b in bins) == 501


def test_million_counts_do_not_wrap_the_histogram() -> None:
    """Counts of a million invocations keep every histogram row within the 40-cell panel."""
    bins = [
        {"lo_ms": 15.0, "hi_ms": 2514.0, "overflow": False, "warm": 1_207_870, "cold": 11_396},
        {"lo_ms": 2514.0, "hi_ms": 30_000.0, "overflow": True, "warm": 443, "cold": 0},
    ]
    lines = histogram_text(bins).plain.splitlines()
    assert len(lines) == 3 and max(len(line) for line in lines) <= 40
    assert lines[1].endswith(" 1.2M/11k")
