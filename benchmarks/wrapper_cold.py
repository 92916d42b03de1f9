"""Cold cost of each wrapper variant: import + setup + first invocation, in fresh processes.

Each probe is a fresh `python -c` process. What a Lambda runtime has already loaded before
the handler module (the runtime client's context class) is loaded before the clock starts;
the clock then covers importing the library, configuring it, wrapping the handler and the
first call. rich is blocked, as a Lambda bundle does not carry it (structlog imports it
whenever it is installed).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import json, sys, time
sys.modules["rich"] = None
from benchmarks import wrapper_variants as wv
ctx = wv.make_context()
c0, t0 = time.process_time(), time.perf_counter()
handler = {build}
handler(wv.EVENT, ctx)
t1, c1 = time.perf_counter(), time.process_time()
found = {{"ms": (t1 - t0) * 1000, "cpu_ms": (c1 - c0) * 1000}}
print(json.dumps(found), file=sys.stderr, flush=True)
"""

PROBES = {
    "bare": "wv.bare()",
    "lambdascope_otel_on": "wv.lambdascope()",
    "lambdascope_otel_off": "wv.lambdascope(otel=False)",
    "powertools_logger_metrics": "wv.powertools()",
    "otel_contrib_otlp": "wv.otel_contrib('otlp')",
}
"""Cold variant name -> expression building its handler (imports happen inside)."""


def probe_once(name: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, process CPU ms) from before the imports to after the first call."""
    code = _PROBE.format(build=PROBES[name])
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
    )
    for line in reversed(done.stderr.splitlines()):
        if line.startswith('{"ms"'):
            found = json.loads(line)
            return float(found["ms"]), float(found["cpu_ms"])
    raise RuntimeError(f"cold probe {name} failed (rc {done.returncode}):\n{done.stderr[-2000:]}")


def measure_cold(endpoint: str, runs: int) -> dict[str, dict[str, Any]]:
    """Median (and every sample) of `runs` fresh-process probes per variant, interleaved."""
    from benchmarks.wrapper_variants import ENV, HANDLERS

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDASCOPE_", "OTEL_"))}
    env.update(ENV)
    env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    env["_HANDLER"] = f"{HANDLERS.__name__}.otel_noop"
    samples: dict[str, list[tuple[float, float]]] = {}
    failed: dict[str, str] = {}
    for name in PROBES:  # one unmeasured round fills the OS page cache and finds failures
        try:
            probe_once(name, env)
            samples[name] = []
        except RuntimeError as exc:
            failed[name] = str(exc)
    for _ in range(runs):
        for name in samples:
            samples[name].append(probe_once(name, env))
    result: dict[str, dict[str, Any]] = {}
    for name, pairs in samples.items():
        wall = [round(w, 2) for w, _ in pairs]
        cpu = [round(c, 2) for _, c in pairs]
        result[name] = {
            "median_ms": round(statistics.median(wall), 2),
            "samples_ms": wall,
            "cpu_median_ms": round(statistics.median(cpu), 2),
            "cpu_samples_ms": cpu,
        }
    for name, error in failed.items():
        result[name] = {"median_ms": None, "error": error}
    return result
