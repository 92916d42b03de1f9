"""Facts for record v1: process start, environment id, timestamps, bounded error fields."""

from __future__ import annotations

import os
import resource
import time
import traceback
from types import CodeType, TracebackType

SCHEMA_VERSION = 1
"""Value of the `lambdascope` key: how the analyzer recognises our lines."""

MESSAGE_MAX_BYTES = 1024
"""Longest `error_message`, in UTF-8 bytes."""

STACK_MAX_BYTES = 4096
"""Longest `error_stack`, in UTF-8 bytes (the last frames are kept)."""

STACK_FRAMES = 30
"""Most frames formatted into `error_stack` (a RecursionError has ~1000)."""

FIELD_MAX_CHARS = 64
"""Longest function name, version, request id or environment id written."""

IMPORT_TIME = time.time()
"""When lambdascope was imported: the fallback for process start."""


def process_start_time() -> float:
    """Epoch seconds when this process started (/proc), else when lambdascope was imported."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        ticks = int(stat[stat.rindex(b")") + 2 :].split()[19])
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)  # the clock of that field
        started = time.time() - since_boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return IMPORT_TIME
    return started if started <= IMPORT_TIME else IMPORT_TIME


def environment_id(stream: object = None) -> str:
    """Execution environment id: the log stream name (the context's, else
    AWS_LAMBDA_LOG_STREAM_NAME) after ']', else a random id."""
    if not isinstance(stream, str) or not stream:
        stream = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
    env_id = stream.rpartition("]")[2] if "]" in stream else stream.rpartition("/")[2]
    return env_id[:FIELD_MAX_CHARS] if env_id else os.urandom(16).hex()


_getrusage = resource.getrusage
_RUSAGE_SELF = resource.RUSAGE_SELF


def max_rss_mb() -> int:
    """Peak resident set size of this process in MiB (Linux reports KiB)."""
    return _getrusage(_RUSAGE_SELF).ru_maxrss >> 10


_ts_second = -1
_ts_prefix = ""
_MILLIS = tuple(f".{ms:03d}Z" for ms in range(1000))
"""The ".mmmZ" ends of timestamps: one lookup instead of formatting (~0.3 µs per record)."""


def iso_ts(t: float) -> str:
    """ISO-8601 UTC with milliseconds, e.g. 2026-11-25T10:00:00.123Z (cached per second)."""
    global _ts_second, _ts_prefix
    second = int(t)
    if second != _ts_second:
        _ts_prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _ts_second = second
    ms = int((t - second) * 1000)
    return _ts_prefix + _MILLIS[ms if ms < 1000 else 999]


RECORD_KEYS = (
    "lambdascope", "ts", "function", "version", "request_id", "cold_start", "init_type",
    "init_ms", "duration_ms", "remaining_ms", "timeout_ms", "outcome",
    "error_type", "error_message", "error_stack", "trigger", "source", "memory_mb",
    "max_rss_mb", "trace_id", "env_id", "seq", "overhead_us", "supersedes",
)  # fmt: skip
"""Every key of a record (schema v1), in the order they are written (design §2)."""


_trace_raw: object = None
_trace_id: str | None = None
_trace_parent: str | None = None
_trace_sampled = True
_environ_data: dict[bytes, bytes] | None = getattr(os.environ, "_data", None)
"""os.environ's own bytes dict: a lookup there costs 40 ns instead of 600 (key encoding)."""


def _trace_header() -> object:
    if _environ_data is not None and os.name == "posix":
        return _environ_data.get(b"_X_AMZN_TRACE_ID")
    return os.environ.get("_X_AMZN_TRACE_ID")


def xray_trace() -> tuple[str | None, str | None]:
    """(Root trace id, Parent segment id) from `_X_AMZN_TRACE_ID`, parsed once per value."""
    global _trace_raw, _trace_id, _trace_parent, _trace_sampled
    raw = _trace_header()
    if raw != _trace_raw:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
        root = parent = None
        sampled = True
        for part in text.split(";"):
            key, _, value = part.strip().partition("=")
            if key == "Root":
                root = value[:FIELD_MAX_CHARS] or None
            elif key == "Parent":
                parent = value[:FIELD_MAX_CHARS] or None
            elif key == "Sampled":
                sampled = value.strip() != "0"
        _trace_raw, _trace_id, _trace_parent = raw, root, parent
        _trace_sampled = sampled
    return _trace_id, _trace_parent


def xray_sampled() -> bool:
    """False when `_X_AMZN_TRACE_ID` says `Sampled=0` (the caller decided not to trace)."""
    xray_trace()
    return _trace_sampled


def clip_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, ending with … when cut."""
    if len(text) * 4 <= limit:
        return text
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def error_message(exc: BaseException) -> str:
    """str(exc) bounded to MESSAGE_MAX_BYTES; survives a `__str__` that raises."""
    try:
        text = str(exc)
    except BaseException:
        text = f"<unprintable {type(exc).__name__}>"
    if not isinstance(text, str):
        text = "<non-str message>"
    return clip_utf8(text[: MESSAGE_MAX_BYTES + 1], MESSAGE_MAX_BYTES)


def _user_traceback(tb: TracebackType | None, skip: frozenset[CodeType]) -> TracebackType | None:
    while tb is not None and tb.tb_frame.f_code in skip:
        tb = tb.tb_next
    return tb


def error_stack(exc: BaseException, skip: frozenset[CodeType] = frozenset()) -> str:
    """The last frames of exc's traceback, at most STACK_MAX_BYTES, our wrapper frames skipped."""
    try:
        tb = _user_traceback(exc.__traceback__, skip)
        frames = traceback.extract_tb(tb, limit=-STACK_FRAMES)
        lines = traceback.format_list(frames)
    except Exception:
        return ""
    sizes = [len(line.encode("utf-8", "replace")) for line in lines]
    total, first = sum(sizes), 0
    while total > STACK_MAX_BYTES and first < len(lines) - 1:
        total -= sizes[first]
        first += 1
    return clip_utf8("".join(lines[first:]).rstrip("\n"), STACK_MAX_BYTES)


def error_type(exc: BaseException) -> str:
    """Class name of the exception, like Lambda's own `errorType`."""
    return type(exc).__name__[:128]
