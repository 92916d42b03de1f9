"""Analyzer benchmark: `lambdascope report` end to end against floors, a script and lnav.

Data (generated into benchmarks/data/, reused): 1 M lines as one S3-export text file, the same
as 50 and 500 gzip parts, and 10 M lines. Every tool runs in a fresh process, interleaved,
median of 3; peak RSS from GNU time. Figures and pass/fail of issue 5's targets go to
benchmarks/results/analyzer.json. `LAMBDASCOPE_BENCH_QUICK=1` runs a small version.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.analyzer_tools import (
    HERE,
    WORK,
    Dataset,
    Measure,
    parts_dataset,
    run,
    text_dataset,
    warm_cache,
)

QUICK = os.environ.get("LAMBDASCOPE_BENCH_QUICK") == "1"
REPS = 1 if QUICK else 3
LINES_1M = 50_000 if QUICK else 1_000_000
LINES_10M = 300_000 if QUICK else 10_000_000
RESULTS = HERE / "results" / "analyzer.json"
LAMBDASCOPE = str(HERE.parent / ".venv" / "bin" / "lambdascope")
LNAV_FORMAT = HERE / "analyzer_lnav_format.json"
LNAV_HOME = WORK / "lnav-home"
LNAV_SQL = (
    ";WITH r AS MATERIALIZED (SELECT duration, init_duration FROM lambda_export_log "
    "WHERE duration IS NOT NULL), n AS (SELECT count(*) AS c, count(init_duration) AS cold "
    "FROM r) SELECT n.c AS reports, n.cold AS cold, "
    "(SELECT duration FROM r ORDER BY duration LIMIT 1 OFFSET (SELECT c / 2 FROM n)) AS p50, "
    "(SELECT duration FROM r ORDER BY duration LIMIT 1 OFFSET (SELECT c * 99 / 100 FROM n)) "
    "AS p99 FROM n"
)
"""REPORT count, cold count, p50 and p99 in lnav's SQLite (no percentile function there)."""


def _sh(pipeline: str, files: list[str]) -> list[str]:
    """`sh -c PIPELINE` over the files (passed as "$@")."""
    return ["sh", "-c", pipeline, "sh", *files]


def _install_lnav() -> None:
    """Try `apt-get install -y lnav` once per checkout (a marker in .work/ remembers the try)."""
    marker = WORK / "lnav-apt-tried"
    if shutil.which("lnav") or marker.exists() or shutil.which("apt-get") is None:
        return
    marker.write_text("tried\n", encoding="utf-8")
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        subprocess.run(
            ["apt-get", "install", "-y", "lnav"], capture_output=True, timeout=600, check=False
        )


def _lnav_ready() -> str | None:
    """Install our Lambda format into a private lnav home; None if ready, else why not."""
    _install_lnav()
    if shutil.which("lnav") is None:
        return "skipped: lnav not installed"
    LNAV_HOME.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HOME": str(LNAV_HOME)}
    p = subprocess.run(
        ["lnav", "-i", str(LNAV_FORMAT)], capture_output=True, text=True, env=env, check=False
    )
    return None if p.returncode == 0 else f"skipped: lnav -i failed: {p.stderr.strip()[-300:]}"


def _commands(ds: Dataset, lnav: bool) -> dict[str, list[str]]:
    """Every tool's command line for one data set."""
    files = ds.files
    gz = files[0].endswith(".gz")
    cat = 'zcat -- "$@"' if gz else 'cat -- "$@"'
    cmds = {
        "lambdascope": [LAMBDASCOPE, "report", "--format", "json", *ds.paths],
        "wc_l": _sh(f"{cat} | wc -l", files) if gz else ["wc", "-l", *files],
        "grep_c": _sh(f"{cat} | grep -c ' REPORT '", files) if gz
        else ["grep", "-c", " REPORT ", *files],
        "python_minimal": [sys.executable, str(HERE / "analyzer_minimal.py"), *ds.paths],
        "duckdb_handwritten": [sys.executable, str(HERE / "analyzer_duckdb.py"), *ds.paths],
    }  # fmt: skip
    if lnav:
        cmds["lnav"] = ["lnav", "-n", "-c", LNAV_SQL, *files]
    return cmds


