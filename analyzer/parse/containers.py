"""Unwrap every on-disk container into raw log events (timestamp, stream, group, message).

Pure functions from decoded text to `RawEvent`s and `Reject`s; no I/O. Line-oriented shapes
(S3 export, plain text, `aws logs tail`) count physical lines; JSON containers count log events.
"""

from __future__ import annotations

import base64
import binascii
import csv
import functools
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_LINE = 1 << 20
"""Lines longer than this (1 MiB) are rejected, not stored."""

_EXPORT = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ")
_TAIL = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d\d:\d\d) (\S*\]\S*) ")


@dataclass(slots=True)
class RawEvent:
    """One log event as its container gave it."""

    line_no: int
    ts: str | None
    message: str
    stream: str | None = None
    group: str | None = None
    event_id: str | None = None
    cont: bool = False


@dataclass(slots=True)
class Reject:
    """A unit (line or JSON element) that could not be understood."""

    line_no: int
    reason: str
    raw: str


@dataclass(slots=True)
class Unwrapped:
    """Everything read from one file: its events, its rejects and how many units it had."""

    events: list[RawEvent] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    units: int = 0
    blanks: int = 0
    truncated: bool = False


def split_lines(text: str) -> list[str]:
    """Split on '\\n' only (as DuckDB does), dropping one trailing '\\r' per line."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _line_reject(no: int, line: str) -> Reject | None:
    if "\x00" in line:
        return Reject(no, "binary data (NUL bytes)", line[:1024].replace("\x00", "\\0"))
    if len(line) > MAX_LINE:
        return Reject(no, "line longer than 1 MiB", line[:1024])
    return None


def unwrap_lines(text: str, fmt: str) -> Unwrapped:
    """S3 export (`ts message`), `aws logs tail` (`ts stream message`) or plain text lines."""
    out = Unwrapped()
    lines = split_lines(text.removeprefix("\ufeff"))
    out.units = len(lines)
    for no, line in enumerate(lines, 1):
        rej = _line_reject(no, line)
        if rej is not None:
            out.rejects.append(rej)
            continue
        if not line.strip(" \t"):  # as the fast path: a vertical tab or NBSP line is a line
            out.blanks += 1
            continue
        if fmt == "export":
            m = _EXPORT.match(line)
            if m:
                out.events.append(RawEvent(no, m.group(1), line[m.end() :]))
            else:
                out.events.append(RawEvent(no, None, line, cont=True))
        elif fmt == "tail":
            m = _TAIL.match(line)
            if m:
                out.events.append(RawEvent(no, m.group(1), line[m.end() :], stream=m.group(2)))
            else:
                out.events.append(RawEvent(no, None, line, cont=True))
        else:
            out.events.append(RawEvent(no, None, line))
    return out


class BrokenJson(ValueError):
    """Text that stops being valid JSON at character `pos`."""

    def __init__(self, pos: int) -> None:
        super().__init__(f"invalid JSON at character {pos}")
        self.pos = pos


def iter_json_values(text: str) -> Iterator[Any]:
    """Every JSON value in `text`: one document, NDJSON or objects back to back."""
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n\ufeff":
            i += 1
        if i >= n:
            return
        try:
            value, i = dec.raw_decode(text, i)
        except (ValueError, RecursionError):
            raise BrokenJson(i) from None
        yield value


@functools.lru_cache(maxsize=4096)
def _second_iso(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def epoch_ms_iso(value: Any) -> str | None:
    """An epoch-milliseconds number as ISO-8601 UTC text, else None (cached per second)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        ms = int(value)
        if ms != value:  # fractional milliseconds: the slow, exact way
            return datetime.fromtimestamp(value / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return f"{_second_iso(ms // 1000)}.{ms % 1000:03d}000Z"
    except (OverflowError, OSError, ValueError):
        return None


def _event(out: Unwrapped, item: Any, stream: str | None, group: str | None) -> None:
    out.units += 1
    no = out.units
    if not isinstance(item, dict) or not isinstance(item.get("message"), str):
        out.rejects.append(Reject(no, "log event without a message", json.dumps(item)[:1024]))
        return
    s = item.get("logStreamName", stream)
    eid = item.get("eventId", item.get("id"))
    out.events.append(
        RawEvent(
            no,
            epoch_ms_iso(item.get("timestamp")),
            item["message"].removesuffix("\n"),
            stream=s if isinstance(s, str) else None,
            group=group,
            event_id=eid if isinstance(eid, str) and eid else None,
        )
    )


def _decode_awslogs(data: Any) -> list[Any]:
    """The DATA/CONTROL messages inside a base64(gzip(json)) subscription payload."""
    if not isinstance(data, str):
        return []
    raw = gzip.decompress(base64.b64decode(data))
    return list(iter_json_values(raw.decode("utf-8", "replace")))


def _doc(out: Unwrapped, doc: Any) -> None:
    if isinstance(doc, list):
        for item in doc:
            _doc(out, item)
        return
    if not isinstance(doc, dict):
        out.units += 1
        out.rejects.append(Reject(out.units, "not a log container", json.dumps(doc)[:1024]))
        return
    if isinstance(doc.get("awslogs"), dict):
        try:
            inner = _decode_awslogs(doc["awslogs"].get("data"))
        except (ValueError, binascii.Error, OSError, EOFError, zlib.error):
            out.units += 1
            out.rejects.append(Reject(out.units, "undecodable awslogs payload", ""))
            return
        for d in inner:
            _doc(out, d)
        return
    if "messageType" in doc:
        if doc.get("messageType") != "DATA_MESSAGE":
            return  # CONTROL_MESSAGE: a health check, not a log event
        group = doc.get("logGroup") if isinstance(doc.get("logGroup"), str) else None
        stream = doc.get("logStream") if isinstance(doc.get("logStream"), str) else None
        for ev in doc.get("logEvents") or []:
            _event(out, ev, stream, group)
        return
    if isinstance(doc.get("events"), list):
        group = doc.get("logGroupName") or doc.get("logGroup")
        stream = doc.get("logStreamName")
        for ev in doc["events"]:
            _event(
                out,
                ev,
                stream if isinstance(stream, str) else None,
                group if isinstance(group, str) else None,
            )
        return
    if isinstance(doc.get("results"), list):
        for row in doc["results"]:
            insights_row(out, row)
        return
    if any(isinstance(k, str) and k.startswith("@") for k in doc):
        insights_row(out, doc)
        return
    out.units += 1
    out.rejects.append(Reject(out.units, "not a log container", json.dumps(doc)[:1024]))


_EVENTS_KEY = re.compile(r'"(?:events|logEvents)"\s*:\s*\[')
_GROUP_KEY = re.compile(r'"(?:logGroupName|logGroup)"\s*:\s*"([^"\\]*)"')
_STREAM_KEY = re.compile(r'"(?:logStreamName|logStream)"\s*:\s*"([^"\\]*)"')


def _salvage(out: Unwrapped, text: str, start: int) -> bool:
    """The complete events of a broken (cut) events page starting at `start`; True if any."""
    m = _EVENTS_KEY.search(text, start)
    if m is None:
        return False
    head = text[start : m.start()]
    g, s = _GROUP_KEY.search(head), _STREAM_KEY.search(head)
    dec = json.JSONDecoder()
    i, n, got = m.end(), len(text), 0
    while True:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n or text[i] != "{":
            break
        try:
            item, i = dec.raw_decode(text, i)
        except (ValueError, RecursionError):
            break
        _event(out, item, s.group(1) if s else None, g.group(1) if g else None)
        got += 1
    return got > 0


def unwrap_json(text: str) -> Unwrapped:
    """get-log-events / filter-log-events pages, subscription payloads, Insights JSON.

    A page cut short (truncated download) keeps its complete events and is marked truncated."""
    out = Unwrapped()
    try:
        for doc in iter_json_values(text):
            _doc(out, doc)
    except ValueError as exc:
        if isinstance(exc, BrokenJson):
            out.truncated = _salvage(out, text, exc.pos)
        out.units += 1
        out.rejects.append(Reject(out.units, f"JSON ends early or is broken ({exc})", ""))
    return out


def _mb(value: str | None) -> str | None:
    """Insights memory fields are bytes (MB x 1e6), often in scientific notation."""
    if value is None:
        return None
    try:
        return str(round(float(value) / 1e6))
    except ValueError:
        return None


def _report_from_fields(f: dict[str, str]) -> str | None:
    """A text REPORT line rebuilt from Insights discovered fields (no @message queried)."""
    rid = f.get("@requestId")
    if not rid or f.get("@duration") is None:
        return None
    parts = [f"REPORT RequestId: {rid}", f"Duration: {f['@duration']} ms"]
    if f.get("@billedDuration") is not None:
        parts.append(f"Billed Duration: {f['@billedDuration']} ms")
    for key, label in (("@memorySize", "Memory Size"), ("@maxMemoryUsed", "Max Memory Used")):
        mb = _mb(f.get(key))
        if mb is not None:
            parts.append(f"{label}: {mb} MB")
    if f.get("@initDuration") is not None:
        parts.append(f"Init Duration: {f['@initDuration']} ms")
    return "\t".join(parts) + "\t"


def insights_row(out: Unwrapped, row: Any) -> None:
    """One Logs Insights result row: [{field, value}, ...] or {"@field": value}."""
    out.units += 1
    f: dict[str, str] = {}
    if isinstance(row, list):
        for cell in row:
            if isinstance(cell, dict) and isinstance(cell.get("field"), str):
                f[cell["field"]] = str(cell.get("value"))
    elif isinstance(row, dict):
        f = {str(k): str(v) for k, v in row.items() if v is not None}
    msg = f.get("@message") or _report_from_fields(f)
    if msg is None:
        out.rejects.append(Reject(out.units, "Insights row without @message", str(row)[:1024]))
        return
    log = f.get("@log")
    group = log.split(":", 1)[-1] if log else None
    out.events.append(
        RawEvent(out.units, f.get("@timestamp"), msg, stream=f.get("@logStream"), group=group)
    )


def unwrap_insights_csv(text: str) -> Unwrapped:
    """A Logs Insights console CSV export (header row of @fields)."""
    out = Unwrapped()
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(rows, None)
    if header is None:
        return out
    for row in rows:
        insights_row(out, dict(zip(header, row, strict=False)))
    return out
