"""`analyze --insights`, aggregated: Logs Insights stats rows per bin load into `aggregates`
and the report answers from them (real boto3 over HTTP against recorded-shape results)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import _aws_insights_agg as data
import pytest
from _aws_insights_agg import GROUPS, T0_MS
from _aws_insights_fake import FakeInsights, line_row, report_row
from _support.moto_server import MotoServer

from analyzer import aggregates, queries, report
from analyzer.aws._insights_agg import FAILURES_QUERY
from analyzer.aws._insights_stats import INIT_QUERY, STATS_QUERY, agg_bin
from analyzer.aws.insights import load_insights, normalize_query
from analyzer.filters import Filters
from analyzer.store import open_db

REPO = Path(__file__).resolve().parents[3]


def test_aggregated_rows_load_into_the_table(moto: MotoServer):
    """Every stats row the service returned is in `aggregates`; no success is a single row."""
    con = open_db(None)
    with FakeInsights(data.rows([100.0 + i % 7 for i in range(600)])) as fake:
        assert data.load(fake, con) == 600
    served = data.stats_served(fake)
    got = con.execute(
        "SELECT count(*), sum(invocations) FROM aggregates WHERE kind = 'report'"
    ).fetchone()
    assert got == (len(served), 600) and len(served) < 600
    assert con.execute("SELECT count(*) FROM invocations").fetchone() == (120,)  # failures only


def test_report_json_counts_are_the_sums_of_the_returned_rows(moto: MotoServer):
    """`report --format json` totals equal the sums over the stats rows Insights returned."""
    con = open_db(None)
    with FakeInsights(data.rows(data.lognormal(500))) as fake:
        data.load(fake, con)
    served = data.stats_served(fake)
    doc = json.loads(report.render(queries.summary(con), "json"))
    totals = doc["totals"]
    for key, col in (("invocations", "invocations"), ("errors", "errors"),
                     ("timeouts", "timeouts")):  # fmt: skip
        assert totals[key] == sum(int(r[col]) for r in served)
    assert totals["cold_starts"] == sum(int(r["invocations"]) for r in served if r["cold"] == "1")
    assert totals["duration_ms"]["max"] == max(float(r["duration_max"]) for r in served)
    inputs = data.rows(data.lognormal(500))  # and equal to what was put in, not only served
    assert (totals["invocations"], totals["errors"], totals["timeouts"]) == (500, 50, 50)
    assert totals["cold_starts"] == sum("@initDuration" in r for r in inputs) == 20
    assert totals["duration_ms"]["max"] == max(float(r["@duration"]) for r in inputs)
    assert totals["max_memory_used_mb"] == 67 and totals["memory_size_mb"] == 128
    assert doc["totals"].keys() == queries.summary(open_db(None))["totals"].keys()


EDGES = [98.8] * 3 + [107.5] * 97
"""Worst case: one bucket ([98.7, 107.6) ms) with its values at both ends."""


@pytest.mark.parametrize("durations", [data.lognormal(3000), EDGES], ids=["lognormal", "edges"])
def test_percentiles_are_within_the_documented_bound(moto: MotoServer, durations: list[float]):
    """p50/p90/p99 are within ERROR_BOUND of the true quantile_cont (max exact)."""
    con = open_db(None)
    with FakeInsights(data.rows(durations)) as fake:
        data.load(fake, con)
    got = queries.summary(con)["totals"]["duration_ms"]
    for key, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
        true = data.quantile_cont(durations, q)
        assert abs(got[key] / true - 1) <= aggregates.ERROR_BOUND + 1e-5, (key, got[key], true)
    assert got["max"] == max(durations)


def test_split_at_the_cap_keeps_counts_exact(moto: MotoServer):
    """Windows that hit a 40-row cap are split; the merged counts equal the uncapped load's."""
    durations = [round(2 ** (i % 97 / 8), 2) for i in range(1200)]  # ~97 buckets per minute
    rows = data.rows(durations, step_ms=500)
    whole, capped = open_db(None), open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, whole)
    with FakeInsights(rows, cap=40) as fake:
        data.load(fake, capped, row_cap=40)
    assert 40 in fake.returned  # at least one query came back capped, and was split
    want, got = queries.summary(whole)["totals"], queries.summary(capped)["totals"]
    assert got == want and got["invocations"] == 1200


