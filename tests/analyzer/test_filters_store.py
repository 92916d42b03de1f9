"""Filters turn into SQL over invocations; open_db creates the schema idempotently."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from analyzer.filters import Filters
from analyzer.store import DATA_VERSION, StaleDatabaseError, open_db

TABLES = {"files", "invocations", "events", "environments", "rejects", "init_failures"}


def _con_with_rows():  # type: ignore[no-untyped-def]
    con = open_db()
    con.executemany(
        "INSERT INTO invocations (function, request_id, start_ts, outcome, cold_start, version) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            ("a", "r1", datetime(2026, 1, 1, 10), "success", True, "$LATEST"),
            ("a", "r2", datetime(2026, 1, 1, 11), "error", False, "3"),
            ("b", "r3", datetime(2026, 1, 1, 12), "timeout", None, "$LATEST"),
        ],
    )
    return con


def _ids(f: Filters) -> list[str]:
    con = _con_with_rows()
    sql, params = f.where()
    rows = con.execute(f"SELECT request_id FROM invocations WHERE {sql} ORDER BY 1", params)
    return [r[0] for r in rows.fetchall()]


def test_open_db_creates_every_table_twice_without_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Opening the same database file twice keeps working: the schema is idempotent."""
    open_db(tmp_path / "x.duckdb").close()
    con = open_db(tmp_path / "x.duckdb")
    names = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert names >= TABLES


def test_empty_filters_select_everything() -> None:
    """No field set means the expression is TRUE."""
    assert Filters().where() == ("TRUE", [])
    assert _ids(Filters()) == ["r1", "r2", "r3"]


def test_function_and_outcome_filters() -> None:
    """function and outcome restrict by equality."""
    assert _ids(Filters(function="a")) == ["r1", "r2"]
    assert _ids(Filters(outcome="timeout")) == ["r3"]


def test_time_range_is_half_open_and_timezone_aware() -> None:
    """since is inclusive, until exclusive; aware times are compared in UTC."""
    f = Filters(
        since=datetime(2026, 1, 1, 11, tzinfo=UTC), until=datetime(2026, 1, 1, 12, tzinfo=UTC)
    )
    assert _ids(f) == ["r2"]


def test_cold_filter_treats_unknown_as_warm() -> None:
    """cold=False keeps warm and unknown cold flags, cold=True only cold ones."""
    assert _ids(Filters(cold=True)) == ["r1"]
    assert _ids(Filters(cold=False)) == ["r2", "r3"]


def test_version_and_prefix() -> None:
    """The prefix qualifies column names for joins."""
    sql, params = Filters(version="3").where(prefix="i.")
    assert sql == "i.version = ?" and params == ["3"]


def test_bad_outcome_is_rejected() -> None:
    """An unknown outcome is a ValueError naming the allowed values."""
    with pytest.raises(ValueError, match="success, error, timeout"):
        Filters(outcome="boom")


def test_memory_limit_is_bounded_by_default() -> None:
    """DuckDB gets the analyzer's memory limit, not 80 % of the machine's RAM."""
    con = open_db()
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit is not None and limit[0] == "610.3 MiB"


def test_memory_limit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """LAMBDASCOPE_MEMORY_LIMIT overrides the default."""
    monkeypatch.setenv("LAMBDASCOPE_MEMORY_LIMIT", "2GB")
    limit = open_db().execute("SELECT current_setting('memory_limit')").fetchone()
    assert limit is not None and limit[0] == "1.8 GiB"


def test_bad_memory_limit_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrong LAMBDASCOPE_MEMORY_LIMIT is an error that says which variable and how."""
    monkeypatch.setenv("LAMBDASCOPE_MEMORY_LIMIT", "lots")
    with pytest.raises(duckdb.Error, match=r"LAMBDASCOPE_MEMORY_LIMIT='lots'.*640MB"):
        open_db()


def _write_version(path: object, version: str) -> None:
    con = open_db(path)  # type: ignore[arg-type]
    con.execute("UPDATE meta SET value = ? WHERE key = 'data_version'", [version])
    con.close()


def test_database_of_another_data_version_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A --db file written under another data version is an error that says what to do."""
    db = tmp_path / "old.duckdb"
    _write_version(db, "0")
    with pytest.raises(StaleDatabaseError, match="delete it or choose another --db"):
        open_db(db)


def test_stale_cache_is_rebuilt(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With rebuild_stale the old file is replaced by an empty database of this version."""
    db = tmp_path / "cache.duckdb"
    _write_version(db, "0")
    con = open_db(db, rebuild_stale=True)
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    assert row == (DATA_VERSION,)


def test_database_from_before_versioning_is_stale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Loaded files without a data_version row mean an older lambdascope wrote them."""
    db = tmp_path / "old.duckdb"
    con = open_db(db)
    con.execute("DELETE FROM meta")
    con.execute("INSERT INTO files (file_id, path, fingerprint) VALUES (1, 'a.log', 'x')")
    con.close()
    with pytest.raises(StaleDatabaseError, match="data version 0"):
        open_db(db)


def test_open_db_leaves_no_unfinished_result(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The connection open_db returns takes `con.sql()` at once, new or reopened."""
    db = tmp_path / "x.duckdb"
    open_db(db).close()
    assert open_db(db).sql("SELECT 1").fetchall() == [(1,)]
