"""The synthetic functions and the simulation of their invocations (no text, no I/O)."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass, field

WINDOW_START_MS = 1_795_500_000_000
"""2026-11-24T06:00:00Z: start of the generated traffic (fixed, so output is reproducible)."""

WINDOW_MS = 6 * 3600 * 1000
"""Length of the generated traffic window."""

IDLE_TTL_MS = 10 * 60 * 1000
"""An execution environment idle for longer than this is gone (the next call is cold)."""


@dataclass(frozen=True)
class FunctionSpec:
    """One synthetic Lambda function: runtime, log shape and how its invocations behave."""

    name: str
    runtime_version: str
    app: str  # python | node | java
    log_format: str  # text | json
    shape: str  # s3-export | stream-text | filter-events | get-events | firehose
    version: str
    memory_mb: int
    timeout_s: int
    share: float
    dur_median_ms: float
    dur_sigma: float
    init_median_ms: float
    mem_base_mb: int
    p_cold: float = 0.04
    p_error: float = 0.0
    p_timeout: float = 0.0
    p_oom: float = 0.0
    legacy_share: float = 0.0
    snapstart: bool = False
    records: bool = False
    xray: bool = False
    init_failures: int = 0
    orphan_init_failures: int = 0


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "orders-api", "python:3.12.v38", "python", "text", "s3-export", "$LATEST",
        memory_mb=512, timeout_s=6, share=0.34, dur_median_ms=42.0, dur_sigma=0.55,
        init_median_ms=480.0, mem_base_mb=78, p_cold=0.035, p_error=0.02,
        p_timeout=0.003, records=True, xray=True,
    ),
    FunctionSpec(
        "billing-worker", "nodejs:20.v31", "node", "json", "stream-text", "$LATEST",
        memory_mb=1024, timeout_s=30, share=0.25, dur_median_ms=180.0, dur_sigma=0.7,
        init_median_ms=260.0, mem_base_mb=96, p_cold=0.05, p_error=0.03, p_timeout=0.004,
    ),
    FunctionSpec(
        "image-resize", "python:3.11.v45", "python", "text", "stream-text", "$LATEST",
        memory_mb=1024, timeout_s=30, share=0.18, dur_median_ms=850.0, dur_sigma=0.5,
        init_median_ms=1150.0, mem_base_mb=310, p_cold=0.06, p_error=0.01, p_oom=0.02,
        legacy_share=0.4, init_failures=3, orphan_init_failures=2,
    ),
    FunctionSpec(
        "report-cron", "nodejs:18.v28", "node", "text", "filter-events", "$LATEST",
        memory_mb=256, timeout_s=60, share=0.05, dur_median_ms=21000.0, dur_sigma=0.45,
        init_median_ms=310.0, mem_base_mb=88, p_cold=0.3, p_error=0.02, p_timeout=0.08,
        legacy_share=0.5,
    ),
    FunctionSpec(
        "inventory-sync", "java:21.v19", "java", "text", "get-events", "7",
        memory_mb=2048, timeout_s=15, share=0.12, dur_median_ms=95.0, dur_sigma=0.6,
        init_median_ms=420.0, mem_base_mb=160, p_cold=0.04, p_error=0.01, snapstart=True,
    ),
    FunctionSpec(
        "webhook-ingest", "python:3.13.v60", "python", "text", "firehose", "$LATEST",
        memory_mb=256, timeout_s=10, share=0.06, dur_median_ms=28.0, dur_sigma=0.8,
        init_median_ms=390.0, mem_base_mb=62, p_cold=0.05, p_error=0.015, p_timeout=0.005,
    ),
)  # fmt: skip
"""The functions `generate` writes, with their share of the invocations."""


@dataclass
class Env:
    """One execution environment (one log stream)."""

    env_id: str
    stream: str
    created_ms: int
    free_ms: int = 0
    seq: int = 0
    max_mem: int = 0
    dead: bool = False


@dataclass
class Invocation:
    """One simulated invocation with everything its log lines need."""

    request_id: str
    env: Env
    start_ms: int
    duration_ms: float
    kind: str  # ok | error | timeout | oom | initfail
    cold: bool
    init_ms: float | None
    restore_ms: float | None
    max_mem: int
    seq: int
    legacy: bool
    trace_id: str
    error_type: str | None = None
    failed_init_ms: float | None = None


@dataclass
class InitFailure:
    """An environment whose init failed and that never served a request."""

    env: Env
    ts_ms: int
    init_ms: float
    status: str  # error | timeout


@dataclass
class Simulation:
    """The invocations and orphan init failures of one function, in start order."""

    spec: FunctionSpec
    invocations: list[Invocation] = field(default_factory=list)
    orphans: list[InitFailure] = field(default_factory=list)


def new_uuid(rng: random.Random) -> str:
    """A random-looking but seeded UUID4 string (a request id)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _new_env(rng: random.Random, spec: FunctionSpec, t_ms: int) -> Env:
    """A fresh environment whose stream is named like Lambda's default log streams."""
    env_id = f"{rng.getrandbits(128):032x}"
    day = _day(t_ms)
    return Env(env_id, f"{day}/[{spec.version}]{env_id}", t_ms, max_mem=spec.mem_base_mb)


def _day(t_ms: int) -> str:
    """`YYYY/MM/DD` of a Unix time in ms (UTC)."""
    import datetime as dt

    d = dt.datetime.fromtimestamp(t_ms / 1000, tz=dt.UTC)
    return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"


def _trace_id(rng: random.Random, t_ms: int) -> str:
    """An X-Ray trace id: version, epoch seconds in hex, 96 random bits."""
    return f"1-{t_ms // 1000:08x}-{rng.getrandbits(96):024x}"


