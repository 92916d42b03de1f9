"""Inputs and bad inputs: folders, globs, stdin, gzip, reloads; each problem is a warning that
names the file, and only an input with nothing readable is a LoadError."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from analyzer.load import LoadError, load_paths
from analyzer.store import open_db

RID = "0f1e2d3c-4b5a-4968-8776-65544332211{}"


def _inv(n: int, t: int = 0) -> str:
    rid = RID.format(n)
    ts = f"2024-02-13T21:{t:02d}:0{n}.000Z"
    return (
        f"{ts} START RequestId: {rid} Version: $LATEST\n"
        f"{ts} END RequestId: {rid}\n"
        f"{ts} REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 70 MB\t\n"
    )


def _count(con: object, table: str) -> int:
    return int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # type: ignore[attr-defined]


def test_missing_path_is_a_warning_next_to_good_input(tmp_path: Path) -> None:
    """A missing path among good ones is a warning naming it; the rest loads."""
    good = tmp_path / "a.log"
    good.write_text(_inv(1))
    result = load_paths(open_db(None), [str(good), str(tmp_path / "gone.log")])
    assert result.invocations == 1
    assert any("gone.log" in w and "no such file" in w for w in result.warnings)


def test_folder_without_files_alone_is_a_load_error(tmp_path: Path) -> None:
    """An empty folder as the only input is a LoadError that says the folder holds no files."""
    (tmp_path / "empty").mkdir()
    with pytest.raises(LoadError, match="holds no files"):
        load_paths(open_db(None), [str(tmp_path / "empty")])


def test_glob_expands_recursively(tmp_path: Path) -> None:
    """A ** glob finds files in sub-folders."""
    (tmp_path / "x" / "y").mkdir(parents=True)
    (tmp_path / "x" / "y" / "a.log").write_text(_inv(1))
    (tmp_path / "x" / "b.log").write_text(_inv(2))
    result = load_paths(open_db(None), [str(tmp_path / "**" / "*.log")])
    assert (result.files, result.invocations) == (2, 2)


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    """A gzip cut short loads its readable lines, is marked truncated, and warns."""
    data = gzip.compress(("".join(_inv(i) for i in range(1, 10)) * 50).encode())
    f = tmp_path / "000000.gz"
    f.write_bytes(data[: len(data) * 2 // 3])
    con = open_db(None)
    result = load_paths(con, [str(f)])
    assert result.lines > 0
    assert con.sql("SELECT status FROM files").fetchall() == [("truncated",)]
    assert any("000000.gz" in w and "ends early" in w for w in result.warnings)


def test_truncated_json_page_keeps_complete_events(tmp_path: Path) -> None:
    """A get-log-events page cut mid-event keeps its complete events; the file is 'truncated'."""
    page = {
        "events": [
            {"timestamp": 1707858000000 + n, "message": line.split(" ", 1)[1] + "\n"}
            for n, line in enumerate(_inv(1).splitlines() + _inv(2).splitlines())
        ],
        "nextForwardToken": "f/1",
    }
    text = json.dumps(page, indent=1)
    cut = text.index("REPORT RequestId: " + RID.format(2)) + 10
    f = tmp_path / "aws" / "lambda" / "fn" / "page.json"
    f.parent.mkdir(parents=True)
    f.write_text(text[:cut])
    con = open_db(None)
    result = load_paths(con, [str(tmp_path)])
    assert (result.lines, result.events, result.rejected, result.invocations) == (6, 5, 1, 2)
    assert con.sql("SELECT status FROM files").fetchall() == [("truncated",)]
    assert any("page.json" in w and "5 complete events" in w for w in result.warnings)


def test_overlapping_json_pages_loaded_together_count_events_once(tmp_path: Path) -> None:
    """Two get-log-events pages sharing events, stored in one Python batch, count them once."""

    def page(ns: list[int]) -> str:
        lines = [ln.split(" ", 1) for n in ns for ln in _inv(n).splitlines()]
        return json.dumps(
            {"events": [{"timestamp": 1707858000000, "message": m} for _, m in lines]}
        )

    folder = tmp_path / "aws" / "lambda" / "fn"
    folder.mkdir(parents=True)
    (folder / "p1.json").write_text(page([1, 2]))
    (folder / "p2.json").write_text(page([2, 3]))
    con = open_db(None)
    result = load_paths(con, [str(tmp_path)])
    assert (result.lines, result.invocations) == (12, 3)
    assert _count(con, "events") == 9


def test_concatenated_gzip_members_all_load(tmp_path: Path) -> None:
    """Back-to-back gzip members (Firehose, S3 export parts) are all read."""
    f = tmp_path / "part.gz"
    f.write_bytes(gzip.compress(_inv(1).encode()) + gzip.compress(_inv(2).encode()))
    assert load_paths(open_db(None), [str(f)]).invocations == 2


def test_binary_file_alone_is_a_load_error(tmp_path: Path) -> None:
    """Binary garbage is not a log: alone it is a LoadError naming the file."""
    f = tmp_path / "core.bin"
    f.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(LoadError, match=r"core\.bin.*binary"):
        load_paths(open_db(None), [str(f)])


def test_lone_carriage_return_loads_without_error(tmp_path: Path) -> None:
    """A line with a lone \\r (progress output) is loaded, not a DuckDB traceback."""
    f = tmp_path / "cr.log"
    f.write_bytes(_inv(1).encode() + b"2024-02-13T21:00:09.000Z 50%\r100%\nhello\rworld\n")
    con = open_db(None)
    result = load_paths(con, [str(f)])
    assert (result.lines, result.invocations) == (5, 1)
    assert result.lines == result.events + result.rejected


def test_binary_garbage_is_rejected_not_raised(tmp_path: Path) -> None:
    """Random bytes next to a good file load without an exception; the good file counts."""
    import random

    (tmp_path / "garbage.bin").write_bytes(random.Random(7).randbytes(5000))
    (tmp_path / "good.log").write_text(_inv(1))
    result = load_paths(open_db(None), [str(tmp_path)])
    assert result.invocations == 1
    assert result.lines == result.events + result.rejected


def test_empty_file_warns(tmp_path: Path) -> None:
    """An empty file next to a good one is a warning, not an error."""
    (tmp_path / "empty.log").write_text("")
    (tmp_path / "good.log").write_text(_inv(1))
    result = load_paths(open_db(None), [str(tmp_path)])
    assert result.invocations == 1
    assert any("empty.log" in w and "empty" in w for w in result.warnings)


def test_invalid_utf8_is_replaced_and_counted(tmp_path: Path) -> None:
    """Invalid UTF-8 bytes become U+FFFD, the lines still load, the file's note counts them."""
    f = tmp_path / "latin.log"
    f.write_bytes(_inv(1).encode() + b"2024-02-13T21:00:09.000Z caf\xe9 \xff\n")
    con = open_db(None)
    result = load_paths(con, [str(f)])
    assert (result.lines, result.rejected, result.invocations) == (4, 0, 1)
    assert "2 invalid UTF-8" in con.sql("SELECT note FROM files").fetchall()[0][0]
    assert any("latin.log" in w and "UTF-8" in w for w in result.warnings)


