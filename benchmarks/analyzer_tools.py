"""Helpers of the analyzer benchmark: data sets on disk and timed runs in fresh processes."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analyzer.generator import BulkTruth, generate_export_parts, generate_export_text

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
WORK = HERE / ".work"
GNU_TIME = "/usr/bin/time"


@dataclass
class Dataset:
    """Generated export data on disk and what it holds."""

    name: str
    paths: list[str]
    truth: BulkTruth
    generate_s: float | None = None

    @property
    def files(self) -> list[str]:
        """Every data file (parts folders expanded)."""
        out: list[str] = []
        for p in map(Path, self.paths):
            out += sorted(map(str, p.rglob("*.gz"))) if p.is_dir() else [str(p)]
        return out

    def describe(self) -> dict[str, Any]:
        """JSON-able description for the results file."""
        return {
            "paths": [os.path.relpath(p, HERE.parent) for p in self.paths],
            "files": len(self.files),
            "generate_s": self.generate_s,
            **asdict(self.truth),
        }


def _load_truth(sidecar: Path) -> BulkTruth | None:
    """The truth saved next to a data set, or None when absent or unreadable."""
    try:
        return BulkTruth(**json.loads(sidecar.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def text_dataset(lines: int, seed: int = 42) -> Dataset:
    """One S3-export text file of `lines` lines, reused when already generated."""
    fn = "bench-api"
    path = DATA / f"text-{lines}" / "aws" / "lambda" / fn / "export.txt"
    sidecar = DATA / f"text-{lines}.truth.json"
    truth = _load_truth(sidecar) if path.exists() else None
    took = None
    if truth is None:
        t0 = time.perf_counter()
        truth = generate_export_text(path, lines=lines, seed=seed)
        took = round(time.perf_counter() - t0, 2)
        sidecar.write_text(json.dumps(asdict(truth)), encoding="utf-8")
    return Dataset(f"text_{lines}", [str(path)], truth, took)


def parts_dataset(lines: int, parts: int, seed: int = 42) -> Dataset:
    """The same data as `parts` gzip parts in the export layout, reused when present."""
    folder = DATA / f"parts-{lines}-{parts}" / "aws" / "lambda" / "bench-api"
    sidecar = DATA / f"parts-{lines}-{parts}.truth.json"
    truth = _load_truth(sidecar) if folder.exists() else None
    took = None
    if truth is None:
        if folder.exists():
            shutil.rmtree(folder)
        t0 = time.perf_counter()
        truth = generate_export_parts(folder, lines=lines, parts=parts, seed=seed)
        took = round(time.perf_counter() - t0, 2)
        sidecar.write_text(json.dumps(asdict(truth)), encoding="utf-8")
    return Dataset(f"parts_{lines}_{parts}", [str(folder)], truth, took)


@dataclass
class Run:
    """One timed process."""

    wall_s: float
    rss_mib: float | None
    rc: int
    stdout: str
    stderr: str


@dataclass
class Measure:
    """Several runs of one command: median wall time, largest peak RSS."""

    cmd: list[str]
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every run exited 0."""
        return bool(self.runs) and all(r.rc == 0 for r in self.runs)

    def summary(self) -> dict[str, Any]:
        """Median wall time, all times, peak RSS, exit code of the last run."""
        walls = [r.wall_s for r in self.runs]
        rss = [r.rss_mib for r in self.runs if r.rss_mib is not None]
        return {
            "wall_s": round(statistics.median(walls), 3) if walls else None,
            "runs_s": [round(w, 3) for w in walls],
            "peak_rss_mib": round(max(rss), 1) if rss else None,
            "rc": self.runs[-1].rc if self.runs else None,
        }


def run(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> Run:
    """Run `cmd` in a fresh process; wall time and peak RSS (GNU time) of it."""
    wrapped = cmd
    with tempfile.NamedTemporaryFile("r", suffix=".time", dir=WORK, delete=False) as tf:
        time_file = tf.name
    if os.path.exists(GNU_TIME):
        wrapped = [GNU_TIME, "-f", "%M", "-o", time_file, *cmd]
    t0 = time.perf_counter()
    try:
        p = subprocess.run(
            wrapped, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
        rc, out, err = p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        rc, out, err = -1, "", f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - t0
    rss = None
    try:
        text = Path(time_file).read_text(encoding="utf-8").split()
        rss = int(text[-1]) / 1024 if text else None
    except (OSError, ValueError):
        rss = None
    finally:
        Path(time_file).unlink(missing_ok=True)
    return Run(wall, rss, rc, out, err)


def warm_cache(ds: Dataset) -> None:
    """Read every file once so all tools start with the page cache warm."""
    for f in ds.files:
        with open(f, "rb") as fh:
            while fh.read(1 << 24):
                pass
