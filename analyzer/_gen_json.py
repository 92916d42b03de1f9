"""Events of a function using Lambda's JSON log format (`platform.*`, app JSON, Powertools)."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping

from analyzer._gen_model import FunctionSpec, Invocation, Simulation
from analyzer._gen_render import ERROR_MESSAGES, Event, iso

EXTENSION_LINE = (
    "[AWS Parameters and Secrets Lambda Extension] {day} PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL"
    " is info\n"
)
"""A non-JSON line an extension writes even when the function logs JSON."""


RUNTIME_ARN = "arn:aws:lambda:eu-west-1::runtime:"
"""Prefix of runtime version ARNs."""


def _dumps(obj: object) -> str:
    """Compact JSON as Lambda writes it."""
    return json.dumps(obj, separators=(",", ":"))


def _platform(t_ms: int, kind: str, rec: Mapping[str, object]) -> str:
    """One `platform.*` system log record."""
    return _dumps({"time": iso(t_ms), "type": f"platform.{kind}", "record": rec})


def _report(spec: FunctionSpec, inv: Invocation, end: int, status_first: bool) -> str:
    """`platform.report` with metrics; key order varies between environments."""
    metrics: dict[str, object] = {
        "durationMs": inv.duration_ms,
        "billedDurationMs": math.ceil(inv.duration_ms + (inv.init_ms or 0.0)),
        "memorySizeMB": spec.memory_mb,
        "maxMemoryUsedMB": inv.max_mem,
    }
    if inv.init_ms is not None:
        metrics["initDurationMs"] = inv.init_ms
    status = {"ok": "success", "timeout": "timeout"}.get(inv.kind, "error")
    rec: dict[str, object] = {"requestId": inv.request_id}
    tail: dict[str, object] = {"status": status}
    if status == "error":
        tail["errorType"] = inv.error_type
    if status_first:
        rec |= tail
        rec["metrics"] = metrics
    else:
        rec["metrics"] = metrics
        rec |= tail
    return _platform(end, "report", rec)


def _app(rng: random.Random, inv: Invocation, t: int) -> str:
    """A Node.js console line in JSON format."""
    n = rng.randrange(10**6)
    level = "WARN" if rng.random() < 0.03 else "INFO"
    msg = f"charged invoice inv_{n:06d}" if level == "INFO" else "ledger retry 1/3"
    return _dumps(
        {"timestamp": iso(t), "level": level, "requestId": inv.request_id, "message": msg}
    )


def _powertools(spec: FunctionSpec, rng: random.Random, inv: Invocation, t: int) -> str:
    """A Powertools for AWS Lambda (TypeScript) Logger line with the injected context keys."""
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{spec.name}"
    return _dumps(
        {
            "cold_start": inv.cold,
            "function_arn": arn,
            "function_memory_size": str(spec.memory_mb),
            "function_name": spec.name,
            "function_request_id": inv.request_id,
            "level": "INFO",
            "message": f"invoice batch accepted ({rng.randint(1, 40)} items)",
            "sampling_rate": 0,
            "service": spec.name.split("-")[0],
            "timestamp": iso(t),
            "xray_trace_id": inv.trace_id,
        }
    )


def _emf_cold_start(spec: FunctionSpec, t: int) -> str:
    """The Powertools Metrics EMF line that records a cold start."""
    service = spec.name.split("-")[0]
    metric = {
        "Namespace": service,
        "Dimensions": [["service", "function_name"]],
        "Metrics": [{"Name": "ColdStart", "Unit": "Count"}],
    }
    return _dumps(
        {
            "_aws": {"Timestamp": t, "CloudWatchMetrics": [metric]},
            "service": service,
            "function_name": spec.name,
            "ColdStart": 1,
        }
    )


def _invoke_error(inv: Invocation, t: int) -> str:
    """The JSON `Invoke Error` line Node.js writes for a failed handler."""
    et = inv.error_type or "Error"
    msg = ERROR_MESSAGES.get(et, "failed")
    stack = [f"{et}: {msg}", "    at Runtime.handler (file:///var/task/index.mjs:23:11)"]
    return _dumps(
        {
            "timestamp": iso(t),
            "level": "ERROR",
            "requestId": inv.request_id,
            "message": {"errorType": et, "errorMessage": msg, "stackTrace": stack},
        }
    )


def render_json(sim: Simulation, rng: random.Random) -> list[Event]:
    """Every event of a JSON-format function (messages without trailing newline)."""
    spec = sim.spec
    out: list[Event] = []
    order = {inv.env.env_id: rng.random() < 0.5 for inv in sim.invocations}
    for inv in sim.invocations:
        s, t0 = inv.env.stream, inv.start_ms
        end = t0 + math.ceil(inv.duration_ms)
        if inv.cold:
            t_init = t0 - math.ceil(inv.init_ms or 0.0)
            rec = {
                "initializationType": "on-demand",
                "phase": "init",
                "runtimeVersion": spec.runtime_version,
                "runtimeVersionArn": f"{RUNTIME_ARN}{rng.getrandbits(256):064x}",
                "functionName": spec.name,
                "functionVersion": spec.version,
            }
            out.append((t_init, s, _platform(t_init, "initStart", rec)))
            if rng.random() < 0.3:
                day = iso(t_init + 3)[:19].replace("-", "/").replace("T", " ")
                out.append((t_init + 3, s, EXTENSION_LINE.format(day=day)))
        start = {"requestId": inv.request_id, "version": spec.version}
        out.append((t0, s, _platform(t0, "start", start)))
        out.append((t0 + 1, s, _powertools(spec, rng, inv, t0 + 1)))
        if inv.cold:
            out.append((t0 + 1, s, _emf_cold_start(spec, t0 + 1)))
        for i in range(rng.choice((1, 1, 2, 3))):
            t = t0 + int(inv.duration_ms * (i + 1) / 5)
            out.append((t, s, _app(rng, inv, t)))
        if inv.kind == "error":
            out.append((end - 1, s, _invoke_error(inv, end - 1)))
        out.append((end, s, _report(spec, inv, end, order[inv.env.env_id])))
    return out
