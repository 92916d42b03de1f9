"""Failed invocations from the lines Logs Insights finds besides REPORT.

A handler that raises leaves a REPORT line without `Status:` (lambda-log-formats.md §2):
its failure is only in other lines — Python's `[ERROR] Type: message` (or `[ERROR] MemoryError`
alone), Node's `ERROR\tInvoke Error`, `RequestId: … Error: …`, a legacy `Task timed out after`
line written after the REPORT, lambdascope's own record with `"outcome":"error"`, a runtime's
crash line (Node's `FATAL ERROR: …`, Go's `fatal error: …`, the JVM's `Exception in thread "…"
java.lang.OutOfMemoryError`), Ruby's `Error raised from handler method` / `Critical exception
from handler` and `file:N:in 'm': text (Type)` lines, a .NET `<ts>\t<id>\tfail\tType: …`
exception, or a one-line JSON error document (Java's `{"errorMessage":…,"errorType":…}`).
ERRORS_QUERY finds those lines (the same ones the file loader treats as failures,
with the shared patterns of analyzer.parse.runtime_text) and `error_marks` ties each to its
request id: from the line itself where its format puts one, or else to the next REPORT of the
same log stream (one environment runs one invocation at a time).

Out of memory is decided as the file loader decides it (merge.py): from the error type, or
for an untyped crash line from its text (`_insights_rows.to_invocation`).

What a per-line query cannot see: an indented error document is several log events (Ruby's
`{`, `  "errorMessage": …`, `  "errorType": …` after its marker line; a legacy .NET runtime's
`{`, errorType, errorMessage, `  "stackTrace": [`). The file loader keeps such a field line
only next to the lines around it; here a field line only gives its type and message to an
invocation a Ruby marker line of the same stream already made fail (an app printing an
indented payload with these keys changes nothing), and a legacy .NET document, which has no
marker line, is not seen: its invocation fails only if its REPORT says `Status: error`.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections.abc import Iterable
from typing import Any

from analyzer.aws._insights_rows import Mark, line_says_oom, parse_ts
from analyzer.parse import runtime_text as _rt
from analyzer.parse.jsonmsg import classify_json
from analyzer.parse.message import GLUED_RECORD, PYERR, TS_RE, UUID_RE

_TS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z"
_RUNTIME_LINES = "|".join(
    [
        *(f"^{p}" for p in _rt.CRASH_PREFIXES),
        _rt.JVM_OOM,
        *(f"^{p}" for p in _rt.RUBY_HANDLER_ERRORS),
        _rt.RUBY_UNCAUGHT.removesuffix("(?:[\\n\\r]|$)"),
        f"^{_TS}\\t\\S*\\tfail\\t" + _rt.DOTNET_EXCEPTION.removeprefix("^"),
        *(f"^{p}" for p in _rt.ERROR_DOC_FIELDS),
        '^\\{.*"errorType":',
    ]
)
"""The runtimes' crash and exception lines in Logs Insights regex syntax, from the file
loader's own pattern text (runtime_text: plain groups and classes, read alike by Python, RE2
and Logs Insights); a superset where a pattern ends in a non-capturing group."""
FAILURE_LINES = (
    "/^\\[ERROR\\] [A-Za-z_][A-Za-z0-9_.]*(:|\\s|$)"
    f"|^{_TS} \\S+ Task timed out after "
    "|^RequestId: \\S+ Error: "
    f"|^{_TS}\\s\\S+\\sERROR\\s"
    "(Invoke Error|Uncaught Exception)"
    '|^LAMBDA_WARNING: Unhandled exception|"outcome":"(error|timeout)"'
    f"|{_RUNTIME_LINES}/"
)
"""The Logs Insights regex of the lines that make an invocation fail, anchored where the file
loader anchors them (analyzer/parse/message.py, runtime_text.py); `is_failure` checks each
returned line with the file loader's exact patterns. The error document field lines it also
returns are not failures by themselves (`doc_field`)."""

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
_RIDERR_TEXT = re.compile(r"RequestId: \S+ Error: ([^\n\r]*)", re.ASCII)
_RIDTIMEOUT = re.compile(
    r"RequestId: \S+ Error: [^\n\r]*Task timed out after [0-9.]+ seconds", re.ASCII
)
_NODE_ERR = re.compile(rf"{TS_RE}\t(\S+)\tERROR\t(?:Invoke Error|Uncaught Exception)", re.ASCII)
_UUID = re.compile(UUID_RE)
_RECORD_RID = re.compile(r'"request_id":"([^"]+)"')
_RECORD_OUTCOME = re.compile(r'"outcome":"(error|timeout)"')
_TYPES = (
    re.compile(r'"error_type":"([^"]+)"'),
    re.compile(r'"errorType":\s*"([^"]+)"'),
)
_MESSAGES = (
    re.compile(r'"errorMessage":\s*"((?:[^"\\]|\\.)*)"'),
    re.compile(r'"error_message":"((?:[^"\\]|\\.)*)"'),
)


def _record(message: str) -> bool:
    """Whether the line is (or ends with) a lambdascope record saying the outcome."""
    return GLUED_RECORD in message and _RECORD_OUTCOME.search(message) is not None


def _runtime_error(message: str) -> tuple[str | None, dict[str, Any]] | None:
    """(request id, evidence) of a runtime's crash or exception line that the file loader takes
    as an error (runtime_text: crash lines, Ruby's marker and uncaught lines, a .NET `fail`
    exception, which alone names its request id), else None. An error document's field line
    is not one (`doc_field`)."""
    if message.startswith(_rt.ERROR_DOC_FIELDS):
        return None
    if _rt.is_crash_line(message):
        return None, _rt.crash_evidence(message) or {"error_type": None, "error_message": None}
    line = _rt.runtime_line(message, _UUID)
    if line is not None and line[0] == "error":
        return line[1], line[4]
    return None


def _json_error(message: str) -> tuple[str | None, dict[str, Any]] | None:
    """(request id, evidence) of a one-line JSON error document that fails its invocation as
    the file loader reads it (jsonmsg: a runtime's `{"errorMessage": …, "errorType": …}`, such
    as Java's unhandled exception, or one at log_level ERROR), else None. A lambdascope record
    is read by `_record`; a Node error object logged as `message` does not vote on the
    outcome there, and is not one here."""
    if not message.startswith("{") or message.startswith(GLUED_RECORD):
        return None
    parsed = classify_json(message)
    if parsed.kind != "error" or parsed.evidence.get("status") != "error":
        return None
    return parsed.request_id, parsed.evidence


def doc_field(message: str) -> tuple[str | None, str | None] | None:
    """(error type, error message) of an indented error document's `  "errorType": "…"` or
    `  "errorMessage": "…"` line, else None. Not a failure by itself: see `error_marks`."""
    if not message.startswith(_rt.ERROR_DOC_FIELDS):
        return None
    if message.startswith(_rt.ERROR_DOC_FIELDS[0]):
        m = _TYPES[1].search(message)
        return (m.group(1) if m else None), None
    return None, error_text(message)


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
        or _runtime_error(message) is not None
        or _json_error(message) is not None
    )


def _mark(outcome: str, etype: str | None, text: str | None) -> Mark:
    """A Mark with the out-of-memory and killed flags the file loader reads off an error line
    (merge.py `_OOM_ROW`, `killed`)."""
    if outcome != "error":
        return Mark(outcome, etype, text)
    oom = line_says_oom(etype, text)
    killed = text is not None and "signal: killed" in text
    return Mark(outcome, etype, text, oom, etype if oom else None, killed)


def classify(message: str) -> Mark:
    """The outcome, error type and error message one failure line says (a timeout only in
    the forms the file loader takes as one), with its out-of-memory flags."""
    timeout = bool(
        _TIMEOUT.match(message)
        or _RIDTIMEOUT.match(message)
        or (_record(message) and '"outcome":"timeout"' in message)
    )
    if timeout:
        etype = next((m.group(1) for p in _TYPES if (m := p.search(message))), None)
        return _mark("timeout", etype, error_text(message))
    m = _PYERR.match(message)
    if m:
        text = (m.group(2) or "").strip() or None
        return _mark("error", m.group(1) or m.group(3) or m.group(4), text)
    m = _RIDERR_TEXT.match(message)
    if m:
        text = m.group(1)
        return _mark("error", "Runtime.ExitError" if "Runtime exited" in text else None, text)
    if not _NODE_ERR.match(message) and not _record(message):
        found = _runtime_error(message) or _json_error(message)
        if found is not None:
            return _mark("error", found[1].get("error_type"), found[1].get("error_message"))
    etype = next((m.group(1) for p in _TYPES if (m := p.search(message))), None)
    return _mark("error", etype, error_text(message))


def error_text(message: str) -> str | None:
    """The error message a failure line carries (a JSON errorMessage or a lambdascope record's
    error_message), else None."""
    for pattern in _MESSAGES:
        m = pattern.search(message)
        if m:
            text = m.group(1)
            with contextlib.suppress(ValueError):  # keep the raw text
                text = json.loads(f'"{text}"')
            return text.strip() or None
    return None


def request_id_in(message: str) -> str | None:
    """The request id a failure line names where its format puts it (a lambdascope record's
    request_id, `RequestId: <id> Error:`, `<ts> <id> Task timed out`, Node's `<ts>\t<id>\t
    ERROR`, .NET's `<ts>\t<id>\tfail`), else None: a UUID elsewhere in the text (an order id
    in an exception message) is not one, nor has a crash line one, and the line goes to the
    next REPORT of its stream."""
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
    found = _runtime_error(message) or _json_error(message)
    return found[0] if found else None


def _next_report(
    reports: dict[str, tuple[list[float], list[str]]], stream: str, when: float
) -> str | None:
    """The request id of the first REPORT of `stream` at or after `when`."""
    times, rids = reports.get(stream, ([], []))
    i = bisect.bisect_left(times, when)
    return rids[i] if i < len(rids) else None


def _merge(old: Mark | None, new: Mark) -> Mark:
    """Two marks of one invocation: a timeout wins, the first type and message stay, flags add."""
    if old is None:
        return new
    return Mark(
        "timeout" if "timeout" in (new.outcome, old.outcome) else "error",
        old.error_type or new.error_type,
        old.error_message or new.error_message,
        old.oom or new.oom,
        old.oom_type or new.oom_type,
        old.killed or new.killed,
    )


def error_marks(
    report_rows: Iterable[dict[str, str]], error_rows: Iterable[dict[str, str]]
) -> dict[str, Mark]:
    """Request id -> Mark for every invocation a failure line names or points at. An error
    document's field line only adds its type and message to an invocation that a Ruby marker
    line (`Error raised from handler method`) of the same stream made fail: per line, the
    lines around it that the file loader checks are not there."""
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
    ruby: set[str] = set()
    fields: list[tuple[str, tuple[str | None, str | None]]] = []
    for row in error_rows:
        message = row.get("@message", "")
        field = doc_field(message)
        if field is None and not is_failure(message):
            continue
        rid = request_id_in(message) if field is None else None
        if rid is None:
            ts = parse_ts(row.get("@timestamp", ""))
            if ts is not None:
                rid = _next_report(reports, row.get("@logStream", ""), ts.timestamp())
        if rid is None:
            continue
        if field is not None:
            fields.append((rid, field))
            continue
        if message in _rt.RUBY_HANDLER_ERRORS:
            ruby.add(rid)
        marks[rid] = _merge(marks.get(rid), classify(message))
    for rid, (etype, text) in fields:
        if rid in ruby:
            marks[rid] = _merge(marks.get(rid), _mark("error", etype, text))
    return marks
