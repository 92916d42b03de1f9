"""Write one record as one compact JSON line, with one `write()`, to stdout through structlog."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, MutableMapping
from json.encoder import encode_basestring as _py_encode_basestring
from typing import Any

from structlog import BoundLoggerBase

from lambdascope._report import report_exception


def _fallback(value: object) -> str:
    """Serialize what JSON cannot (a context attribute of an odd type) as its str()."""
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}>"


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=_fallback, check_circular=False
)

_esc: Callable[[str], str] = (
    getattr(json.encoder, "c_encode_basestring", None) or _py_encode_basestring
)
"""JSON string literal of a str (quotes included); raises TypeError for a non-str."""
_INF = float("inf")

_sinks: list[Callable[[str], None]] = []
"""Redirections installed by `lambdascope.testing.capture_records` (last one wins)."""


def _fast_line(r: MutableMapping[str, Any]) -> str:
    """Render a record v1 built by `_invocation` with an f-string (3x faster than json).

    Numbers are ours (int/float/None, never bool); strings from outside are escaped. Raises
    TypeError/KeyError when the record is not of that shape (extra keys, non-str values);
    the caller then falls back to the JSON encoder, which gives the same text.
    """
    if len(r) == 18:  # no optional key (a missing required one raises KeyError below)
        has_init = has_trace = has_supersedes = False
    else:
        has_init, has_trace, has_supersedes = "init_ms" in r, "trace_id" in r, "supersedes" in r
        if len(r) != 18 + has_init + has_trace + has_supersedes:
            raise KeyError("extra keys")
    init = f',"init_ms":{r["init_ms"]!r}' if has_init else ""
    trace = f',"trace_id":{_esc(r["trace_id"])}' if has_trace else ""
    tail = ',"supersedes":true}\n' if has_supersedes else "}\n"
    duration = r["duration_ms"]
    if duration.__class__ is not float or not -_INF < duration < _INF:
        raise TypeError("duration")
    remaining, timeout, memory = r["remaining_ms"], r["timeout_ms"], r["memory_mb"]
    if not remaining.__class__ is timeout.__class__ is memory.__class__ is int:
        remaining, timeout, memory = _int(remaining), _int(timeout), _int(memory)
    function, version, request_id = r["function"], r["version"], r["request_id"]
    return (
        f'{{"lambdascope":{r["lambdascope"]},"ts":"{r["ts"]}",'
        f'"function":{"null" if function is None else _esc(function)},'
        f'"version":{"null" if version is None else _esc(version)},'
        f'"request_id":{"null" if request_id is None else _esc(request_id)},'
        f'"cold_start":{"true" if r["cold_start"] else "false"},'
        f'"init_type":{_esc(r["init_type"])}{init},'
        f'"duration_ms":{duration!r},"remaining_ms":{remaining},'
        f'"timeout_ms":{timeout},"outcome":"{r["outcome"]}",'
        f'"trigger":"{r["trigger"]}","source":{_esc(r["source"])},'
        f'"memory_mb":{memory},"max_rss_mb":{r["max_rss_mb"]}{trace},'
        f'"env_id":{_esc(r["env_id"])},"seq":{r["seq"]},'
        f'"overhead_us":{r["overhead_us"]}{tail}'
    )


def _int(value: int | None) -> str:
    if value.__class__ is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    raise TypeError("not an int")


MAX_LINE_BYTES = 512
"""A record without an error never exceeds this (newline excluded)."""

MIN_FUNCTION_CHARS = 24
"""Shortest the function name is clipped to when a record would exceed MAX_LINE_BYTES."""


def _render(event_dict: MutableMapping[str, Any]) -> str:
    if "error_type" not in event_dict:
        try:
            return _fast_line(event_dict)
        except (TypeError, KeyError):
            pass
    return _ENCODER.encode(event_dict) + "\n"


def _size(line: str) -> int:
    return len(line) - 1 if line.isascii() else len(line.encode("utf-8", "replace")) - 1


_LAST_RESORT_CHARS = (64, 16, 4)
"""Lengths every string field is clipped to, in turn, when clipping the name was not enough."""
_OURS = frozenset({"ts", "outcome", "trigger"})
"""String fields of fixed form that are never clipped."""


def _shrink(event_dict: MutableMapping[str, Any], excess: int) -> str:
    """Fit a record without error into MAX_LINE_BYTES: drop trace_id (Lambda's REPORT line has
    it too when X-Ray is active), then clip the function name, then every string field."""
    if "trace_id" in event_dict:
        del event_dict["trace_id"]
        line = _render(event_dict)
        excess = _size(line) - MAX_LINE_BYTES
        if excess <= 0:
            return line
    name = event_dict.get("function")
    if isinstance(name, str):
        keep = max(MIN_FUNCTION_CHARS, len(name) - excess)
        event_dict["function"] = name[:keep]
    line = _render(event_dict)
    for chars in _LAST_RESORT_CHARS:
        if _size(line) <= MAX_LINE_BYTES:
            break
        for key, value in event_dict.items():
            if isinstance(value, str) and len(value) > chars and key not in _OURS:
                event_dict[key] = value[:chars]
        line = _render(event_dict)
    return line


def render_line(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> str:
    """structlog processor: the record as one compact JSON line (newline included), bounded."""
    if "error_type" in event_dict:
        return _ENCODER.encode(event_dict) + "\n"  # bounded by the message and stack limits
    try:
        line = _fast_line(event_dict)
    except (TypeError, KeyError):
        line = _ENCODER.encode(event_dict) + "\n"
    if len(line) > MAX_LINE_BYTES + 1 or not line.isascii():
        excess = _size(line) - MAX_LINE_BYTES
        if excess > 0:
            return _shrink(event_dict, excess)
    return line


def _flushes_itself(out: object) -> bool:
    """awslambdaric's stdout wrapper and line-buffered streams flush each line themselves."""
    return type(out).__name__ == "Unbuffered" or getattr(out, "line_buffering", False) is True


