"""Smoke tests of the loader on a few lines written on the spot."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.load import LoadError, load_paths
from analyzer.store import open_db

EXPORT = (
    "2024-02-13T21:01:04.100Z START RequestId: 0f1e2d3c-4b5a-4968-8776-655443322110 "
    "Version: $LATEST\n"
    "2024-02-13T21:01:04.200Z 2024-02-13T21:01:04.200Z\t0f1e2d3c-4b5a-4968-8776-655443322110"
    "\tINFO\thello\n"
    "2024-02-13T21:01:04.300Z END RequestId: 0f1e2d3c-4b5a-4968-8776-655443322110\n"
    "2024-02-13T21:01:04.300Z REPORT RequestId: 0f1e2d3c-4b5a-4968-8776-655443322110\t"
    "Duration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t"
    "Init Duration: 150.00 ms\t\n"
)


@pytest.mark.parametrize("engine", ["auto", "python"])
def test_one_invocation_from_export_text(tmp_path: Path, engine: str) -> None:
    """Four export lines give one cold, successful invocation with its REPORT numbers."""
    f = tmp_path / "aws" / "lambda" / "orders" / "part.log"
    f.parent.mkdir(parents=True)
    f.write_text(EXPORT)
    con = open_db(None)
    result = load_paths(con, [str(tmp_path)], engine=engine)
    assert (result.lines, result.events, result.rejected, result.invocations) == (4, 4, 0, 1)
    row = con.sql(
        "SELECT function, outcome, cold_start, duration_ms, init_ms, memory_mb, version "
        "FROM invocations"
    ).fetchall()
    assert row == [("orders", "success", True, 12.5, 150.0, 128, "$LATEST")]


def test_reload_adds_nothing(tmp_path: Path) -> None:
    """Loading the same file twice skips it the second time."""
    f = tmp_path / "a.log"
    f.write_text(EXPORT)
    con = open_db(None)
    load_paths(con, [str(f)])
    again = load_paths(con, [str(f)])
    assert (again.files, again.skipped_unchanged) == (0, 1)
    assert con.sql("SELECT count(*) FROM events").fetchall() == [(4,)]


def test_missing_path_raises_load_error(tmp_path: Path) -> None:
    """A path that does not exist, alone, is a LoadError naming it."""
    with pytest.raises(LoadError, match=r"nope\.log"):
        load_paths(open_db(None), [str(tmp_path / "nope.log")])
