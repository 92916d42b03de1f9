"""Seeded synthetic Lambda logs in every on-disk shape, with the numbers a report must show.

`generate(out_dir)` writes realistic logs of several functions under `out_dir/logs/` and the
expected `report --format json` figures to `out_dir/truth.json`. `generate_export_text` and
`generate_export_parts` write large S3-export shaped data fast, for benchmarks.

What `generate` writes (see `FUNCTIONS`; every shape is in lambda-log-formats.md):

- orders-api, Python 3.12 text, S3 export (`exportedlogs/<task>/<stream>/000000.gz`): X-Ray
  lines, lambdascope records, `LAMBDA_WARNING` + NBSP tracebacks, handled `[ERROR]` lines;
  a second, overlapping export task repeats the last 45 minutes (duplicates).
- billing-worker, Node.js JSON log format, one file per stream: `platform.*` records,
  Powertools Logger and EMF lines, `Invoke Error` JSON, a non-JSON extension line.
- image-resize, Python 3.11 text, one file per stream: OOM (modern and legacy), init
  failures that reach a request (errors) and ones that do not (not invocations).
- report-cron, Node.js text, `filter-log-events` pages: timeouts (modern and legacy).
- inventory-sync, Java SnapStart, `get-log-events` per stream: restores are the cold starts.
- webhook-ingest, Python 3.13 text, Firehose objects of gzip DATA_MESSAGE records.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analyzer._gen_bulk import BulkTruth, generate_export_parts, generate_export_text
from analyzer._gen_json import render_json
from analyzer._gen_model import (
    FUNCTIONS,
    WINDOW_MS,
    WINDOW_START_MS,
    FunctionSpec,
    Simulation,
    simulate,
)
from analyzer._gen_render import Event, render_text
from analyzer._gen_write import (
    write_filter_events,
    write_firehose,
    write_get_events,
    write_s3_export,
    write_streams,
)

__all__ = [
    "FUNCTIONS",
    "BulkTruth",
    "Truth",
    "generate",
    "generate_export_parts",
    "generate_export_text",
    "quantile_cont",
]

SHAPE_DIRS = {
    "s3-export": "s3",
    "stream-text": "cloudwatch",
    "filter-events": "filter-log-events",
    "get-events": "get-log-events",
    "firehose": "firehose",
}
"""Folder under `logs/` for each on-disk shape."""


@dataclass(frozen=True)
class Truth:
    """What was generated: the expected report (design §3 contract) and the raw samples."""

    report: dict[str, Any]
    """Expected `report --format json` (schema, ingest.files, totals, functions).

    `ingest.files` counts distinct file contents: an overlapping export can repeat a whole
    stream file byte for byte, and reading the same content twice is one file.
    """
    durations: dict[str, list[float]] = field(default_factory=dict)
    """Per function, every invocation's duration in ms (timeouts included)."""
    init_durations: dict[str, list[float]] = field(default_factory=dict)
    """Per function, the Init Duration of each cold start (SnapStart restores not included)."""
    restore_durations: dict[str, list[float]] = field(default_factory=dict)
    """Per function, the Restore Duration of each SnapStart restore."""
    init_failures: dict[str, int] = field(default_factory=dict)
    """Per function, INIT_REPORT lines with Status error/timeout (phase init and invoke)."""
    orphan_init_failures: dict[str, int] = field(default_factory=dict)
    """Per function, failed inits that never reached a request (not invocations)."""
    paths: dict[str, str] = field(default_factory=dict)
    """Per function, the folder (relative to out_dir) holding its logs."""

    @property
    def totals(self) -> dict[str, Any]:
        """The expected `totals` object."""
        return dict(self.report["totals"])

    def function(self, name: str) -> dict[str, Any]:
        """The expected per-function object."""
        return next(f for f in self.report["functions"] if f["function"] == name)

    def to_json(self) -> str:
        """Stable JSON text of the whole truth."""
        return json.dumps(asdict(self), indent=1, sort_keys=False) + "\n"

    @classmethod
    def load(cls, path: Path) -> Truth:
        """Read a `truth.json` written by `generate`."""
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def quantile_cont(values: list[float], q: float) -> float | None:
    """Linear-interpolated quantile, the same definition as DuckDB's `quantile_cont`."""
    if not values:
        return None
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


OVERLAP_MS = 45 * 60 * 1000
"""The S3 export is written twice for its last 45 minutes (duplicates the loader must drop)."""

MS_DECIMALS = 3
"""Decimals of millisecond values in the report (as `analyzer.queries`)."""

RATIO_DECIMALS = 6
"""Decimals of ratios in the report."""


def _round(value: float | None, digits: int) -> float | None:
    """value rounded like the report does; None stays None."""
    return None if value is None else round(value, digits)


