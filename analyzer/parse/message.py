"""Classify one CloudWatch log message (text or JSON) into an event kind and invocation evidence.

This is the reference semantics: `analyzer.parse.sql` mirrors it in DuckDB SQL for the fast
path and the differential tests hold the two together. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from analyzer.parse.runtime_text import crash_evidence, is_crash_line, runtime_line

EVIDENCE_FIELDS = (
    "version",
    "duration_ms",
    "billed_ms",
    "memory_mb",
    "max_memory_mb",
    "init_ms",
    "restore_ms",
    "status",
    "error_type",
    "error_message",
    "timeout_ms",
    "remaining_ms",
    "trigger",
    "trace_id",
    "cold_start",
    "runtime_version",
    "phase",
    "init_type",
)
"""Columns of invocation evidence a message can carry (besides ts/function/env/request id)."""

EVIDENCE_KINDS = frozenset({"report", "runtime_done", "timeout", "error", "lambdascope", "xray"})
"""Kinds stored as invocation evidence when they carry a request id (START/END lines are
evidence too, design §3, but the merge reads them from `events` directly)."""

ENV_KINDS = frozenset({"init_start", "init_report", "restore_report"})
"""Kinds that describe an execution environment rather than an invocation."""

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z"

_NS = r"[^ \t\n\r\f]"
"""A non-space character as the SQL paths read it (RE2 `[^ \\t\\n\\r\\f]`: a vertical tab is
one, unlike Python's `\\S`)."""
_START = re.compile(r"START RequestId: ([^ \t\n\r\f\\]+)(?:\s+Version: (\S+))?", re.ASCII)
_REQ = re.compile(r"(?:END|REPORT) RequestId: ([^ \t\n\r\f\\]+)", re.ASCII)
_DURATION = re.compile(r"RequestId: \S+\s+Duration: ([0-9.]+) ms", re.ASCII)
_BILLED = re.compile(r"Billed Duration: ([0-9.]+) ms", re.ASCII)
_MEMORY = re.compile(r"Memory Size: ([0-9]+) MB", re.ASCII)
_MAXMEM = re.compile(r"Max Memory Used: ([0-9]+) MB", re.ASCII)
_INIT = re.compile(r"Init Duration: ([0-9.]+) ms", re.ASCII)
_RESTORE = re.compile(r"Restore Duration: ([0-9.]+) ms", re.ASCII)
_STATUS = re.compile(r"Status: ([A-Za-z]+)", re.ASCII)
_ERRTYPE = re.compile(r"Error Type: (\S+)", re.ASCII)
_PHASE = re.compile(r"Phase: ([A-Za-z]+)", re.ASCII)
_TRACE = re.compile(r"TraceId: (1-[0-9a-fA-F]+-[0-9a-fA-F]+)", re.ASCII)
TRACE_ROOT_RE = re.compile(r"Root=(1-[0-9a-fA-F]+-[0-9a-fA-F]+)", re.ASCII)
_RUNTIME = re.compile(r"Runtime Version: (\S+)", re.ASCII)
_TIMEOUT = re.compile(
    r"(" + TS_RE + r") (" + _NS + r"+) Task timed out after ([0-9.]+) seconds", re.ASCII
)
_RIDERR = re.compile(r"RequestId: (" + _NS + r"+) Error: ([^\n\r]*)", re.ASCII)
_TIMED = re.compile(r"Task timed out after ([0-9.]+) seconds", re.ASCII)
_NODE = re.compile(r"(" + TS_RE + r")\t(" + _NS + r"+)\t([A-Z]+)\t([^\n\r]*)", re.ASCII)
_PYAPP = re.compile(r"\[([A-Z]+)\][\t ]+(" + TS_RE + r")[\t ]+(" + _NS + r"+)", re.ASCII)
_JAVA = re.compile(
    r"(" + TS_RE + r") (" + _NS + r"+) (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) ", re.ASCII
)
_PYTYPE = r"[A-Za-z_][A-Za-z0-9_.]*"
PYERR = (
    rf"\[ERROR\] (?:({_PYTYPE}): ?([^\n\r]*)|({_PYTYPE}(?:Error|Exception|Exit|Interrupt))"
    rf"(?:[\n\r]|$)|({_PYTYPE})[\n\r]+Traceback \(most recent call last\):)"
)
"""Python's unhandled error: `[ERROR] Type: message` (groups 1, 2), or, when the message is
empty, `[ERROR] Type` alone (awslambdaric writes no colon then): taken only for an exception
class name (`MemoryError`, group 3) or with its traceback in the same message (group 4), as
`print("[ERROR] Unauthorized")` is an app line. The SQL paths use the same text."""
_PYERR = re.compile(PYERR, re.ASCII)
_UUID = re.compile(UUID_RE)
_JSON_ERRTYPE = re.compile(r'"errorType":\s*"([^"]*)"')
_JSON_ERRMSG = re.compile(r'"errorMessage":\s*"([^"]*)"')

GLUED_RECORD = '{"lambdascope":'
"""A lambdascope record glued to the end of a line the handler printed without a newline."""

_PLATFORM_KINDS = {
    "platform.start": "start",
    "platform.report": "report",
    "platform.runtimeDone": "runtime_done",
    "platform.initStart": "init_start",
    "platform.initReport": "init_report",
    "platform.initRuntimeDone": "init_runtime_done",
    "platform.restoreStart": "restore_start",
    "platform.restoreReport": "restore_report",
    "platform.extension": "extension",
}
_PREFIX_KINDS = (
    ("INIT_START ", "init_start"),
    ("INIT_REPORT ", "init_report"),
    ("RESTORE_START ", "restore_start"),
    ("RESTORE_REPORT ", "restore_report"),
    ("EXTENSION", "extension"),
    ("XRAY TraceId: ", "xray"),
)


@dataclass(slots=True)
class Parsed:
    """What one message says: its kind, request id, level, own timestamp and evidence."""

    kind: str
    request_id: str | None = None
    level: str | None = None
    ts: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    function: str | None = None
    env_id: str | None = None


def to_float(text: str | None) -> float | None:
    """`text` as a float, None when it is not a number."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _num(rx: re.Pattern[str], text: str) -> float | None:
    m = rx.search(text)
    return to_float(m.group(1)) if m else None


def _int(rx: re.Pattern[str], text: str) -> int | None:
    m = rx.search(text)
    if not m:
        return None
    value = int(m.group(1))
    return value if value < 2**31 else None


def _str(rx: re.Pattern[str], text: str) -> str | None:
    m = rx.search(text)
    return m.group(1) if m else None


def _ms(seconds: str) -> float | None:
    f = to_float(seconds)
    return f * 1000 if f is not None else None


def uuid_or_none(text: str | None) -> str | None:
    """The text when it looks like a Lambda request id (a UUID), else None."""
    return text if text is not None and _UUID.fullmatch(text) else None


def _report(msg: str) -> Parsed:
    m = _REQ.match(msg)
    if "\\t" in msg:  # a double-escaped copy: literal backslash-t between the fields
        msg = msg.replace("\\t", "\t")
    ev: dict[str, Any] = {
        "duration_ms": _num(_DURATION, msg),
        "billed_ms": _num(_BILLED, msg),
        "memory_mb": _int(_MEMORY, msg),
        "max_memory_mb": _int(_MAXMEM, msg),
        "init_ms": _num(_INIT, msg),
        "restore_ms": _num(_RESTORE, msg),
        "status": _str(_STATUS, msg),
        "error_type": _str(_ERRTYPE, msg),
        "trace_id": _str(_TRACE, msg),
    }
    return Parsed("report", m.group(1) if m else None, evidence=ev)


def _error_line(msg: str) -> Parsed:
    m = _RIDERR.match(msg)
    assert m is not None
    timed = _TIMED.search(m.group(2))
    if timed:
        ev: dict[str, Any] = {"status": "timeout", "timeout_ms": _ms(timed.group(1))}
        return Parsed("timeout", m.group(1), evidence=ev)
    etype = "Runtime.ExitError" if "Runtime exited" in m.group(2) else None
    ev = {"status": "error", "error_type": etype, "error_message": m.group(2)}
    return Parsed("error", m.group(1), level="ERROR", evidence=ev)


def _unhandled(msg: str, rid: str | None) -> dict[str, Any]:
    m = _PYERR.search(msg)
    if m:
        etype = m.group(1) or m.group(3) or m.group(4)
        return {"status": "error", "error_type": etype, "error_message": m.group(2) or None}
    return {
        "status": "error",
        "error_type": _str(_JSON_ERRTYPE, msg),
        "error_message": _str(_JSON_ERRMSG, msg),
    }


def _platform_text(msg: str) -> Parsed | None:
    if msg.startswith("START RequestId: "):
        m = _START.match(msg)
        assert m is not None
        return Parsed("start", m.group(1), evidence={"version": m.group(2)})
    if msg.startswith("END RequestId: "):
        m = _REQ.match(msg)
        return Parsed("end", m.group(1) if m else None)
    if msg.startswith("REPORT RequestId: "):
        return _report(msg)
    for prefix, kind in _PREFIX_KINDS:
        if msg.startswith(prefix):
            ev: dict[str, Any] = {}
            if kind in ("init_start", "restore_start"):
                ev["runtime_version"] = _str(_RUNTIME, msg)
            elif kind == "init_report":
                ev = {
                    "init_ms": _num(_INIT, msg),
                    "phase": _str(_PHASE, msg),
                    "status": _str(_STATUS, msg),
                    "error_type": _str(_ERRTYPE, msg),
                }
            elif kind == "restore_report":
                ev["restore_ms"] = _num(_RESTORE, msg)
            elif kind == "xray":
                ev["trace_id"] = _str(_TRACE, msg)
            return Parsed(kind, evidence=ev)
    return None


def classify_message(msg: str) -> Parsed:
    """Kind, request id, level and evidence of one log message (never raises)."""
    try:
        return _classify(msg)
    except (ValueError, TypeError, AttributeError, RecursionError, AssertionError):
        return Parsed("app")


def _classify(msg: str) -> Parsed:
    p = _platform_text(msg)
    if p is not None:
        return p
    if msg.startswith("RequestId: ") and _RIDERR.match(msg):
        return _error_line(msg)
    if msg.startswith("{"):
        from analyzer.parse.jsonmsg import classify_json

        return classify_json(msg)
    at = msg.find(GLUED_RECORD)
    if at > 0:
        from analyzer.parse.jsonmsg import classify_json

        glued = classify_json(msg[at:])
        if glued.kind == "lambdascope":
            return glued
    m = _TIMEOUT.match(msg)
    if m:
        ev: dict[str, Any] = {"status": "timeout", "timeout_ms": _ms(m.group(3))}
        return Parsed("timeout", m.group(2), ts=m.group(1), evidence=ev)
    m = _NODE.match(msg)
    if m:
        rid = uuid_or_none(m.group(2))
        rest = m.group(4)
        if m.group(3) == "ERROR" and rest.startswith(("Invoke Error", "Uncaught Exception")):
            return Parsed("error", rid, "ERROR", m.group(1), _unhandled(rest, rid))
        return Parsed("app", rid, m.group(3), m.group(1))
    m = _PYAPP.match(msg)
    if m:
        return Parsed("app", uuid_or_none(m.group(3)), _level(m.group(1)), m.group(2))
    m = _JAVA.match(msg)
    if m:
        return Parsed("app", uuid_or_none(m.group(2)), m.group(3), m.group(1))
    line = runtime_line(msg, _UUID)
    if line is not None:
        kind, rid, level, ts, ev = line
        return Parsed(kind, rid, level, ts, ev)
    if (
        _PYERR.match(msg)
        or msg.startswith("LAMBDA_WARNING: Unhandled exception")
        or is_crash_line(msg)
    ):
        return Parsed("error", None, "ERROR", evidence=crash_evidence(msg) or _unhandled(msg, None))
    return Parsed("app")


def _level(text: str) -> str:
    """Normalised level name: WARNING -> WARN, CRITICAL -> FATAL, INFORMATION (.NET) -> INFO."""
    return {"WARNING": "WARN", "CRITICAL": "FATAL", "INFORMATION": "INFO"}.get(text, text)
