"""The fast path's streamed pass: DuckDB's reader feeds the stage directly (no `_raw` copy), and
line numbers, line counts, blank and rejected lines come out as the `_raw` path gives them."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import load
from analyzer.parse import batch
from analyzer.store import open_db

from .test_parse_differential import DATA, _tables
from .test_parse_runtimes import REVIEW

_START = "2026-11-24T06:00:00.513Z START RequestId: 8ba8f837-18aa-4f3b-a1f6-5e8144e61d9a Version: 1"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "aws" / "lambda" / "fn"
    folder.mkdir(parents=True)
    (folder / "a.log").write_text(f"{_START}\n\n  \nbad \x00 line\n{_START}\n\t\n\n")
    (folder / "b.log").write_text(_START.replace("06:00:00", "07:00:00") + "\n")
    return folder


def _no_raw_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the _raw path ran: the streamed pass was refused")

    monkeypatch.setattr(batch, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "_load", refuse)


@pytest.mark.parametrize("shape", sorted(d.name for d in DATA.iterdir() if d.is_dir()))
def test_streamed_and_raw_paths_store_the_same_rows(
    shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every table is the same whether a fixture folder is streamed or copied to `_raw` first."""
    paths = [str(DATA / shape)]
    raw = _tables(paths, "auto")
    _no_raw_path(monkeypatch)
    assert _tables(paths, "auto") == raw


def test_clean_files_load_in_one_streamed_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clean text files are read by the streamed pass alone."""
    _no_raw_path(monkeypatch)
    con = open_db(None)
    result = load.load_paths(con, [str(_folder(tmp_path))], progress=False)
    assert result.files == 2 and result.lines == 8


def test_streamed_line_numbers_count_blank_and_rejected_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blank lines keep their numbers (and count), a NUL line goes to rejects at its number."""
    _no_raw_path(monkeypatch)
    con = open_db(None)
    load.load_paths(con, [str(_folder(tmp_path))], progress=False)
    rows = con.execute(
        "SELECT f.path, e.line_no FROM events e JOIN files f USING (file_id) ORDER BY 1, 2"
    ).fetchall()
    assert [(Path(p).name, n) for p, n in rows] == [("a.log", 1), ("a.log", 5), ("b.log", 1)]
    rejects = con.execute("SELECT line_no, reason, raw FROM rejects").fetchall()
    assert rejects == [(4, "binary data (NUL bytes)", "bad \\0 line")]
    lines = con.execute("SELECT lines, rejected FROM files ORDER BY path").fetchall()
    assert lines == [(7, 1), (1, 0)]


_REVIEW_PATHS = {
    "plain": "logs/app.log",
    "export": "aws/lambda/fn/2024-06-01-[$LATEST]abc123/000000",
    "text": "aws/lambda/fn/2024-06-01-[$LATEST]abc123.log",
}


@pytest.mark.parametrize("name", sorted(REVIEW))
def test_streamed_and_raw_paths_agree_on_the_review_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The parsing review's odd inputs (error documents, crash lines after records, ids) give
    the same tables streamed as via `_raw`: both paths finish a batch the same way."""
    text, where, _ = REVIEW[name]
    f = tmp_path / _REVIEW_PATHS[where]
    f.parent.mkdir(parents=True)
    f.write_text(text, encoding="utf-8")
    raw = _tables([str(f)], "auto")
    _no_raw_path(monkeypatch)
    assert _tables([str(f)], "auto") == raw


def test_a_byte_order_mark_takes_the_raw_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file starting with a byte order mark is left to the `_raw` path, which strips it."""
    monkeypatch.setattr(batch, "STREAM_MIN_BYTES", 0)
    folder = tmp_path / "aws" / "lambda" / "fn"
    folder.mkdir(parents=True)
    (folder / "a.log").write_text("\ufeff" + _START + "\n")
    con = open_db(None)
    load.load_paths(con, [str(folder)], progress=False)
    assert con.execute("SELECT kind FROM events").fetchall() == [("start",)]
