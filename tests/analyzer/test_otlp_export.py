"""`lambdascope export`: decoded OTLP data points equal the report's numbers."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta

import duckdb
import pytest
from _support.otlp import OtlpReceiver, Point

from analyzer import otlp_export, queries
from analyzer.cli import main
from analyzer.filters import Filters
from analyzer.store import open_db
from lambdascope import _names

T0 = datetime(2025, 3, 4, 10, 0, 0)
"""Naive UTC start of the sample data (an old date: timestamps must survive the trip)."""


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """A database with 2 functions x 90 invocations over three minutes, mixed outcomes."""
    db = open_db(None)
    rows = []
    for fn in ("orders", "billing"):
        for i in range(90):
            outcome = "timeout" if i % 11 == 0 else "error" if i % 7 == 0 else "success"
            start = T0 + timedelta(seconds=2 * i)
            rows.append(
                (fn, f"{fn}-{i}", start, start + timedelta(milliseconds=30 + i), i % 30 == 0,
                 150.0 + i if i % 30 == 0 else None, 30.0 + i * 3, 256, 60 + i % 40, outcome)
            )  # fmt: skip
    db.executemany(
        "INSERT INTO invocations (function, request_id, start_ts, end_ts, cold_start, init_ms,"
        " duration_ms, memory_mb, max_memory_mb, outcome) VALUES (?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    yield db
    db.close()


def _by_fn(rx: OtlpReceiver, name: str) -> dict[str, list[Point]]:
    out: dict[str, list[Point]] = {}
    for p in rx.metrics():
        if p.name == name:
            out.setdefault(p.resource["faas.name"], []).append(p)
    return out


def _expected(entry: dict[str, int], key: str) -> int:
    """The report's number behind a counter; faas.invocations counts only the successes."""
    if key == "invocations":
        return entry["invocations"] - entry["errors"] - entry["timeouts"]
    return entry[key]


def _export(con: duckdb.DuckDBPyConnection, rx: OtlpReceiver) -> otlp_export.ExportStats:
    return otlp_export.export(con, rx.endpoint, filters=Filters(), bucket_ms=60_000)


@pytest.mark.parametrize(
    ("metric", "key"),
    [
        (_names.METRIC_INVOCATIONS, "invocations"),
        (_names.METRIC_ERRORS, "errors"),
        (_names.METRIC_TIMEOUTS, "timeouts"),
        (_names.METRIC_COLDSTARTS, "cold_starts"),
    ],
)
def test_counter_sums_equal_report(con, metric: str, key: str):
    """Per function, a counter's points sum to the report's count (successes for invocations)."""
    summary = queries.summary(con)
    with OtlpReceiver() as rx:
        _export(con, rx)
        got = {fn: sum(p.value for p in pts) for fn, pts in _by_fn(rx, metric).items()}
    assert got == {f["function"]: _expected(f, key) for f in summary["functions"]}


def test_duration_histogram_matches_report(con):
    """Duration histograms count every invocation and their max bucket holds the report max."""
    summary = queries.summary(con)
    with OtlpReceiver() as rx:
        _export(con, rx)
        hists = _by_fn(rx, _names.METRIC_INVOKE_DURATION)
    for f in summary["functions"]:
        points = hists[f["function"]]
        assert sum(p.count for p in points) == f["invocations"]
        mean_s = sum(p.sum for p in points) / sum(p.count for p in points)
        assert mean_s * 1000 == pytest.approx(f["duration_ms"]["mean"], abs=1e-3)
        assert all(p.unit == "s" for p in points)


def test_init_and_memory_histograms_cover_known_values(con):
    """Init histograms count the cold starts; memory sums are Max Memory Used in bytes."""
    expected_mem = dict(
        con.execute("SELECT function, sum(max_memory_mb) FROM invocations GROUP BY 1").fetchall()
    )
    with OtlpReceiver() as rx:
        _export(con, rx)
        inits = _by_fn(rx, _names.METRIC_INIT_DURATION)
        mems = _by_fn(rx, _names.METRIC_MEM_USAGE)
    assert {fn: sum(p.count for p in pts) for fn, pts in inits.items()} == {
        "orders": 3, "billing": 3
    }  # fmt: skip
    for fn, pts in mems.items():
        assert sum(p.sum for p in pts) == expected_mem[fn] * otlp_export.MIB