def test_ten_megabyte_line_is_rejected_not_fatal(tmp_path: Path) -> None:
    """A 10 MB single line is rejected (listed in rejects) and the other lines load."""
    f = tmp_path / "huge.log"
    f.write_text(_inv(1) + "2024-02-13T21:00:09.000Z " + "x" * 10_000_000 + "\n")
    con = open_db(None)
    result = load_paths(con, [str(f)])
    assert (result.lines, result.events, result.rejected) == (4, 3, 1)
    assert con.sql("SELECT reason FROM rejects").fetchall() == [("line longer than 1 MiB",)]
    assert any("huge.log" in w for w in result.warnings)


def test_stdin_dash_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'-' reads standard input."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_inv(1).encode())))
    con = open_db(None)
    assert load_paths(con, ["-"]).invocations == 1
    assert con.sql("SELECT path FROM files").fetchall() == [("<stdin>",)]


def test_grown_folder_loads_only_new_and_changed_files(tmp_path: Path) -> None:
    """Re-loading a folder skips unchanged files, reloads a grown one and adds new ones."""
    (tmp_path / "a.log").write_text(_inv(1))
    (tmp_path / "b.log").write_text(_inv(2))
    con = open_db(None)
    load_paths(con, [str(tmp_path)])
    with (tmp_path / "b.log").open("a") as fh:
        fh.write(_inv(3, t=5))
    (tmp_path / "c.log").write_text(_inv(4))
    again = load_paths(con, [str(tmp_path)])
    assert (again.files, again.skipped_unchanged, again.invocations) == (2, 1, 4)
    assert (_count(con, "events"), _count(con, "files")) == (12, 3)


