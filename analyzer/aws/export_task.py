"""`fetch --via export`: CreateExportTask to S3, wait for it, download the gzip parts.

Each task exports to its own destination prefix, `<prefix>/<group>-<start>-<end>`, so the
listing after it finds exactly that export whatever folder the service puts the task under
(AWS: `<task id>/<stream folder>/000000.gz`). Downloads keep the key layout under
`<out>/<log group>/`, so the log group (hence the function) stays recoverable from the path.
A small manifest per log group and time range remembers the task id: a re-run reuses
the task instead of exporting again and downloads only parts that are missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer.aws._client import AwsError, aws_errors
from analyzer.aws._paths import group_dir, safe_join
from analyzer.aws._progress import Progress
from analyzer.aws.fetch import stamp, to_ms

POLL_FIRST_S = 1.0
POLL_MAX_S = 30.0
"""Backoff between DescribeExportTasks polls: doubles from the first to the max."""

EXPORT_TIMEOUT_S = 6 * 3600.0
"""Give up waiting for one export task after this long."""


@dataclass
class ExportResult:
    """Files downloaded and parts skipped because they were already complete on disk."""

    files: list[Path] = field(default_factory=list)
    skipped: int = 0
    task_ids: list[str] = field(default_factory=list)


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
) -> ExportResult:
    """Export each log group's [since, until) to S3 and download the parts under `out`."""
    progress = progress or Progress(enabled=False)
    prefix = prefix.strip("/")
    result = ExportResult()
    start, end = to_ms(since), to_ms(until)
    for group in log_groups:
        folder = group_dir(out, group)
        folder.mkdir(parents=True, exist_ok=True)
        manifest = folder / f".export-{stamp(start)}-{stamp(end)}.json"
        state = _read_manifest(manifest)
        dest = "/".join(
            p
            for p in (prefix, f"{group.strip('/').replace('/', '-')}-{stamp(start)}-{stamp(end)}")
            if p
        )
        with aws_errors(f"log group {group}"):
            task_id = state.get("taskId")
            if task_id and not _usable(logs, task_id):
                task_id = None  # the recorded task failed or was cancelled: export again
            task_id = task_id or _create(logs, group, start, end, bucket, dest)
            _write_manifest(manifest, {"taskId": task_id, "prefix": dest, "complete": False})
            progress.update(f"export {group}: waiting for task {task_id}", force=True)
            _wait(logs, task_id, sleep)
            download_prefix(s3, bucket, dest + "/", folder, result, progress)
        _write_manifest(manifest, {"taskId": task_id, "prefix": dest, "complete": True})
        result.task_ids.append(task_id)
    progress.done()
    return result


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
