"""Ruby, .NET and crash lines: both engines agree, and each line gets its kind, id and level."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.load import load_paths
from analyzer.parse.message import classify_message
from analyzer.store import open_db

DATA = Path(__file__).resolve().parents[1] / "data"
SHAPES = ["text_ruby", "text_dotnet", "oom_runtimes"]
RID = "0f1e2d3c-4b5a-4968-8776-655443322110"
TABLES = {
    "events": "SELECT * EXCLUDE (file_id) FROM events ORDER BY line_no, message",
    "evidence": "SELECT * EXCLUDE (file_id) FROM load_evidence ORDER BY line_no, kind",
    "invocations": "SELECT * FROM invocations ORDER BY request_id",
    "environments": "SELECT * FROM environments ORDER BY env_id",
    "init_failures": "SELECT * FROM init_failures ORDER BY ALL",
    "rejects": "SELECT * EXCLUDE (file_id) FROM rejects ORDER BY ALL",
}


def _tables(paths: list[str], engine: str) -> dict[str, list[tuple[object, ...]]]:
    con: duckdb.DuckDBPyConnection = open_db(None)
    load_paths(con, paths, engine=engine)
    return {name: con.sql(sql).fetchall() for name, sql in TABLES.items()}


def _files(shape: str) -> list[str]:
    return sorted(str(p) for p in (DATA / shape / "logs").rglob("*") if p.is_file())


@pytest.mark.parametrize("shape", SHAPES)
def test_sql_and_python_paths_agree(shape: str) -> None:
    """Every table is identical whether the fast path or the Python parsers read the shape."""
    files = _files(shape)
    assert _tables(files, "auto") == _tables(files, "python")


@pytest.mark.parametrize("shape", SHAPES)
def test_fast_path_reads_the_shape(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Ruby, .NET and crash fixtures go through DuckDB, not the Python fallback."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"fell back to the Python path for {args[2]}")

    monkeypatch.setattr("analyzer.load.load_python", refuse)
    load_paths(open_db(None), _files(shape))


ODD = [
    f"I, [2024-06-01T10:00:00.120511 #8]  INFO {RID} -- : with id",
    "I, [2024-06-01T10:00:00.120511 #8]  INFO -- : plain Logger",
    "E, [2024-06-01T10:00:00.1 #12] ERROR  -- MyApp: nil id from the runtime formatter",
    "A, [2024-06-01T10:00:00.120511 #8]   ANY not-a-uuid -- : odd id",
    "I, [2024-06-01 10:00:00.120511 #8]  INFO -- : a space, not T: not a logger line",
    f"2024-06-01T11:00:00.101Z\t{RID}\tcrit\tdisk full",
    f"2024-06-01T11:00:00.101Z\t{RID}\tfail\tnot an exception: just text",
    f"2024-06-01T11:00:00.101Z\t{RID}\tfail\tSystem.Exception:",
    f"2024-06-01T11:00:00.101Z\t{RID}\tinfo\tSystem.Exception: logged at info",
    f"2024-06-01T11:00:00.101Z\t{RID}\t[Critical] Cat: boom",
    f"2024-06-01T11:00:00.101Z\t{RID}\tno level at all",
    "2024-06-01T11:00:00.101Z\tnot-a-uuid\tfail\tSystem.IO.IOException: disk",
    "2024-06-01T11:00:00.101Z\t\t",
    "[Warning] Cat: raw",
    "[Warn] Cat: not a .NET level",
    "crit: Cat[0]",
    "FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal.",
    "fatal error: concurrent map writes",
    "/var/task/app.rb:3:in `block in handler': boom (RuntimeError)",
    "/var/task/app.rb:3:in 'Object#handler': ok (Aws::S3::Errors::NoSuchKey) trailing",
    "Error raised from handler method",
    "Error raised from handler method!",
    '  "errorType": "Function<ArgumentError>",',
    '    "errorType": "Nested",',
    '  "errorMessage": "has \\"quotes\\"",',
    "[ERROR] MemoryError",
    "[ERROR] KeyError: ",
    "[ERROR] two words",
    "LAMBDA_WARNING: Unhandled exception. x\r[ERROR] MemoryError\rTraceback",
]


def test_paths_agree_on_odd_runtime_lines(tmp_path: Path) -> None:
    """Near misses of every new shape, between two invocations, parse the same on both paths."""
    start = f"START RequestId: {RID} Version: 1"
    end = f"END RequestId: {RID}"
    f = tmp_path / "odd.log"
    f.write_text("\n".join([start, *ODD, end, *ODD]) + "\n", encoding="utf-8")
    assert _tables([str(f)], "auto") == _tables([str(f)], "python")


@pytest.mark.parametrize(
    ("line", "kind", "rid", "level"),
    [
        (f"I, [2024-06-01T10:00:00.120511 #8]  INFO {RID} -- : x", "app", RID, "INFO"),
        ("W, [2024-06-01T10:00:00.120511 #8]  WARN -- : x", "app", None, "WARN"),
        (f"2024-06-01T11:00:00.101Z\t{RID}\tdbug\tx", "app", RID, "DEBUG"),
        (f"2024-06-01T11:00:00.101Z\t{RID}\t[Warning] Cat: x", "app", RID, "WARN"),
        ("2024-06-01T11:00:00.101Z\t\tinfo\tinit", "app", None, "INFO"),
        ("fail: Cat[0]", "app", None, "ERROR"),
        ("[Critical] Cat: x", "app", None, "FATAL"),
        (f"2024-06-01T11:00:00.101Z\t{RID}\tfail\tSystem.Exception: boom", "error", RID, "ERROR"),
        (f"2024-06-01T11:00:00.101Z\t{RID}\tfail\tgave up", "app", RID, "ERROR"),
        ("Critical exception from handler", "error", None, "ERROR"),
        ('  "errorType": "Function<TypeError>",', "error", None, "ERROR"),
        ("FATAL ERROR: Reached heap limit Allocation failed", "error", None, "ERROR"),
        ("fatal error: runtime: out of memory", "error", None, "ERROR"),
        ("[ERROR] MemoryError", "error", None, "ERROR"),
        ("[ERROR] something went wrong", "app", None, None),
        (f'{{"level":"Information","requestId":"{RID}","message":"x"}}', "app", RID, "INFO"),
    ],
)
def test_runtime_line_kinds(line: str, kind: str, rid: str | None, level: str | None) -> None:
    """Each runtime's line shape gets the kind, request id and level its runtime means."""
    p = classify_message(line)
    assert (p.kind, p.request_id, p.level) == (kind, rid, level)


