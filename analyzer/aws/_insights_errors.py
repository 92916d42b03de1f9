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
from analyzer.parse.message import GLUED_RECORD, PYERR, TS_RE, UUID_RE

FAILURE_LINES = (
    "/^\\[ERROR\\] [A-Za-z_][A-Za-z0-9_.]*(:|\\s|$)"
    "|^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z \\S+ Task timed out after "
    "|^RequestId: \\S+ Error: "
    "|^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z\\s\\S+\\sERROR\\s"
    "(Invoke Error|Uncaught Exception)"
    '|^LAMBDA_WARNING: Unhandled exception|"outcome":"(error|timeout)"/'
)
"""The Logs Insights regex of the lines that make an invocation fail, anchored where the file
loader anchors them (analyzer/parse/message.py); `is_failure` checks each returned line with
the file loader's exact patterns."""

ERRORS_QUERY = (
    f"filter @message like {FAILURE_LINES}"
    " | fields @timestamp, @requestId, @log, @logStream, @message"
    " | sort @timestamp asc"
    " | limit 10000"
)
"""Lines that make an invocation fail, as the file loader reads them (errors.query too)."""

_PYERR = re.compile(PYERR, re.ASCII)
_TIMEOUT = re.compile(rf"({TS_RE}) (\S+) Task timed out after [0-9.]+ seconds", re.ASCII)
_RIDERR = re.compile(r"RequestId: (\S+) Error: ", re.ASCII)
_RIDTIMEOUT = re.compile(
    r"RequestId: \S+ Error: [^\n\r]*Task timed out after [0-9.]+ seconds", re.ASCII
)
_NODE_ERR = re.compile(rf"{TS_RE}\t(\S+)\tERROR\t(?:Invoke Error|Uncaught Exception)", re.ASCII)
_UUID = re.compile(UUID_RE)
_RECORD_RID = re.compile(r'"request_id":"([^"]+)"')
_RECORD_OUTCOME = re.compile(r'"outcome":"(error|timeout)"')
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


def _record(message: str) -> bool:
    """Whether the line is (or ends with) a lambdascope record saying the outcome."""
    return GLUED_RECORD in message and _RECORD_OUTCOME.search(message) is not None


def is_failure(message: str) -> bool:
    """Whether a line makes its invocation fail, as the file loader decides (anchored forms
    only: a line that merely quotes 'Task timed out after' or an ERROR text does not)."""
    return bool(
        _PYERR.match(message)
        or _TIMEOUT.match(message)
        or _RIDERR.match(message)
        or _NODE_ERR.match(message)
        or message.startswith("LAMBDA_WARNING: Unhandled exception")
        or _record(message)
    )


def classify(message: str) -> Mark:
    """The outcome, error type and error message one failure line says (a timeout only in
    the forms the file loader takes as one)."""
    timeout = bool(
        _TIMEOUT.match(message)
        or _RIDTIMEOUT.match(message)
        or (_record(message) and '"outcome":"timeout"' in message)
    )
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
    """The request id a failure line names where its format puts it (a lambdascope record's
    request_id, `RequestId: <id> Error:`, `<ts> <id> Task timed out`, Node's `<ts>\t<id>\t
    ERROR`), else None: a UUID elsewhere in the text (an order id in an exception message)
    is not one, and the line goes to the next REPORT of its stream."""
    if _record(message):
        m = _RECORD_RID.search(message)
        return m.group(1) if m else None
    for pattern in (_RIDERR, _TIMEOUT):
        m = pattern.match(message)
        if m:
            return m.group(pattern.groups)
    m = _NODE_ERR.match(message)
    if m and _UUID.fullmatch(m.group(1)):
        return m.group(1)
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
        if not is_failure(message):
            continue
        rid = request_id_in(message)
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
