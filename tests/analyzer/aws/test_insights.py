"""`analyze --insights`: polling, splitting at the row cap and loading rows into the tables."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _aws_insights_fake import FakeInsights, line_row, report_row
from _support.moto_server import MotoServer

from analyzer import queries
from analyzer.aws import AwsError
from analyzer.aws._client import AwsTarget, make_client
from analyzer.aws.insights import (
    COUNT_QUERY,
    QUERY,
    load_insights,
    normalize_query,
    plan_windows,
)
from analyzer.store import open_db

REPO = Path(__file__).resolve().parents[3]
T0_MS = 1_755_261_897_000  # 2025-08-15 12:44:57 UTC


def _rows(n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for i in range(n):
        status = "timeout" if i % 10 == 3 else "error" if i % 10 == 7 else None
        row = report_row(
            T0_MS + i * 5000, f"req-{i}", "orders" if i % 2 else "billing",
            duration=100.0 + i, init=200.5 if i % 25 == 0 else None, status=status,
        )  # fmt: skip
        rows.append({**row, "_ms": T0_MS + i * 5000})
    return rows


def _load(fake: FakeInsights, con, **kw) -> int:
    client = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=fake.endpoint))
    return load_insights(
        con, ["/aws/lambda/orders", "/aws/lambda/billing"],
        since=datetime.fromtimestamp(T0_MS / 1000 - 60, UTC),
        until=datetime.fromtimestamp(T0_MS / 1000 + 3600, UTC),
        client=client, sleep=lambda s: None, **kw,
    )  # fmt: skip


def test_range_is_split_until_under_the_cap(moto: MotoServer):
    """With a cap of 40 rows, 200 invocations still all load, over several queries."""
    con = open_db(None)
    with FakeInsights(_rows(200), cap=40) as fake:
        assert _load(fake, con, row_cap=40) == 200
    assert len(fake.started) > 5
    assert con.execute("SELECT count(DISTINCT request_id) FROM invocations").fetchone() == (200,)


def test_report_equals_what_insights_returned(moto: MotoServer):
    """After loading, the report's counts match the rows' statuses and cold starts."""
    con = open_db(None)
    with FakeInsights(_rows(100)) as fake:
        _load(fake, con)
    totals = queries.summary(con)["totals"]
    assert (totals["invocations"], totals["errors"], totals["timeouts"]) == (100, 10, 10)
    assert totals["cold_starts"] == 4
    assert totals["duration_ms"]["max"] == 199.0


def test_memory_converted_from_bytes_to_mb(moto: MotoServer):
    """'@memorySize 1.28E8' becomes 128 MB and '@maxMemoryUsed 6.7E7' 67 MB."""
    con = open_db(None)
    with FakeInsights(_rows(3)) as fake:
        _load(fake, con)
    got = con.execute("SELECT DISTINCT memory_mb, max_memory_mb FROM invocations").fetchall()
    assert got == [(128, 67)]


def test_function_and_environment_from_log_and_stream(moto: MotoServer):
    """@log gives the function, @logStream the version and environment id."""
    con = open_db(None)
    with FakeInsights(_rows(2)) as fake:
        _load(fake, con)
    got = con.execute("SELECT DISTINCT function, version, env_id FROM invocations ORDER BY 1")
    assert got.fetchall() == [
        ("billing", "$LATEST", "3893a1b2c3d4e5f60718293a4b5c6d7e"),
        ("orders", "$LATEST", "3893a1b2c3d4e5f60718293a4b5c6d7e"),
    ]


def test_polls_until_the_query_completes(moto: MotoServer):
    """A query that stays Running for a few polls is waited for, with growing pauses."""
    con = open_db(None)
    pauses: list[float] = []
    with FakeInsights(_rows(5), running_polls=4) as fake:
        client = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=fake.endpoint))
        load_insights(con, ["/aws/lambda/orders"], client=client, sleep=pauses.append,
                      since=datetime.fromtimestamp(T0_MS / 1000, UTC),
                      until=datetime.fromtimestamp(T0_MS / 1000 + 60, UTC))  # fmt: skip
    assert pauses == [0.5, 1.0, 2.0, 4.0] * 3  # the count, the rows, the failure lines


def test_failed_query_is_a_clear_error(moto: MotoServer):
    """A query that ends Failed raises AwsError saying what to try."""
    with (
        FakeInsights(_rows(5), final_status="Failed") as fake,
        pytest.raises(AwsError, match="Failed"),
    ):
        _load(fake, open_db(None))


def test_moto_answers_start_and_get_query(moto: MotoServer):
    """Against moto the protocol round-trips; its rows lack @requestId and load nothing."""
    logs = moto.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders")
    logs.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/aws/lambda/orders", logStreamName="s",
        logEvents=[{"timestamp": now, "message": "REPORT RequestId: x\tDuration: 1 ms"}],
    )  # fmt: skip
    con = open_db(None)
    assert load_insights(con, ["/aws/lambda/orders"], endpoint_url=moto.endpoint,
                         region="us-east-1", sleep=lambda s: None) == 0  # fmt: skip


def test_missing_group_against_moto_is_clear(moto: MotoServer):
    """A log group that does not exist raises AwsError naming the problem."""
    with pytest.raises(AwsError, match="not found"):
        load_insights(open_db(None), ["/aws/lambda/nope"], endpoint_url=moto.endpoint,
                      region="us-east-1", sleep=lambda s: None)  # fmt: skip


def test_query_file_is_the_query_the_loader_runs():
    """dashboards/insights/invocations.query, without comments, equals insights.QUERY."""
    text = (REPO / "dashboards/insights/invocations.query").read_text(encoding="utf-8")
    assert normalize_query(text) == normalize_query(QUERY)


def test_cli_namespace_form_reads_groups_times_and_endpoint(moto: MotoServer):
    """`load_insights(con, args)` as `analyze --insights` calls it uses the CLI options."""
    import argparse

    con = open_db(None)
    with FakeInsights(_rows(6)) as fake:
        args = argparse.Namespace(
            insights=["/aws/lambda/orders"], since="2025-08-15T12:00:00Z",
            until="2025-08-15T13:00:00Z", region="us-east-1", profile=None,
            endpoint_url=fake.endpoint,
        )  # fmt: skip
        assert load_insights(con, args, sleep=lambda s: None) == 6
    assert fake.started[0] == (1_755_259_200, 1_755_262_800)  # [12:00, 13:00)


def test_quiet_bins_are_merged_into_one_query(moto: MotoServer):
    """Forty quiet one-minute bins cost one count, one row and one failure-line query."""
    rows = [
        {**report_row(T0_MS + i * 80_000, f"r{i}", "orders", duration=5, init=None,
                      status=None), "_ms": T0_MS + i * 80_000}
        for i in range(40)
    ]  # fmt: skip
    con = open_db(None)
    with FakeInsights(rows) as fake:
        assert _load(fake, con) == 40
    assert len(fake.started) == 3  # count, rows, failure lines


def test_busy_hour_is_cut_so_no_query_hits_the_cap(moto: MotoServer):
    """Planned from the hourly counts, no per-invocation query comes back capped."""
    con = open_db(None)
    with FakeInsights(_rows(300), cap=40) as fake:
        assert _load(fake, con, row_cap=40) == 300
    assert max(fake.returned[1:]) < 40


def test_plan_without_counts_is_the_whole_range():
    """Unusable count rows (as moto returns) fall back to one window, split on demand."""
    assert plan_windows([{"@ptr": "1"}], 100, 7300, 10_000) == [(100, 7300)]


def test_count_query_file_is_the_planning_query():
    """dashboards/insights/invocations_per_bin.query is COUNT_QUERY with a 1h bin."""
    text = (REPO / "dashboards/insights/invocations_per_bin.query").read_text(encoding="utf-8")
    assert normalize_query(text) == COUNT_QUERY.format(bin="1h")


def test_each_invocation_gets_its_report_line_as_an_event(moto: MotoServer):
    """The dashboard's log view finds a REPORT event per invocation, with its fields."""
    con = open_db(None)
    with FakeInsights(_rows(4)) as fake:
        _load(fake, con)
    (message,) = con.execute("SELECT message FROM events WHERE request_id = 'req-3'").fetchone()
    assert message.startswith("REPORT RequestId: req-3\tDuration: 103.00 ms")
    assert "Memory Size: 128 MB" in message and "Status: timeout" in message


