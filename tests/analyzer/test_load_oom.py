"""Out-of-memory invocations: one error type and one message, modern or legacy logs alike."""

from __future__ import annotations

import json
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


RID = "5b0d6c1e-2f3a-4b5c-8d9e-0a1b2c3d4e5f"
_EXIT = "Status: error\tError Type: Runtime.ExitError"
LANGUAGE_OOM = {
    "node heap": _invocation(
        RID,
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n"
        " 1: 0xb8ced0 node::Abort() [/var/lang/bin/node]\n",
        _EXIT,
    ),
    "go runtime": _invocation(RID, "fatal error: runtime: out of memory\n\nruntime stack:\n")
    + f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError\n",
    "python text": _invocation(
        RID, "[ERROR] MemoryError\nTraceback (most recent call last):\n", "Status: error"
    ),
    "python 3.12 warning": _invocation(
        RID, "LAMBDA_WARNING: Unhandled exception. The most likely cause...\r[ERROR] MemoryError\n"
    ),
    "python json": _invocation(
        RID,
        '{"timestamp": "2024-06-18T02:07:06Z", "log_level": "ERROR", "errorMessage": "", '
        f'"errorType": "MemoryError", "requestId": "{RID}", "stackTrace": []}}\n',
    ),
    "java": _invocation(
        RID,
        '{"errorMessage":"Java heap space","errorType":"java.lang.OutOfMemoryError",'
        '"stackTrace":["com.example.Handler.handleRequest(Handler.java:48)"]}\n',
        _EXIT,
    ),
    "ruby runtime": _invocation(
        RID,
        'Critical exception from handler\n{\n  "errorMessage": "failed to allocate memory",\n'
        '  "errorType": "Function<NoMemoryError>",\n  "stackTrace": []\n}\n',
        _EXIT,
    ),
    "ruby uncaught": _invocation(
        RID, "/var/task/app.rb:30:in `handler': failed to allocate memory (NoMemoryError)\n", _EXIT
    ),
    "dotnet": _invocation(
        RID,
        f"2024-06-01T11:00:02.000Z\t{RID}\tfail\tSystem.OutOfMemoryException: Exception of "
        "type 'System.OutOfMemoryException' was thrown.\n   at Orders.Function.Load()\n",
    ),
    "numpy subclass": _invocation(
        RID,
        "[ERROR] _ArrayMemoryError: Unable to allocate 7.45 GiB\n"
        "Traceback (most recent call last):\n",
        "Status: error\tError Type: Runtime.Unknown",
    ),
    "jvm stderr": _invocation(
        RID, 'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n', _EXIT
    ),
    "dotnet json": _invocation(
        RID,
        f'{{"timestamp":"2024-06-01T11:00:02.000Z","level":"Error","requestId":"{RID}",'
        '"message":"System.OutOfMemoryException: Exception of type '
        "'System.OutOfMemoryException' was thrown.\\n   at Orders.Function.Load()\"}\n",
    ),
    "lambdascope record": _invocation(
        RID,
        f'{{"lambdascope":1,"request_id":"{RID}","outcome":"error","error_type":"MemoryError",'
        '"error_message":"","duration_ms":900}\n',
    ),
}


@pytest.mark.parametrize("engine", ["auto", "python"])
@pytest.mark.parametrize("shape", sorted(LANGUAGE_OOM))
def test_language_oom_text_is_out_of_memory(tmp_path: Path, shape: str, engine: str) -> None:
    """A failed invocation whose runtime printed its out-of-memory error is Runtime.OutOfMemory."""
    rows = _load(tmp_path, LANGUAGE_OOM[shape], engine)
    assert [(r[0], r[1], r[2]) for r in rows] == [(RID, "error", "Runtime.OutOfMemory")]


