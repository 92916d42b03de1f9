"""A lambdascope record glued to a line the handler printed without a trailing newline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.load import load_paths
from analyzer.parse.message import classify_message
from analyzer.store import open_db

RID = "00000e01-0000-4000-8000-000000000e01"
RECORD = json.dumps(
    {
        "lambdascope": 1,
        "ts": "2024-08-01T09:00:00.900Z",
        "function": "lsfn",
        "request_id": RID,
        "outcome": "error",
        "error_type": "ValueError",
        "error_message": "bad input",
        "duration_ms": 12.5,
    },
    separators=(",", ":"),
)
LINES = [
    f"START RequestId: {RID} Version: $LATEST",
    f"progress 3/3 done{RECORD}",
    f"END RequestId: {RID}",
    f"REPORT RequestId: {RID}\tDuration: 13.00 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 60 MB\t",
]


def test_glued_record_is_read_as_a_record() -> None:
    """A line of printed text ending in a lambdascope record is classified as that record."""
    p = classify_message(f"progress 3/3 done{RECORD}")
    assert (p.kind, p.request_id, p.evidence["error_message"]) == ("lambdascope", RID, "bad input")


def test_text_with_a_broken_record_stays_an_app_line() -> None:
    """Printed text followed by an incomplete record is an ordinary application line."""
    assert classify_message('progress{"lambdascope":1,"ts":').kind == "app"


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_glued_record_reaches_the_invocation(tmp_path: Path, engine: str) -> None:
    """The glued record's error message and type reach the invocation, fast path or Python."""
    f = tmp_path / "aws" / "lambda" / "lsfn" / "stream.log"
    f.parent.mkdir(parents=True)
    f.write_text("\n".join(LINES) + "\n")
    con = open_db(None)
    load_paths(con, [str(f)], engine=engine)
    got = con.sql("SELECT outcome, error_type, error_message FROM invocations").fetchall()
    assert got == [("error", "ValueError", "bad input")]


def test_paths_agree_on_glued_lines(tmp_path: Path) -> None:
    """Fast path and Python parsers store the same rows for glued, broken and prefixed records."""
    lines = [
        *LINES,
        'progress{"lambdascope":1,"ts":',
        f"2024-08-01T09:00:01.000Z\t{RID}\tINFO\tnote {RECORD}",
        f'[INFO]\t2024-08-01T09:00:01.000Z\t{RID}\tnot a record {{"lambdascope":x}}',
        f'{{"a":1}}{RECORD}',
    ]
    f = tmp_path / "aws" / "lambda" / "lsfn" / "odd.log"
    f.parent.mkdir(parents=True)
    f.write_text("\n".join(lines) + "\n")
    got = []
    for engine in ("auto", "python"):
        con = open_db(None)
        load_paths(con, [str(f)], engine=engine)
        got.append(
            [
                con.sql(f"SELECT {cols} FROM {table} ORDER BY ALL").fetchall()
                for cols, table in [
                    ("* EXCLUDE (file_id)", "events"),
                    ("* EXCLUDE (file_id)", "load_evidence"),
                    ("*", "invocations"),
                ]
            ]
        )
    assert got[0] == got[1]
