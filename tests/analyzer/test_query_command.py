"""`lambdascope query` in-process over a stored --db: results, formats, SQL errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store import open_db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database file with two 'a' invocations and one 'b'."""
    path = tmp_path / "q.duckdb"
    con = open_db(path)
    con.execute(
        "INSERT INTO invocations (function, request_id, start_ts, duration_ms) VALUES "
        "('a', 'r1', '2026-11-24 08:00:00', 5), ('a', 'r2', '2026-11-24 09:00:00', 7), "
        "('b', 'r3', '2026-11-24 08:30:00', 9)"
    )
    con.close()
    return path


def test_query_prints_rows_as_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The SQL's rows come out as JSON objects keyed by column name."""
    sql = "select function, count(*) as n from invocations group by 1 order by 1"
    assert main(["query", sql, "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"function": "a", "n": 2},
        {"function": "b", "n": 1},
    ]


def test_query_table_output_is_aligned_text(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Default output is a plain table with a row count."""
    assert main(["query", "select request_id from invocations order by 1", "--db", str(db)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "request_id"
    assert lines[2:] == ["r1", "r2", "r3", "(3 rows)"]


def test_sql_error_exits_1_with_one_message(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad SQL gives 'SQL error' and DuckDB's reason on stderr, exit 1, no traceback."""
    assert main(["query", "select nope from invocations", "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("lambdascope query: SQL error:") and "nope" in err
    assert "Traceback" not in err


def test_function_option_restricts_invocations(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--function makes the invocations table hold only that function's rows."""
    argv = ["query", "select count(*) as n from invocations", "--db", str(db), "--format", "csv"]
    assert main([*argv, "--function", "a"]) == 0
    assert capsys.readouterr().out == "n\n2\n"


def test_filters_do_not_change_the_stored_table(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A filtered query leaves the database's invocations untouched for the next run."""
    argv = ["query", "select count(*) as n from invocations", "--db", str(db), "--format", "csv"]
    assert main([*argv, "--since", "2026-11-24T08:45:00Z"]) == 0
    assert main(argv) == 0
    assert capsys.readouterr().out == "n\n1\nn\n3\n"


def test_unknown_function_filter_hints_at_the_names(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """query --function naming nothing in the data still runs the SQL and lists the names."""
    sql = "select count(*) as n from invocations"
    assert main(["query", sql, "--db", str(db), "--function", "c", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == [{"n": 0}]
    assert "no invocations for function 'c'; functions in the data: a, b" in err
