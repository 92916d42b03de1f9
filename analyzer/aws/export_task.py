"""`fetch --via export`: CreateExportTask to S3, wait for it, download the gzip parts.

Each task exports to its own destination prefix, `<prefix>/<group>-<start>-<end>`, so the
listing after it finds exactly that export whatever folder the service puts the task under
(AWS: `<task id>/<stream folder>/000000.gz`). Downloads keep the key layout under
`<out>/<log group>/`, so the log group (hence the function) stays recoverable from the path.
A small manifest per log group and time range remembers the task id: a re-run of the same
range reuses the task instead of exporting again and downloads only parts that are missing.
A run with another range (`--since 7d` again an hour later) exports only what completed
earlier exports do not cover; an export counts as covering its range only up to
EXPORT_SETTLE before it was made, since CloudWatch may need that long to make log data
exportable.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer.aws._client import AwsError, aws_errors
from analyzer.aws._paths import group_dir, safe_join
from analyzer.aws._progress import Progress
from analyzer.aws.fetch import stamp, to_ms, unstamp

POLL_FIRST_S = 1.0
POLL_MAX_S = 30.0
"""Backoff between DescribeExportTasks polls: doubles from the first to the max."""

EXPORT_TIMEOUT_S = 6 * 3600.0
"""Give up waiting for one export task after this long."""

EXPORT_SETTLE_MS = 12 * 3600 * 1000
"""AWS: log data can take up to 12 hours to become available for export."""

_MANIFEST = re.compile(r"^\.export-(\d{8}T\d{9}Z)-(\d{8}T\d{9}Z)\.json$")


@dataclass
class ExportResult:
    """Files downloaded and parts skipped because they were already complete on disk."""

    files: list[Path] = field(default_factory=list)
    skipped: int = 0
    task_ids: list[str] = field(default_factory=list)
    covered: int = 0
    """Log groups whose whole range earlier complete exports already held."""


def fetch_export(
    logs: Any,
    s3: Any,
    log_groups: Sequence[str],
    since: datetime,
    until: datetime,
    out: Path,
    *,
    bucket: str,
    prefix: str = "exportedlogs",
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    settle_ms: int = EXPORT_SETTLE_MS,
) -> ExportResult:
    """Export each log group's [since, until) to S3 and download the parts under `out`;
    only the parts of the range that earlier complete exports do not cover."""
    progress = progress or Progress(enabled=False)
    prefix = prefix.strip("/")
    result = ExportResult()
    start, end = to_ms(since), to_ms(until)
    for group in log_groups:
        folder = group_dir(out, group)
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / _manifest_name(start, end)).exists():
            ranges = [(start, end)]  # the same range again: resume or reuse that export
        else:
            ranges = missing_ranges(folder, start, end, settle_ms)
        result.covered += not ranges
        for lo, hi in ranges:
            _export_range(
                logs, s3, group, (lo, hi), folder, bucket, prefix, result, progress, sleep
            )
    progress.done()
    return result


def _manifest_name(start: int, end: int) -> str:
    return f".export-{stamp(start)}-{stamp(end)}.json"


def missing_ranges(folder: Path, start: int, end: int, settle_ms: int) -> list[tuple[int, int]]:
    """Parts of [start, end) that no complete export manifest in `folder` covers, in order."""
    covered: list[tuple[int, int]] = []
    for path in folder.glob(".export-*.json"):
        m = _MANIFEST.match(path.name)
        state = _read_manifest(path) if m else {}
        if m and state.get("complete"):
            made = state.get("exportedAt")
            made = made if isinstance(made, int) else int(path.stat().st_mtime * 1000)
            covered.append((unstamp(m.group(1)), min(unstamp(m.group(2)), made - settle_ms)))
    gaps, at = [], start
    for lo, hi in sorted(covered):
        if lo > at:
            gaps.append((at, min(lo, end)))
        at = max(at, hi)
        if at >= end:
            break
    if at < end:
        gaps.append((at, end))
    return [(lo, hi) for lo, hi in gaps if lo < hi]


def _export_range(
    logs: Any, s3: Any, group: str, window: tuple[int, int], folder: Path, bucket: str,
    prefix: str, result: ExportResult, progress: Progress, sleep: Callable[[float], None],
) -> None:  # fmt: skip
    """Export one range of one group (or resume its recorded task) and download the parts."""
    start, end = window
    manifest = folder / _manifest_name(start, end)
    state = _read_manifest(manifest)
    name = f"{group.strip('/').replace('/', '-')}-{stamp(start)}-{stamp(end)}"
    dest = "/".join(p for p in (prefix, name) if p)
    with aws_errors(f"log group {group}"):
        task_id = state.get("taskId")
        if task_id and not _usable(logs, task_id):
            task_id = None  # the recorded task failed or was cancelled: export again
        task_id = task_id or _create(logs, group, start, end, bucket, dest)
        _write_manifest(manifest, {"taskId": task_id, "prefix": dest, "complete": False})
        progress.update(f"export {group}: waiting for task {task_id}", force=True)
        _wait(logs, task_id, sleep)
        download_prefix(s3, bucket, dest + "/", folder, result, progress)
    made = state.get("exportedAt") if state.get("complete") else None
    done = {"taskId": task_id, "prefix": dest, "complete": True}
    _write_manifest(manifest, {**done, "exportedAt": made or int(time.time() * 1000)})
    result.task_ids.append(task_id)


def _create(logs: Any, group: str, start: int, end: int, bucket: str, prefix: str) -> str:
    params = {
        "taskName": f"lambdascope-{stamp(start)}",
        "logGroupName": group,
        "fromTime": start,
        "to": end - 1,  # inclusive in the API
        "destination": bucket,
    }
    if prefix:
        params["destinationPrefix"] = prefix
    task_id: str = logs.create_export_task(**params)["taskId"]
    return task_id


def _usable(logs: Any, task_id: str) -> bool:
    """Whether a recorded task can still deliver: it exists and did not fail or get cancelled."""
    from botocore.exceptions import ClientError

    try:
        tasks = logs.describe_export_tasks(taskId=task_id).get("exportTasks", [])
    except ClientError:
        return False
    code = tasks[0].get("status", {}).get("code", "") if tasks else ""
    return code not in {"", "FAILED", "CANCELLED"}


def _wait(logs: Any, task_id: str, sleep: Callable[[float], None]) -> None:
    """Poll DescribeExportTasks with doubling delays until the task completed."""
    delay, waited = POLL_FIRST_S, 0.0
    while True:
        tasks = logs.describe_export_tasks(taskId=task_id).get("exportTasks", [])
        status = tasks[0].get("status", {}) if tasks else {}
        code = status.get("code", "")
        if code == "COMPLETED":
            return
        if code in {"FAILED", "CANCELLED"}:
            raise AwsError(
                f"export task {task_id} ended {code} ({status.get('message', '')}): check the "
                "bucket policy allows logs.amazonaws.com to write, then re-run"
            )
        if waited >= EXPORT_TIMEOUT_S:
            raise AwsError(f"export task {task_id} still {code} after {waited:.0f} s: re-run later")
        sleep(delay)
        waited += delay
        delay = min(delay * 2, POLL_MAX_S)


def download_prefix(
    s3: Any, bucket: str, prefix: str, dest: Path, result: ExportResult, progress: Progress
) -> None:
    """Download every object under `prefix` to `dest`/<key>, sanitised, skipping complete ones."""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key, size = obj["Key"], int(obj.get("Size", 0))
            if key.endswith("/") or key.rsplit("/", 1)[-1] == "aws-logs-write-test":
                continue
            path = safe_join(dest, key)
            if path.is_file() and path.stat().st_size == size:
                result.skipped += 1
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(f".{path.name}.part")
            try:
                s3.download_file(bucket, key, str(part))
                part.replace(path)
            finally:
                part.unlink(missing_ok=True)
            result.files.append(path)
            progress.update(f"download {len(result.files)} parts: {key[-60:]}")


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(path: Path, data: dict[str, Any]) -> None:
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(data), encoding="utf-8")
    part.replace(path)