def test_sub_second_events_at_window_edges_are_counted_once(moto: MotoServer):
    """With AWS's endTime (inclusive at the millisecond, as the fake models it), events at
    .500 and .999 of a window's last second, at splits made at the cap and in the last
    second before --until are each counted once; one at --until itself is not."""
    durations = [round(2 ** (i % 97 / 8), 2) for i in range(1200)]
    rows = data.rows(durations, step_ms=500)  # events at .000 and .500 of every second
    last = T0_MS + 7_200_000 - 1  # 13:43:59.999, the last millisecond of the range
    edge = report_row(last, "req-last", "orders", duration=5.0, init=None, status="error")
    after = report_row(last + 1, "req-after", "orders", duration=5.0, init=None, status=None)
    rows += [{**edge, "_ms": last}, {**after, "_ms": last + 1}]
    for cap in (10_000, 40):
        con = open_db(None)
        with FakeInsights(rows, cap=cap) as fake:
            data.load(fake, con, row_cap=cap)
        totals = queries.summary(con)["totals"]
        assert (totals["invocations"], totals["errors"]) == (1201, 121), cap
    assert 40 in fake.returned  # the capped load split windows


def test_handler_exception_without_request_id_counts_as_error(moto: MotoServer):
    """A REPORT without Status after an '[ERROR]' line of its stream is one error, not two."""
    rid = "11111111-2222-3333-4444-555555555555"
    report_ok = report_row(T0_MS + 12, rid, "orders", duration=12.0, init=None, status=None)
    rows = [
        {**report_ok, "_ms": T0_MS + 12},
        line_row(T0_MS + 10, "[ERROR] ValueError: card declined\nTraceback (most recent"),
        *data.rows([50.0] * 3),
    ]
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)
    totals = queries.summary(con)["totals"]
    assert (totals["invocations"], totals["errors"], totals["timeouts"]) == (4, 1, 0)
    got = con.execute("SELECT request_id, error_type FROM invocations WHERE outcome = 'error'")
    assert got.fetchall() == [(rid, "ValueError")]


QUOTED = {
    "11111111-2222-3333-4444-555555555555": (
        10, "[ERROR] KeyError: 'order 3fa85f64-5717-4562-b3fc-2c963f66afa6 not found'"
    ),
    "22222222-2222-3333-4444-555555555555": (
        20, "2025-08-15T12:44:20.005Z\t22222222-2222-3333-4444-555555555555\tINFO\tdownstream "
        'failed {"errorMessage":"2025-08-15T12:44:20.001Z 33333333-2222-3333-4444-555555555555'
        ' Task timed out after 3.00 seconds"}'
    ),
    "33333333-2222-3333-4444-555555555555": (
        30, "[ERROR] Exception: upstream Task timed out after 3.00 seconds"
    ),
}  # fmt: skip
"""Failure lines that quote a UUID or 'Task timed out after' in their text: a KeyError about
an order id, a caller logging a downstream timeout (INFO), an exception quoting a timeout."""


def test_quoted_uuids_and_timeouts_count_as_a_file_load_counts_them(
    moto: MotoServer, tmp_path: Path
):
    """A UUID in an exception message is not the request id (the line goes to the next REPORT
    of its stream) and 'Task timed out after' counts only in the anchored forms: the same
    lines give the same errors and timeouts aggregated as from a file (3 invocations, 2
    errors, 0 timeouts)."""
    from analyzer.load import load_paths

    text, rows = "", []
    for rid, (sec, line) in QUOTED.items():
        at = T0_MS + sec * 1000
        ts = f"2025-08-15T12:44:{sec}"
        text += (
            f"{ts}.000Z START RequestId: {rid} Version: $LATEST\n"
            f"{line if line.startswith('2025') else f'{ts}.005Z {line}'}\n"
            f"{ts}.012Z END RequestId: {rid}\n{ts}.012Z REPORT RequestId: {rid}\t"
            "Duration: 12.00 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t"
            "Max Memory Used: 67 MB\t\n"
        )
        report = report_row(at + 12, rid, "orders", duration=12.0, init=None, status=None)
        rows += [{**report, "_ms": at + 12}, line_row(at + 5, line)]
    log = tmp_path / "quoted.log"
    log.write_text(text, encoding="utf-8")
    from_file = open_db(None)
    load_paths(from_file, [str(log)], function="orders")
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)
    keys = ("invocations", "errors", "timeouts")
    want = [queries.summary(from_file)["totals"][k] for k in keys]
    assert [queries.summary(con)["totals"][k] for k in keys] == want == [3, 2, 0]
    got = con.execute("SELECT request_id, outcome, error_type FROM invocations ORDER BY 1")
    assert got.fetchall() == [
        ("11111111-2222-3333-4444-555555555555", "error", "KeyError"),
        ("33333333-2222-3333-4444-555555555555", "error", "Exception"),
    ]


def test_legacy_timeout_line_turns_a_status_error_into_a_timeout(moto: MotoServer):
    """A 'Task timed out' line for a REPORT with Status: error moves it from errors to timeouts."""
    rows = data.rows([3000.0] * 8)  # req-7 has Status: error, req-3 Status: timeout
    rows.append(
        line_row(T0_MS + 7005, "2025-08-15T12:44:07.005Z req-7 Task timed out after 3.00 seconds")
    )
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)
    totals = queries.summary(con)["totals"]
    assert (totals["errors"], totals["timeouts"]) == (0, 2)


