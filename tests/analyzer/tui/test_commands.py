"""`analyze` helpers: the cache database location and the input size for the progress bar."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from analyzer import views
from analyzer.commands.analyze import cache_db, input_bytes
from analyzer.filters import Filters


def test_cache_db_is_keyed_by_resolved_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same folder spelled two ways maps to one cache file under XDG_CACHE_HOME."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "logs").mkdir()
    monkeypatch.chdir(tmp_path)
    a, b = cache_db(["logs"]), cache_db([str(tmp_path / "logs" / ".." / "logs")])
    assert a == b and a is not None
    assert a.parent == tmp_path / "cache" / "lambdascope"


def test_cache_db_differs_per_input(tmp_path: Path) -> None:
    """Different inputs get different cache files."""
    assert cache_db([str(tmp_path / "a")]) != cache_db([str(tmp_path / "b")])


def test_stdin_has_no_cache() -> None:
    """Logs piped on stdin are not cached (nothing to recognise next time)."""
    assert cache_db(["-"]) is None


def test_input_bytes_sums_files_in_folders(tmp_path: Path) -> None:
    """The progress total is the size of every file under the inputs."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.log").write_bytes(b"12345")
    (tmp_path / "y.log").write_bytes(b"123")
    assert input_bytes([str(tmp_path / "d"), str(tmp_path / "y.log")]) == 8


def test_series_without_timestamps_is_empty(db: duckdb.DuckDBPyConnection) -> None:
    """Invocations with no start time (logs without timestamps) give no series rows."""
    db.execute("UPDATE invocations SET start_ts = NULL")
    assert views.timeseries(db, Filters()).rows == []


def test_stale_cache_is_rebuilt(tmp_path: Path) -> None:
    """A cache database from another data version is recreated, not refused."""
    from analyzer.commands.analyze import _usable_db
    from analyzer.store import DATA_VERSION, open_db

    path = tmp_path / "cache.duckdb"
    con = open_db(path)
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'data_version'")
    con.close()
    assert _usable_db(path) == str(path)
    con = open_db(path)
    row = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    con.close()
    assert row == (DATA_VERSION,)