def test_points_carry_the_original_bucket_times(con):
    """Each point ends at its one-minute bucket's end, in 2025, not at export time."""
    with OtlpReceiver() as rx:
        _export(con, rx)
        times = {p.time_ns for p in rx.metrics() if p.name == _names.METRIC_INVOCATIONS}
    t0_ns = int((T0 - datetime(1970, 1, 1)).total_seconds()) * 1_000_000_000
    assert times == {t0_ns + k * 60_000_000_000 for k in (1, 2, 3)}


def test_counters_are_delta_sums(con):
    """Counters use delta temporality, so each bucket's point stands alone."""
    with OtlpReceiver() as rx:
        _export(con, rx)
        kinds = {(p.kind, p.temporality) for p in rx.metrics() if p.name.endswith("invocations")}
    assert kinds == {("sum", 1)}


def test_collector_down_is_a_clear_error(con):
    """Nothing listening raises ExportError saying the collector cannot be reached."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(otlp_export.ExportError, match="cannot reach the collector"):
        otlp_export.export(con, f"http://127.0.0.1:{port}", filters=Filters(), bucket_ms=60_000)


def test_refusing_collector_gives_up_with_status(con, monkeypatch):
    """A collector answering 503 is retried, then reported with its status."""
    monkeypatch.setattr(otlp_export, "RETRY_FIRST_S", 0.0)
    with OtlpReceiver(mode="refuse") as rx, pytest.raises(otlp_export.ExportError, match="503"):
        _export(con, rx)
    assert len(rx.requests) == 4


def test_cli_export_collector_down_exits_1(tmp_path, capsys):
    """`lambdascope export --db DB --endpoint <closed port>` exits 1 with one message."""
    db = tmp_path / "x.duckdb"
    with open_db(str(db)) as c:
        c.execute(
            "INSERT INTO invocations (function, request_id, start_ts) VALUES ('f', 'r', ?)", [T0]
        )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    rc = main(["export", "--db", str(db), "--endpoint", f"http://127.0.0.1:{port}"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "cannot reach the collector" in err and "Traceback" not in err


def test_cli_bad_bucket_size_is_usage_error(tmp_path, capsys):
    """An unreadable --bucket-size exits 2 and shows an example."""
    argv = ["export", "--db", str(tmp_path / "d"), "--endpoint", "http://x", "--bucket-size", "1y"]
    rc = main(argv)
    assert rc == 2 and "1m" in capsys.readouterr().err


def test_metrics_url_appends_path_once():
    """The base URL gets /v1/metrics appended, a full URL is kept."""
    assert otlp_export.metrics_url("http://h:4318/") == "http://h:4318/v1/metrics"
    assert otlp_export.metrics_url("http://h:4318/v1/metrics") == "http://h:4318/v1/metrics"


def test_hanging_collector_is_a_clear_error(con, monkeypatch):
    """A collector that never answers within the timeout raises ExportError, no hang."""
    monkeypatch.setattr(otlp_export, "POST_TIMEOUT_S", 0.3)
    rx = OtlpReceiver(mode="hang", hang_s=5)
    with rx, pytest.raises(otlp_export.ExportError, match="timed out"):
        _export(con, rx)


def test_remaining_time_sent_in_seconds_when_known(con):
    """Invocations with a known remaining time feed lambdascope.remaining_time in seconds."""
    con.execute("UPDATE invocations SET remaining_ms = 1500 WHERE function = 'orders'")
    with OtlpReceiver() as rx:
        _export(con, rx)
        points = _by_fn(rx, _names.METRIC_REMAINING_TIME)
    assert set(points) == {"orders"}
    assert sum(p.sum for p in points["orders"]) == 1.5 * sum(p.count for p in points["orders"])
