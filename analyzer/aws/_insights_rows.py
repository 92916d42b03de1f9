"""Logs Insights result rows -> `invocations`, `events`, `files` and `environments` rows.

Rows are staged as newline-delimited JSON and read by DuckDB in one statement: inserting
row by row (executemany) manages only ~600 rows a second.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import duckdb

from analyzer.merge import OOM_MESSAGE, OOM_TYPES
from analyzer.parse.runtime_text import OOM_CRASH, OOM_TYPE

_STREAM = re.compile(r"^\d{4}/\d{2}/\d{2}/(?P<fn>[^\[]+)?\[(?P<ver>[^\]]+)\](?P<env>[0-9a-f]+)$")
MB = 1_000_000.0
"""Logs Insights reports memory in bytes as MB x 1,000,000."""
_OOM_TYPE = re.compile(OOM_TYPE)
_OOM_CRASH = re.compile(OOM_CRASH)


class Mark(NamedTuple):
    """What the failure lines of one invocation say (`_insights_errors.error_marks`)."""

    outcome: str
    """'error' or 'timeout'."""
    error_type: str | None
    error_message: str | None
    oom: bool = False
    """A line says out of memory: an out-of-memory error type, or an untyped crash line that
    says so (as merge.py's `_OOM_ROW`)."""
    oom_type: str | None = None
    """The error type of such a line, if it has one."""
    killed: bool = False
    """A line says the runtime was killed (`signal: killed`)."""


def is_oom_type(etype: str | None) -> bool:
    """An out-of-memory error type: Lambda's own (merge.OOM_TYPES) or a language's
    (runtime_text.OOM_TYPE), as merge.py decides it."""
    return bool(etype) and (etype in OOM_TYPES or _OOM_TYPE.search(etype or "") is not None)


def line_says_oom(etype: str | None, message: str | None) -> bool:
    """Whether one error line is an out-of-memory one: its type is, or it has no type and is
    an untyped crash line saying so (a message that merely mentions an OOM word is not)."""
    if etype:
        return is_oom_type(etype)
    return message is not None and _OOM_CRASH.match(message) is not None


QUERY = (
    'filter @type = "REPORT"'
    " | parse @message /Status: (?<status>\\w+)/"
    " | parse @message /Error Type: (?<errorType>[^\\s]+)/"
    " | parse @message /Restore Duration: (?<restoreDuration>[\\d.]+)/"
    " | fields @timestamp, @requestId, @log, @logStream, @duration, @billedDuration,"
    " @memorySize, @maxMemoryUsed, @initDuration, restoreDuration, status, errorType"
    " | sort @timestamp asc"
    " | limit 10000"
)
"""One row per invocation from its REPORT line (memory in bytes = MB x 1e6)."""

COLUMNS = {
    "function": "VARCHAR", "version": "VARCHAR", "request_id": "VARCHAR", "env_id": "VARCHAR",
    "start_ts": "TIMESTAMP", "end_ts": "TIMESTAMP", "cold_start": "BOOLEAN",
    "init_ms": "DOUBLE", "restore_ms": "DOUBLE", "duration_ms": "DOUBLE", "billed_ms": "DOUBLE",
    "memory_mb": "INTEGER", "max_memory_mb": "INTEGER", "outcome": "VARCHAR",
    "error_type": "VARCHAR", "source": "VARCHAR", "error_message": "VARCHAR",
}  # fmt: skip
"""The `invocations` columns a result row fills, in `to_invocation` order."""


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def parse_ts(text: str) -> datetime | None:
    """'2025-08-15 12:44:57.964' (UTC) or epoch milliseconds as a naive UTC datetime."""
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC).replace(tzinfo=None)
    try:
        return datetime.fromisoformat(text.replace("T", " ").rstrip("Z"))
    except ValueError:
        return None


def function_of(log: str, stream: str) -> str:
    """The function name from '@log' (account:group) or a custom group's stream name."""
    group = log.split(":", 1)[-1]
    if group.startswith("/aws/lambda/"):
        return group.rsplit("/", 1)[-1]
    m = _STREAM.match(stream)
    return m.group("fn") if m and m.group("fn") else group


