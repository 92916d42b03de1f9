"""Classify JSON log messages: Lambda JSON log format (platform.*), lambdascope records,
Powertools / runtime application JSON and EMF metric lines."""

from __future__ import annotations

import json
import re
from typing import Any

from analyzer.parse.message import _PLATFORM_KINDS, TRACE_ROOT_RE, Parsed, _level, uuid_or_none
from analyzer.parse.runtime_text import DOTNET_EXCEPTION

_DOTNET_EXCEPTION = re.compile(DOTNET_EXCEPTION)


def _s(value: Any) -> str | None:
    """A string field as str (numbers too), anything else as None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def _f(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _i(value: Any) -> int | None:
    f = _f(value)
    return int(f) if f is not None and abs(f) < 2**31 else None


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _trace(record: dict[str, Any]) -> str | None:
    value = _s(_d(record.get("tracing")).get("value"))
    if value is None:
        return None
    m = TRACE_ROOT_RE.search(value)
    return m.group(1) if m else None


def _status(value: Any) -> str | None:
    s = _s(value)
    return "error" if s == "failure" else s


def _platform(kind: str, d: dict[str, Any]) -> Parsed:
    rec = _d(d.get("record"))
    met = _d(rec.get("metrics"))
    ts = _s(d.get("time"))
    ev: dict[str, Any] = {}
    if kind == "start":
        ev = {"version": _s(rec.get("version")), "trace_id": _trace(rec)}
    elif kind in ("report", "runtime_done"):
        ev = {"status": _status(rec.get("status")), "error_type": _s(rec.get("errorType"))}
        ev["trace_id"] = _trace(rec)
        if kind == "report":
            ev |= {
                "duration_ms": _f(met.get("durationMs")),
                "billed_ms": _f(met.get("billedDurationMs")),
                "memory_mb": _i(met.get("memorySizeMB")),
                "max_memory_mb": _i(met.get("maxMemoryUsedMB")),
                "init_ms": _f(met.get("initDurationMs")),
                "restore_ms": _f(met.get("restoreDurationMs")),
            }
    elif kind == "init_start":
        ev = {
            "runtime_version": _s(rec.get("runtimeVersion")),
            "version": _s(rec.get("functionVersion")),
            "init_type": _s(rec.get("initializationType")),
        }
    elif kind == "init_report":
        ev = {
            "phase": _s(rec.get("phase")),
            "status": _status(rec.get("status")),
            "error_type": _s(rec.get("errorType")),
            "init_ms": _f(met.get("durationMs")),
            "init_type": _s(rec.get("initializationType")),
        }
    elif kind == "restore_report":
        ev = {"restore_ms": _f(met.get("durationMs"))}
    rid = _s(rec.get("requestId"))
    fn = _s(rec.get("functionName")) if kind == "init_start" else None
    return Parsed(kind, rid, ts=ts, evidence=ev, function=fn)


def _record(d: dict[str, Any]) -> Parsed:
    cold = d.get("cold_start")
    ev: dict[str, Any] = {
        "version": _s(d.get("version")),
        "duration_ms": _f(d.get("duration_ms")),
        "memory_mb": _i(d.get("memory_mb")),
        "init_ms": _f(d.get("init_ms")),
        "status": _s(d.get("outcome")),
        "error_type": _s(d.get("error_type")),
        "error_message": _s(d.get("error_message")),
        "timeout_ms": _f(d.get("timeout_ms")),
        "remaining_ms": _f(d.get("remaining_ms")),
        "trigger": _s(d.get("trigger")),
        "trace_id": _s(d.get("trace_id")),
        "cold_start": cold if isinstance(cold, bool) else None,
        "init_type": _s(d.get("init_type")),
    }
    p = Parsed("lambdascope", _s(d.get("request_id")), ts=_s(d.get("ts")), evidence=ev)
    p.function = _s(d.get("function"))
    p.env_id = _s(d.get("env_id"))
    p.level = "ERROR" if ev["status"] in ("error", "timeout") else "INFO"
    return p


def _app(d: dict[str, Any]) -> Parsed:
    raw_level = _s(d.get("level")) or _s(d.get("log_level"))
    level = _level(raw_level.upper()) if raw_level else None
    rid = uuid_or_none(_s(d.get("requestId")) or _s(d.get("function_request_id")))
    ts = _s(d.get("timestamp"))
    runtime_doc = "errorMessage" in d and "level" not in d and "log_level" not in d
    nested = d.get("message")
    if isinstance(nested, dict) and "errorType" in nested and _is_error_level(d):
        return Parsed("error", rid, "ERROR", ts, _error_ev(nested, None))
    if "errorType" in d and (_s(d.get("log_level")) == "ERROR" or runtime_doc):
        return Parsed("error", rid, "ERROR", ts, _error_ev(d, "error"))
    if isinstance(nested, str) and "errorType" not in d:
        exc = _DOTNET_EXCEPTION.match(nested)
        if exc and (_s(d.get("level")) or "").upper() == "ERROR":
            ev = {"status": "error", "error_type": exc.group(1), "error_message": exc.group(2)}
            return Parsed("error", rid, "ERROR", ts, ev)
    return Parsed("app", rid, level, ts)


def _is_error_level(d: dict[str, Any]) -> bool:
    return _s(d.get("level")) == "ERROR" or _s(d.get("log_level")) == "ERROR"


def _error_ev(doc: dict[str, Any], status: str | None) -> dict[str, Any]:
    """Evidence of an error document (errorType/errorMessage): Python's unhandled error (top
    level; an error signal), or an error object Node logs as `message` in JSON format. The
    latter is also what `console.error(err)` writes for a handled error, so it names the type
    and message but does not vote on the outcome (the REPORT / runtimeDone status does)."""
    return {
        "status": status,
        "error_type": _s(doc.get("errorType")),
        "error_message": _s(doc.get("errorMessage")),
    }


def classify_json(msg: str) -> Parsed:
    """Classify a message that starts with '{' (anything not a JSON object is an app line)."""
    try:
        d = json.loads(msg)
    except ValueError:
        return Parsed("app")
    if not isinstance(d, dict):
        return Parsed("app")
    if "lambdascope" in d:
        return _record(d)
    kind = _s(d.get("type"))
    if kind is not None and kind.startswith("platform."):
        return _platform(_PLATFORM_KINDS.get(kind, "platform"), d)
    if "_aws" in d:
        return Parsed("metric", ts=None)
    return _app(d)