def _pick_env(rng: random.Random, spec: FunctionSpec, pool: list[Env], t: int) -> Env | None:
    """The most recently freed warm environment that is idle now, or None (cold start)."""
    if rng.random() < spec.p_cold:
        return None
    best: Env | None = None
    for env in pool:
        if env.dead or env.free_ms > t or t - env.free_ms > IDLE_TTL_MS:
            continue
        if best is None or env.free_ms > best.free_ms:
            best = env
    return best


def _outcome(rng: random.Random, spec: FunctionSpec) -> str:
    """Draw what happens to one invocation."""
    r = rng.random()
    for kind, p in (("timeout", spec.p_timeout), ("oom", spec.p_oom), ("error", spec.p_error)):
        if r < p:
            return kind
        r -= p
    return "ok"


def _digits(spec: FunctionSpec) -> int:
    """Decimals of durations in this function's logs: 3 in JSON reports, 2 in text REPORTs."""
    return 3 if spec.log_format == "json" else 2


def _duration(rng: random.Random, spec: FunctionSpec, kind: str, cold: bool, legacy: bool) -> float:
    """Handler duration in ms: lognormal, slower when cold, the limit on a timeout."""
    limit = spec.timeout_s * 1000.0
    if kind == "timeout":
        return round(limit + (rng.uniform(0.5, 6.0) if legacy else 0.0), 2)
    d = rng.lognormvariate(math.log(spec.dur_median_ms), spec.dur_sigma)
    if cold:
        d *= rng.uniform(1.3, 2.2)
    if kind == "error":
        d *= rng.uniform(0.2, 0.9)
    return round(min(d, limit - 5.0), _digits(spec))


def simulate(spec: FunctionSpec, count: int, rng: random.Random) -> Simulation:
    """Arrivals over the window, environments reused LIFO, outcomes and durations drawn."""
    sim = Simulation(spec)
    arrivals = sorted(rng.randrange(WINDOW_MS - 120_000) for _ in range(count))
    fail_at = {
        arrivals[int(len(arrivals) * f)] for f in _fractions(rng, spec.init_failures) if arrivals
    }
    pool: list[Env] = []
    for offset in arrivals:
        t = WINDOW_START_MS + offset
        if offset in fail_at:
            fail_at.discard(offset)
            sim.invocations.append(_init_failure_invocation(rng, spec, t))
            continue
        env = _pick_env(rng, spec, pool, t)
        cold = env is None
        if env is None:
            env = _new_env(rng, spec, t)
            pool.append(env)
        sim.invocations.append(_invoke(rng, spec, env, t, cold))
    for f in _fractions(rng, spec.orphan_init_failures):
        t = WINDOW_START_MS + int(WINDOW_MS * f)
        env = _new_env(rng, spec, t)
        status = "timeout" if rng.random() < 0.5 else "error"
        init = 10_000.0 + rng.uniform(0, 0.9) if status == "timeout" else rng.uniform(600, 1400)
        sim.orphans.append(InitFailure(env, t, round(init, 2), status))
    return sim


def _fractions(rng: random.Random, n: int) -> list[float]:
    """n sorted positions in (0.1, 0.9) of the window."""
    return sorted(rng.uniform(0.1, 0.9) for _ in range(n))


def _invoke(rng: random.Random, spec: FunctionSpec, env: Env, t: int, cold: bool) -> Invocation:
    """One invocation in `env` starting at `t` (ms); updates the environment."""
    kind = _outcome(rng, spec)
    legacy = kind in ("timeout", "oom") and rng.random() < spec.legacy_share
    init_ms = restore_ms = None
    if cold and spec.snapstart:
        restore_ms = round(rng.lognormvariate(math.log(spec.init_median_ms), 0.25), 2)
    elif cold:
        init_ms = round(rng.lognormvariate(math.log(spec.init_median_ms), 0.3), _digits(spec))
    start = t + (math.ceil(init_ms or restore_ms or 0.0))
    dur = _duration(rng, spec, kind, cold, legacy)
    env.max_mem = min(spec.memory_mb, env.max_mem + rng.choice((0, 0, 0, 1, 2, 5)))
    if kind == "oom":
        env.max_mem = spec.memory_mb
    env.seq += 1
    env.free_ms = start + math.ceil(dur) + 2
    env.dead = kind in ("timeout", "oom")
    err = {"error": _error_type(rng, spec), "oom": "Runtime.OutOfMemory"}.get(kind)
    if kind == "oom" and legacy:
        err = "Runtime.ExitError"
    return Invocation(
        new_uuid(rng), env, start, dur, kind, cold, init_ms, restore_ms, env.max_mem, env.seq,
        legacy, _trace_id(rng, start), err,
    )  # fmt: skip


def _error_type(rng: random.Random, spec: FunctionSpec) -> str:
    """A plausible exception class for the function's runtime."""
    if spec.app == "python":
        return rng.choice(("KeyError", "ValueError", "botocore.exceptions.ClientError"))
    if spec.app == "node":
        return rng.choice(("TypeError", "Error", "SyntaxError"))
    return rng.choice(("java.lang.NullPointerException", "java.lang.IllegalStateException"))


def _init_failure_invocation(rng: random.Random, spec: FunctionSpec, t: int) -> Invocation:
    """A request that hit an environment whose init fails (bad deploy): an error, not cold."""
    env = _new_env(rng, spec, t)
    env.dead = True
    env.seq = 1
    init = round(rng.uniform(600, 1400), 2)
    start = t + math.ceil(init) + 5
    dur = round(rng.uniform(600, 1400), 2)
    return Invocation(
        new_uuid(rng), env, start, dur, "initfail", False, None, None, rng.randint(36, 44), 1,
        False, _trace_id(rng, start), "Runtime.ImportModuleError", init,
    )  # fmt: skip