def to_invocation(
    row: dict[str, str], marks: dict[str, Mark] | None = None
) -> tuple[Any, ...] | None:
    """One `invocations` row (function .. source) from a query row; None without a time.

    `marks` (request id -> Mark) are the failures other lines showed; a REPORT without
    `Status:` and without a mark is a success. A failed invocation is out of memory by the
    file loader's rule (merge.py `_OOM`): an OOM error type, a line that says OOM, or a
    killed runtime at its memory size; its type is then Runtime.OutOfMemory.
    """
    end = parse_ts(row.get("@timestamp", ""))
    if end is None:
        return None
    stream = row.get("@logStream", "")
    m = _STREAM.match(stream)
    duration = _float(row.get("@duration"))
    init, restore = _float(row.get("@initDuration")), _float(row.get("restoreDuration"))
    memory, used = _float(row.get("@memorySize")), _float(row.get("@maxMemoryUsed"))
    status = (row.get("status") or "").lower()
    mark = (marks or {}).get(row["@requestId"])
    outcome = status if status in {"timeout", "error"} else mark[0] if mark else "success"
    if mark and mark[0] == "timeout":
        outcome = "timeout"
    etype = row.get("errorType") or (mark[1] if mark else None)
    text = mark[2] if mark and outcome != "success" else None
    memory_mb = round(memory / MB) if memory is not None else None
    used_mb = round(used / MB) if used is not None else None
    if outcome == "error" and (
        is_oom_type(etype)
        or (mark is not None and mark.oom)
        or (
            mark is not None
            and mark.killed
            and used_mb is not None
            and memory_mb is not None
            and used_mb >= memory_mb
        )
    ):
        lang = etype if etype != "Runtime.OutOfMemory" and is_oom_type(etype) else None
        text = text or (mark.oom_type if mark else None) or lang or OOM_MESSAGE
        etype = "Runtime.OutOfMemory"
    start = end - timedelta(milliseconds=duration) if duration is not None else end
    return (
        function_of(row.get("@log", ""), stream),
        m.group("ver") if m else None,
        row["@requestId"],
        m.group("env") if m else None,
        start,
        end,
        init is not None or restore is not None,
        init,
        restore,
        duration,
        _float(row.get("@billedDuration")),
        memory_mb,
        used_mb,
        outcome,
        etype if outcome != "success" else None,
        "insights",
        text,
    )


def report_line(v: tuple[Any, ...]) -> str:
    """The REPORT message an `invocations` row stands for (shown as its log line)."""
    parts = [f"REPORT RequestId: {v[2]}"]
    for label, value, unit in (
        ("Duration", v[9], "ms"), ("Billed Duration", v[10], "ms"),
        ("Memory Size", v[11], "MB"), ("Max Memory Used", v[12], "MB"),
        ("Init Duration", v[7], "ms"), ("Restore Duration", v[8], "ms"),
    ):  # fmt: skip
        if value is not None:
            parts.append(
                f"{label}: {value:g} {unit}" if unit == "MB" else f"{label}: {value:.2f} ms"
            )
    if v[13] != "success":
        parts.append(f"Status: {v[13]}")
    if v[14]:
        parts.append(f"Error Type: {v[14]}")
    return "\t".join(parts)


def _stage(con: duckdb.DuckDBPyConnection, values: list[tuple[Any, ...]]) -> None:
    """Load `values` (plus their REPORT line) into the temp table `_insights_new`."""
    fd, path = tempfile.mkstemp(suffix=".ndjson")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for v in values:
                record = dict(zip(COLUMNS, v, strict=True))
                record["start_ts"], record["end_ts"] = str(v[4]), str(v[5])
                record["message"] = report_line(v)
                fh.write(json.dumps(record) + "\n")
        types = ", ".join(f"'{k}': '{t}'" for k, t in {**COLUMNS, "message": "VARCHAR"}.items())
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _insights_new AS SELECT * FROM read_json(?, "
            f"format = 'newline_delimited', columns = {{{types}}}) AS r "
            "WHERE NOT EXISTS (SELECT 1 FROM invocations i WHERE i.request_id = r.request_id)",
            [path],
        )
    finally:
        os.unlink(path)


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    groups: list[str],
    rows: Iterable[Any],
    marks: dict[str, Mark] | None = None,
    *,
    record_file: bool = True,
) -> int:
    """Insert query rows as invocations, their REPORT events, a `files` entry (unless the
    caller writes it, with the next file id) and environments; return how many were new."""
    values = [v for v in (to_invocation(r, marks) for r in rows) if v is not None]
    row = con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM files").fetchone()
    file_id = int(row[0]) if row else 1
    _stage(con, values)
    cols = ", ".join(COLUMNS)
    con.execute(f"INSERT INTO invocations ({cols}) SELECT {cols} FROM _insights_new")
    con.execute(
        "INSERT INTO events (file_id, line_no, ts, function, env_id, request_id, level, kind,"
        " message) SELECT ?, row_number() OVER (ORDER BY end_ts) - 1, end_ts, function,"
        " env_id, request_id, NULL, 'report', message FROM _insights_new",
        [file_id],
    )
    new_row = con.execute("SELECT count(*) FROM _insights_new").fetchone()
    new = int(new_row[0]) if new_row else 0
    con.execute("DROP TABLE _insights_new")
    if record_file:
        _record_file(con, file_id, groups, new)
    con.execute(
        "INSERT INTO environments SELECT function, env_id, min(start_ts), max(end_ts), count(*),"
        " NULL FROM invocations WHERE source = 'insights' AND env_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM environments e WHERE e.function = invocations.function"
        " AND e.env_id = invocations.env_id) GROUP BY 1, 2"
    )
    return new


def _record_file(con: duckdb.DuckDBPyConnection, file_id: int, groups: list[str], new: int) -> None:
    """The `files` entry of one per-invocation load."""
    con.execute(
        "INSERT INTO files (file_id, path, fingerprint, format, lines, events, rejected,"
        " loaded_at) VALUES (?, ?, ?, 'insights', ?, ?, 0, now())",
        [file_id, "insights:" + ",".join(groups), f"insights-{time.time_ns()}", new, new],
    )
