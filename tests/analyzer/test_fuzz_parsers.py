"""Property tests: the parsers never raise on arbitrary text or bytes, and loading any file
keeps the accounting invariant (lines read = lines parsed into events + lines rejected)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analyzer.detect import detect
from analyzer.load import LoadError, load_paths
from analyzer.parse.containers import unwrap_insights_csv, unwrap_json, unwrap_lines
from analyzer.parse.message import classify_message
from analyzer.parse.stage import stage_rows
from analyzer.store import open_db

PIECES = [
    "START RequestId: ",
    "END RequestId: ",
    "REPORT RequestId: ",
    "Duration: ",
    " ms\t",
    "Init Duration: 1",
    "Status: timeout",
    "Error Type: Runtime.OutOfMemory",
    "2024-01-01T00:00:00.000Z ",
    "RequestId: x Error: ",
    "Task timed out after 3.00 seconds",
    "[ERROR] E: m",
    '{"lambdascope":1,"request_id":"r","outcome":"error"}',
    '{"type":"platform.report","record":{"requestId":"r","metrics":{"durationMs":"x"}}}',
    '{"events":[{"message":1}]}',
    '{"messageType":"DATA_MESSAGE","logEvents":[{}]}',
    '{"awslogs":{"data":"!!"}}',
    "\n",
    "\t",
    "\r",
    "\x00",
    "\ufeff",
    "0f1e2d3c-4b5a-4968-8776-655443322110",
]
logish = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=20)), max_size=30).map(
    "".join
)


@given(logish)
def test_classify_message_never_raises(text: str) -> None:
    """Any text classifies into some kind."""
    assert classify_message(text).kind


@given(logish, st.sampled_from(["export", "tail", "text"]))
def test_line_containers_never_raise(text: str, fmt: str) -> None:
    """Line formats account for every line: events + rejects + blanks = units."""
    un = unwrap_lines(text, fmt)
    assert len(un.events) + len(un.rejects) + un.blanks == un.units
    stage_rows(un)


@given(logish)
def test_json_and_csv_containers_never_raise(text: str) -> None:
    """JSON and Insights CSV unwrapping survive any text; every unit is an event or a reject."""
    for un in (unwrap_json(text), unwrap_insights_csv(text)):
        assert len(un.events) + len(un.rejects) + un.blanks == un.units
        stage_rows(un)


@given(st.binary(max_size=400))
def test_detect_never_raises(data: bytes) -> None:
    """Any bytes get a format name."""
    assert detect(data)


_CON = open_db(None)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(logish.map(lambda s: s.encode("utf-8", "surrogatepass")), st.binary(max_size=300)))
@example(b"\n\r\x08")
@example(b"\r\x80")
@example(b"hello\rworld\n")
@example(b"2024-01-01T00:00:00.000Z a\x00b\n")
@example("2024-01-01T00:00:00.000Z \ud800\n".encode("utf-8", "surrogatepass"))
def test_loading_any_file_keeps_accounting(data: bytes) -> None:
    """Loading arbitrary bytes never raises (except LoadError) and lines = events + rejected."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "input.log"
        f.write_bytes(data)
        con = _CON  # one database for all examples: each file is checked by its own row
        try:
            load_paths(con, [str(f)])
        except LoadError:
            return
        bad = con.sql(
            "SELECT path FROM files f WHERE lines <> events + rejected OR rejected <> "
            "(SELECT count(*) FROM rejects r WHERE r.file_id = f.file_id)"
        ).fetchall()
        assert bad == []
