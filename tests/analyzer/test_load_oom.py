"""Out-of-memory invocations: one error type and one message, modern or legacy logs alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.load import load_paths
from analyzer.merge import OOM_MESSAGE
from analyzer.store import open_db

MODERN = "9cbb92d5-38d0-4dc8-8038-709dec2c2760"
LEGACY = "4148fa18-c6cd-4abd-ad37-afe589260f62"
CRASH = "28e2d99e-f32e-4ace-99f3-184c40a5d173"
_MEM = "Memory Size: 1024 MB\tMax Memory Used: 1024 MB\t"


def _invocation(rid: str, middle: str = "", report_tail: str = "") -> str:
    return (
        f"START RequestId: {rid} Version: $LATEST\n{middle}END RequestId: {rid}\n"
        f"REPORT RequestId: {rid}\tDuration: 926.32 ms\tBilled Duration: 927 ms\t"
        f"{_MEM}{report_tail}\n"
    )


MODERN_OOM = _invocation(MODERN, report_tail="Status: error\tError Type: Runtime.OutOfMemory")
LEGACY_OOM = _invocation(
    LEGACY, f"RequestId: {LEGACY} Error: Runtime exited with error: signal: killed\n"
)
CRASH_NO_MESSAGE = _invocation(CRASH, report_tail="Status: error\tError Type: Runtime.ExitError")


def _load(tmp_path: Path, text: str, engine: str = "auto") -> list[tuple[object, ...]]:
    f = tmp_path / "aws" / "lambda" / "image-resize" / "stream.log"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(text)
    con = open_db(None)
    load_paths(con, [str(tmp_path)], engine=engine)
    return con.sql(
        "SELECT request_id, outcome, error_type, error_message FROM invocations ORDER BY 1"
    ).fetchall()


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_modern_oom_report_gets_the_runtime_message(tmp_path: Path, engine: str) -> None:
    """A REPORT-only OOM (Error Type: Runtime.OutOfMemory) carries the killed-runtime message."""
    assert _load(tmp_path, MODERN_OOM, engine) == [
        (MODERN, "error", "Runtime.OutOfMemory", OOM_MESSAGE)
    ]


def test_legacy_and_modern_oom_share_one_error_group(tmp_path: Path) -> None:
    """Legacy `Runtime exited ... signal: killed` and modern OOM give one type and message."""
    rows = _load(tmp_path, MODERN_OOM + LEGACY_OOM)
    assert {(r[2], r[3]) for r in rows} == {("Runtime.OutOfMemory", OOM_MESSAGE)}


def test_other_runtime_errors_get_no_invented_message(tmp_path: Path) -> None:
    """A non-OOM runtime error whose logs have no message keeps error_message NULL."""
    assert _load(tmp_path, CRASH_NO_MESSAGE) == [(CRASH, "error", "Runtime.ExitError", None)]
