"""Warm and cold cost of `@instrument` beside bare calls, Powertools and OTel contrib.

One process, variants interleaved chunk by chunk, median of repetitions; stdout goes to
/dev/null through the same per-write flushing wrapper the Lambda runtime client puts on
stdout. Cold cost is measured in fresh processes (benchmarks/wrapper_cold.py). Results
go to benchmarks/results/wrapper.json. `LAMBDASCOPE_BENCH_QUICK=1` makes a short run.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks import wrapper_variants as wv
from benchmarks.wrapper_cold import measure_cold
from benchmarks.wrapper_sink import Sink

RESULTS = Path(__file__).resolve().parent / "results" / "wrapper.json"

QUICK = os.environ.get("LAMBDASCOPE_BENCH_QUICK", "") not in ("", "0")
REPS = 3 if QUICK else 7
ROUNDS = 10 if QUICK else 20
"""Chunks per variant per repetition, run round-robin across variants."""
FAST_CHUNK = 200 if QUICK else 1000
SLOW_CHUNK = 10 if QUICK else 50
"""Calls per chunk: variants that export every call get fewer calls (they take ~1 ms)."""
COLD_RUNS = 3 if QUICK else 7

WARM: dict[str, tuple[Callable[[], wv.Handler], bool]] = {
    "bare": (wv.bare, False),
    "lambdascope_log_only": (lambda: wv.lambdascope(otel=False), False),
    "lambdascope_span_metrics_flush_off": (
        lambda: wv.lambdascope_noop_export(flush="off"),
        False,
    ),
    "lambdascope_span_metrics_flush_interval": (
        lambda: wv.lambdascope_noop_export(flush="interval"),
        False,
    ),
    "lambdascope_span_metrics_flush_off_otlp_background": (
        lambda: wv.lambdascope(flush="off"),
        False,
    ),
    "lambdascope_span_metrics_flush_interval_otlp_background": (
        lambda: wv.lambdascope(flush="interval"),
        False,
    ),
    "lambdascope_flush_end_loopback": (lambda: wv.lambdascope(flush="end"), True),
    "powertools_logger_metrics": (wv.powertools, False),
    "otel_contrib_noop_exporter": (lambda: wv.otel_contrib("noop"), False),
    "otel_contrib_otlp_loopback": (lambda: wv.otel_contrib("otlp"), True),
}
"""Variant -> (builder, exports on every call)."""


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Point fd 1 at /dev/null and flush every write, as awslambdaric's stdout does."""
    from awslambdaric.bootstrap import Unbuffered

    sys.stdout.flush()
    saved_fd, saved_stdout = os.dup(1), sys.stdout
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdout = Unbuffered(saved_stdout)
    try:
        yield
    finally:
        saved_stdout.flush()
        sys.stdout = saved_stdout
        os.dup2(saved_fd, 1)
        os.close(saved_fd)


def build_variants() -> tuple[dict[str, wv.Handler], dict[str, str]]:
    """Every buildable variant, warmed up past its cold call; failures by name."""
    built: dict[str, wv.Handler] = {}
    failed: dict[str, str] = {}
    ctx = wv.make_context()
    for name, (builder, _) in WARM.items():
        try:
            handler = builder()
            for _ in range(50):
                handler(wv.EVENT, ctx)
            built[name] = handler
        except Exception as exc:  # a missing or broken variant must not sink the others
            failed[name] = f"{type(exc).__name__}: {exc}"
    return built, failed


def requests_per_call(handlers: dict[str, wv.Handler], sink: Sink) -> dict[str, dict[str, float]]:
    """OTLP POSTs per call, per path, of the variants that export on every call."""
    calls, ctx = 20, wv.make_context()
    found: dict[str, dict[str, float]] = {}
    for name, handler in handlers.items():
        if not WARM[name][1]:
            continue
        before = sink.counts()
        for _ in range(calls):
            handler(wv.EVENT, ctx)
        after = sink.counts()
        found[name] = {p: (n - before.get(p, 0)) / calls for p, n in sorted(after.items())}
    return found


def _other_threads_cpu() -> float:
    """CPU seconds the process's threads other than the calling one have used."""
    return time.process_time() - time.thread_time()


def _others_runnable() -> bool:
    """True while another thread of this process is running or waiting for a CPU (Linux
    /proc; elsewhere always False)."""
    me = str(threading.get_native_id())
    try:
        for tid in os.listdir("/proc/self/task"):
            if tid != me:
                with open(f"/proc/self/task/{tid}/stat", "rb") as stat:
                    if stat.read().rpartition(b")")[2].split()[0] == b"R":
                        return True
    except (OSError, IndexError):
        return False
    return False