RID = "11111111-2222-3333-4444-555555555555"
ERR_LOG = (
    "2025-08-15T12:44:57.000Z START RequestId: {rid} Version: $LATEST\n"
    "2025-08-15T12:44:57.010Z [ERROR] ValueError: card declined\n"
    "Traceback (most recent call last):\n"
    "2025-08-15T12:44:57.012Z END RequestId: {rid}\n"
    "2025-08-15T12:44:57.012Z REPORT RequestId: {rid}\tDuration: 12.00 ms\t"
    "Billed Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\t\n"
)


def _failed_invocation_rows() -> list[dict[str, object]]:
    """What Insights returns for ERR_LOG: a REPORT without Status, an [ERROR] line."""
    report = {**report_row(T0_MS + 12, RID, "orders", duration=12.0, init=None, status=None)}
    line = line_row(T0_MS + 10, "[ERROR] ValueError: card declined\nTraceback (most recent")
    return [{**report, "_ms": T0_MS + 12}, line]


def test_handler_exception_is_an_error_as_in_the_file_report(moto: MotoServer, tmp_path: Path):
    """A handler exception (REPORT without Status) is an error, as `report` on the file says."""
    from analyzer.load import load_paths

    log = tmp_path / "err.log"
    log.write_text(ERR_LOG.format(rid=RID), encoding="utf-8")
    from_file = open_db(None)
    load_paths(from_file, [str(log)])
    con = open_db(None)
    with FakeInsights(_failed_invocation_rows()) as fake:
        _load(fake, con)
    want = queries.summary(from_file)["totals"]
    got = queries.summary(con)["totals"]
    assert (got["errors"], got["error_rate"]) == (want["errors"], want["error_rate"]) == (1, 1.0)
    assert con.execute("SELECT error_type FROM invocations").fetchall() == [("ValueError",)]


