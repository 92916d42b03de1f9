"""Load one source file into the tables: the SQL fast path or the Python path, then the
shared steps (resolve function/env, store events with de-duplication, rejects, evidence)."""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analyzer import sources as _sources
from analyzer.parse import sql as _sql
from analyzer.parse.containers import Unwrapped, unwrap_insights_csv, unwrap_json, unwrap_lines
from analyzer.parse.sql_evidence import EVIDENCE
from analyzer.parse.stage import PYEV_COLUMNS, STAGE_COLUMNS, stage_rows

LINE_FORMATS = ("export", "text", "tail")
"""Formats the SQL fast path reads."""

_GROUP_PATH = re.compile(r"(?:^|/)aws/lambda/([^/]+)")
_STREAM_DIR = re.compile(
    r"^(?:\d{4}-\d\d-\d\d-)?(?P<fn>[^\[/]*)\[(?P<ver>[^\]/]*)\](?P<env>[0-9A-Za-z]+)$"
)


@dataclass(slots=True)
class FileLoad:
    """The accounting of one file: lines = (lines - rejected) parsed + rejected."""

    lines: int = 0
    rejected: int = 0
    status: str = "ok"
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def path_identity(src: _sources.Source) -> str:
    """The path stored in `files` (absolute, so a re-run from elsewhere matches)."""
    return src.display if src.temp else os.path.abspath(src.path)


def path_hints(path: str) -> tuple[str | None, str | None]:
    """(function, env_id) that a file's path tells: `/aws/lambda/NAME`, stream folders."""
    norm = path.replace(os.sep, "/")
    m = _GROUP_PATH.search(norm)
    fn = m.group(1) if m else None
    env = None
    parts = norm.split("/")
    for part in (parts[-2] if len(parts) > 1 else "", os.path.splitext(parts[-1])[0]):
        sm = _STREAM_DIR.match(part)
        if sm:
            env = sm.group("env")
            fn = fn or (sm.group("fn").strip("-") or None)
            break
    return fn, env


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: Any = None) -> Any:
    """The first value of the first row of `query` (None when there is no row)."""
    rows = (
        con.execute(query, params).fetchall() if params is not None else con.sql(query).fetchall()
    )
    return rows[0][0] if rows else None


