"""`fetch --via export` against moto: CreateExportTask, S3 parts, safe paths, resuming."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from _aws_logdata import put_invocations
from _support.moto_server import MotoServer

from analyzer.aws import AwsError
from analyzer.aws._client import AwsTarget, make_client
from analyzer.aws._progress import Progress
from analyzer.aws.export_task import ExportResult, _wait, download_prefix, fetch_export
from analyzer.cli import main


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _clients(moto: MotoServer) -> tuple[object, object]:
    target = AwsTarget(region="us-east-1", endpoint_url=moto.endpoint)
    return make_client("logs", target), make_client("s3", target)


def _lines(out: Path) -> list[str]:
    return [
        line
        for path in sorted(out.rglob("*.gz"))
        for line in gzip.decompress(path.read_bytes()).decode().splitlines()
        if line.strip()
    ]


def test_export_downloads_parts_under_the_log_group(moto: MotoServer, tmp_path: Path):
    """Every stream's part lands under out/<log group>/<prefix>/<task>/<stream>/."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=3, per_stream=4)
    logs, s3 = _clients(moto)
    result = fetch_export(
        logs, s3, ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path,
        bucket="logs-bucket", prefix="exportedlogs", sleep=lambda s: None,
    )  # fmt: skip
    assert len(result.files) == 3
    for path in result.files:
        rel = path.relative_to(tmp_path / "aws/lambda/orders/exportedlogs").parts
        assert rel[0].startswith("aws-lambda-orders-") and rel[-1] == "000000.gz"
    starts = [line for line in _lines(tmp_path) if " START RequestId: " in line]
    assert len(starts) == got.invocations["orders"]


