"""Invocation times when START/REPORT carry none (message-only CloudWatch text, as the console,
`aws logs tail` without timestamps and the generator's image-resize files give them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer import queries
from analyzer.filters import Filters
from analyzer.load import load_paths
from analyzer.store import open_db

RID = "4148fa18-c6cd-4abd-ad37-afe589260f62"
MESSAGE_ONLY = (
    f"START RequestId: {RID} Version: $LATEST\n"
    f"[INFO]\t2026-11-24T09:20:59.300Z\t{RID}\tprocessed item 1\n"
    f"[INFO]\t2026-11-24T09:20:59.750Z\t{RID}\tprocessed item 2\n"
    f"END RequestId: {RID}\n"
    f"REPORT RequestId: {RID}\tDuration: 480.00 ms\tBilled Duration: 480 ms\t"
    "Memory Size: 1024 MB\tMax Memory Used: 310 MB\t\n"
)
UNTIMED_RID = "00000102-0000-4000-8000-000000000102"
UNTIMED = (
    f"START RequestId: {UNTIMED_RID} Version: $LATEST\n"
    f"END RequestId: {UNTIMED_RID}\n"
    f"REPORT RequestId: {UNTIMED_RID}\tDuration: 5.00 ms\tBilled Duration: 5 ms\t"
    "Memory Size: 256 MB\tMax Memory Used: 81 MB\t\n"
)


def _write(tmp_path: Path, text: str, name: str = "stream.log") -> Path:
    f = tmp_path / "aws" / "lambda" / "image-resize" / name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    return f


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_times_from_timestamped_app_lines(tmp_path: Path, engine: str) -> None:
    """Without START/REPORT times, start_ts/end_ts are the first and last timestamped lines."""
    _write(tmp_path, MESSAGE_ONLY)
    con = open_db(None)
    load_paths(con, [str(tmp_path)], engine=engine)
    assert con.sql("SELECT start_ts, end_ts FROM invocations").fetchall() == [
        (datetime(2026, 11, 24, 9, 20, 59, 300000), datetime(2026, 11, 24, 9, 20, 59, 750000))
    ]


def test_since_keeps_message_only_invocations(tmp_path: Path) -> None:
    """A --since before the app lines' time keeps the message-only invocation in the report."""
    _write(tmp_path, MESSAGE_ONLY)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    since = Filters(since=datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    assert queries.summary(con.cursor(), since)["totals"]["invocations"] == 1


def test_request_without_any_time_stays_null(tmp_path: Path) -> None:
    """A request none of whose lines carries a time keeps start_ts and end_ts NULL."""
    _write(tmp_path, UNTIMED)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    assert con.sql("SELECT start_ts, end_ts FROM invocations").fetchall() == [(None, None)]


def test_times_filled_for_a_file_added_later(tmp_path: Path) -> None:
    """A message-only file loaded into a database that already has invocations gets its times."""
    _write(tmp_path, UNTIMED, "first.log")
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    _write(tmp_path, MESSAGE_ONLY, "second.log")
    load_paths(con, [str(tmp_path)])
    got = con.execute("SELECT start_ts FROM invocations WHERE request_id = ?", [RID]).fetchall()
    assert got == [(datetime(2026, 11, 24, 9, 20, 59, 300000),)]


def test_start_line_time_beats_app_lines(tmp_path: Path) -> None:
    """A START line with its own time stays the start even when app lines are timestamped."""
    lines = MESSAGE_ONLY.splitlines()
    stamped = "\n".join(f"2026-11-24T09:20:59.100Z {line}" for line in lines) + "\n"
    _write(tmp_path, stamped)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    got = con.sql("SELECT start_ts FROM invocations").fetchall()
    assert got == [(datetime(2026, 11, 24, 9, 20, 59, 100000),)]


def test_untimed_request_starts_at_the_previous_timestamped_line(tmp_path: Path) -> None:
    """A request with no timed line starts at the file's timed line before it, ends + duration."""
    _write(tmp_path, MESSAGE_ONLY + UNTIMED)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    got = con.execute(
        "SELECT start_ts, end_ts FROM invocations WHERE request_id = ?", [UNTIMED_RID]
    ).fetchall()
    start = datetime(2026, 11, 24, 9, 20, 59, 750000)
    assert got == [(start, datetime(2026, 11, 24, 9, 20, 59, 755000))]


def test_untimed_first_request_starts_at_the_next_timestamped_line(tmp_path: Path) -> None:
    """The file's first request, with no timed line, takes the next timed line's time."""
    _write(tmp_path, UNTIMED + MESSAGE_ONLY)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    got = con.execute(
        "SELECT start_ts FROM invocations WHERE request_id = ?", [UNTIMED_RID]
    ).fetchall()
    assert got == [(datetime(2026, 11, 24, 9, 20, 59, 300000),)]
