"""`lambdascope query` in-process over a stored --db: results, formats, SQL errors, read-only."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from analyzer.cli import main
from analyzer.commands import query
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


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


WRITES = {
    "insert": "insert into invocations (request_id) values ('r9')",
    "update": "update invocations set duration_ms = 0",
    "delete": "delete from invocations",
    "drop": "drop table invocations",
    "create": "create table t as select 1 as x",
    "create temp": "create temp table t as select 1 as x",
    "alter": "alter table invocations add column x int",
    "attach": "attach '{tmp}/other.duckdb' as other",
    "copy to": "copy invocations to '{tmp}/out.csv'",
    "copy select to": "copy (select * from invocations) to '{tmp}/out.csv'",
    "export": "export database '{tmp}/exported'",
    "set": "set memory_limit = '1GB'",
    "setting pragma": "pragma memory_limit = '1GB'",
    "install": "install json",
    "checkpoint": "checkpoint",
    "force checkpoint": "force checkpoint",
    "second statement": "select 1; delete from invocations",
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writing_sql_is_refused_and_db_unchanged(
    db: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A statement that would write (the db or any file) exits 1 with one line; db bytes same."""
    before = _digest(db)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    sql = WRITES[name].format(tmp=tmp_path)
    assert main(["query", sql, "--db", str(db)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("lambdascope query: ")
    assert "query only reads" in err and "--format csv|json > FILE" in err
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


ENGINE_WRITES = {
    "explain analyze insert": (
        "explain analyze insert into invocations (request_id) values ('x')",
        "read-only",
    ),
    "explain analyze create": (
        "explain analyze create table t as select 1 as x",
        "read-only",
    ),
    "copy from database (typed PRAGMA)": ("copy from database temp to q", "read-only"),
    "explain analyze copy to a file": (
        "explain analyze copy (select 1 as x) to '{tmp}/x.csv'",
        "Permission Error",
    ),
    "pragma enable_profiling": ("pragma enable_profiling", "configuration has been locked"),
}
"""Statements the type list lets through (EXPLAIN, PRAGMA) that would write: only DuckDB's
read-only --db, file access off and the settings lock stop them."""


@pytest.mark.parametrize("name", sorted(ENGINE_WRITES))
def test_writes_the_type_list_passes_are_stopped_by_duckdb(
    db: Path, tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 1 with one line, the --db byte-identical and no file written, whatever the list
    says: the test fails if read_only, enable_external_access or lock_configuration went."""
    sql, reason = ENGINE_WRITES[name]
    before = _digest(db)
    files_before = sorted(p.name for p in tmp_path.iterdir())
    argv = ["query", sql.format(tmp=tmp_path), "--db", str(db)]
    if name.startswith("copy from database"):
        argv += ["--function", "a"]  # a temp invocations table to copy from
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("lambdascope query: ")
    assert reason in err
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before


def test_update_extensions_is_a_clean_refusal(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A statement type the DuckDB binding cannot name is refused in one line, not an
    internal error."""
    assert main(["query", "UPDATE EXTENSIONS", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err == (
        "lambdascope query: UPDATE EXTENSIONS statements are not run: " + query.REFUSED_HINT + "\n"
    )


def test_reading_sql_still_runs_against_read_only_db(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """DESCRIBE, PRAGMA table_info, CALL, PIVOT and EXPLAIN run: reading is not refused."""
    for sql in (
        "describe invocations",
        "pragma table_info('invocations')",
        "call pragma_table_info('invocations')",
        "call duckdb_tables()",
        "explain select 1",
        "show tables",
    ):
        assert main(["query", sql, "--db", str(db), "--format", "json"]) == 0, sql
    assert "request_id" in capsys.readouterr().out


@pytest.mark.parametrize(
    "sql",
    [
        "pivot (select function from invocations) on function using count(*)",
        "select * from (pivot (select function from invocations) on function using count(*))",
        "with p as (pivot (select function from invocations) on function using count(*)) "
        "select * from p",
    ],
)
def test_pivot_runs(db: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A PIVOT (DuckDB runs it as several statements) reads like any SELECT."""
    before = _digest(db)
    assert main(["query", sql, "--db", str(db), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"a": 2, "b": 1}]
    assert _digest(db) == before


def test_reading_other_files_is_refused(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """read_csv of a file beside the tables fails: the SQL sees only the loaded tables."""
    (tmp_path / "x.csv").write_text("a\n1\n")
    sql = f"select * from read_csv('{tmp_path}/x.csv')"
    assert main(["query", sql, "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lambdascope query: SQL error: ") and "query only reads" in err
    assert err.count("\n") == 1


def test_missing_db_file_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--db naming no file runs the SQL over empty tables and creates no file."""
    path = tmp_path / "none.duckdb"
    sql = "select count(*) as n from invocations"
    assert main(["query", sql, "--db", str(path), "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n0\n"
    assert list(tmp_path.iterdir()) == []


def test_missing_db_file_is_named_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --db naming no file says so (a mistyped path would otherwise look like no data)."""
    path = tmp_path / "typo.duckdb"
    assert main(["query", "select 1", "--db", str(path)]) == 0
    err = capsys.readouterr().err
    assert "no database at" in err and str(path) in err and err.count("\n") == 1


def test_paths_load_into_db_then_sql_reads_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With PATHs and --db the logs are loaded into the file, and the SQL still cannot write."""
    logs = tmp_path / "aws" / "lambda" / "fn" / "s.log"
    logs.parent.mkdir(parents=True)
    logs.write_text(
        "START RequestId: 0f1e2d3c-4b5a-4968-8776-655443322110 Version: 1\n"
        "REPORT RequestId: 0f1e2d3c-4b5a-4968-8776-655443322110\tDuration: 1.0 ms\t"
        "Billed Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t\n"
    )
    path = tmp_path / "q.duckdb"
    argv = ["query", "select count(*) as n from invocations", str(logs), "--db", str(path)]
    assert main([*argv, "--format", "csv"]) == 0
    assert capsys.readouterr().out == "n\n1\n"
    assert main(["query", "delete from invocations", str(logs), "--db", str(path)]) == 1
    assert main(["query", "select count(*) as n from invocations", "--db", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[2] == "1"


def test_in_memory_query_refuses_writes_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --db (logs loaded in memory) a COPY TO is refused alike and writes no file."""
    logs = tmp_path / "s.log"
    logs.write_text("START RequestId: r1 Version: 1\n")
    sql = f"copy invocations to '{tmp_path}/out.csv'"
    assert main(["query", sql, str(logs)]) == 1
    assert "COPY statements are not run" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()
    sql = f"explain analyze copy (select 1 as x) to '{tmp_path}/out.csv'"
    assert main(["query", sql, str(logs)]) == 1  # passes the type list: file access is off
    assert "Permission Error" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_db_of_another_data_version_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --db another lambdascope version wrote says so and what to do, exit 1, file unchanged."""
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'data_version'")
    con.close()
    before = _digest(db)
    assert main(["query", "select 1", "--db", str(db)]) == 1
    err = capsys.readouterr().err
    assert "another lambdascope version" in err and "delete it or choose another --db" in err
    assert _digest(db) == before


def test_foreign_duckdb_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DuckDB file without lambdascope's tables is named as such, exit 1, file unchanged."""
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT 1 AS x")
    con.close()
    before = _digest(path)
    assert main(["query", "select * from t", "--db", str(path)]) == 1
    assert "holds no lambdascope tables" in capsys.readouterr().err
    assert _digest(path) == before