def _check(tool: str, ds: Dataset, stdout: str) -> bool | None:
    """Whether a tool's answer has the true REPORT count (None when it gives none)."""
    t = ds.truth
    try:
        if tool in ("lambdascope", "python_minimal", "duckdb_handwritten"):
            doc = json.loads(stdout)
            got = doc["totals"] if tool == "lambdascope" else doc
            names = [f["function"] for f in doc.get("functions", [])]
            named = tool != "lambdascope" or names == [t.function]
            counts = (got["invocations"], got["cold_starts"]) == (t.invocations, t.cold_starts)
            return bool(counts and named)
        if tool == "grep_c":
            return int(stdout.split()[0]) == t.invocations
        if tool == "wc_l":
            return int(stdout.split()[0]) == t.lines
        if tool == "lnav":
            nums = stdout.strip().splitlines()[-1].split()
            return int(nums[0]) == t.invocations and int(nums[1]) == t.cold_starts
    except (ValueError, KeyError, IndexError, TypeError):
        return False
    return None


def bench_dataset(ds: Dataset, lnav: bool, reps: int) -> dict[str, Any]:
    """Interleaved runs of every tool on one data set; summaries with correctness."""
    warm_cache(ds)
    cmds = _commands(ds, lnav)
    env = {**os.environ, "HOME": str(LNAV_HOME)}
    measures = {tool: Measure(cmd) for tool, cmd in cmds.items()}
    for _ in range(reps):
        for tool, m in measures.items():
            m.runs.append(run(m.cmd, env=env if tool == "lnav" else None))
    out: dict[str, Any] = {}
    for tool, m in measures.items():
        s = m.summary()
        last = m.runs[-1]
        s["correct"] = _check(tool, ds, last.stdout) if m.ok else False
        if not m.ok:
            what = "report command failed" if tool == "lambdascope" else f"{tool} failed"
            s["error"] = f"{what} (exit {last.rc}): {last.stderr.strip()[-1500:]}"
        out[tool] = s
    return out


def bench_db_rerun(ds: Dataset, reps: int) -> dict[str, Any]:
    """`report --db` once to load, then re-runs on the unchanged files (median)."""
    db = WORK / "rerun.duckdb"
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    cmd = [LAMBDASCOPE, "report", "--format", "json", "--db", str(db), *ds.paths]
    first = run(cmd)
    m = Measure(cmd)
    for _ in range(reps):
        m.runs.append(run(cmd))
    s = m.summary()
    s["first_load_s"] = round(first.wall_s, 3)
    s["correct"] = _check("lambdascope", ds, m.runs[-1].stdout) if m.ok else False
    if not (m.ok and first.rc == 0):
        s["error"] = f"report command failed: {(m.runs[-1].stderr or first.stderr)[-400:]}"
    return s


def _wall(runs: dict[str, Any], tool: str) -> float | None:
    """Median wall time of a tool when it ran fine."""
    s = runs.get(tool) or {}
    return s.get("wall_s") if s.get("rc") == 0 else None


def _ratio(a: float | None, b: float | None) -> float | None:
    """a / b rounded, None when either is unknown."""
    return round(a / b, 2) if a is not None and b else None


def ratios(runs: dict[str, Any]) -> dict[str, float | None]:
    """lambdascope against the floors, the script, and lnav against lambdascope."""
    ours = _wall(runs, "lambdascope")
    return {
        "ours_over_wc_l": _ratio(ours, _wall(runs, "wc_l")),
        "ours_over_grep_c": _ratio(ours, _wall(runs, "grep_c")),
        "ours_over_python_minimal": _ratio(ours, _wall(runs, "python_minimal")),
        "ours_over_duckdb_handwritten": _ratio(ours, _wall(runs, "duckdb_handwritten")),
        "lnav_over_ours": _ratio(_wall(runs, "lnav"), ours),
    }