def test_dotnet_exception_names_type_and_message() -> None:
    """A .NET unhandled exception line gives Exception.ToString()'s type and first line."""
    p = classify_message(f"2024-06-01T11:00:00.101Z\t{RID}\tfail\tSystem.IO.IOException: disk")
    assert (p.evidence["error_type"], p.evidence["error_message"]) == (
        "System.IO.IOException",
        "disk",
    )


def test_ruby_uncaught_names_class_and_message() -> None:
    """Ruby's `file:line:in 'm': text (Class)` gives the class as type and the text."""
    p = classify_message("/var/task/a.rb:9:in `x': failed to allocate memory (NoMemoryError)")
    assert (p.kind, p.evidence["error_type"], p.evidence["error_message"]) == (
        "error",
        "NoMemoryError",
        "failed to allocate memory",
    )


def test_python_error_without_message_has_no_message() -> None:
    """`[ERROR] MemoryError` (empty message: no colon) is the type with a NULL message."""
    p = classify_message("[ERROR] MemoryError")
    assert (p.evidence["error_type"], p.evidence["error_message"]) == ("MemoryError", None)


_PIECES = [
    f"START RequestId: {RID} Version: 1",
    f"END RequestId: {RID}",
    f"REPORT RequestId: {RID}\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 128 MB\t",
    "\tStatus: error\tError Type: Runtime.ExitError",
    "2024-06-01T10:00:00.000Z ",
    "2024-06-01T11:00:00.101Z\t",
    f"{RID}\t",
    "fail\t",
    "info\t",
    "System.OutOfMemoryException: x",
    "[Information] C: m",
    "I, [2024-06-01T10:00:00.120511 #8]  INFO ",
    "-- : ",
    "FATAL ERROR: ",
    "fatal error: runtime: out of memory",
    "JavaScript heap out of memory",
    "Error raised from handler method",
    '  "errorType": "Function<NoMemoryError>",',
    '  "errorMessage": "failed to allocate memory",',
    "/var/task/a.rb:1:in `h': ",
    "boom (NoMemoryError)",
    "[ERROR] MemoryError",
    "[ERROR] Unauthorized",
    "Traceback (most recent call last):",
    "Critical exception from handler",
    "{",
    '  "stackTrace": [',
    '    "at X.Y()",',
    'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
    f"{RID} Task timed out after 3.00 seconds",
    f"RequestId: {RID} Error: Runtime exited with error: signal: killed",
    "\n",
    ":",
    " ",
    "é",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=12))