def _stats(durations: list[float], inits: list[float]) -> dict[str, Any]:
    """Duration and init statistics in the report's shape (null when nothing is known)."""
    d = {q: quantile_cont(durations, v) for q, v in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))}
    d["max"] = max(durations) if durations else None
    d["mean"] = math.fsum(durations) / len(durations) if durations else None
    i = {"p50": quantile_cont(inits, 0.5), "p99": quantile_cont(inits, 0.99)}
    i["max"] = max(inits) if inits else None
    return {
        "duration_ms": {k: _round(v, MS_DECIMALS) for k, v in d.items()},
        "init_ms": {k: _round(v, MS_DECIMALS) for k, v in i.items()},
    }


def _init_failures(sim: Simulation) -> int:
    """Failed inits (INIT_REPORT Status error/timeout): two per failed request, one per orphan."""
    return 2 * sum(i.kind == "initfail" for i in sim.invocations) + len(sim.orphans)


def _summary(name: str | None, sims: list[Simulation]) -> dict[str, Any]:
    """Counts, ratios, statistics and memory of some simulations (one function or all)."""
    invs = [inv for s in sims for inv in s.invocations]
    n = len(invs)
    errors = sum(inv.kind in ("error", "oom", "initfail") for inv in invs)
    timeouts = sum(inv.kind == "timeout" for inv in invs)
    cold = sum(inv.cold for inv in invs)
    out: dict[str, Any] = {} if name is None else {"function": name}
    out |= {
        "invocations": n,
        "errors": errors,
        "timeouts": timeouts,
        "cold_starts": cold,
        "error_rate": round(errors / n, RATIO_DECIMALS) if n else None,
        "cold_start_ratio": round(cold / n, RATIO_DECIMALS) if n else None,
    }
    inits = [inv.init_ms for inv in invs if inv.init_ms is not None]
    out |= _stats([inv.duration_ms for inv in invs], inits)
    out["memory_size_mb"] = max((s.spec.memory_mb for s in sims if s.invocations), default=None)
    out["max_memory_used_mb"] = max((inv.max_mem for inv in invs), default=None)
    out["init_failures"] = sum(_init_failures(s) for s in sims)
    return out


def _counts(total: int) -> list[int]:
    """Invocations per function: shares of `total`, summing to it exactly."""
    counts = [int(total * f.share) for f in FUNCTIONS]
    counts[0] += total - sum(counts)
    return counts


def _folder(spec: FunctionSpec) -> str:
    """Where a function's logs go, relative to out_dir (Firehose objects do not name it)."""
    if spec.shape == "firehose":
        return f"logs/{SHAPE_DIRS[spec.shape]}/lambda-logs"
    export = "/exportedlogs" if spec.shape == "s3-export" else ""
    return f"logs/{SHAPE_DIRS[spec.shape]}{export}/aws/lambda/{spec.name}"


def _write(
    out_logs: Path, spec: FunctionSpec, events: list[Event], rng: random.Random
) -> list[Path]:
    """Write one function's events in its shape; the files written."""
    root = out_logs / SHAPE_DIRS[spec.shape]
    group = f"/aws/lambda/{spec.name}"
    if spec.shape == "s3-export":
        overlap = WINDOW_START_MS + WINDOW_MS - OVERLAP_MS
        return write_s3_export(root, group, events, rng, overlap_from=overlap)
    if spec.shape == "filter-events":
        return write_filter_events(root, group, events, rng)
    if spec.shape == "get-events":
        return write_get_events(root, group, events, rng)
    if spec.shape == "firehose":
        return write_firehose(out_logs.parent / _folder(spec), group, events, rng)
    return write_streams(root, group, events)


def generate(out_dir: Path, *, seed: int = 42, invocations: int = 5000) -> Truth:
    """Write seeded logs of every function in `FUNCTIONS` and `truth.json`; return the truth."""
    out_dir = Path(out_dir)
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    sims: list[Simulation] = []
    files: list[Path] = []
    for spec, count in zip(FUNCTIONS, _counts(invocations), strict=True):
        rng = random.Random(f"{seed}:{spec.name}")
        sim = simulate(spec, count, rng)
        render = render_json if spec.log_format == "json" else render_text
        files += _write(logs, spec, render(sim, rng), rng)
        sims.append(sim)
    distinct = {hashlib.sha256(p.read_bytes()).digest() for p in files}
    report = {
        "schema": 1,
        "ingest": {"files": len(distinct)},
        "totals": _summary(None, sims),
        "functions": [_summary(s.spec.name, [s]) for s in sorted(sims, key=lambda s: s.spec.name)],
    }
    truth = Truth(
        report=report,
        durations={s.spec.name: [i.duration_ms for i in s.invocations] for s in sims},
        init_durations={
            s.spec.name: [i.init_ms for i in s.invocations if i.init_ms is not None] for s in sims
        },
        restore_durations={
            s.spec.name: [i.restore_ms for i in s.invocations if i.restore_ms is not None]
            for s in sims
        },
        init_failures={s.spec.name: _init_failures(s) for s in sims},
        orphan_init_failures={s.spec.name: len(s.orphans) for s in sims},
        paths={s.spec.name: _folder(s.spec) for s in sims},
    )
    (out_dir / "truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth
