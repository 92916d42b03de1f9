"""Write log events to disk in the shapes users really have (S3 export, API JSON, streams)."""

from __future__ import annotations

import gzip
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from analyzer._gen_render import Event, iso

PAGE_EVENTS = 400
"""Events per filter-log-events page file."""


def by_stream(events: Iterable[Event]) -> dict[str, list[Event]]:
    """Events grouped per log stream, each in time order (stable for equal timestamps)."""
    streams: dict[str, list[Event]] = defaultdict(list)
    for ev in events:
        streams[ev[1]].append(ev)
    for evs in streams.values():
        evs.sort(key=lambda e: e[0])
    return dict(sorted(streams.items()))


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with a fixed header (no name, mtime 0) so the same input gives the same bytes."""
    import io

    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(data)
    return buf.getvalue()


def _line(msg: str) -> str:
    """A message as it ends up in a line-oriented file (newline-terminated)."""
    return msg if msg.endswith("\n") else msg + "\n"


def write_s3_export(
    root: Path, group: str, events: list[Event], rng: random.Random, overlap_from: int | None = None
) -> list[Path]:
    """CreateExportTask layout: `<prefix>/<taskId>/<stream with - for />/000000.gz`.

    Also writes the permission probe object `<prefix>/aws-logs-write-test` (not returned: it
    holds no logs). With `overlap_from` (ms), a second task re-exports every event from then
    on, as when a user exports an overlapping time range again: the same events twice.
    """
    prefix = root / "exportedlogs" / group.strip("/")
    prefix.mkdir(parents=True, exist_ok=True)
    probe = prefix / "aws-logs-write-test"
    probe.write_text("Permission Check Successful", encoding="utf-8")
    written = _export_task(prefix, events, rng)
    if overlap_from is not None:
        written += _export_task(prefix, [e for e in events if e[0] >= overlap_from], rng)
    return written


def _export_task(prefix: Path, events: list[Event], rng: random.Random) -> list[Path]:
    """One export task's folder: a gzip part per stream."""
    task = prefix / str(uuid.UUID(int=rng.getrandbits(128), version=4))
    written = []
    for stream, evs in by_stream(events).items():
        text = "".join(f"{iso(t)} {msg}\n" for t, _, msg in evs)
        folder = task / stream.replace("/", "-")
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / "000000.gz"
        part.write_bytes(gzip_bytes(text.encode("utf-8")))
        written.append(part)
    return written


def write_streams(root: Path, group: str, events: list[Event]) -> list[Path]:
    """Plain per-stream files: the messages as CloudWatch shows them, one file per stream."""
    written = []
    for stream, evs in by_stream(events).items():
        path = root / group.strip("/") / f"{stream}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes("".join(_line(msg) for _, _, msg in evs).encode("utf-8"))
        written.append(path)
    return written


def _event_id(rng: random.Random) -> str:
    """A 56-digit CloudWatch event id."""
    return f"{rng.getrandbits(180):056d}"[:56]


def write_filter_events(
    root: Path, group: str, events: list[Event], rng: random.Random
) -> list[Path]:
    """`aws logs filter-log-events` pages: streams interleaved, each event names its stream."""
    ordered = sorted(events, key=lambda e: e[0])
    folder = root / group.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    streams = sorted({e[1] for e in events})
    written = []
    for page, i in enumerate(range(0, len(ordered), PAGE_EVENTS)):
        chunk = ordered[i : i + PAGE_EVENTS]
        doc: dict[str, object] = {
            "events": [
                {
                    "logStreamName": s,
                    "timestamp": t,
                    "message": msg,
                    "ingestionTime": t + rng.randint(150, 900),
                    "eventId": _event_id(rng),
                }
                for t, s, msg in chunk
            ],
            "searchedLogStreams": [
                {"logStreamName": s, "searchedCompletely": True} for s in streams
            ]
            if page == 0
            else [],
        }
        if i + PAGE_EVENTS < len(ordered):
            doc["nextToken"] = f"Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCr{page:04d}"
        path = folder / f"filter-log-events.{page:04d}.json"
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def write_get_events(root: Path, group: str, events: list[Event], rng: random.Random) -> list[Path]:
    """`aws logs get-log-events` output, one JSON file per stream (the stream is the file name)."""
    written = []
    for stream, evs in by_stream(events).items():
        doc = {
            "events": [
                {"timestamp": t, "message": msg, "ingestionTime": t + rng.randint(150, 900)}
                for t, _, msg in evs
            ],
            "nextForwardToken": f"f/{_event_id(rng)}/s",
            "nextBackwardToken": f"b/{_event_id(rng)}/s",
        }
        path = root / group.strip("/") / f"{stream}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


FIREHOSE_OBJECT_MS = 15 * 60 * 1000
"""Events per Firehose S3 object: its buffering interval."""


def _data_message(group: str, stream: str, evs: list[Event], rng: random.Random) -> bytes:
    """One subscription-filter DATA_MESSAGE, gzipped (a Firehose record)."""
    doc = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["to-firehose"],
        "logEvents": [{"id": _event_id(rng), "timestamp": t, "message": m} for t, _, m in evs],
    }
    return gzip_bytes(json.dumps(doc, separators=(",", ":")).encode("utf-8"))


def _control_message(t_ms: int) -> bytes:
    """The health-check record CloudWatch Logs sends when a subscription is created."""
    doc = {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [
            {
                "id": "",
                "timestamp": t_ms,
                "message": "CWL CONTROL MESSAGE: Checking health of destination Firehose.",
            }
        ],
    }
    return gzip_bytes(json.dumps(doc, separators=(",", ":")).encode("utf-8"))


def write_firehose(root: Path, group: str, events: list[Event], rng: random.Random) -> list[Path]:
    """Firehose to S3 without processors: objects of concatenated gzip DATA_MESSAGE records."""
    ordered = sorted(events, key=lambda e: e[0])
    windows: dict[int, list[Event]] = defaultdict(list)
    for ev in ordered:
        windows[ev[0] // FIREHOSE_OBJECT_MS].append(ev)
    written = []
    for n, (w, evs) in enumerate(sorted(windows.items())):
        t = w * FIREHOSE_OBJECT_MS
        stamp = iso(t)
        day, hour = stamp[:10].replace("-", "/"), stamp[11:13]
        when = stamp[:19].replace("T", "-").replace(":", "-")
        name = f"lambda-logs-1-{when}-{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        path = root / day / hour / name
        path.parent.mkdir(parents=True, exist_ok=True)
        records = [_control_message(t)] if n == 0 else []
        for stream, batch in by_stream(evs).items():
            for i in range(0, len(batch), 50):
                records.append(_data_message(group, stream, batch[i : i + 50], rng))
        path.write_bytes(b"".join(records))
        written.append(path)
    return written