def test_paths_agree_on_generated_runtime_lines(lines: list[str]) -> None:
    """Random mixes of Ruby, .NET and crash-line fragments give identical tables on both paths."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "mix.log"
        f.write_text("\n".join([*lines, "end"]) + "\n", encoding="utf-8")
        assert _tables([str(f)], "auto") == _tables([str(f)], "python")


def test_ruby_error_document_in_an_s3_export(tmp_path: Path) -> None:
    """S3 export: the document's field lines continue its `{` event and join the invocation."""
    rid = "00000503-0000-4000-8000-000000000503"
    lines = [
        f"2024-06-01T10:00:02.000Z START RequestId: {rid} Version: $LATEST",
        "2024-06-01T10:00:02.200Z Error raised from handler method",
        "2024-06-01T10:00:02.201Z {\n"
        '  "errorMessage": "no stock for SKU-9",\n'
        '  "errorType": "Function<KeyError>",\n'
        '  "stackTrace": []\n'
        "}",
        f"2024-06-01T10:00:02.300Z END RequestId: {rid}",
        f"2024-06-01T10:00:02.300Z REPORT RequestId: {rid}\tDuration: 9.40 ms\t"
        "Billed Duration: 10 ms\tMemory Size: 256 MB\tMax Memory Used: 61 MB\t",
    ]
    f = tmp_path / "aws" / "lambda" / "rb" / "000000.txt"
    f.parent.mkdir(parents=True)
    f.write_text("\n\n".join(lines) + "\n")
    sql = "SELECT request_id, outcome, error_type, error_message FROM invocations"
    for engine in ("auto", "python"):
        con = open_db(None)
        load_paths(con, [str(tmp_path)], engine=engine)
        assert con.sql(sql).fetchall() == [
            (rid, "error", "Function<KeyError>", "no stock for SKU-9")
        ], engine


def _inv(mid: str, tail: str = "", rid: str = RID, used: int = 90) -> str:
    return (
        f"START RequestId: {rid} Version: $LATEST\n{mid}END RequestId: {rid}\n"
        f"REPORT RequestId: {rid}\tDuration: 120.00 ms\tBilled Duration: 120 ms\t"
        f"Memory Size: 1024 MB\tMax Memory Used: {used} MB\t{tail}\n"
    )


