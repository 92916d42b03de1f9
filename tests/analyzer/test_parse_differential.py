"""The DuckDB fast path and the pure-Python parsers agree row for row on the same files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.load import load_paths
from analyzer.store import open_db

DATA = Path(__file__).resolve().parents[1] / "data"
LINE_SHAPES = [
    "text_python",
    "text_node",
    "text_java",
    "text_go",
    "export_parts",
    "report_variants",
    "json_format",
    "powertools_emf",
    "tail",
    "lambdascope_records",
]
TABLES = {
    "events": "SELECT * EXCLUDE (file_id) FROM events ORDER BY line_no, message",
    "evidence": "SELECT * EXCLUDE (file_id) FROM load_evidence ORDER BY line_no, kind",
    "invocations": "SELECT * FROM invocations ORDER BY request_id",
    "environments": "SELECT * FROM environments ORDER BY env_id",
    "init_failures": "SELECT * FROM init_failures ORDER BY init_ms",
    "rejects": "SELECT * EXCLUDE (file_id) FROM rejects ORDER BY line_no",
}


def _tables(paths: list[str], engine: str) -> dict[str, list[tuple[object, ...]]]:
    con: duckdb.DuckDBPyConnection = open_db(None)
    load_paths(con, paths, engine=engine)
    return {name: con.sql(sql).fetchall() for name, sql in TABLES.items()}


@pytest.mark.parametrize("shape", LINE_SHAPES)
def test_sql_and_python_paths_agree(shape: str) -> None:
    """Every table is identical whether the fast path or the Python parsers read the shape."""
    files = sorted(
        str(p)
        for p in (DATA / shape / "logs").rglob("*")
        if p.is_file() and "write-test" not in p.name
    )
    fast, slow = _tables(files, "auto"), _tables(files, "python")
    for name in TABLES:
        assert fast[name] == slow[name], name


def test_paths_agree_on_odd_lines(tmp_path: Path) -> None:
    """Odd but plausible lines (BOM, blanks, NUL, JSON oddities, unicode) parse the same."""
    lines = [
        "\ufeff2024-01-01T00:00:00.000Z START RequestId: abc Version: 1",
        "",
        "   ",
        "2024-01-01T00:00:00.001Z {not json",
        '2024-01-01T00:00:00.002Z {"level": "", "requestId": "zz", "message": 5}',
        '2024-01-01T00:00:00.003Z ["a list"]',
        "2024-01-01T00:00:00.004Z caf\u00e9 \u2603 \U0001f600 ok",
        "2024-01-01T00:00:00.005Z x\x00y",
        "continued line",
        "2024-01-01T00:00:00.006Z REPORT RequestId: abc Duration: 1.2.3 ms Billed Duration: x ms",
        "2024-01-01T00:00:00.007Z RequestId: abc Error: Task timed out after 1.2.3 seconds",
        "2024-01-01T00:00:00.008Z [ERROR] Boom: it broke",
        "2024-01-01T00:00:00.0081Z 2024-01-01T00:00:00.008Z 0f1e2d3c-4b5a-4968-8776-655443322110"
        " WARN  c.e.Handler:12 - slow\tcall",
        '2024-01-01T00:00:00.0082Z {"errorMessage":"npe","errorType":"java.lang.Oops",'
        '"stackTrace":["a.b(C.java:1)"]}',
        "2024-01-01T00:00:00.009Z END RequestId: abc",
        "2024-01-01T00:00:00.010Z 2024-01-01T00:00:00.010Z\t0f1e2d3c-4b5a-4968-8776-655443322110"
        "\tERROR\tInvoke Error \t{}",
        "2024-01-01T00:00:00.011Z 2024-01-01T00:00:00.011Z\tr\u00efd\tERROR"
        "\tUncaught Exception \t{}",
        "2024-01-01T00:00:00.012Z 2024-01-01T00:00:00.012Z\t0f1e2d3c-4b5a-4968-8776-655443322110"
        "\tERROR\tInvoke Errors are fine",
        "2024-01-01T00:00:00.013Z 2024-01-01T00:00:00.013Z\tr2\tERRORS\tInvoke Error x",
        "2024-01-01T00:00:00.014Z START RequestId: def Version:  x Version: 7",
        "2024-01-01T00:00:00.015Z START RequestId: ghi Version: 8\tVersion: 9",
    ]
    f = tmp_path / "odd.log"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, slow = _tables([str(f)], "auto"), _tables([str(f)], "python")
    for name in TABLES:
        assert fast[name] == slow[name], name


@pytest.mark.parametrize("bom_first", [False, True])
def test_paths_agree_on_byte_order_marks(tmp_path: Path, bom_first: bool) -> None:
    """A BOM opening any file of a batch is dropped; one opening a later line is kept."""
    start = "2024-01-01T00:00:00.000Z START RequestId: abc Version: 1\n"
    mid = "\ufeff2024-01-01T00:00:00.001Z START RequestId: def Version: 2\n"
    (tmp_path / "a.log").write_text(("\ufeff" if bom_first else "") + start + mid)
    (tmp_path / "b.log").write_text("\ufeff" + start.replace("abc", "ghi"))
    files = [str(tmp_path / "a.log"), str(tmp_path / "b.log")]
    fast, slow = _tables(files, "auto"), _tables(files, "python")
    for name in TABLES:
        assert fast[name] == slow[name], name
    one_fast, one_slow = _tables(files[:1], "auto"), _tables(files[:1], "python")
    assert one_fast == one_slow


def _carriage_return_files(tmp_path: Path) -> list[str]:
    rid = "0f1e2d3c-4b5a-4968-8776-655443322110"
    a = tmp_path / "a.log"
    a.write_bytes(
        f"2024-01-01T00:00:00.000Z START RequestId: {rid} Version: 1\n"
        "2024-01-01T00:00:00.001Z LAMBDA_WARNING: Unhandled exception.\r[ERROR] E: boom\r\n"
        "2024-01-01T00:00:00.002Z 50%\r100%\n\r\n".encode()
    )
    b = tmp_path / "b.log"
    b.write_bytes(f"2024-01-01T00:00:01.000Z END RequestId: {rid}\r\n\n".encode())
    return [str(a), str(b)]


def test_paths_agree_on_lone_carriage_returns(tmp_path: Path) -> None:
    """Lines holding a lone \\r (DuckDB's CSV reader refuses them) parse as in Python."""
    files = _carriage_return_files(tmp_path)
    fast, slow = _tables(files, "auto"), _tables(files, "python")
    for name in TABLES:
        assert fast[name] == slow[name], name


def test_lone_carriage_returns_stay_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch DuckDB's CSV reader refuses is read as texts, not file by file in Python."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"fell back to the Python path for {args[2]}")

    monkeypatch.setattr("analyzer.load.load_python", refuse)
    result = load_paths(open_db(None), _carriage_return_files(tmp_path))
    assert (result.files, result.lines) == (2, 6)


@pytest.mark.parametrize("shape", LINE_SHAPES)
def test_fast_path_reads_line_shapes(shape: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Line-oriented fixtures go through DuckDB: the Python loader is never called for them."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"fell back to the Python path for {args[2]}")

    monkeypatch.setattr("analyzer.load.load_python", refuse)
    files = [str(p) for p in (DATA / shape / "logs").rglob("*") if p.is_file()]
    files = [f for f in files if "write-test" not in f]
    load_paths(open_db(None), files)


@pytest.mark.parametrize("shape", LINE_SHAPES)
def test_python_report_parser_agrees_with_sql(shape: str) -> None:
    """REPORT numbers from the Python parser equal the invocations the SQL merge built."""
    from analyzer.parse.containers import unwrap_lines
    from analyzer.parse.message import classify_message
    from analyzer.sources import expand, read_all

    con = open_db(None)
    load_paths(con, [str(DATA / shape / "logs")])
    srcs, _ = expand([str(DATA / shape / "logs")])
    cols = ("duration_ms", "billed_ms", "memory_mb", "max_memory_mb", "init_ms", "restore_ms")
    checked = 0
    for src in srcs:
        text = read_all(src).data.decode("utf-8", "replace")
        for ev in unwrap_lines(text, "export" if shape != "tail" else "tail").events:
            p = classify_message(ev.message)
            if p.kind != "report" or ev.message.startswith("{"):
                continue
            row = con.execute(
                f"SELECT {', '.join(cols)} FROM invocations WHERE request_id = ?", [p.request_id]
            ).fetchall()
            assert row[0] == tuple(p.evidence[c] for c in cols), p.request_id
            checked += 1
    assert checked or shape in ("json_format",)


_PIECES = [
    "START RequestId: r1 Version: 1",
    "END RequestId: r1",
    "REPORT RequestId: r1\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t"
    "Max Memory Used: 60 MB\t",
    "Init Duration: 3.3 ms",
    "\tStatus: timeout",
    "2024-01-01T00:00:00.000Z ",
    "2024-01-01T00:00:00.000Z\t0f1e2d3c-4b5a-4968-8776-655443322110\tINFO\t",
    "[ERROR] E: m",
    "[INFO]\t2024-01-01T00:00:00.000Z\t0f1e2d3c-4b5a-4968-8776-655443322110\tx",
    '{"lambdascope":1,"request_id":"r1","outcome":"error","duration_ms":5}',
    '{"type":"platform.report","record":{"requestId":"r1","metrics":{"durationMs":2}}}',
    '{"level":"INFO","requestId":"0f1e2d3c-4b5a-4968-8776-655443322110"}',
    "XRAY TraceId: 1-5e61292c-aaaaaaaaaaaaaaaaaaaaaaaa\t",
    "RequestId: r1 Error: Runtime exited with error: signal: killed",
    "r1 Task timed out after 3.00 seconds",
    " ",
    "\t",
    "é",
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.sampled_from(_PIECES), max_size=4).map("".join), max_size=12))
def test_paths_agree_on_generated_lines(lines: list[str]) -> None:
    """Random mixes of real line fragments give identical tables on both paths."""
    with tempfile.TemporaryDirectory() as d:
        f = Path(d) / "mix.log"
        f.write_text("\n".join([*lines, "end"]) + "\n", encoding="utf-8")
        fast, slow = _tables([str(f)], "auto"), _tables([str(f)], "python")
        for name in TABLES:
            assert fast[name] == slow[name], name