def _target(name: str, value: float | None, op: str, limit: float) -> dict[str, Any]:
    """One target with its measured value and pass/fail (None when not measured)."""
    ok = None if value is None else (value <= limit if op == "<=" else value >= limit)
    return {"target": name, "value": value, "op": op, "limit": limit, "pass": ok}


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 5's targets, evaluated on this run."""
    d = res["datasets"]
    one, p50, big = (d.get(k, {}).get("runs", {}) for k in ("text_1m", "parts_50", "text_10m"))
    p500 = d.get("parts_500", {}).get("runs", {})
    rss = [(x.get("lambdascope") or {}).get("peak_rss_mib") for x in (one, p50, p500)]
    known = [float(r) for r in rss if r]
    flat = round(max(known) / min(known), 2) if len(known) == len(rss) else None
    rerun = res.get("db_rerun", {})
    return [
        _target("1M lines, one file: end to end s", _wall(one, "lambdascope"), "<=", 1.0),
        _target("1M lines, one file: lnav / ours", ratios(one)["lnav_over_ours"], ">=", 5.0),
        _target("1M lines, 50 parts: end to end s", _wall(p50, "lambdascope"), "<=", 1.0),
        _target("1M lines, 50 parts: lnav / ours", ratios(p50)["lnav_over_ours"], ">=", 5.0),
        _target("10M lines: end to end s", _wall(big, "lambdascope"), "<=", 10.0),
        _target("10M lines: peak RSS MiB", (big.get("lambdascope") or {}).get("peak_rss_mib"),
                "<=", 1024.0),
        _target("memory flat in files: RSS max/min over 1, 50, 500 files", flat, "<=", 1.25),
        _target("re-run, persistent --db, unchanged files: s",
                rerun.get("wall_s") if rerun.get("rc") == 0 else None, "<=", 0.3),
    ]  # fmt: skip


def bench_generator() -> dict[str, float]:
    """Seconds to write the demo data set (5000 invocations) and 1 M export lines."""
    import tempfile
    import time

    from analyzer.generator import generate, generate_export_text

    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        t0 = time.perf_counter()
        generate(Path(tmp) / "demo", seed=42, invocations=5000)
        t1 = time.perf_counter()
        generate_export_text(Path(tmp) / "export.txt", lines=1_000_000, seed=42)
        t2 = time.perf_counter()
    return {
        "generate_5000_invocations_s": round(t1 - t0, 3),
        "export_text_1m_lines_s": round(t2 - t1, 3),
    }


def _versions() -> dict[str, str | None]:
    """Versions of the tools compared."""
    lnav = None
    if shutil.which("lnav"):
        p = subprocess.run(["lnav", "-V"], capture_output=True, text=True, check=False)
        lnav = p.stdout.strip() or None
    import duckdb

    return {"python": platform.python_version(), "duckdb": duckdb.__version__, "lnav": lnav}


def main() -> int:
    """Generate (or reuse) the data, run every tool, write results/analyzer.json."""
    WORK.mkdir(parents=True, exist_ok=True)
    lnav_note = _lnav_ready()
    sets = {
        "text_1m": text_dataset(LINES_1M),
        "parts_50": parts_dataset(LINES_1M, 50),
        "parts_500": parts_dataset(LINES_1M, 500),
        "text_10m": text_dataset(LINES_10M),
    }
    res: dict[str, Any] = {
        "quick": QUICK,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": _versions(),
        "lnav": lnav_note or "lnav with benchmarks/analyzer_lnav_format.json",
        "method": f"fresh process per run, tools interleaved, median of {REPS}; "
        "peak RSS from GNU time; page cache warmed first",
        "datasets": {},
    }
    for key, ds in sets.items():
        use_lnav = lnav_note is None and key != "parts_500"
        reps = 1 if key == "text_10m" and not QUICK else REPS
        print(f"  {key}: {ds.truth.lines} lines in {len(ds.files)} files", flush=True)
        runs = bench_dataset(ds, use_lnav, reps)
        res["datasets"][key] = {"data": ds.describe(), "runs": runs, "ratios": ratios(runs)}
    res["db_rerun"] = bench_db_rerun(sets["text_1m"], REPS)
    res["generator"] = bench_generator()
    res["targets"] = targets(res)
    res["machine"]["load_avg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    for t in res["targets"]:
        print(f"  {t['target']}: {t['value']} (target {t['op']} {t['limit']}): {t['pass']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