_TS = "2024-06-01T10:00:00.000Z"
_CHILD_DOC = '{\n  "errorType": "Error",\n  "errorMessage": "JavaScript heap out of memory"\n}\n'
_X = "00000711-0000-4000-8000-000000000711"
_Y = "00000712-0000-4000-8000-000000000712"
_DOTNET_JSON = (
    '{{"timestamp":"2024-06-01T11:00:02.000Z","level":"{level}","requestId":"' + RID + '",'
    '"message":"System.OutOfMemoryException: Exception of type '
    "'System.OutOfMemoryException' was thrown.\\n   at Orders.Function.Load()\"}}\n"
)
REVIEW = {
    # finding 1: an app's pretty-printed error payload is not the runtime's error document
    "python print(json.dumps(payload, indent=2))": (
        _inv(
            '{\n  "errorMessage": "Unable to allocate array",\n  "errorType": "MemoryError",\n'
            '  "requestId": "x"\n}\n'
        ),
        "text",
        [(RID, "success", None, None)],
    ),
    "node console.log of a child payload": (
        _inv(f"{_TS}\t{RID}\tINFO\tchild returned {_CHILD_DOC}"),
        "text",
        [(RID, "success", None, None)],
    ),
    "export: payload lines continue an INFO event": (
        "\n".join(
            f"{_TS} {line}" if i in (0, 1, 5, 6) else line
            for i, line in enumerate(
                _inv(f"{_TS}\t{RID}\tINFO\tchild returned {_CHILD_DOC}").splitlines()
            )
        )
        + "\n",
        "export",
        [(RID, "success", None, None)],
    ),
    "ruby document after its marker is the error": (
        _inv(
            'Error raised from handler method\n{\n  "errorMessage": "boom",\n'
            '  "errorType": "Function<RuntimeError>",\n  "stackTrace": []\n}\n'
        ),
        "text",
        [(RID, "error", "Function<RuntimeError>", "boom")],
    ),
    # finding 2: OOM from the type, and from the message of untyped crash lines only
    "python error quoting a downstream java OOM": (
        _inv(
            "[ERROR] RuntimeError: Glue job etl-7 failed: java.lang.OutOfMemoryError: Java heap "
            "space\nTraceback (most recent call last):\n"
        ),
        "text",
        [
            (
                RID,
                "error",
                "RuntimeError",
                "Glue job etl-7 failed: java.lang.OutOfMemoryError: Java heap space",
            )
        ],
    ),
    "node invoke error quoting a .NET OOM": (
        _inv(
            f"{_TS}\t{RID}\tERROR\tInvoke Error \t"
            '{"errorType":"Error","errorMessage":"search cluster returned 500: '
            'OutOfMemoryException"}\n'
        ),
        "text",
        [(RID, "error", "Error", "search cluster returned 500: OutOfMemoryException")],
    ),
    "numpy _ArrayMemoryError": (
        _inv(
            "[ERROR] _ArrayMemoryError: Unable to allocate 7.45 GiB\n"
            "Traceback (most recent call last):\n",
            "Status: error\tError Type: Runtime.Unknown",
        ),
        "text",
        [(RID, "error", "Runtime.OutOfMemory", "Unable to allocate 7.45 GiB")],
    ),
    "pyarrow ArrowMemoryError": (
        _inv("[ERROR] pyarrow.lib.ArrowMemoryError: malloc of size 64 failed\n"),
        "text",
        [(RID, "error", "Runtime.OutOfMemory", "malloc of size 64 failed")],
    ),
    "the JVM's uncaught OutOfMemoryError line": (
        _inv(
            'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space\n',
            "Status: error\tError Type: Runtime.ExitError",
            used=1024,
        ),
        "text",
        [
            (
                RID,
                "error",
                "Runtime.OutOfMemory",
                'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
            )
        ],
    ),
    "a bare MemoryError keeps its own name, not a killed-process text": (
        _inv("[ERROR] MemoryError\nTraceback (most recent call last):\n"),
        "text",
        [(RID, "error", "Runtime.OutOfMemory", "MemoryError")],
    ),
    # finding 4: lines after a REPORT do not re-open the finished invocation
    "init crash after a legacy timeout line": (
        _inv("", rid=_X)
        + f"{_TS} {_X} Task timed out after 3.00 seconds\n"
        + "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': MemoryError\n"
        + _inv("", rid=_Y),
        "text",
        [(_X, "timeout", None, None), (_Y, "success", None, None)],
    ),
    "init crash after a legacy Runtime exited line": (
        _inv("", rid=_X, tail="Status: error\tError Type: Runtime.Unknown")
        + f"RequestId: {_X} Error: Runtime exited with error: exit status 1\n"
        + "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': MemoryError\n"
        + _inv("", rid=_Y),
        "text",
        [
            (_X, "error", "Runtime.Unknown", "Runtime exited with error: exit status 1"),
            (_Y, "success", None, None),
        ],
    ),
    # finding 5: .NET's unhandled exception in JSON log format
    **{
        f".NET JSON level {level}": (
            _inv(_DOTNET_JSON.format(level=level)),
            "text",
            [
                (
                    RID,
                    "error",
                    "Runtime.OutOfMemory",
                    "Exception of type 'System.OutOfMemoryException' was thrown.",
                )
            ],
        )
        for level in ("Error", "ERROR", "error")
    },
    ".NET JSON exception text at Information": (
        _inv(_DOTNET_JSON.format(level="Information")),
        "text",
        [(RID, "success", None, None)],
    ),
    # finding 7: print("[ERROR] Unauthorized") is an app line
    "print of an [ERROR] word": (
        _inv("[ERROR] Failed\n[ERROR] Unauthorized\n"),
        "text",
        [(RID, "success", None, None)],
    ),
    # finding 8: a crash line after a record with an env_id joins the same invocation
    "crash line after a lambdascope record with an env_id": (
        f"START RequestId: {RID} Version: 1\nEND RequestId: {RID}\n"
        f'{{"lambdascope":1,"request_id":"{_X}","env_id":"e1","outcome":"success",'
        '"duration_ms":5}\n'
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n"
        f"REPORT RequestId: {_X}\tDuration: 5.00 ms\tBilled Duration: 5 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\t"
        "Error Type: Runtime.ExitError\n",
        "plain",
        [
            (
                _X,
                "error",
                "Runtime.OutOfMemory",
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
            ),
            (RID, None, None, None),
        ],
    ),
    # finding 9: a vertical tab in the id field
    "vertical tab in a node id field": (
        _inv(f"{_TS}\tr\x0bid\tINFO\tx\n{_TS}\t{RID}\tERROR\tfine\n"),
        "text",
        [(RID, "success", None, None)],
    ),
}
"""Review cases (findings 1, 2, 4, 5, 7, 8, 9): (file text, path kind, invocations)."""


