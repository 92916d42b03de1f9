"""Load one source file into the tables: the SQL fast path or the Python path, then the
shared steps (resolve function/env, store events with de-duplication, rejects, evidence)."""

from __future__ import annotations

import csv
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from analyzer import sources as _sources
from analyzer.parse import sql as _sql
from analyzer.parse.containers import Unwrapped, unwrap_insights_csv, unwrap_json, unwrap_lines
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


def _cell(v: Any) -> Any:
    if v is None:
        return "\\N"
    if isinstance(v, str):
        return v.replace("\x00", "\\0")
    return v


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
            w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            for r in rows:
                w.writerow([_cell(v) for v in r])
        spec = ", ".join(f"'{c}': '{t}'" for c, t in cols)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM read_csv($p, "
            f"columns={{{spec}}}, header=false, quote='\"', escape='\"', delim=',', "
            "auto_detect=false, nullstr='\\N', allow_quoted_nulls=false, new_line='\\n', "
            "max_line_size=16777216)",
            {"p": name},
        )
    finally:
        os.unlink(name)


def _sql_events(con: duckdb.DuckDBPyConnection, src: _sources.Source, fmt: str, q: Any) -> int:
    """Fast path: read every line in DuckDB, classify and store it; returns the line count."""
    con.execute(_sql.READ_RAW, {"path": src.path, "compression": "gzip" if src.gzip else "none"})
    base = scalar(con, "SELECT coalesce(min(rowid), 0) FROM _raw")
    con.execute(_sql.events_insert(_sql.stage_sql(fmt)), {**q, "base": base})
    con.execute(_sql.RAW_REJECTS, {"fid": q["fid"], "base": base})
    if scalar(con, _sql.NEEDS_INHERIT, {"fid": q["fid"]}):
        con.execute(_sql.INHERIT, {"fid": q["fid"]})
    n = int(scalar(con, "SELECT count(*) FROM _raw"))
    con.execute("DROP TABLE _raw")
    return n


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


def _py_events(
    con: duckdb.DuckDBPyConnection, src: _sources.Source, fmt: str, fl: FileLoad, q: Any
) -> int:
    """Python path: unwrap the container, classify, inherit, store; leaves `_pyev`."""
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
    rows, ev_rows, dupes = stage_rows(un)
    if dupes:
        fl.notes.append(f"{dupes} duplicate event ids counted once")
    _bulk(con, "_stage", STAGE_COLUMNS, rows)
    _bulk(con, "_pyev", PYEV_COLUMNS, ev_rows)
    con.execute(_sql.events_insert("SELECT * FROM _stage"), q)
    con.execute(
        "INSERT INTO rejects SELECT $fid, line_no, reject, msg FROM _stage "
        "WHERE reject IS NOT NULL",
        {"fid": q["fid"]},
    )
    con.execute("DROP TABLE _stage")
    return un.units


_OVERLAP = """
SELECT count(*) FROM events
WHERE file_id <> $fid
  AND ts BETWEEN (SELECT min(ts) FROM events WHERE file_id = $fid)
             AND (SELECT max(ts) FROM events WHERE file_id = $fid)
"""
_DEDUPE = """
DELETE FROM events WHERE file_id = $fid AND line_no IN (
  SELECT n.line_no FROM events n JOIN events o
    ON o.ts = n.ts AND o.message = n.message AND o.env_id IS NOT DISTINCT FROM n.env_id
  WHERE n.file_id = $fid AND o.file_id <> $fid)
"""
_PYEV_INSERT = """
INSERT INTO load_evidence
SELECT e.file_id, e.line_no, e.ts, e.function, e.env_id, e.request_id, e.kind,
  p.* EXCLUDE (line_no)
FROM _pyev p JOIN events e ON e.file_id = $fid AND e.line_no = p.line_no
"""


def _finish(con: duckdb.DuckDBPyConnection, fid: int, py: bool, fl: FileLoad) -> None:
    """Drop events other files already gave, extract evidence, count rejects."""
    q = {"fid": fid}
    if scalar(con, _OVERLAP, q):
        before = scalar(con, "SELECT count(*) FROM events WHERE file_id = $fid", q)
        con.execute(_DEDUPE, q)
        dupes = before - scalar(con, "SELECT count(*) FROM events WHERE file_id = $fid", q)
        if dupes:
            fl.notes.append(f"{dupes} events already loaded from another file counted once")
    if py:
        con.execute(_PYEV_INSERT, q)
    else:
        con.execute(_sql.EV_TEXT_ROWS, q)
        con.execute(_sql.EVIDENCE_TEXT)
        con.execute("DROP TABLE _ev_text")
        con.execute(_sql.EVIDENCE, q)
    if py:
        con.execute("DROP TABLE _pyev")
    con.execute(
        "INSERT INTO _affected SELECT DISTINCT request_id FROM load_evidence "
        "WHERE file_id = $fid AND request_id IS NOT NULL",
        q,
    )
    fl.rejected = int(scalar(con, "SELECT count(*) FROM rejects WHERE file_id = $fid", q))


def load_file(
    con: duckdb.DuckDBPyConnection,
    src: _sources.Source,
    fp: str,
    fmt: str,
    cli_function: str | None,
    *,
    force_python: bool = False,
) -> FileLoad:
    """Load one file; never raises for bad content (warnings say what happened)."""
    fl = FileLoad()
    fid = int(scalar(con, "SELECT coalesce(max(file_id), 0) + 1 FROM files"))
    if fmt in ("empty", "binary"):
        fl.status = "empty" if fmt == "empty" else "unreadable"
        fl.warnings.append(
            f"{src.display}: empty file, nothing to load"
            if fmt == "empty"
            else f"{src.display}: binary data, not a log file; leave it out or check it is "
            "a CloudWatch export (.gz is read as is)"
        )
    else:
        fn, env = path_hints(src.path if not src.temp else "")
        q = {"fid": fid, "gfn": fn, "env": env, "cfn": cli_function}
        py = force_python or fmt not in LINE_FORMATS
        if not py:
            try:
                con.execute("BEGIN TRANSACTION")
                fl.lines = _sql_events(con, src, fmt, q)
                con.execute("COMMIT")
            except duckdb.Error as exc:
                if os.environ.get("LAMBDASCOPE_DEBUG"):
                    print(f"fast path refused {src.display}: {exc}", file=sys.stderr)
                con.execute("ROLLBACK")
                py = True  # invalid UTF-8, stray \r, truncated gzip...: the careful path
        if py:
            fl.lines = _py_events(con, src, fmt, fl, q)
        _finish(con, fid, py, fl)
        if fl.rejected:
            reason = scalar(
                con, "SELECT mode(reason) FROM rejects WHERE file_id = $fid", {"fid": fid}
            )
            fl.warnings.append(
                f"{src.display}: {fl.rejected} line(s) not loaded ({reason}); "
                "they are listed in the rejects table (lambdascope query 'select * from rejects')"
            )
        if fl.lines == 0 and fmt != "json":
            fl.status = "empty"
            fl.warnings.append(f"{src.display}: no log lines in it, nothing to load")
    con.execute(
        "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [
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
        ],
    )
    return fl
