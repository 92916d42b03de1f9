"""A reused database gives the numbers of a fresh load: deleted and replaced files are forgotten."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer import queries
from analyzer.load import load_paths
from analyzer.store import open_db

RID = "0f1e2d3c-4b5a-4968-8776-6554433221{:02d}"


def _inv(n: int, status: str = "") -> str:
    rid = RID.format(n)
    ts = f"2024-02-13T21:00:{n:02d}.000Z"
    return (
        f"{ts} START RequestId: {rid} Version: $LATEST\n"
        f"{ts} END RequestId: {rid}\n"
        f"{ts} REPORT RequestId: {rid}\tDuration: {n}.00 ms\tBilled Duration: {n} ms\t"
        f"Memory Size: 128 MB\tMax Memory Used: 70 MB\t{status}\n"
    )


def _fresh(paths: list[str]) -> dict[str, Any]:
    con = open_db(None)
    load_paths(con, paths, function="f")
    return queries.summary(con)


def _reused(db: Path, paths: list[str]) -> tuple[dict[str, Any], list[str]]:
    con = open_db(db)
    try:
        result = load_paths(con, paths, function="f")
        return queries.summary(con), result.warnings
    finally:
        con.close()


def test_deleted_file_is_forgotten_with_a_warning(tmp_path: Path) -> None:
    """Deleting a file from a folder and reloading into the same db equals a fresh load."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text(_inv(1) + _inv(2))
    (logs / "b.log").write_text(_inv(3) + _inv(4, "Status: timeout"))
    db = tmp_path / "x.duckdb"
    _reused(db, [str(logs)])
    (logs / "b.log").unlink()
    summary, warnings = _reused(db, [str(logs)])
    assert summary == _fresh([str(logs)])
    assert summary["totals"]["invocations"] == 2
    assert "1 file gone since the last load: its data was removed" in warnings


def test_replaced_file_gives_fresh_numbers(tmp_path: Path) -> None:
    """A file replaced by different content is re-read: the reused db equals a fresh load."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text(_inv(1) + _inv(2))
    db = tmp_path / "x.duckdb"
    _reused(db, [str(logs)])
    (logs / "a.log").write_text(_inv(5, "Status: error\tError Type: Runtime.ExitError"))
    summary, _ = _reused(db, [str(logs)])
    assert summary == _fresh([str(logs)])
    assert summary["totals"]["invocations"] == 1


def test_overlapping_file_keeps_shared_events_when_the_other_goes(tmp_path: Path) -> None:
    """Events shared by two overlapping files stay when the file that held them is deleted."""
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_text(_inv(1) + _inv(2))
    (logs / "b.log").write_text(_inv(2) + _inv(3))
    db = tmp_path / "x.duckdb"
    _reused(db, [str(logs)])
    (logs / "a.log").unlink()
    summary, _ = _reused(db, [str(logs)])
    assert summary == _fresh([str(logs)])
    assert summary["totals"]["invocations"] == 2


def test_glob_argument_forgets_deleted_matches(tmp_path: Path) -> None:
    """A file matched by a glob last time and deleted since is forgotten."""
    (tmp_path / "a.log").write_text(_inv(1))
    (tmp_path / "b.log").write_text(_inv(2))
    db = tmp_path / "x.duckdb"
    pattern = str(tmp_path / "*.log")
    _reused(db, [pattern])
    (tmp_path / "a.log").unlink()
    summary, _ = _reused(db, [pattern])
    assert summary["totals"]["invocations"] == 1


def test_files_outside_the_named_folders_stay(tmp_path: Path) -> None:
    """Files loaded earlier from another path are kept when a different folder is loaded."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.log").write_text(_inv(1))
    (tmp_path / "two" / "b.log").write_text(_inv(2))
    db = tmp_path / "x.duckdb"
    _reused(db, [str(tmp_path / "one")])
    summary, warnings = _reused(db, [str(tmp_path / "two")])
    assert summary["totals"]["invocations"] == 2
    assert not any("gone" in w for w in warnings)


def test_overlapping_file_from_another_load_is_read_again(tmp_path: Path) -> None:
    """A file loaded earlier from another folder keeps the events it shared with a deleted one."""
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "a.log").write_text(_inv(1) + _inv(2))
    (tmp_path / "two" / "b.log").write_text(_inv(2) + _inv(3))
    db = tmp_path / "x.duckdb"
    _reused(db, [str(tmp_path / "one"), str(tmp_path / "two")])
    (tmp_path / "one" / "a.log").unlink()
    summary, _ = _reused(db, [str(tmp_path / "one")])
    assert summary == _fresh([str(tmp_path / "two")])
    assert summary["totals"]["invocations"] == 2
