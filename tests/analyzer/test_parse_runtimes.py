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
