"""`fetch --via filter`: FilterLogEvents into one JSON file per log group and hour.

Each file has the `aws logs filter-log-events` shape plus the log group and the time range:
`{"logGroupName": ..., "startTime": ms, "endTime": ms, "events": [{logStreamName, timestamp,
message, ingestionTime, eventId}, ...]}`. Its name, `filter-<start>-<end>.json`, is the
window's manifest: a file exists only once its window was fetched completely (written to a
hidden `.part` file first, then renamed), so a re-run fetches only windows still missing.
Ctrl-C (or setting the `stop` event) ends every worker before its next page: the interrupted
windows leave no file, only the complete ones stay.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from analyzer.aws._client import aws_errors
from analyzer.aws._paths import group_dir
from analyzer.aws._progress import Progress

CONCURRENCY = 4
"""Windows fetched at once (FilterLogEvents allows a few calls a second per account)."""

WINDOW = timedelta(hours=1)
"""Time covered by one output file (the unit of resuming)."""

SETTLE = timedelta(minutes=5)
"""CloudWatch may ingest events this late: a file fetched sooner after its window's end
counts as covering only up to (fetch time - SETTLE), so a re-run fetches that window again."""

_NAME = re.compile(r"^filter-(\d{8}T\d{6}\d{3}Z)-(\d{8}T\d{6}\d{3}Z)\.json$")
_STAMP = "%Y%m%dT%H%M%S"


class FetchStopped(Exception):
    """Raised in a worker when the fetch was asked to stop (Ctrl-C or the `stop` event)."""


@dataclass
class FetchResult:
    """What a fetch did: files written, windows skipped as already complete, events."""

    files: list[Path] = field(default_factory=list)
    skipped: int = 0
    events: int = 0


def stamp(ms: int) -> str:
    """Milliseconds since the epoch as a sortable file-name stamp, e.g. 20261125T200000000Z."""
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    return dt.strftime(_STAMP) + f"{ms % 1000:03d}Z"


def unstamp(text: str) -> int:
    """Inverse of `stamp`."""
    dt = datetime.strptime(text[:15], _STAMP).replace(tzinfo=UTC)
    return int(dt.timestamp()) * 1000 + int(text[15:18])


def to_ms(dt: datetime) -> int:
    """An aware datetime as epoch milliseconds."""
    return int(dt.timestamp() * 1000)


def windows(since_ms: int, until_ms: int, width_ms: int) -> Iterator[tuple[int, int]]:
    """[start, end) ranges on a grid of `width_ms`, clipped to [since, until)."""
    cell = since_ms - since_ms % width_ms
    while cell < until_ms:
        yield max(cell, since_ms), min(cell + width_ms, until_ms)
        cell += width_ms


def existing_windows(folder: Path) -> dict[int, tuple[int, int, Path]]:
    """Completed files in `folder` by grid cell start: (start, settled end, path).

    A cell with more than one file (a run stopped between writing a wider window and
    removing the narrower one) loses all of them, so it is fetched again, never twice.
    """
    found: dict[int, tuple[int, int, Path]] = {}
    doubled: list[Path] = []
    if not folder.is_dir():
        return found
    width = to_ms_delta(WINDOW)
    for path in sorted(folder.iterdir()):
        m = _NAME.match(path.name)
        if m:
            start, end = unstamp(m.group(1)), unstamp(m.group(2))
            fetched_ms = int(path.stat().st_mtime * 1000)
            settled = min(end, fetched_ms - to_ms_delta(SETTLE))
            cell = start - start % width
            if cell in found:
                doubled += [path, found[cell][2]]
            found[cell] = (start, settled, path)
    for path in doubled:
        path.unlink(missing_ok=True)
        found = {c: v for c, v in found.items() if v[2] != path}
    return found


def to_ms_delta(delta: timedelta) -> int:
    """A timedelta in milliseconds."""
    return int(delta.total_seconds() * 1000)


def fetch_filter(
    client: Any,
    log_groups: Sequence[str],
    since: datetime,
    until: datetime,
    out: Path,
    *,
    page_size: int | None = None,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> FetchResult:
    """Fetch every event of `log_groups` in [since, until) into `out`, skipping done windows.

    Up to CONCURRENCY windows are fetched at once; botocore's adaptive retries slow all of
    them down together when CloudWatch throttles. Setting `stop` (done on any exception,
    e.g. KeyboardInterrupt) makes each worker raise FetchStopped before its next page.
    """
    progress = progress or Progress(enabled=False)
    stop = stop or threading.Event()
    result = FetchResult()
    width = to_ms_delta(WINDOW)
    jobs: list[tuple[str, int, int, Path, Path | None]] = []
    for group in log_groups:
        folder = group_dir(out, group)
        done = existing_windows(folder)
        for start, end in windows(to_ms(since), to_ms(until), width):
            old = done.get(start - start % width)
            if old and old[0] <= start and old[1] >= end:
                result.skipped += 1
                continue
            path = folder / f"filter-{stamp(start)}-{stamp(end)}.json"
            jobs.append((group, start, end, path, old[2] if old else None))
    tick = _Ticker(progress)

    def run(job: tuple[str, int, int, Path, Path | None]) -> tuple[Path, int]:
        group, start, end, path, old = job
        with aws_errors(f"log group {group}"):
            n = _fetch_window(client, group, (start, end), path, page_size, tick, stop)
        if old and old != path:
            old.unlink(missing_ok=True)  # superseded by the wider window just written
        return path, n

    with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
        futures = [pool.submit(run, job) for job in jobs]
        try:
            for future in futures:
                path, n = future.result()
                result.files.append(path)
                result.events += n
        except BaseException:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    progress.done()
    return result


class _Ticker:
    """Counts events fetched by all workers and shows the total."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self.total = 0

    def __call__(self, n: int, group: str) -> None:
        with self._lock:
            self.total += n
            self._progress.update(f"fetch {group}: {self.total:,} events")


def _fetch_window(
    client: Any,
    group: str,
    window: tuple[int, int],
    path: Path,
    page_size: int | None,
    tick: Callable[[int, str], None],
    stop: threading.Event,
) -> int:
    """Write one window's events to `path` atomically; return how many."""
    start, end = window
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    count = 0
    try:
        with part.open("w", encoding="utf-8", errors="replace") as fh:
            header = {"logGroupName": group, "startTime": start, "endTime": end}
            fh.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "events": [\n')
            for event in _events(client, group, start, end, page_size, stop):
                _write_event(fh, event, first=count == 0)
                count += 1
                if count % 1000 == 0:
                    tick(1000, group)
            fh.write("\n]}\n")
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return count


def _write_event(fh: IO[str], event: dict[str, Any], *, first: bool) -> None:
    keep = {
        k: event[k]
        for k in ("logStreamName", "timestamp", "message", "ingestionTime", "eventId")
        if k in event
    }
    fh.write(("" if first else ",\n") + json.dumps(keep, ensure_ascii=False))


def _events(
    client: Any,
    group: str,
    start: int,
    end: int,
    page_size: int | None,
    stop: threading.Event | None = None,
) -> Iterator[dict[str, Any]]:
    """Every event of `group` with start <= timestamp < end, following nextToken to the end;
    FetchStopped before any page once `stop` is set."""
    params: dict[str, Any] = {"logGroupName": group, "startTime": start, "endTime": end - 1}
    if page_size:
        params["limit"] = page_size
    while True:
        if stop is not None and stop.is_set():
            raise FetchStopped(f"fetch of {group} stopped")
        page = client.filter_log_events(**params)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return
        params["nextToken"] = token
