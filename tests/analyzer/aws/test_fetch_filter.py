"""`fetch --via filter` against moto's server over real HTTP with real boto3."""

from __future__ import annotations

import json
import os
import shutil
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _aws_logdata import put_invocations
from _support.moto_server import MotoServer

from analyzer.aws import AwsError
from analyzer.aws._client import AwsTarget, make_client
from analyzer.aws.fetch import FetchStopped, fetch_filter
from analyzer.cli import main


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _read_events(out: Path) -> list[dict[str, object]]:
    events: list[dict[str, object]] = []
    for path in sorted(out.rglob("filter-*.json")):
        events.extend(json.loads(path.read_text(encoding="utf-8"))["events"])
    return events


def _logs(moto: MotoServer) -> object:
    return make_client("logs", AwsTarget(region="us-east-1", endpoint_url=moto.endpoint))


def test_every_event_fetched_across_pages_streams_and_groups(moto: MotoServer, tmp_path: Path):
    """Small pages over several streams and two groups still yield every event once."""
    logs = moto.client("logs")
    a = put_invocations(logs, "/aws/lambda/orders", streams=3, per_stream=20)
    b = put_invocations(logs, "/aws/lambda/billing", streams=2, per_stream=5)
    since, until = _dt(a.start_ms - 1000), _dt(max(a.end_ms, b.end_ms) + 1000)
    result = fetch_filter(
        _logs(moto), ["/aws/lambda/orders", "/aws/lambda/billing"], since, until, tmp_path,
        page_size=7,
    )  # fmt: skip
    events = _read_events(tmp_path)
    assert result.events == len(events) == a.events + b.events
    assert len({(e["logStreamName"], e["eventId"]) for e in events}) == len(events)


def test_file_records_log_group_and_lives_under_its_path(moto: MotoServer, tmp_path: Path):
    """Each file names its log group inside and sits under out/<log group>/."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=3)
    fetch_filter(
        _logs(moto), ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path
    )
    (path,) = tmp_path.rglob("filter-*.json")
    assert path.parent == tmp_path / "aws" / "lambda" / "orders"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["logGroupName"] == "/aws/lambda/orders"
    assert {"logStreamName", "timestamp", "message", "eventId"} <= set(data["events"][0])


def test_rerun_fetches_only_missing_windows(moto: MotoServer, tmp_path: Path):
    """A second run skips completed windows and refetches only a deleted one."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=2, per_stream=40)
    since, until = _dt(got.start_ms - 3_600_000), _dt(got.end_ms + 1)
    first = fetch_filter(_logs(moto), ["/aws/lambda/orders"], since, until, tmp_path)
    first.files[0].unlink()
    second = fetch_filter(_logs(moto), ["/aws/lambda/orders"], since, until, tmp_path)
    assert len(second.files) == 1
    assert second.skipped == len(first.files) - 1
    assert len(_read_events(tmp_path)) == got.events