def _bulk(
    con: duckdb.DuckDBPyConnection,
    table: str,
    cols: Sequence[tuple[str, str]],
    rows: list[list[Any]],
) -> None:
    """Create temp `table` from Python rows via a CSV file (fast, no extra dependency)."""
    fd, name = tempfile.mkstemp(prefix="lambdascope-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as fh:
            w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            for r in rows:
                w.writerow(
                    [
                        "\\N" if v is None else v.replace("\x00", "\\0") if type(v) is str else v
                        for v in r
                    ]
                )
        spec = ", ".join(f"'{c}': '{t}'" for c, t in cols)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv($p, "
            f"columns={{{spec}}}, header=false, quote='\"', escape='\"', delim=',', "
            "auto_detect=false, nullstr='\\N', allow_quoted_nulls=false, new_line='\\r\\n', "
            "max_line_size=16777216)",
            {"p": name},
        )
    finally:
        os.unlink(name)


def _decode(data: bytes, fl: FileLoad, display: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "replace")
        bad = text.count("\ufffd")
        fl.notes.append(f"{bad} invalid UTF-8 sequences replaced")
        fl.warnings.append(
            f"{display}: {bad} invalid UTF-8 byte sequences replaced by U+FFFD; "
            "the file is not UTF-8 throughout (re-export it, or ignore if only a few lines)"
        )
        return text


def _py_rows(
    src: _sources.Source, fmt: str, fl: FileLoad
) -> tuple[list[list[Any]], list[list[Any]], int]:
    """Python path: unwrap the container, classify, inherit: (stage rows, evidence rows, units)."""
    content = _sources.read_all(src)
    if content.truncated:
        fl.status = "truncated"
        fl.warnings.append(
            f"{src.display}: gzip data ends early (truncated download?); loaded what was "
            "readable. Download the file again for the rest"
        )
    text = _decode(content.data, fl, src.display)
    un: Unwrapped
    if fmt in LINE_FORMATS:
        un = unwrap_lines(text, fmt)
    elif fmt == "insights-csv":
        un = unwrap_insights_csv(text)
    else:
        un = unwrap_json(text)
    if un.truncated:
        fl.status = "truncated"
        fl.warnings.append(
            f"{src.display}: JSON ends early or is broken (truncated download?); loaded the "
            f"{len(un.events)} complete events before the break. Fetch the file again for the rest"
        )
    rows, ev_rows, dupes = stage_rows(un)
    if dupes:
        fl.notes.append(f"{dupes} duplicate event ids counted once")
    return rows, ev_rows, un.units


_FILE_COLUMNS = (("f_id", "INTEGER"), ("f_gfn", "VARCHAR"), ("f_env", "VARCHAR"))


def _store_py(
    con: duckdb.DuckDBPyConnection,
    rows: list[list[Any]],
    ev_rows: list[list[Any]],
    cli_function: str | None,
) -> None:
    """Store the stage rows of several files (each row led by its file's id and path hints);
    leaves `_pyev` (evidence rows led by the file id) for `finish`."""
    _bulk(con, "_stage", (*_FILE_COLUMNS, *STAGE_COLUMNS), rows)
    _bulk(con, "_pyev", (_FILE_COLUMNS[0], *PYEV_COLUMNS), ev_rows)
    con.execute(_sql.events_insert("SELECT * FROM _stage"), {"cfn": cli_function})
    con.execute(
        "INSERT INTO rejects SELECT f_id, line_no, reject, msg FROM _stage WHERE reject IS NOT NULL"
    )
    con.execute("DROP TABLE _stage")


_OVERLAPS = """
WITH g AS (SELECT file_id, env_id, min(ts) AS lo, max(ts) AS hi FROM events
           WHERE ts IS NOT NULL GROUP BY ALL)
SELECT DISTINCT n.file_id FROM g n JOIN g o
  ON n.env_id IS NOT DISTINCT FROM o.env_id AND o.file_id <> n.file_id
     AND (o.file_id < n.file_id OR o.file_id NOT BETWEEN $lo AND $hi)
     AND n.lo <= o.hi AND o.lo <= n.hi
WHERE n.file_id BETWEEN $lo AND $hi ORDER BY 1
"""
_DEDUPE = """
DELETE FROM events WHERE file_id = $fid AND line_no IN (
  SELECT n.line_no FROM events n JOIN events o
    ON o.ts = n.ts AND o.message = n.message AND o.env_id IS NOT DISTINCT FROM n.env_id
  WHERE n.file_id = $fid AND o.file_id <> $fid
    AND (o.file_id < $fid OR o.file_id NOT BETWEEN $lo AND $hi))
"""
_PYEV_INSERT = """
INSERT INTO load_evidence
SELECT e.file_id, e.line_no, e.ts, e.function, e.env_id, e.request_id, e.kind,
  p.* EXCLUDE (f_id, line_no)
FROM _pyev p JOIN events e ON e.file_id = p.f_id AND e.line_no = p.line_no
"""


AFFECTED = """
INSERT INTO _affected
SELECT DISTINCT request_id FROM events
WHERE file_id BETWEEN $lo AND $hi AND request_id IS NOT NULL
  AND kind IN ('start', 'end', 'report', 'runtime_done', 'timeout', 'error', 'lambdascope', 'xray')
"""
"""Request ids of files lo..hi (or of forgotten files): the invocations a partial merge redoes."""


def finish(
    con: duckdb.DuckDBPyConnection,
    lo: int,
    hi: int,
    py: bool,
    loads: dict[int, FileLoad],
    track: bool = True,
) -> None:
    """For files lo..hi: drop events earlier files gave, extract evidence, count rejects."""
    q = {"lo": lo, "hi": hi}
    for (fid,) in con.execute(_OVERLAPS, q).fetchall():
        dropped = scalar(con, _DEDUPE, {"fid": fid, "lo": lo, "hi": hi})  # rows deleted
        if dropped:
            loads[fid].notes.append(
                f"{dropped} events already loaded from another file counted once"
            )
    if py:
        con.execute(_PYEV_INSERT)
        con.execute("DROP TABLE _pyev")
    else:
        con.execute(EVIDENCE, q)
    if track:
        con.execute(AFFECTED, q)
    counts = dict(
        con.execute(
            "SELECT file_id, count(*) FROM rejects WHERE file_id BETWEEN $lo AND $hi GROUP BY 1",
            q,
        ).fetchall()
    )
    for fid, fl in loads.items():
        if lo <= fid <= hi:
            fl.rejected = int(counts.get(fid, 0))


def _reject_warning(con: duckdb.DuckDBPyConnection, fid: int, fl: FileLoad, display: str) -> None:
    if fl.rejected:
        reason = scalar(con, "SELECT mode(reason) FROM rejects WHERE file_id = $fid", {"fid": fid})
        fl.warnings.append(
            f"{display}: {fl.rejected} line(s) not loaded ({reason}); "
            "they are listed in the rejects table (lambdascope query 'select * from rejects')"
        )


def file_row(
    con: duckdb.DuckDBPyConnection,
    fid: int,
    src: _sources.Source,
    fp: str,
    fmt: str,
    fl: FileLoad,
) -> list[Any]:
    """The `files` row of one loaded file (its accounting and status), warnings added."""
    _reject_warning(con, fid, fl, src.display)
    if fl.status == "ok" and fl.lines == 0 and fmt != "json":
        fl.status = "empty"
        fl.warnings.append(f"{src.display}: no log lines in it, nothing to load")
    return [
        fid,
        path_identity(src),
        src.size,
        src.mtime,
        fp,
        fmt,
        fl.lines,
        fl.lines - fl.rejected,
        fl.rejected,
        fl.status,
        "; ".join(fl.notes) or None,
    ]


def record_files(con: duckdb.DuckDBPyConnection, rows: list[list[Any]]) -> None:
    """Insert `files` rows in one statement (many small inserts are slow in DuckDB)."""
    if not rows:
        return
    cols = list(zip(*rows, strict=True))
    con.execute(
        "INSERT INTO files SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), "
        "unnest($6), unnest($7), unnest($8), unnest($9), unnest($10), unnest($11), "
        "now()::TIMESTAMP",
        [list(c) for c in cols],
    )


def load_python(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[tuple[int, _sources.Source, str]],
    cli_function: str | None,
    track: bool = True,
) -> dict[int, FileLoad]:
    """Load files through the pure-Python parsers (JSON containers, odd text); the file ids
    of `items` must be consecutive: they are stored together with one set of statements."""
    loads: dict[int, FileLoad] = {}
    rows: list[list[Any]] = []
    ev_rows: list[list[Any]] = []
    for fid, src, fmt in items:
        fl = loads[fid] = FileLoad()
        if fmt in ("empty", "binary"):
            fl.status = "empty" if fmt == "empty" else "unreadable"
            fl.warnings.append(
                f"{src.display}: empty file, nothing to load"
                if fmt == "empty"
                else f"{src.display}: binary data, not a log file; leave it out or check it "
                "is a CloudWatch export (.gz is read as is)"
            )
            continue
        fn, env = path_hints(src.path if not src.temp else "")
        got, ev_got, fl.lines = _py_rows(src, fmt, fl)
        rows.extend([fid, fn, env, *r] for r in got)
        ev_rows.extend([fid, *r] for r in ev_got)
    if any(fl.lines for fl in loads.values()):
        _store_py(con, rows, ev_rows, cli_function)
        finish(con, min(loads), max(loads), True, loads, track)
    return loads
