"""The dashboard on an aggregated `analyze --insights` load: pilot tests and its views."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import _aws_insights_agg as data
import duckdb
import pytest
from _aws_insights_agg import GROUPS, T0_MS
from _aws_insights_fake import FakeInsights, line_row, report_row
from _support.moto_server import MotoServer

from analyzer import aggregates, queries
from analyzer.aws._client import AwsTarget, make_client
from analyzer.aws.insights import load_insights
from analyzer.store import open_db

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))
from _pilot import SIZE, make_app, screen_text, settle, sync


@sync
async def test_dashboard_opens_on_an_insights_load_and_says_it_is_aggregated(
    moto: MotoServer,
) -> None:
    """The dashboard lists the aggregated counts, and its function screen explains why there
    are no slowest invocations instead of showing an empty table."""
    from analyzer.tui.screens.function import FunctionScreen
    from analyzer.tui.table import DataView

    con = open_db(None)
    with FakeInsights(data.rows(data.lognormal(200))) as fake:
        client = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=fake.endpoint))
        load_insights(con, GROUPS, since=datetime.fromtimestamp(T0_MS / 1000, UTC),
                      until=datetime.fromtimestamp(T0_MS / 1000 + 3600, UTC), client=client,
                      sleep=lambda s: None, aggregate=True)  # fmt: skip
    app = make_app(con)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = app.screen.query_one("#functions", DataView).rows_data
        assert {r["function"]: r["invocations"] for r in rows} == {"orders": 100, "billing": 100}
        assert "aggregated by Logs Insights" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot, FunctionScreen)
        assert not app.screen.query_one("#slowest", DataView).display
        assert "no single invocations but failed ones" in screen_text(app)


def test_error_groups_show_the_message_as_for_the_file(moto: MotoServer, tmp_path: Path):
    """A handler exception's message reaches its invocation: the error group (type and message
    pattern) is the one the same log loaded from a file gives."""
    from _aws_insights_fake import STREAM
    from test_insights import ERR_LOG

    from analyzer import views
    from analyzer.filters import Filters
    from analyzer.load import load_paths

    rid = "11111111-2222-3333-4444-555555555555"
    log = tmp_path / "err.log"
    log.write_text(ERR_LOG.format(rid=rid), encoding="utf-8")
    from_file = open_db(None)
    load_paths(from_file, [str(log)], function="orders")
    rows = [
        {**report_row(T0_MS + 12, rid, "orders", duration=12.0, init=None, status=None),
         "_ms": T0_MS + 12},
        line_row(T0_MS + 10, "[ERROR] ValueError: card declined\nTraceback (most recent",
                 stream=STREAM),
    ]  # fmt: skip
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)

    def groups(db: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
        return [
            (g["error_type"], g["pattern"], g["count"]) for g in views.error_groups(db, Filters())
        ]

    assert groups(con) == groups(from_file) == [("ValueError", "card declined", 1)]


@sync
async def test_dashboard_error_group_opens_the_failed_invocation(moto: MotoServer) -> None:
    """After an aggregated load an error group's example still opens its REPORT line."""
    from _pilot import until

    from analyzer.tui.screens.function import FunctionScreen
    from analyzer.tui.screens.invocation import InvocationScreen
    from analyzer.tui.table import DataView

    con = open_db(None)
    with FakeInsights(data.rows([40.0] * 40)) as fake:
        data.load(fake, con)
    app = make_app(con)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # orders: the function with failures
        await settle(pilot, FunctionScreen)
        await pilot.press("e")
        groups = app.screen.query_one("#groups", DataView)
        await until(pilot, lambda: app.focused is groups and bool(groups.rows_data))
        example = groups.rows_data[0]["example"]
        await pilot.press("enter")
        await settle(pilot, InvocationScreen)
        assert isinstance(app.screen, InvocationScreen) and app.screen.request_id == example
        assert f"REPORT RequestId: {example}" in screen_text(app)


def test_files_into_an_aggregated_db_are_refused(moto: MotoServer, tmp_path: Path):
    """Files loaded into a database holding aggregates would be counted with only the
    aggregated load's failed invocations (error rate ~8/9): refused, the report unchanged."""
    from test_insights import ERR_LOG

    from analyzer.load import LoadError, load_paths

    con = open_db(None)
    with FakeInsights(data.rows([40.0] * 40)) as fake:
        data.load(fake, con)
    log = tmp_path / "err.log"
    log.write_text(ERR_LOG.format(rid="33333333-2222-3333-4444-555555555555"), encoding="utf-8")
    with pytest.raises(LoadError, match="use another --db"):
        load_paths(con, [str(log)], function="orders")
    assert aggregates.present(con)
    totals = queries.summary(con)["totals"]
    assert (totals["invocations"], totals["errors"], totals["timeouts"]) == (40, 4, 4)


def test_per_invocation_into_an_aggregated_db_is_refused(moto: MotoServer):
    """A --per-invocation load after an aggregated one was answered from the old aggregates
    (40 reported after loading 100): refused with what to do; the other way round too."""
    from analyzer.aws import AwsError

    agg, single = open_db(None), open_db(None)
    with FakeInsights(data.rows([40.0] * 40)) as fake:
        data.load(fake, agg)
        data.load(fake, single, aggregate=False)
    with FakeInsights(data.rows([40.0] * 100)) as fake:
        with pytest.raises(AwsError, match="use another --db"):
            data.load(fake, agg, aggregate=False)
        with pytest.raises(AwsError, match="add --per-invocation"):
            data.load(fake, single)
        assert fake.started == []  # refused before any query ran
    assert queries.summary(agg)["totals"]["invocations"] == 40
    assert queries.summary(single)["totals"]["invocations"] == 40


def test_dashboard_series_counts_add_up_and_p99_is_within_the_bound(moto: MotoServer):
    """Per time bucket the series counts add up to the totals and each p99 is within the
    bound of that bucket's true p99."""
    from analyzer import views
    from analyzer.filters import Filters

    durations = data.lognormal(1800, seed=5)
    rows = data.rows(durations, step_ms=2000)  # one hour
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)
    series = views.timeseries(con, Filters(function="orders"))
    truth: dict[int, list[float]] = {}
    for r in rows:
        if r["@log"].endswith("/orders"):
            key = r["_ms"] // 1000 // series.bucket_seconds
            truth.setdefault(key, []).append(float(r["@duration"]))
    by_bucket = {int(r["bucket"].replace(tzinfo=UTC).timestamp()) // series.bucket_seconds: r
                 for r in series.rows}  # fmt: skip
    assert sum(r["invocations"] for r in series.rows) == 900
    assert by_bucket.keys() == truth.keys()
    for key, values in truth.items():
        true = data.quantile_cont(values, 0.99)
        assert abs(by_bucket[key]["p99"] / true - 1) <= aggregates.ERROR_BOUND + 1e-9