def test_missing_group_leaves_no_file_looking_complete(moto: MotoServer, tmp_path: Path):
    """A failed window raises AwsError and leaves neither a file nor a .part behind."""
    now = datetime.now(UTC)
    with pytest.raises(AwsError, match="not found"):
        fetch_filter(_logs(moto), ["/aws/lambda/nope"], now.replace(hour=0), now, tmp_path)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_cli_fetch_writes_files_and_exits_zero(moto: MotoServer, tmp_path: Path, capsys):
    """`lambdascope fetch` via filter exits 0 and writes the group's events."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=2, per_stream=10)
    rc = main(
        ["fetch", "/aws/lambda/orders", "--since", "3h", "--out", str(tmp_path / "logs"),
         "--endpoint-url", moto.endpoint, "--region", "us-east-1"]
    )  # fmt: skip
    assert rc == 0, capsys.readouterr().err
    assert len(_read_events(tmp_path / "logs")) == got.events


def test_cli_missing_group_is_one_clear_message(moto: MotoServer, tmp_path: Path, capsys):
    """A missing log group exits 1 with a message saying what to check, no traceback."""
    rc = main(
        ["fetch", "/aws/lambda/ghost", "--since", "1h", "--out", str(tmp_path),
         "--endpoint-url", moto.endpoint]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1
    assert "/aws/lambda/ghost" in err and "describe-log-groups" in err
    assert "Traceback" not in err


def test_partial_last_window_is_replaced_not_duplicated(moto: MotoServer, tmp_path: Path):
    """A window cut short by --until is refetched whole later, leaving one file, no duplicates."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=60)
    mid = _dt((got.start_ms + got.end_ms) // 2)
    fetch_filter(_logs(moto), ["/aws/lambda/orders"], _dt(got.start_ms), mid, tmp_path)
    fetch_filter(
        _logs(moto), ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path
    )
    events = _read_events(tmp_path)
    assert len(events) == got.events
    assert len({(e["logStreamName"], e["eventId"]) for e in events}) == got.events


def test_default_page_size_follows_next_token_past_10000(moto: MotoServer, tmp_path: Path):
    """More events than one 10,000-event page arrive complete through `lambdascope fetch`."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/big", streams=3, per_stream=900)
    assert got.events > 10_000
    out = tmp_path / "logs"
    rc = main(["fetch", "/aws/lambda/big", "--since", "3h", "--out", str(out),
               "--endpoint-url", moto.endpoint, "--region", "us-east-1"])  # fmt: skip
    assert rc == 0
    assert len(_read_events(out)) == got.events


def test_progress_shown_only_on_a_terminal():
    """Progress writes to a terminal stream and stays silent on a pipe."""
    import io

    from analyzer.aws._progress import Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        Progress(stream=stream).update("fetch x: 10 events", force=True)
    assert "10 events" in tty.getvalue() and pipe.getvalue() == ""


def test_window_fetched_too_soon_is_fetched_again(moto: MotoServer, tmp_path: Path):
    """A window that ended less than 5 minutes before it was fetched is refetched later."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=5)
    since, until = _dt(got.start_ms), _dt(got.end_ms + 1)
    groups = ["/aws/lambda/orders"]
    (path,) = fetch_filter(_logs(moto), groups, since, until, tmp_path).files
    os.utime(path, (until.timestamp() + 60, until.timestamp() + 60))
    assert len(fetch_filter(_logs(moto), groups, since, until, tmp_path).files) == 1
    os.utime(path, (until.timestamp() + 600, until.timestamp() + 600))
    assert fetch_filter(_logs(moto), groups, since, until, tmp_path).skipped == 1


def test_many_windows_fetched_concurrently_keep_every_event(moto: MotoServer, tmp_path: Path):
    """Ten hours of events (ten windows, four at a time) arrive complete, one file per hour."""
    base = int(datetime.now(UTC).timestamp() * 1000) - 11 * 3_600_000
    got = put_invocations(
        moto.client("logs"), "/aws/lambda/orders", streams=2, per_stream=15,
        start_ms=base, spacing_ms=1_200_000,
    )  # fmt: skip
    result = fetch_filter(
        _logs(moto), ["/aws/lambda/orders"], _dt(got.start_ms), _dt(got.end_ms + 1), tmp_path
    )
    assert len(result.files) >= 10
    events = _read_events(tmp_path)
    assert len({(e["logStreamName"], e["eventId"]) for e in events}) == got.events


def test_two_files_for_one_window_are_replaced_by_one(moto: MotoServer, tmp_path: Path):
    """Leftovers of an interrupted run (two files in one hour) give way to one fresh file."""
    got = put_invocations(moto.client("logs"), "/aws/lambda/orders", streams=1, per_stream=20)
    groups = ["/aws/lambda/orders"]
    since, until = _dt(got.start_ms), _dt(got.end_ms + 1)
    (path,) = fetch_filter(_logs(moto), groups, since, until, tmp_path).files
    narrower = path.with_name(path.name.replace(path.name[7:26], path.name[7:22] + "001Z", 1))
    shutil.copy(path, narrower)
    fetch_filter(_logs(moto), groups, since, until, tmp_path)
    assert len(list(path.parent.glob("filter-*.json"))) == 1
    assert len(_read_events(tmp_path)) == got.events


class _EndlessPages:
    """FilterLogEvents over HTTP that always has a next page; sets `stop` at page `stop_at`."""

    def __init__(self, stop: threading.Event, stop_at: int) -> None:
        self.pages = 0
        endless = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endless.pages += 1
                if endless.pages == stop_at:
                    stop.set()  # as Ctrl-C would, while this page is in flight
                event = {
                    "logStreamName": "s",
                    "timestamp": 1_764_064_800_000 + endless.pages,
                    "message": "x",
                    "ingestionTime": 1,
                    "eventId": str(endless.pages),
                }
                body = json.dumps({"events": [event], "nextToken": f"t{endless.pages}"})
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


def test_stop_ends_the_fetch_within_one_page_and_leaves_no_file(moto: MotoServer, tmp_path: Path):
    """Setting the stop hook mid-window ends the fetch after the page in flight, no file left."""
    stop = threading.Event()
    endless = _EndlessPages(stop, stop_at=3)
    try:
        client = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=endless.endpoint))
        with pytest.raises(FetchStopped):
            fetch_filter(
                client, ["/aws/lambda/orders"], datetime(2025, 11, 25, 10, 0, tzinfo=UTC),
                datetime(2025, 11, 25, 10, 30, tzinfo=UTC), tmp_path, stop=stop,
            )  # fmt: skip
    finally:
        endless.server.shutdown()
        endless.server.server_close()
    assert endless.pages == 3
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