def test_overlapping_exports_count_events_once(tmp_path: Path) -> None:
    """The same event in two overlapping export files is stored once."""
    (tmp_path / "one.log").write_text(_inv(1) + _inv(2))
    (tmp_path / "two.log").write_text(_inv(2) + _inv(3))
    con = open_db(None)
    result = load_paths(con, [str(tmp_path)])
    assert (result.lines, result.invocations) == (12, 3)
    assert _count(con, "events") == 9


def test_function_option_names_files_that_do_not_say(tmp_path: Path) -> None:
    """--function names the invocations of a file with no log group in path or content."""
    (tmp_path / "x.log").write_text(_inv(1))
    con = open_db(None)
    load_paths(con, [str(tmp_path / "x.log")], function="orders")
    assert con.sql("SELECT function FROM invocations").fetchall() == [("orders",)]


def test_progress_bar_only_after_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    """The progress bar stays silent for quick loads and draws a \\r line after a second."""
    from analyzer.load import _Progress

    bar = _Progress(4, True)
    bar.update(1, 10)
    assert capsys.readouterr().err == ""
    bar.start -= 2.0
    bar.update(2, 20)
    bar.close()
    err = capsys.readouterr().err
    assert err.startswith("\rloading  [") and "2/4 files" in err and err.endswith("\n")


def test_progress_silent_without_terminal(tmp_path: Path) -> None:
    """With progress=None and stderr not a terminal, the bar is disabled."""
    from analyzer.load import _Progress

    assert _Progress(1, None).enabled is False


def test_same_events_from_export_and_api_json_count_once(tmp_path: Path) -> None:
    """An event in an export and in a filter-log-events page of one stream is stored once."""
    import json

    rid = RID.format(5)
    stream = "2024/02/13/[$LATEST]0123456789abcdef0123456789abcdef"
    folder = tmp_path / "2024-02-13-[$LATEST]0123456789abcdef0123456789abcdef"
    folder.mkdir()
    (folder / "000000").write_text(f"2024-02-13T21:00:05.000Z END RequestId: {rid}\n")
    page = {
        "events": [
            {
                "logStreamName": stream,
                "timestamp": 1707858005000,
                "message": f"END RequestId: {rid}\n",
                "eventId": "1",
            }
        ]
    }
    (tmp_path / "page.json").write_text(json.dumps(page))
    con = open_db(None)
    result = load_paths(con, [str(tmp_path)])
    assert (result.lines, result.invocations, _count(con, "events")) == (2, 1, 1)


def test_unnamed_stdin_warns_to_pass_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input naming no function gives a warning that says to pass --function."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_inv(1).encode())))
    result = load_paths(open_db(None), ["-"])
    assert [w for w in result.warnings if "--function" in w] == [
        "<stdin>: 1 invocation(s) name no function (the lines carry no log group); "
        "they are called 'unknown' - pass --function NAME"
    ]


def test_stdin_with_function_gives_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input loaded with --function gives no warning."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(_inv(1).encode())))
    assert load_paths(open_db(None), ["-"], function="orders").warnings == []
