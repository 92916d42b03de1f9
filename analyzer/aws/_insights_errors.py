"""Failed invocations from the lines Logs Insights finds besides REPORT.

A handler that raises leaves a REPORT line without `Status:` (lambda-log-formats.md §2):
its failure is only in other lines — Python's `[ERROR] Type: message`, Node's
`ERROR\tInvoke Error`, `RequestId: … Error: …`, a legacy `Task timed out after` line
written after the REPORT, or lambdascope's own record with `"outcome":"error"`. ERRORS_QUERY
finds those lines (the same ones the file loader treats as failures) and `error_marks` ties
each to its request id: from the line itself, or else to the next REPORT of the same log
stream (one environment runs one invocation at a time).
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterable

from analyzer.aws._insights_rows import parse_ts

FAILURE_LINES = (
    "/^\\[ERROR\\] [A-Za-z_][A-Za-z0-9_.]*:|Task timed out after"
    "|RequestId: \\S+ Error: |ERROR\\s+(Invoke Error|Uncaught Exception)"
    '|LAMBDA_WARNING: Unhandled exception|"outcome":"(error|timeout)"/'
)
"""The Logs Insights regex of the lines that make an invocation fail."""

ERRORS_QUERY = (
    f"filter @message like {FAILURE_LINES}"
    " | fields @timestamp, @requestId, @log, @logStream, @message"
    " | sort @timestamp asc"
    " | limit 10000"
)
"""Lines that make an invocation fail, as the file loader reads them (errors.query too)."""

_RID = (
    re.compile(r'"request_id":"([^"]+)"'),
    re.compile(r"RequestId: (\S+)"),
    re.compile(r"^\S+ (\S+) Task timed out after"),
    re.compile(r"^\S+\t(\S+)\tERROR\t"),
    re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
)
_TYPES = (
    re.compile(r"^\[ERROR\] ([A-Za-z_][A-Za-z0-9_.]*):"),
    re.compile(r'"error_type":"([^"]+)"'),
    re.compile(r'"errorType":\s*"([^"]+)"'),
)
_MESSAGES = (
    re.compile(r"^\[ERROR\] [A-Za-z_][A-Za-z0-9_.]*: ([^\n]*)"),
    re.compile(r'"errorMessage":\s*"((?:[^"\\]|\\.)*)"'),
    re.compile(r'"error_message":"((?:[^"\\]|\\.)*)"'),
)
Mark = tuple[str, str | None, str | None]
"""(outcome 'error' | 'timeout', error type or None, error message or None)."""


def classify(message: str) -> Mark:
    """The outcome, error type and error message one failure line says."""
    timeout = "Task timed out after" in message or '"outcome":"timeout"' in message
    etype = next((m.group(1) for p in _TYPES if (m := p.search(message))), None)
    return ("timeout" if timeout else "error"), etype, error_text(message)


def error_text(message: str) -> str | None:
    """The error message a failure line carries (`[ERROR] Type: text`, a JSON errorMessage
    or a lambdascope record's error_message), else None."""
    for pattern in _MESSAGES:
        m = pattern.search(message)
        if m:
            text = m.group(1)
            if pattern is not _MESSAGES[0]:
                with contextlib.suppress(ValueError):  # keep the raw text
                    text = json.loads(f'"{text}"')
            return text.strip() or None
    return None


def request_id_in(message: str) -> str | None:
    """The request id a failure line names, if it names one."""
    for pattern in _RID:
        m = pattern.search(message)
        if m:
            return m.group(m.lastindex or 0)
    return None


def _next_report(
    reports: dict[str, tuple[list[float], list[str]]], stream: str, when: float
) -> str | None:
    """The request id of the first REPORT of `stream` at or after `when`."""
    times, rids = reports.get(stream, ([], []))
    i = bisect.bisect_left(times, when)
    return rids[i] if i < len(rids) else None


def error_marks(
    report_rows: Iterable[dict[str, str]], error_rows: Iterable[dict[str, str]]
) -> dict[str, Mark]:
    """Request id -> (outcome, error type) for every invocation a failure line names."""
    pairs: dict[str, list[tuple[float, str]]] = {}
    for r in report_rows:
        ts = parse_ts(r.get("@timestamp", ""))
        if ts is not None and r.get("@requestId"):
            pairs.setdefault(r.get("@logStream", ""), []).append((ts.timestamp(), r["@requestId"]))
    reports: dict[str, tuple[list[float], list[str]]] = {}
    for stream, found in pairs.items():
        found.sort()
        reports[stream] = ([t for t, _ in found], [i for _, i in found])
    marks: dict[str, Mark] = {}
    for row in error_rows:
        message = row.get("@message", "")
        rid = row.get("@requestId") or request_id_in(message)
        if rid is None:
            ts = parse_ts(row.get("@timestamp", ""))
            if ts is not None:
                rid = _next_report(reports, row.get("@logStream", ""), ts.timestamp())
        if rid is None:
            continue
        outcome, etype, text = classify(message)
        old = marks.get(rid, ("error", None, None))
        marks[rid] = (
            "timeout" if "timeout" in (outcome, old[0]) else "error",
            old[1] or etype,
            old[2] or text,
        )
    return marks