def settle(quiet_s: float = 0.002, limit_s: float = 1.0) -> None:
    """Wait, untimed, until the process's other threads are idle: none running or waiting
    for a CPU, and < 5 % of a core used over the last `quiet_s`.

    Variants that export from SDK background threads (a batch every 512 spans) leave that
    work running after their chunk; without this it was timed in the chunk of whichever
    variant came next — with the fixed round-robin order always the same one. On a loaded
    machine a runnable thread can wait longer than `quiet_s` for a CPU, hence the state check.
    """
    deadline = time.perf_counter() + limit_s
    before = _other_threads_cpu()
    while time.perf_counter() < deadline:
        time.sleep(quiet_s)
        now = _other_threads_cpu()
        if now - before < quiet_s / 20 and not _others_runnable():
            return
        before = now


def time_chunk(handler: wv.Handler, ctx: Any, calls: int) -> tuple[float, float]:
    """(wall seconds, calling thread's CPU seconds) for `calls` calls of `handler`."""
    event = wv.EVENT
    c0, t0 = time.thread_time(), time.perf_counter()
    for _ in range(calls):
        handler(event, ctx)
    t1, c1 = time.perf_counter(), time.thread_time()
    return t1 - t0, c1 - c0


def measure_warm(handlers: dict[str, wv.Handler]) -> dict[str, dict[str, Any]]:
    """µs per call per variant: median over repetitions of interleaved chunks.

    Wall time is the figure; the calling thread's CPU time is kept beside it because on a
    loaded machine wall time also counts the time the process waited for a CPU. After each
    chunk the process's other threads are let finish (`settle`, untimed), so background
    export a variant started is not timed in the next variant's chunk; the CPU those threads
    used from the chunk's start to the end of the settling is reported per variant.
    """
    names = list(handlers)
    wall: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    background: dict[str, list[float]] = {name: [] for name in names}
    calls = {name: _chunk(name) * ROUNDS for name in names}
    ctx = wv.make_context()
    for rep in range(REPS):
        spent = {name: [0.0, 0.0, 0.0] for name in names}
        gc.collect()
        settle()
        for rnd in range(ROUNDS):
            shift = (rep * ROUNDS + rnd) % len(names)
            for name in names[shift:] + names[:shift]:
                others = _other_threads_cpu()
                w, c = time_chunk(handlers[name], ctx, _chunk(name))
                settle()
                spent[name][0] += w
                spent[name][1] += c
                spent[name][2] += _other_threads_cpu() - others
        for name in names:
            wall[name].append(spent[name][0] / calls[name] * 1e6)
            cpu[name].append(spent[name][1] / calls[name] * 1e6)
            background[name].append(max(spent[name][2], 0.0) / calls[name] * 1e6)
    return {
        name: {
            "us_per_call": round(statistics.median(wall[name]), 3),
            "reps_us": [round(v, 3) for v in wall[name]],
            "cpu_us_per_call": round(statistics.median(cpu[name]), 3),
            "cpu_reps_us": [round(v, 3) for v in cpu[name]],
            "background_cpu_us_per_call": round(statistics.median(background[name]), 3),
            "calls_per_rep": calls[name],
        }
        for name in names
    }


def _chunk(name: str) -> int:
    return SLOW_CHUNK if WARM[name][1] else FAST_CHUNK


def _paired(per_rep: dict[str, list[float]], base: str) -> dict[str, list[float]]:
    """Each variant's samples minus the base variant's sample of the same repetition."""
    if base not in per_rep:
        return {}
    return {
        name: [v - b for v, b in zip(values, per_rep[base], strict=False)]
        for name, values in per_rep.items()
    }


def _median_ratio(num: list[float] | None, den: list[float] | None) -> float | None:
    """Median over repetitions of num/den taken within each repetition (robust to load)."""
    if not num or not den:
        return None
    ratios = [n / d for n, d in zip(num, den, strict=False) if d > 0]
    return round(statistics.median(ratios), 3) if ratios else None