@pytest.mark.parametrize("name", sorted(REVIEW))
def test_review_cases_on_both_paths(tmp_path: Path, name: str) -> None:
    """Both engines give the same tables and the invocations the runtimes mean."""
    text, where, expected = REVIEW[name]
    if where == "plain":
        f = tmp_path / "logs" / "app.log"
    elif where == "export":
        f = tmp_path / "aws" / "lambda" / "fn" / "2024-06-01-[$LATEST]abc123" / "000000"
    else:
        f = tmp_path / "aws" / "lambda" / "fn" / "2024-06-01-[$LATEST]abc123.log"
    f.parent.mkdir(parents=True)
    f.write_text(text, encoding="utf-8")
    fast, slow = _tables([str(f)], "auto"), _tables([str(f)], "python")
    assert fast == slow
    sql = "SELECT request_id, outcome, error_type, error_message FROM invocations ORDER BY 1"
    con = open_db(None)
    load_paths(con, [str(f)])
    assert con.sql(sql).fetchall() == expected


def test_paths_agree_on_lines_of_other_whitespace(tmp_path: Path) -> None:
    """Only spaces and tabs make a blank line, on both paths (a vertical tab, NBSP or
    separator-control line is kept as an app line by both)."""
    f = tmp_path / "ws.log"
    lines = [f"START RequestId: {RID} Version: 1", "\x0b", "\u00a0", "\x1c", " \t ", ""]
    f.write_text("\n".join([*lines, f"END RequestId: {RID}"]) + "\n", encoding="utf-8")
    assert _tables([str(f)], "auto") == _tables([str(f)], "python")