def test_legacy_timeout_line_after_report_is_a_timeout(moto: MotoServer):
    """A 'Task timed out' line naming the request id makes its invocation a timeout."""
    rows = [
        {**report_row(T0_MS, RID, "orders", duration=3000.0, init=None, status=None),
         "_ms": T0_MS},
        line_row(T0_MS + 5, f"2025-08-15T12:44:57.005Z {RID} Task timed out after 3.00 seconds"),
    ]  # fmt: skip
    con = open_db(None)
    with FakeInsights(rows) as fake:
        _load(fake, con)
    assert con.execute("SELECT outcome FROM invocations").fetchall() == [("timeout",)]


def test_lambdascope_error_record_marks_its_request(moto: MotoServer):
    """A lambdascope record with outcome error marks the request it names, not its neighbour."""
    rows = _rows(3)
    rows.append(line_row(T0_MS + 1, '{"lambdascope":1,"request_id":"req-2","outcome":"error",'
                         '"error_type":"KeyError"}'))  # fmt: skip
    con = open_db(None)
    with FakeInsights(rows) as fake:
        _load(fake, con)
    got = con.execute("SELECT request_id, outcome, error_type FROM invocations ORDER BY 1")
    assert got.fetchall() == [
        ("req-0", "success", None), ("req-1", "success", None), ("req-2", "error", "KeyError")
    ]  # fmt: skip


def test_errors_query_file_is_the_failure_query_the_loader_runs():
    """dashboards/insights/errors_by_request.query equals the failure-lines query."""
    from analyzer.aws._insights_errors import ERRORS_QUERY

    text = (REPO / "dashboards/insights/errors_by_request.query").read_text(encoding="utf-8")
    assert normalize_query(text) == normalize_query(ERRORS_QUERY)


def test_since_after_until_is_a_clear_error():
    """--since after --until raises AwsError before any AWS call."""
    with pytest.raises(AwsError, match="--since must be before --until"):
        load_insights(open_db(None), ["/aws/lambda/orders"], client=object(),
                      since=datetime(2025, 8, 15, 13, tzinfo=UTC),
                      until=datetime(2025, 8, 15, 12, tzinfo=UTC))  # fmt: skip