NOT_OOM = {
    "success printing an error payload": (
        _invocation(
            RID,
            '{\n  "errorMessage": "Unable to allocate array",\n  "errorType": "MemoryError",\n'
            '  "requestId": "x"\n}\n',
        ),
        (RID, "success", None, None),
    ),
    "python error quoting a downstream OOM": (
        _invocation(
            RID,
            "[ERROR] RuntimeError: Glue job failed: java.lang.OutOfMemoryError: Java heap space\n"
            "Traceback (most recent call last):\n",
        ),
        (
            RID,
            "error",
            "RuntimeError",
            "Glue job failed: java.lang.OutOfMemoryError: Java heap space",
        ),
    ),
    "node error quoting a downstream OOM": (
        _invocation(
            RID,
            f"2024-06-02T08:00:00.020Z\t{RID}\tERROR\tInvoke Error \t"
            '{"errorType":"Error","errorMessage":"upstream: OutOfMemoryException, '
            'JavaScript heap out of memory, MemoryError"}\n',
        ),
        (
            RID,
            "error",
            "Error",
            "upstream: OutOfMemoryException, JavaScript heap out of memory, MemoryError",
        ),
    ),
    "a typed error whose message starts like a crash line": (
        _invocation(RID, "[ERROR] ValueError: fatal error: runtime: out of memory (quoted)\n"),
        (RID, "error", "ValueError", "fatal error: runtime: out of memory (quoted)"),
    ),
}


@pytest.mark.parametrize("engine", ["auto", "python"])
@pytest.mark.parametrize("shape", sorted(NOT_OOM))
def test_oom_words_in_error_text_are_not_oom(tmp_path: Path, shape: str, engine: str) -> None:
    """Only an OOM error type, or an untyped runtime crash line, makes an invocation OOM: an
    error message (or a printed payload) that merely names an out-of-memory error does not."""
    text, row = NOT_OOM[shape]
    assert _load(tmp_path, text, engine) == [row]


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_oom_words_in_an_app_line_of_another_failure(tmp_path: Path, engine: str) -> None:
    """Only error lines count: an INFO line naming the heap limit does not make a crash OOM."""
    text = _invocation(
        RID,
        f"2024-06-02T08:00:00.020Z\t{RID}\tWARN\tJavaScript heap out of memory risk\n",
        _EXIT,
    )
    assert _load(tmp_path, text, engine) == [(RID, "error", "Runtime.ExitError", None)]


def test_killed_below_memory_size_is_not_oom(tmp_path: Path) -> None:
    """`signal: killed` with max memory under the memory size stays a runtime exit error."""
    text = _invocation(
        RID, f"RequestId: {RID} Error: Runtime exited with error: signal: killed\n"
    ).replace("Max Memory Used: 1024 MB", "Max Memory Used: 300 MB")
    rows = _load(tmp_path, text)
    assert [(r[1], r[2]) for r in rows] == [("error", "Runtime.ExitError")]


def test_ruby_error_document_in_one_cloudwatch_event_is_oom(tmp_path: Path) -> None:
    """get-log-events JSON: Ruby's whole indented error document is one message, still OOM."""
    messages = [
        f"START RequestId: {RID} Version: $LATEST\n",
        "Critical exception from handler\n",
        '{\n  "errorMessage": "failed to allocate memory",\n'
        '  "errorType": "Function<NoMemoryError>",\n  "stackTrace": []\n}\n',
        f"END RequestId: {RID}\n",
        f"REPORT RequestId: {RID}\tDuration: 5.0 ms\tBilled Duration: 5 ms\t{_MEM}{_EXIT}\n",
    ]
    events = [{"timestamp": 1717228800000 + i, "message": m} for i, m in enumerate(messages)]
    text = json.dumps({"events": events, "nextForwardToken": "f/1"})
    f = tmp_path / "aws" / "lambda" / "ruby-fn" / "events.json"
    f.parent.mkdir(parents=True)
    f.write_text(text)
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    rows = con.sql("SELECT outcome, error_type, error_message FROM invocations").fetchall()
    assert rows == [("error", "Runtime.OutOfMemory", "failed to allocate memory")]
