"""The generator's truth equals what the loader and the summary query make of its logs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analyzer.generator import FUNCTIONS, Truth, generate
from analyzer.load import load_paths
from analyzer.queries import summary
from analyzer.store import open_db


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Truth, dict[str, Any]]:
    """1500 generated invocations, loaded into an in-memory database and summarised."""
    out: Path = tmp_path_factory.mktemp("gen-report")
    truth = generate(out, seed=11, invocations=1500)
    con = open_db()
    load_paths(con, [str(out / "logs")], progress=False)
    report = summary(con)
    con.close()
    return truth, report


def _function(report: dict[str, Any], name: str) -> dict[str, Any]:
    """The report's entry for one function."""
    return next(f for f in report["functions"] if f["function"] == name)


def _expected_stats(values: list[float], qs: list[float]) -> list[float | None]:
    """DuckDB quantile_cont of `values` at `qs` (None when empty)."""
    if not values:
        return [None] * len(qs)
    row = (
        duckdb.connect()
        .execute("select quantile_cont(d, ?::double[]) from unnest(?::double[]) t(d)", [qs, values])
        .fetchone()
    )
    assert row is not None
    return list(row[0])


def _close(got: float | None, want: float | None) -> bool:
    """Equal after the report's rounding to 3 decimals (None equals only None)."""
    if got is None or want is None:
        return got is want
    return abs(got - want) <= 0.0011


@pytest.mark.parametrize("name", [f.name for f in FUNCTIONS])
def test_function_entry_equals_truth(loaded: tuple[Truth, dict[str, Any]], name: str) -> None:
    """Per function: the whole report entry (counts, ratios, statistics, memory) as generated."""
    truth, report = loaded
    assert _function(report, name) == truth.function(name)


@pytest.mark.parametrize("name", [f.name for f in FUNCTIONS])
def test_function_durations_equal_quantile_cont(
    loaded: tuple[Truth, dict[str, Any]], name: str
) -> None:
    """Per function: duration and init percentiles are quantile_cont of the truth samples."""
    truth, report = loaded
    got = _function(report, name)
    durations = truth.durations[name]
    want_d = _expected_stats(durations, [0.5, 0.9, 0.99])
    want_d += [max(durations), math.fsum(durations) / len(durations)]
    got_d = [got["duration_ms"][k] for k in ("p50", "p90", "p99", "max", "mean")]
    assert all(_close(g, w) for g, w in zip(got_d, want_d, strict=True)), (got_d, want_d)
    inits = truth.init_durations[name]
    want_i = [*_expected_stats(inits, [0.5, 0.99]), max(inits) if inits else None]
    got_i = [got["init_ms"][k] for k in ("p50", "p99", "max")]
    assert all(_close(g, w) for g, w in zip(got_i, want_i, strict=True)), (got_i, want_i)


def test_total_counts_equal_truth(loaded: tuple[Truth, dict[str, Any]]) -> None:
    """Totals: invocations, timeouts, cold starts and memory exactly as generated."""
    truth, report = loaded
    keys = ("invocations", "timeouts", "cold_starts", "cold_start_ratio", "duration_ms", "init_ms")
    keys += ("memory_size_mb", "max_memory_used_mb", "init_failures")
    assert {k: report["totals"][k] for k in keys} == {k: truth.totals[k] for k in keys}


def test_totals_equal_truth(loaded: tuple[Truth, dict[str, Any]]) -> None:
    """The whole totals object, errors included (OOM and init failures that reached a request)."""
    truth, report = loaded
    assert report["totals"] == truth.totals


def test_ingest_files_equal_truth(loaded: tuple[Truth, dict[str, Any]]) -> None:
    """Every generated log file is read once (the S3 permission probe is not a log file)."""
    truth, report = loaded
    assert report["ingest"]["files"] == truth.report["ingest"]["files"]


def test_every_function_found(loaded: tuple[Truth, dict[str, Any]]) -> None:
    """Each generated function is named in the report (recovered from paths or content)."""
    _, report = loaded
    assert sorted(f["function"] for f in report["functions"]) == sorted(f.name for f in FUNCTIONS)
