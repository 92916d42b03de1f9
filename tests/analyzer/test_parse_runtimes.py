"""Ruby, .NET and crash lines: both engines agree, and each line gets its kind, id and level."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

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