def test_snapstart_restores_are_cold_starts_as_in_per_invocation_mode(moto: MotoServer):
    """A REPORT with `Restore Duration` (SnapStart) is a cold start aggregated as per
    invocation (and as a file load counts it, merge.py); a failed one's correction is filed
    as cold too, so the cold filter gives the same errors in both modes."""
    rows = []
    for i in range(10):
        at = T0_MS + i * 1000
        status = "error" if i == 3 else None
        row = report_row(at, f"req-{i}", "orders", duration=20.0, init=None, status=status,
                         restore=400.0 + i if i % 2 else None)  # fmt: skip
        rows.append({**row, "_ms": at})
    rows.append(line_row(T0_MS + 5000, "[ERROR] ValueError: no"))  # req-5 (restored) fails
    got = {}
    for aggregate in (True, False):
        con = open_db(None)
        with FakeInsights(rows) as fake:
            data.load(fake, con, aggregate=aggregate)
        totals = queries.summary(con)["totals"]
        cold = queries.summary(con, Filters(cold=True))["totals"]
        got[aggregate] = (totals["invocations"], totals["cold_starts"], totals["errors"],
                          cold["invocations"], cold["errors"])  # fmt: skip
    assert got[True] == got[False] == (10, 5, 2, 5, 2)  # req-3 and req-5 were restored


def test_init_failures_are_unknown_after_a_per_invocation_load(moto: MotoServer):
    """--per-invocation does not query INIT_REPORT lines either: null, not 0."""
    from analyzer.views import function_summary

    con = open_db(None)
    with FakeInsights(data.rows([30.0] * 10)) as fake:
        data.load(fake, con, aggregate=False)
    summary = queries.summary(con)
    assert summary["totals"]["invocations"] == 10
    assert summary["totals"]["init_failures"] is None
    assert {f["init_failures"] for f in summary["functions"]} == {None}
    assert {r["init_failures"] for r in function_summary(con, Filters())} == {None}


def test_init_failures_are_unknown_after_an_aggregated_load(moto: MotoServer):
    """INIT_REPORT lines are not queried: init_failures is null (not 0) in the totals and
    every function, every format renders it, and --fail-on on it says why it is unknown."""
    con = open_db(None)
    with FakeInsights(data.rows([30.0] * 10)) as fake:
        data.load(fake, con)
    summary = queries.summary(con)
    assert summary["totals"]["init_failures"] is None
    assert [f["init_failures"] for f in summary["functions"]] == [None, None]
    for fmt in report.FORMATS:
        assert report.render(summary, fmt)
    assert json.loads(report.render(summary, "json"))["totals"]["init_failures"] is None
    import csv
    import io

    table = list(csv.DictReader(io.StringIO(report.render(summary, "csv"))))
    assert [r["init_failures"] for r in table] == ["", "", ""]  # two functions, total
    from analyzer.views import function_summary

    assert {r["init_failures"] for r in function_summary(con, Filters())} == {None}
    (msg,) = report.check_thresholds(summary, ["init_failures>0"])
    assert "does not read INIT_REPORT" in msg


def test_a_week_is_aggregated_in_hourly_bins():
    """Seven days are cut into 168 one-hour bins (15 minutes would make 672, over 200)."""
    assert agg_bin(0, 7 * 86400 - 1) == ("1h", 3600)


def test_query_files_are_the_queries_the_loader_runs():
    """stats_by_bin, init_by_bin and failures .query files equal the code's queries."""
    for name, query in (("stats_by_bin", STATS_QUERY.format(bin="1h")),
                        ("init_by_bin", INIT_QUERY.format(bin="1h")),
                        ("failures", FAILURES_QUERY)):  # fmt: skip
        text = (REPO / f"dashboards/insights/{name}.query").read_text(encoding="utf-8")
        assert normalize_query(text) == normalize_query(query), name


def test_a_second_load_replaces_the_first(moto: MotoServer):
    """Loading the same groups again gives the same report, not doubled counts."""
    con = open_db(None)
    with FakeInsights(data.rows(data.lognormal(300))) as fake:
        data.load(fake, con)
        first = queries.summary(con)
        data.load(fake, con)
    assert queries.summary(con) == first