def test_export_rerun_reuses_task_and_skips_parts(moto: MotoServer, tmp_path: Path):
    """A second run starts no new export task and downloads nothing already there."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=2, per_stream=2)
    logs, s3 = _clients(moto)
    args = (logs, s3, ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path)
    first = fetch_export(*args, bucket="logs-bucket", sleep=lambda s: None)
    second = fetch_export(*args, bucket="logs-bucket", sleep=lambda s: None)
    assert second.task_ids == first.task_ids
    assert (second.files, second.skipped) == ([], 2)
    assert len(moto.client("logs").describe_export_tasks()["exportTasks"]) == 1


def test_hostile_s3_keys_never_escape_out(moto: MotoServer, tmp_path: Path):
    """Keys with '..' or leading '/' are written inside the destination folder."""
    s3c = moto.client("s3")
    s3c.create_bucket(Bucket="hostile-keys")
    for key in ("p/t/../../../../evil.gz", "p/t//abs/x.gz", "p/t/ok/000000.gz"):
        s3c.put_object(Bucket="hostile-keys", Key=key, Body=b"x")
    dest = tmp_path / "out"
    result = ExportResult()
    download_prefix(_clients(moto)[1], "hostile-keys", "p/", dest, result, Progress(enabled=False))
    written = {p.relative_to(dest).as_posix() for p in result.files}
    assert written == {"p/t/evil.gz", "p/t/abs/x.gz", "p/t/ok/000000.gz"}
    assert [p for p in tmp_path.iterdir()] == [dest]


def test_cli_fetch_via_export_exits_zero(moto: MotoServer, tmp_path: Path, capsys):
    """`lambdascope fetch --via export --bucket B` downloads the gzip parts."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=2, per_stream=3)
    rc = main(
        ["fetch", "/aws/lambda/orders", "--since", "3h", "--out", str(tmp_path),
         "--via", "export", "--bucket", "logs-bucket", "--endpoint-url", moto.endpoint,
         "--region", "us-east-1"]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert len(list(tmp_path.rglob("*.gz"))) == 2
    assert sum(" REPORT RequestId: " in x for x in _lines(tmp_path)) == got.invocations["orders"]


def test_cli_export_to_missing_bucket_is_clear(moto: MotoServer, tmp_path: Path, capsys):
    """A bucket that does not exist exits 1 with a message, no traceback."""
    put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=1)
    rc = main(
        ["fetch", "/aws/lambda/orders", "--since", "3h", "--out", str(tmp_path),
         "--via", "export", "--bucket", "nope", "--endpoint-url", moto.endpoint]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "bucket" in err and "Traceback" not in err


def test_resumed_task_that_was_cancelled_is_exported_again(moto: MotoServer, tmp_path: Path):
    """A re-run whose recorded export task ended CANCELLED starts a new task."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=2)
    logs, s3 = _clients(moto)
    args = (logs, s3, ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path)
    first = fetch_export(*args, bucket="logs-bucket", sleep=lambda s: None)
    moto.client("logs").cancel_export_task(taskId=first.task_ids[0])
    second = fetch_export(*args, bucket="logs-bucket", sleep=lambda s: None)
    assert second.task_ids != first.task_ids


def test_task_that_fails_is_a_clear_error(moto: MotoServer):
    """Waiting on a task that ends CANCELLED raises AwsError naming the status and the fix."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=1)
    logs = moto.client("logs")
    task = logs.create_export_task(
        logGroupName="/aws/lambda/orders", fromTime=0, to=1, destination="logs-bucket"
    )["taskId"]
    logs.cancel_export_task(taskId=task)
    with pytest.raises(AwsError, match=r"CANCELLED.*bucket policy"):
        _wait(_clients(moto)[0], task, lambda s: None)


def test_stream_named_with_a_leading_dot_is_analysed(moto: MotoServer, tmp_path: Path):
    """A stream called '.x' is exported to a folder the loader reads: its invocation counts."""
    from _aws_logdata import invocation_lines

    from analyzer.load import load_paths
    from analyzer.store import open_db

    moto.client("s3").create_bucket(Bucket="logs-bucket")
    raw = moto.client("logs")
    raw.create_log_group(logGroupName="/aws/lambda/orders")
    raw.create_log_stream(logGroupName="/aws/lambda/orders", logStreamName=".x")
    t0 = (int(time.time()) - 600) * 1000  # recent: older events are refused
    lines = invocation_lines("a1b2c3d4-0000-4000-8000-000000000001", cold=False,
                             status="success", ms=5.0)  # fmt: skip
    raw.put_log_events(
        logGroupName="/aws/lambda/orders", logStreamName=".x",
        logEvents=[{"timestamp": t0 + i, "message": m} for i, m in enumerate(lines)],
    )  # fmt: skip
    logs, s3 = _clients(moto)
    fetch_export(
        logs, s3, ["/aws/lambda/orders"], _dt(t0), _dt(t0 + 60_000), tmp_path,
        bucket="logs-bucket", prefix="exportedlogs", sleep=lambda s: None,
    )  # fmt: skip
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    assert con.execute("SELECT count(*) FROM invocations").fetchone() == (1,)


def _export_args(moto: MotoServer, tmp_path: Path, lo: int, hi: int) -> tuple[object, ...]:
    logs, s3 = _clients(moto)
    return (logs, s3, ["/aws/lambda/orders"], _dt(lo), _dt(hi), tmp_path)


def test_rerun_with_a_later_since_inside_a_done_range_exports_nothing(
    moto: MotoServer, tmp_path: Path
):
    """A narrower range already covered by a complete (settled) export starts no task."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=3)
    kw = {"bucket": "logs-bucket", "sleep": lambda s: None, "settle_ms": 0}
    fetch_export(*_export_args(moto, tmp_path, got.start_ms, got.end_ms + 1), **kw)
    again = fetch_export(*_export_args(moto, tmp_path, got.start_ms + 1, got.end_ms + 1), **kw)
    assert (again.task_ids, again.covered) == ([], 1)
    assert len(moto.client("logs").describe_export_tasks()["exportTasks"]) == 1


def test_rerun_with_a_later_until_exports_only_the_new_part(moto: MotoServer, tmp_path: Path):
    """A range reaching past a complete export starts one task for the part after it only."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=3)
    kw = {"bucket": "logs-bucket", "sleep": lambda s: None, "settle_ms": 0}
    mid = got.start_ms + 1
    fetch_export(*_export_args(moto, tmp_path, got.start_ms - 1000, mid), **kw)
    fetch_export(*_export_args(moto, tmp_path, got.start_ms, got.end_ms + 1), **kw)
    tasks = moto.client("logs").describe_export_tasks()["exportTasks"]
    assert sorted((t["from"], t["to"]) for t in tasks) == [
        (got.start_ms - 1000, mid - 1), (mid, got.end_ms)
    ]  # fmt: skip


def test_recent_export_is_not_trusted_for_its_last_hours(moto: MotoServer, tmp_path: Path):
    """Within EXPORT_SETTLE of an export, a different range is exported again."""
    moto.client("s3").create_bucket(Bucket="logs-bucket")
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=2)
    kw = {"bucket": "logs-bucket", "sleep": lambda s: None}
    fetch_export(*_export_args(moto, tmp_path, got.start_ms, got.end_ms + 1), **kw)
    again = fetch_export(*_export_args(moto, tmp_path, got.start_ms + 1, got.end_ms + 1), **kw)
    assert len(again.task_ids) == 1