class StdoutWriter:
    """structlog logger that writes each line with one write() to sys.stdout at call time."""

    def __init__(self) -> None:
        self._out: object = None
        self._flush = True

    def msg(self, line: str) -> None:
        """Write `line` (already newline-terminated) and make sure it left the process."""
        if _sinks:
            _sinks[-1](line)
            return
        out: Any = sys.stdout
        if out is None:
            return
        if out is not self._out:
            self._out, self._flush = out, not _flushes_itself(out)
        try:
            out.write(line)
        except RuntimeError:
            # Re-entrant write: the watchdog interrupted a write of the handler's own.
            out = sys.__stdout__ or out
            os.write(out.fileno(), line.encode("utf-8", "replace"))
            return
        if self._flush:
            out.flush()


class RecordLogger(BoundLoggerBase):
    """structlog bound logger with a single method: emit one record."""

    def emit(self, record: dict[str, Any]) -> None:
        """Run the record through the processor chain and hand the line to the writer."""
        # structlog's processor chain, called directly: `_process_event` would copy the
        # record twice (context copy + update(**record)), ~0.5 µs, for an empty context.
        event_dict: Any = {**self._context, **record} if self._context else record
        for processor in self._processors:
            event_dict = processor(self._logger, "msg", event_dict)
        self._logger.msg(event_dict)


_logger = RecordLogger(StdoutWriter(), processors=[render_line], context={})


def write_record(record: dict[str, Any]) -> None:
    """Write one record line; our failures go to stderr once and never raise."""
    try:
        _logger.emit(record)
    except Exception as exc:
        report_exception(f"write:{type(exc).__name__}", "writing the record to stdout", exc)


def push_sink(sink: Callable[[str], None]) -> None:
    """Send lines to `sink` instead of stdout until `pop_sink`."""
    _sinks.append(sink)


def pop_sink(sink: Callable[[str], None]) -> None:
    """Undo `push_sink(sink)`."""
    if sink in _sinks:
        _sinks.remove(sink)