def test_a_time_filter_that_cuts_a_bin_says_which_bins_answered(
    moto: MotoServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """--since 30 s into a one-minute bin: the aggregates answer for whole bins (120, of
    which 90 started at or after --since), and `report` says so on stderr with the bins
    used; a range on bin edges says nothing."""
    from analyzer.cli import main
    from analyzer.filters import Filters

    db = tmp_path / "a.duckdb"
    con = open_db(db)
    with FakeInsights(data.rows([80.0] * 120)) as fake:
        data.load(fake, con)
    since = datetime.fromtimestamp(T0_MS / 1000 + 30, UTC)  # 30 s into the first bin
    assert queries.summary(con, Filters(since=since))["totals"]["invocations"] == 120
    note = aggregates.widened(con, Filters(since=since))
    assert note and "[2025-08-15 12:44:00, 2025-08-15 12:46:00) UTC" in note
    assert "1 min bins" in note
    on_edge = datetime.fromtimestamp(T0_MS / 1000 + 60, UTC)
    assert aggregates.widened(con, Filters(since=on_edge)) is None
    con.close()
    assert main(["report", "--db", str(db), "--since", "2025-08-15T12:44:30Z"]) == 0
    err = capsys.readouterr().err
    assert "cut a time bin" in err and "12:44:00" in err


def test_cli_form_aggregates_unless_per_invocation_is_given(moto: MotoServer):
    """`analyze --insights` aggregates; with --per-invocation it loads one row per invocation."""
    import argparse

    rows = data.rows([90.0] * 30)
    got: dict[bool, tuple[int, int]] = {}
    for per_invocation in (False, True):
        con = open_db(None)
        with FakeInsights(rows) as fake:
            args = argparse.Namespace(
                insights=GROUPS, since="2025-08-15T12:00:00Z", until="2025-08-15T14:00:00Z",
                region="us-east-1", profile=None, endpoint_url=fake.endpoint,
                per_invocation=per_invocation,
            )  # fmt: skip
            assert load_insights(con, args, sleep=lambda s: None) == 30
        counts = con.execute(
            "SELECT (SELECT count(*) FROM aggregates), (SELECT count(*) FROM invocations)"
        ).fetchone()
        assert counts is not None
        got[per_invocation] = (int(counts[0]), int(counts[1]))
    assert got[True] == (0, 30)
    assert got[False][0] > 0 and got[False][1] == 6  # the failed invocations only


def test_failure_line_naming_a_request_fetches_its_report_near_the_line(moto: MotoServer):
    """A 'RequestId: … Error:' line makes its invocation an error; its REPORT is looked up
    within 15 minutes of the line, not over the whole two hours."""
    rid = "22222222-2222-3333-4444-555555555555"
    at = T0_MS + 3_600_000
    rows = [
        {
            **report_row(at + 40, rid, "orders", duration=40.0, init=None, status=None),
            "_ms": at + 40,
        },
        line_row(at, f"2025-08-15T13:44:00.000Z\t{rid}\tERROR\tInvoke Error\t{{}}", rid=""),
        *data.rows([20.0] * 4),
    ]
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con)
    assert queries.summary(con)["totals"]["errors"] == 1  # data.rows(4) has no Status: error
    (window,) = [w for w, q in zip(fake.started, fake.queries, strict=True) if "@requestId in" in q]
    assert window == (at // 1000 - 900, at // 1000 + 901)  # [lo, hi): hi's second excluded


def test_analyze_insights_into_a_pipe_says_percentiles_are_estimated(
    moto: MotoServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """Without a terminal the report is printed and stderr says how exact it is."""
    from analyzer.cli import build_parser
    from analyzer.commands import analyze

    with FakeInsights(data.rows([30.0] * 10)) as fake:
        args = build_parser().parse_args(
            ["analyze", "--insights", *GROUPS, "--since", "2025-08-15T12:44:00Z",
             "--until", "2025-08-15T13:44:00Z", "--region", "us-east-1",
             "--endpoint-url", fake.endpoint, "--db", str(tmp_path / "i.duckdb")]
        )  # fmt: skip
        assert analyze.run(args) == 0
    out, err = capsys.readouterr()
    assert next(ln for ln in out.splitlines() if ln.startswith("orders ")).split()[1] == "5"
    assert "percentiles estimated within 4.43 %" in err


def test_report_on_an_aggregated_db_says_percentiles_are_estimated(
    moto: MotoServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
):
    """`report --db` over an aggregated --insights database says how exact it is, as analyze."""
    from analyzer.cli import main

    db = tmp_path / "i.duckdb"
    con = open_db(db)
    with FakeInsights(data.rows([30.0] * 10)) as fake:
        data.load(fake, con)
    con.close()
    assert main(["report", "--db", str(db), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["totals"]["invocations"] == 10
    assert aggregates.REPORT_NOTE in err


def test_a_quiet_range_costs_three_scans_per_window(moto: MotoServer):
    """Two hours of two functions (120 one-minute bins, two windows) cost three scans per
    window: stats, init, failures (failed REPORTs and failure lines share one); no lookups
    when REPORT Status says every failure."""
    con = open_db(None)
    with FakeInsights(data.rows([25.0] * 50)) as fake:
        data.load(fake, con)
    assert len(set(fake.started)) == 2 and len(fake.started) == 6
    assert queries.summary(con)["totals"]["errors"] == 5


def test_moto_round_trips_the_aggregated_queries(moto: MotoServer):
    """Against moto (which answers the protocol, not the query) an aggregated load runs every
    query and loads nothing it cannot read: zero invocations, no error."""
    import time

    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    logs.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName="s")
    logs.put_log_events(
        logGroupName="/aws/lambda/orders", logStreamName="s",
        logEvents=[{"timestamp": int(time.time() * 1000),
                    "message": "REPORT RequestId: x\tDuration: 1 ms"}],
    )  # fmt: skip
    con = open_db(None)
    assert load_insights(con, ["/aws/lambda/orders"], endpoint_url=moto.endpoint,
                         region="us-east-1", sleep=lambda s: None, aggregate=True) == 0  # fmt: skip
    assert queries.summary(con)["totals"]["invocations"] == 0


def test_missing_group_in_aggregated_mode_is_clear(moto: MotoServer):
    """A log group that does not exist raises AwsError naming the problem, as per invocation."""
    from analyzer.aws import AwsError

    with pytest.raises(AwsError, match="not found"):
        load_insights(open_db(None), ["/aws/lambda/nope"], endpoint_url=moto.endpoint,
                      region="us-east-1", sleep=lambda s: None, aggregate=True)  # fmt: skip


def test_dense_failure_lines_look_up_only_the_time_they_cover():
    """A steady trickle of failure lines over a day: each lookup batch runs over the time
    its own lines cover (about the range once in all), not the whole range per batch."""
    from analyzer.aws._insights_agg import IDS_PER_QUERY, STREAMS_PER_QUERY, lookups

    start, end = T0_MS // 1000, T0_MS // 1000 + 86_400
    named = [
        line_row(T0_MS + i * 300_000, f"2025-08-15T12:44:00.000Z\t{i:08d}-2222-3333-4444-"
                 "555555555555\tERROR\tInvoke Error\t{}")
        for i in range(288)
    ]  # fmt: skip
    got = lookups(named, set(), start, end)
    assert len(got) == 3  # 288 ids, 100 a query
    for _, (lo, hi) in got:
        assert hi - lo <= (IDS_PER_QUERY - 1) * 300 + 1801
    loose = [
        line_row(T0_MS + i * 30_000, "[ERROR] ValueError: no", stream=f"s{i % 200}")
        for i in range(2880)
    ]
    got = lookups(loose, set(), start, end)
    assert sum(hi - lo for _, (lo, hi) in got) <= 86_400 + 61 * len(got)
    for _, (lo, hi) in got:
        assert hi - lo <= (STREAMS_PER_QUERY - 1) * 30 + 61


def test_a_stream_lookup_keeps_only_the_reports_lines_point_at():
    """Of the REPORTs a by-stream lookup returns, only the first after each line stays."""
    from analyzer.aws._insights_agg import pointed_at

    reports = [
        {**report_row(T0_MS + t, f"r{t}", "orders", duration=1.0, init=None, status=None)}
        for t in (0, 1000, 2000, 9000)
    ]
    lines = [line_row(T0_MS + 500, "[ERROR] ValueError: no"),
             line_row(T0_MS + 8000, "[ERROR] KeyError: k")]  # fmt: skip
    assert [r["@requestId"] for r in pointed_at(reports, lines)] == ["r1000", "r9000"]


def test_a_failed_query_stops_the_others(moto: MotoServer):
    """The first query ending 'Failed' stops the load: running queries get StopQuery (they
    polled on to the end before; pool.map already cancelled the queued ones), no further
    window starts, and the error shown is the failed query's."""
    from analyzer.aws import AwsError

    con = open_db(None)
    with FakeInsights(data.rows([25.0] * 50), running_polls=400) as fake:
        fake.fail_query = 0
        with pytest.raises(AwsError, match="ended Failed"):
            data.load(fake, con, row_cap=40)  # 40 rows: one window per minute, 120 windows
    assert fake.stopped  # the queries still running when query 0 failed
    assert len(fake.started) <= 8  # 120 windows planned; at most two rounds of 4 started
    assert not con.execute("SELECT count(*) FROM aggregates").fetchone()[0]


def test_a_one_second_window_at_the_cap_is_said(moto: MotoServer):
    """A window that cannot be split any more and still hits the cap is a warning, not a
    silent truncation."""
    from analyzer.aws._client import AwsTarget, make_client
    from analyzer.aws.insights import _collect

    rows = [{**report_row(T0_MS + i, f"r{i}", "orders", duration=1.0, init=None,
                          status=None), "_ms": T0_MS + i} for i in range(30)]  # fmt: skip
    said: list[str] = []
    with FakeInsights(rows, cap=10) as fake:
        logs = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=fake.endpoint))
        got = _collect(logs, GROUPS, (T0_MS // 1000, T0_MS // 1000 + 4), lambda s: None, 10,
                       warn=said.append)  # fmt: skip
    assert len(got) == 10 and len(said) == 1 and "12:44:00" in said[0] and "row cap" in said[0]


def test_a_json_format_group_is_said_not_silently_empty(
    moto: MotoServer, capsys: pytest.CaptureFixture[str]
):
    """A group in Lambda's JSON log format has no text REPORT line: the load says so on
    stderr (how many platform.report lines, what to do) instead of loading 0 silently; a
    group with REPORT lines costs no extra query."""
    from _aws_insights_fake import json_row

    report = {"type": "platform.report", "record": {"requestId": "r1", "status": "success",
              "metrics": {"durationMs": 12.5, "billedDurationMs": 13, "memorySizeMB": 128,
                          "maxMemoryUsedMB": 67}}}  # fmt: skip
    rows = [json_row(T0_MS + i * 1000, report, fn="billing") for i in range(3)]
    rows.append(json_row(T0_MS + 5000, {"type": "platform.start", "record": {}}, fn="billing"))
    rows += [r for r in data.rows([10.0] * 8) if r["@log"].endswith("/orders")]
    con = open_db(None)
    with FakeInsights(rows) as fake:
        assert data.load(fake, con) == 4
    err = capsys.readouterr().err
    assert "/aws/lambda/billing: 3 REPORTs in Lambda's JSON log format" in err
    assert "lambdascope fetch" in err and "/aws/lambda/orders" not in err
    quiet = [g for g, q in zip(fake.started, fake.queries, strict=True) if "as events" in q]
    assert len(quiet) == 1


RID = "0f1e2d3c-4b5a-4968-8776-6554433221{:02d}"
"""Request ids of the same-shape tests (index 10..99)."""


def _inv(n: int, lines: list[str], tail: str = "", *, used: int = 67) -> dict[str, object]:
    """Invocation n of a same-shape test: its lines between START and END, the end of its
    REPORT (`Status: …\\tError Type: …`) and its max memory used (of 128 MB)."""
    return {"n": n, "lines": lines, "tail": tail, "used": used}


def _file_and_insights(
    tmp_path: Path,
    invocations: list[dict[str, object]],
    after: dict[int, list[str]] | None = None,
    aggregate: bool = True,
) -> tuple[object, object]:
    """The same log lines loaded from a text file (the runtime's plain lines, as the
    oom_runtimes fixture) and aggregated through the fake Insights endpoint, where each line
    is an event between START and REPORT (`after`: lines written after invocation n's
    REPORT). Returns both connections."""
    from analyzer.load import load_paths

    text, rows = "", []
    for inv in invocations:
        n, lines, tail, used = inv["n"], inv["lines"], inv["tail"], inv["used"]
        assert isinstance(n, int) and isinstance(lines, list) and isinstance(tail, str)
        assert isinstance(used, int)
        rid, at = RID.format(n), T0_MS + n * 10_000
        status = "error" if "Status: error" in tail else None
        text += f"START RequestId: {rid} Version: $LATEST\n"
        text += "".join(f"{line}\n" for line in lines)
        text += (
            f"END RequestId: {rid}\nREPORT RequestId: {rid}\t"
            f"Duration: 500.00 ms\tBilled Duration: 501 ms\tMemory Size: 128 MB\t"
            f"Max Memory Used: {used} MB\t{tail}\n"
        )
        report = report_row(at + 500, rid, "orders", duration=500.0, init=None, status=status)
        rows.append({**report, "_ms": at + 500, "@maxMemoryUsed": f"{used}E6"})
        rows += [line_row(at + 100 + i, line) for i, line in enumerate(lines)]
        for i, line in enumerate((after or {}).get(n, [])):
            text += f"{line}\n"
            rows.append(line_row(at + 600 + i, line))
    log = tmp_path / "shapes.log"
    log.write_text(text, encoding="utf-8")
    from_file = open_db(None)
    load_paths(from_file, [str(log)], function="orders")
    con = open_db(None)
    with FakeInsights(rows) as fake:
        data.load(fake, con, aggregate=aggregate)
    return from_file, con


def _outcomes(con: object) -> tuple[object, ...]:
    """Errors, timeouts and OOM counts, and each failed invocation's outcome, type and message."""
    from analyzer.views import function_summary

    assert isinstance(con, type(open_db(None)))
    totals = queries.summary(con)["totals"]
    oom = sum(r["oom"] or 0 for r in function_summary(con, Filters()))
    failed = con.execute(
        "SELECT request_id, outcome, error_type, error_message FROM invocations"
        " WHERE outcome <> 'success' ORDER BY 1"
    ).fetchall()
    return totals["invocations"], totals["errors"], totals["timeouts"], oom, failed


def _same(tmp_path: Path, invocations: list[dict[str, object]], **kw: object) -> tuple[object, ...]:
    """Assert a file load and an --insights load of the lines agree, aggregated and per
    invocation (both read the failure lines with `_insights_errors`); return it."""
    for aggregate in (True, False):
        from_file, con = _file_and_insights(tmp_path, invocations, aggregate=aggregate, **kw)  # type: ignore[arg-type]
        want = _outcomes(from_file)
        assert _outcomes(con) == want, aggregate
    return want


def test_node_crash_lines_count_as_a_file_load_counts_them(moto: MotoServer, tmp_path: Path):
    """V8's `FATAL ERROR: … JavaScript heap out of memory` (no request id: the next REPORT of
    its stream) makes a Runtime.ExitError an OOM; a WARN line that only mentions the words is
    a success; another `FATAL ERROR:` is an error, not an OOM."""
    heap = "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
    got = _same(tmp_path, [
        _inv(10, [f"2025-08-15T12:45:40.020Z\t{RID.format(10)}\tWARN\tJavaScript heap out of "
                  "memory risk: input is 900 MB"]),
        _inv(11, ["", "<--- Last few GCs --->", heap, " 1: 0xb8ced0 node::Abort()"],
             "Status: error\tError Type: Runtime.ExitError", used=128),
        _inv(12, ["FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal"]),
    ])  # fmt: skip
    assert got[1:4] == (2, 0, 1)
    assert [r[2:] for r in got[4]] == [  # type: ignore[attr-defined]
        ("Runtime.OutOfMemory", heap),
        (None, "FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal"),
    ]


def test_go_crash_and_killed_runtime_count_as_a_file_load_counts_them(
    moto: MotoServer, tmp_path: Path
):
    """Go's `fatal error: runtime: out of memory` (no request id) is an OOM; `RequestId: …
    Error: Runtime exited …` after the REPORT names its invocation; a killed runtime at its
    memory size is an OOM, below it an ExitError."""
    after = {
        10: [f"RequestId: {RID.format(10)} Error: Runtime exited with error: exit status 2"],
        11: [f"RequestId: {RID.format(11)} Error: Runtime exited with error: signal: killed"],
        12: [f"RequestId: {RID.format(12)} Error: Runtime exited with error: signal: killed"],
    }
    got = _same(tmp_path, [
        _inv(10, ["fatal error: runtime: out of memory", "", "runtime stack:"]),
        _inv(11, [], used=128),
        _inv(12, [], used=90),
    ], after=after)  # fmt: skip
    assert got[1:4] == (3, 0, 2)
    assert [r[2] for r in got[4]] == [  # type: ignore[attr-defined]
        "Runtime.OutOfMemory",
        "Runtime.OutOfMemory",
        "Runtime.ExitError",
    ]


def test_jvm_crash_line_counts_as_a_file_load_counts_it(moto: MotoServer, tmp_path: Path):
    """The JVM's `Exception in thread "main" java.lang.OutOfMemoryError` and the Java
    runtime's one-line error document of an OutOfMemoryError are OOMs; an exception that
    quotes a downstream system's OutOfMemoryError is not one."""
    got = _same(tmp_path, [
        _inv(10, ['Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
                  "\tat java.base/java.util.Arrays.copyOf(Unknown Source)"]),
        _inv(11, ["[ERROR] RuntimeError: Glue job etl-7 failed: java.lang.OutOfMemoryError: "
                  "Java heap space", "Traceback (most recent call last):"]),
        _inv(12, ['{"errorMessage":"Java heap space","errorType":"java.lang.OutOfMemoryError",'
                  '"stackTrace":["com.example.ReportHandler.handleRequest(ReportHandler.java:48)"]}']),
    ])  # fmt: skip
    assert got[1:4] == (3, 0, 2)
    assert [r[2:] for r in got[4]] == [  # type: ignore[attr-defined]
        (
            "Runtime.OutOfMemory",
            'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
        ),
        ("RuntimeError", "Glue job etl-7 failed: java.lang.OutOfMemoryError: Java heap space"),
        ("Runtime.OutOfMemory", "Java heap space"),
    ]


def test_python_memory_error_without_colon_counts_as_a_file_load_counts_it(
    moto: MotoServer, tmp_path: Path
):
    """`[ERROR] MemoryError` alone (awslambdaric writes no colon for an empty message) and a
    subclass with a message are OOMs; a WARNING quoting MemoryError is a success."""
    got = _same(tmp_path, [
        _inv(10, ["[ERROR] MemoryError", "Traceback (most recent call last):",
                  '  File "/var/task/etl.py", line 40, in handler']),
        _inv(11, ["[ERROR] _ArrayMemoryError: Unable to allocate 8.00 GiB for an array",
                  "Traceback (most recent call last):"]),
        _inv(12, [f"[WARNING]\t2025-08-15T12:46:00.100Z\t{RID.format(12)}\tretrying chunk 3 "
                  "after MemoryError with a smaller batch"]),
    ])  # fmt: skip
    assert got[1:4] == (2, 0, 2)
    assert [r[3] for r in got[4]] == [  # type: ignore[attr-defined]
        "MemoryError",
        "Unable to allocate 8.00 GiB for an array",
    ]


def test_ruby_error_lines_count_as_a_file_load_counts_them(moto: MotoServer, tmp_path: Path):
    """Ruby's `Error raised from handler method` / `Critical exception from handler` line (no
    request id) fails its invocation, and its indented error document gives the type and
    message (Function<NoMemoryError>: an OOM), as the file loader reads them: per line, a
    document field counts only in an invocation a marker line made fail, so an app printing
    an indented payload with an errorType stays a success. The uncaught-exception line
    `file:N:in 'm': text (Type)` is one line and is read as such."""
    doc = ["{", '  "errorMessage": "failed to allocate memory",',
           '  "errorType": "Function<NoMemoryError>",', '  "stackTrace": [',
           "    \"/var/task/lambda_function.rb:30:in `handler'\"", "  ]", "}"]  # fmt: skip
    got = _same(tmp_path, [
        _inv(10, ["Critical exception from handler", *doc],
             "Status: error\tError Type: Runtime.ExitError"),
        _inv(11, ["Error raised from handler method", "{",
                  '  "errorMessage": "payment gateway refused order 18",',
                  '  "errorType": "Function<RuntimeError>",', "}"]),
        _inv(12, ["/var/task/app.rb:5:in 'handler': failed to allocate memory (NoMemoryError)"]),
        _inv(13, ["{", '  "errorType": "MemoryError",', '  "errorMessage": "quoted",', "}"]),
    ])  # fmt: skip
    assert got[1:4] == (3, 0, 2)
    assert [r[2:] for r in got[4]] == [  # type: ignore[attr-defined]
        ("Runtime.OutOfMemory", "failed to allocate memory"),
        ("Function<RuntimeError>", "payment gateway refused order 18"),
        ("Runtime.OutOfMemory", "failed to allocate memory"),
    ]


def test_dotnet_fail_lines_count_as_a_file_load_counts_them(moto: MotoServer, tmp_path: Path):
    """A .NET `<ts>\\t<id>\\tfail\\tType: text` exception names its request id: written
    after its REPORT, the line still goes to that invocation, not to the next REPORT of its
    stream; System.OutOfMemoryException is an OOM, InvalidOperationException an error; a
    `warn` line of an exception is a success."""
    after = {11: [f"2025-08-15T12:45:50.600Z\t{RID.format(11)}\tfail\t"
                  "System.InvalidOperationException: Order 42 has no lines"]}  # fmt: skip
    got = _same(tmp_path, [
        _inv(10, [f"2025-08-15T12:45:40.100Z\t{RID.format(10)}\tfail\tSystem.OutOfMemoryException"
                  ": Exception of type 'System.OutOfMemoryException' was thrown."]),
        _inv(11, []),
        _inv(12, [f"2025-08-15T12:46:00.100Z\t{RID.format(12)}\twarn\t"
                  "System.TimeoutException: retrying"]),
    ], after=after)  # fmt: skip
    assert got[1:4] == (2, 0, 1)
    assert [r[2] for r in got[4]] == [  # type: ignore[attr-defined]
        "Runtime.OutOfMemory",
        "System.InvalidOperationException",
    ]


def test_a_legacy_dotnet_error_document_is_seen_only_through_the_report(
    moto: MotoServer, tmp_path: Path
):
    """A legacy .NET runtime's indented error document has no marker line: the file loader
    keeps its fields by the lines around them, which a per-line query cannot see. Its
    invocation counts as failed aggregated only when the REPORT says `Status: error` (then
    the counts agree; the type is the REPORT's), and is a success otherwise (documented)."""
    doc = ["{", '  "errorType": "OutOfMemoryException",',
           '  "errorMessage": "Insufficient memory to continue the execution of the program.",',
           '  "stackTrace": [', '    "at Orders.Function.Handler(Stream input)"',
           "  ]", "}"]  # fmt: skip
    from_file, con = _file_and_insights(tmp_path, [
        _inv(10, doc, "Status: error\tError Type: Runtime.ExitError"), _inv(11, doc),
    ])  # fmt: skip
    want, got = _outcomes(from_file), _outcomes(con)
    assert want[1:4] == (2, 0, 2) and got[1:4] == (1, 0, 0)
