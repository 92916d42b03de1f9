"""Realistic Lambda log events to put into moto, with the numbers a report should show."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Putted:
    """What was put into CloudWatch: events per group and the expected counts."""

    events: int = 0
    invocations: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    timeouts: dict[str, int] = field(default_factory=dict)
    cold: dict[str, int] = field(default_factory=dict)
    start_ms: int = 0
    end_ms: int = 0


def invocation_lines(rid: str, *, cold: bool, status: str, ms: float) -> list[str]:
    """The START/app/END/REPORT messages of one text-format invocation."""
    init = "\tInit Duration: 180.25 ms" if cold else ""
    tail = {"success": "\t", "timeout": "\tStatus: timeout", "error": "\tStatus: error"}[status]
    if status == "error":
        tail += "\tError Type: Runtime.ExitError"
    return [
        f"START RequestId: {rid} Version: $LATEST\n",
        f"[INFO]\t2026-01-01T00:00:00.000Z\t{rid}\tworking\n",
        f"END RequestId: {rid}\n",
        f"REPORT RequestId: {rid}\tDuration: {ms:.2f} ms\tBilled Duration: {int(ms) + 1} ms"
        f"\tMemory Size: 256 MB\tMax Memory Used: 80 MB{init}{tail}\n",
    ]


def put_invocations(
    logs: Any,
    group: str,
    *,
    streams: int,
    per_stream: int,
    start_ms: int | None = None,
    spacing_ms: int = 40,
) -> Putted:
    """Create `group` with `streams` streams of `per_stream` invocations each (1st cold)."""
    logs.create_log_group(logGroupName=group)
    fn = group.rsplit("/", 1)[-1]
    base = start_ms if start_ms is not None else int(time.time() * 1000) - 3_600_000
    got = Putted(start_ms=base)
    for s in range(streams):
        stream = f"2026/11/25/[$LATEST]{uuid.uuid4().hex}"
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        batch: list[dict[str, Any]] = []
        for i in range(per_stream):
            rid = str(uuid.uuid4())
            status = "timeout" if i % 7 == 3 else "error" if i % 5 == 4 else "success"
            ts = base + (s * per_stream + i) * spacing_ms
            for k, msg in enumerate(invocation_lines(rid, cold=i == 0, status=status, ms=10.0 + i)):
                batch.append({"timestamp": ts + k, "message": msg})
            got.invocations[fn] = got.invocations.get(fn, 0) + 1
            got.errors[fn] = got.errors.get(fn, 0) + (status == "error")
            got.timeouts[fn] = got.timeouts.get(fn, 0) + (status == "timeout")
            got.cold[fn] = got.cold.get(fn, 0) + (i == 0)
            got.end_ms = max(got.end_ms, ts + 4)
        for i in range(0, len(batch), 5000):
            logs.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=batch[i : i + 5000]
            )
        got.events += len(batch)
    return got