def targets(warm: dict[str, dict[str, Any]], cold: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 4's targets as measured values, limits and pass/fail.

    Ratios are taken inside each repetition (warm: the same interleaved rounds; cold: the
    same round of fresh processes) and the median of those ratios is reported.
    """
    ov = _paired({n: w["reps_us"] for n, w in warm.items()}, "bare")
    cv = _paired({n: c["samples_ms"] for n, c in cold.items() if c.get("samples_ms")}, "bare")
    cc = _paired({n: c["cpu_samples_ms"] for n, c in cold.items() if c.get("samples_ms")}, "bare")
    off = ov.get("lambdascope_span_metrics_flush_off")
    interval = ov.get("lambdascope_span_metrics_flush_interval")
    span = [max(a, b) for a, b in zip(off, interval, strict=False)] if off and interval else None
    log_only = ov.get("lambdascope_log_only")
    log_cpu = _paired({n: w["cpu_reps_us"] for n, w in warm.items()}, "bare").get(
        "lambdascope_log_only"
    )
    rows: list[tuple[str, float | None, float]] = [
        (
            "log-only warm overhead µs (wall)",
            round(statistics.median(log_only), 3) if log_only else None,
            10.0,
        ),
        (
            "log-only warm overhead µs (CPU time of the calling thread; no other threads)",
            round(statistics.median(log_cpu), 3) if log_cpu else None,
            10.0,
        ),
        (
            "span+metrics (worse of flush off/interval) / Powertools Logger+Metrics",
            _median_ratio(span, ov.get("powertools_logger_metrics")),
            0.6,
        ),
        (
            "span+metrics (worse of flush off/interval) / OTel contrib no-op exporter",
            _median_ratio(span, ov.get("otel_contrib_noop_exporter")),
            0.8,
        ),
        (
            "flush end to loopback / OTel contrib OTLP to loopback",
            _median_ratio(
                ov.get("lambdascope_flush_end_loopback"), ov.get("otel_contrib_otlp_loopback")
            ),
            0.5,
        ),
    ]
    for label, ours, theirs, limit in (
        ("cold, OTel on / OTel contrib", "lambdascope_otel_on", "otel_contrib_otlp", 0.7),
        (
            "cold, OTel off / Powertools Logger+Metrics",
            "lambdascope_otel_off",
            "powertools_logger_metrics",
            1.5,
        ),
    ):
        rows.append((f"{label} (wall)", _median_ratio(cv.get(ours), cv.get(theirs)), limit))
        rows.append((f"{label} (process CPU)", _median_ratio(cc.get(ours), cc.get(theirs)), limit))
    return [
        {
            "target": label,
            "value": value,
            "limit": limit,
            "pass": None if value is None else value <= limit,
            "missed_by": None if value is None or value <= limit else round(value / limit, 2),
        }
        for label, value, limit in rows
    ]


def run() -> dict[str, Any]:
    """Measure everything and return the results document."""
    # The SDK providers flush at interpreter exit: keep the sink up until after them.
    sink = Sink().__enter__()
    atexit.register(sink.__exit__)
    wv.setup_environment(sink.endpoint)
    with stdout_to_devnull():
        handlers, failed = build_variants()
        exports = requests_per_call(handlers, sink)
        warm = measure_warm(handlers)
    bare = warm.get("bare", {}).get("us_per_call")
    for entry in warm.values():
        entry["overhead_us"] = round(entry["us_per_call"] - bare, 3) if bare else None
    cold = measure_cold(sink.endpoint, COLD_RUNS)
    cold_bare = cold["bare"]["median_ms"]
    for entry in cold.values():
        median = entry["median_ms"]
        entry["overhead_ms"] = None if median is None else round(median - cold_bare, 2)
    return {
        "benchmark": "wrapper",
        "quick": QUICK,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        },
        "method": {
            "warm": (
                f"one process; {REPS} repetitions, each {ROUNDS} round-robin rounds of one chunk "
                f"per variant ({FAST_CHUNK} calls; {SLOW_CHUNK} for variants exporting every "
                "call, so fewer calls for those); median of repetitions; µs per call; "
                "overhead = variant - bare; stdout to /dev/null with a flush per write "
                "(awslambdaric's stdout wrapper); OTLP/HTTP to a loopback sink process; after "
                "each chunk, untimed, the process's other threads are let go idle (their CPU "
                "from the chunk's start: background_cpu_us_per_call)"
            ),
            "cold": (
                f"fresh process per sample, median of {COLD_RUNS}; ms from before the library "
                "import to after the first invocation; overhead = variant - bare; rich blocked"
            ),
            "lambdascope_span_metrics": (
                "flush off / interval variants use no-op span and metric exporters, like the "
                "OTel contrib no-op variant (the targets compare these); the *_otlp_background "
                "variants export to the loopback sink from the SDK's background threads "
                "(information: that export competes for the GIL with the handler)"
            ),
            "otel_contrib": (
                "AwsLambdaInstrumentor over SDK TracerProvider(BatchSpanProcessor) and "
                "MeterProvider(PeriodicExportingMetricReader 60 s); it force-flushes both "
                "after every call"
            ),
        },
        "warm": warm,
        "warm_failed": failed,
        "otlp_requests_per_call": exports,
        "cold": cold,
        "targets": targets(warm, cold),
    }


def main() -> int:
    """Run the benchmark, write benchmarks/results/wrapper.json, print a summary."""
    results = run()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    for name, entry in results["warm"].items():
        print(
            f"warm {name:56s} {entry['us_per_call']:9.2f} µs"
            f"  (cpu {entry['cpu_us_per_call']:9.2f})  overhead {entry['overhead_us']}"
        )
    for name, failure in results["warm_failed"].items():
        print(f"warm {name:45s} FAILED {failure}")
    for name, entry in results["cold"].items():
        print(f"cold {name:56s} {entry['median_ms']} ms  overhead {entry['overhead_ms']}")
    for row in results["targets"]:
        print(f"target {row['target']}: {row['value']} (≤ {row['limit']}) pass={row['pass']}")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
