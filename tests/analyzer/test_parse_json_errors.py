"""JSON-format error documents: Node's `Invoke Error` whose `message` is the error object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.load import load_paths
from analyzer.parse.message import classify_message
from analyzer.store import open_db

RID = "81c80eba-bc51-4372-903f-1c17fac0eb88"
ERROR_OBJECT = {
    "errorType": "Error",
    "errorMessage": "upstream ledger returned 503",
    "stackTrace": ["Error: upstream ledger returned 503", "    at Runtime.handler (index.mjs:23)"],
}


def _line(level: str, message: object) -> str:
    doc = {"timestamp": "2026-11-24T08:52:56.778Z", "level": level, "requestId": RID}
    return json.dumps(doc | {"message": message}, separators=(",", ":"))


INVOCATION = [
    json.dumps(
        {
            "time": "2026-11-24T08:52:56.626Z",
            "type": "platform.start",
            "record": {"requestId": RID, "version": "$LATEST"},
        }
    ),
    _line("INFO", "charged invoice inv_863282"),
    _line("ERROR", ERROR_OBJECT),
    json.dumps(
        {
            "time": "2026-11-24T08:52:56.779Z",
            "type": "platform.report",
            "record": {
                "requestId": RID,
                "metrics": {"durationMs": 152.478, "billedDurationMs": 153, "memorySizeMB": 1024},
                "status": "error",
                "errorType": "Error",
            },
        }
    ),
]


def test_node_invoke_error_object_is_an_error() -> None:
    """A level ERROR line whose message is an error object gives its type and message only."""
    p = classify_message(_line("ERROR", ERROR_OBJECT))
    assert (p.kind, p.request_id, p.evidence) == (
        "error",
        RID,
        {"status": None, "error_type": "Error", "error_message": "upstream ledger returned 503"},
    )


def test_error_object_logged_at_info_stays_an_app_line() -> None:
    """An error object logged below ERROR level is application output, not a failure."""
    assert classify_message(_line("INFO", ERROR_OBJECT)).kind == "app"


def _load(tmp_path: Path, engine: str) -> object:
    f = tmp_path / "aws" / "lambda" / "billing-worker" / "stream.log"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("\n".join(INVOCATION) + "\n")
    con = open_db(None)
    load_paths(con, [str(tmp_path)], engine=engine)
    return con.sql("SELECT outcome, error_type, error_message FROM invocations").fetchall()


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_node_json_error_message_reaches_the_invocation(tmp_path: Path, engine: str) -> None:
    """The invocation of a Node JSON-format handler error carries the error object's message."""
    assert _load(tmp_path, engine) == [("error", "Error", "upstream ledger returned 503")]


def test_paths_agree_on_nested_error_documents(tmp_path: Path) -> None:
    """Fast path and Python parsers store the same evidence for nested and odd error objects."""
    lines = [
        *INVOCATION,
        _line("ERROR", {"errorType": None, "errorMessage": 7}),
        _line("WARN", {"errorType": "X", "errorMessage": "m"}),
        json.dumps({"log_level": "ERROR", "requestId": RID, "message": {"errorType": "Y"}}),
        json.dumps({"level": "ERROR", "requestId": RID, "errorType": "Z", "errorMessage": "z"}),
    ]
    f = tmp_path / "aws" / "lambda" / "billing-worker" / "odd.log"
    f.parent.mkdir(parents=True)
    f.write_text("\n".join(lines) + "\n")
    got = []
    for engine in ("auto", "python"):
        con = open_db(None)
        load_paths(con, [str(f)], engine=engine)
        got.append(
            (
                con.sql("SELECT * EXCLUDE (file_id) FROM events ORDER BY line_no").fetchall(),
                con.sql("SELECT * EXCLUDE (file_id) FROM load_evidence ORDER BY 1").fetchall(),
            )
        )
    assert got[0] == got[1]


def test_handled_error_object_leaves_a_success(tmp_path: Path) -> None:
    """An error object logged at ERROR in an invocation whose report says success stays success."""
    lines = [line.replace('"status": "error"', '"status": "success"') for line in INVOCATION]
    f = tmp_path / "aws" / "lambda" / "billing-worker" / "ok.log"
    f.parent.mkdir(parents=True)
    f.write_text("\n".join(lines) + "\n")
    con = open_db(None)
    load_paths(con, [str(f)])
    got = con.sql("SELECT outcome, error_message FROM invocations").fetchall()
    assert got == [("success", None)]
