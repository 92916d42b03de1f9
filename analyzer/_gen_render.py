"""Turn simulated invocations into the CloudWatch log events each runtime really writes."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from datetime import UTC, datetime

from analyzer._gen_model import FunctionSpec, InitFailure, Invocation, Simulation

Event = tuple[int, str, str]
"""(timestamp ms, log stream name, message) of one CloudWatch log event."""

LAMBDA_WARNING = (
    "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function "
    "code. However, in rare cases, a Lambda runtime update can cause unexpected function "
    "behavior. For functions using managed runtimes, runtime updates can be triggered by a "
    "function change, or can be applied automatically. To determine if the runtime has been "
    "updated, check the runtime version in the INIT_START log entry. If this error correlates "
    "with a change in the runtime version, you may be able to mitigate this error by "
    "temporarily rolling back to the previous runtime version. For more information, see "
    "https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html"
)
"""What Python 3.12+ managed runtimes print before an unhandled exception."""

NBSP = "\u00a0"
"""Indentation of traceback lines written by the Python runtime interface client."""

ERROR_MESSAGES = {
    "KeyError": "'sku'",
    "ValueError": "invalid literal for int() with base 10: 'abc'",
    "botocore.exceptions.ClientError": "An error occurred (ThrottlingException) when calling "
    "the PutItem operation (reached max retries: 4): Rate exceeded",
    "TypeError": "Cannot read properties of undefined (reading 'amount')",
    "Error": "upstream ledger returned 503",
    "SyntaxError": "Unexpected token < in JSON at position 0",
    "java.lang.NullPointerException": 'Cannot invoke "String.length()" because "sku" is null',
    "java.lang.IllegalStateException": "warehouse WH-7 is locked",
}
"""Message of each generated exception type."""


def iso(t_ms: int) -> str:
    """ISO-8601 UTC with milliseconds and Z, as CloudWatch and the runtimes write it."""
    d = datetime.fromtimestamp(t_ms / 1000, tz=UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t_ms % 1000:03d}Z"


def _arn(rng: random.Random) -> str:
    """A runtime version ARN."""
    return f"arn:aws:lambda:eu-west-1::runtime:{rng.getrandbits(256):064x}"


def report_text(spec: FunctionSpec, inv: Invocation, *, legacy: bool = False) -> str:
    """A text REPORT line (tab separated; legacy: 100 ms billing and the stray space)."""
    d = inv.duration_ms
    if legacy:
        billed = f"Billed Duration: {math.ceil(d / 100) * 100} ms "
    else:
        billed = f"Billed Duration: {math.ceil(d + (inv.init_ms or 0.0))} ms"
    parts = [
        f"REPORT RequestId: {inv.request_id}",
        f"Duration: {d:.2f} ms",
        billed,
        f"Memory Size: {spec.memory_mb} MB",
        f"Max Memory Used: {inv.max_mem} MB",
    ]
    if inv.init_ms is not None:
        parts.append(f"Init Duration: {inv.init_ms:.2f} ms")
    if inv.restore_ms is not None:
        parts.append(f"Restore Duration: {inv.restore_ms:.2f} ms")
        parts.append(f"Billed Restore Duration: {math.ceil(inv.restore_ms * 0.6)} ms")
    status = None if legacy else _status(inv)
    if status is None:
        return "\t".join(parts) + "\t\n"
    parts.append(f"Status: {status}")
    if status == "error":
        parts.append(f"Error Type: {inv.error_type}")
    return "\t".join(parts) + "\n"


def _status(inv: Invocation) -> str | None:
    """REPORT Status of an invocation (handler exceptions leave no Status in text REPORTs)."""
    return {"timeout": "timeout", "oom": "error", "initfail": "error"}.get(inv.kind)


def _xray(rng: random.Random, inv: Invocation) -> str:
    """The XRAY continuation line of a traced REPORT event."""
    return f"XRAY TraceId: {inv.trace_id}\tSegmentId: {rng.getrandbits(64):016x}\tSampled: true\t\n"


def python_traceback(spec: FunctionSpec, error_type: str, *, warning: bool) -> str:
    """The unhandled-exception event of the Python runtime (NBSP-indented frames)."""
    message = ERROR_MESSAGES.get(error_type, "failed")
    frames = [
        f'{NBSP}{NBSP}File "/var/task/app.py", line 41, in handler',
        f"{NBSP}{NBSP}{NBSP}{NBSP}return process(json.loads(event['body']))",
        f'{NBSP}{NBSP}File "/var/task/{spec.name.replace("-", "_")}/core.py", line 87, in process',
        f"{NBSP}{NBSP}{NBSP}{NBSP}raise {error_type.rsplit('.', 1)[-1]}({message!r})",
    ]
    text = f"[ERROR] {error_type}: {message}\nTraceback (most recent call last):\n"
    text += "\n".join(frames) + "\n"
    return (LAMBDA_WARNING + "\r" + text) if warning else text


def _node_error(inv: Invocation) -> dict[str, object]:
    """The error document Node.js logs after `Invoke Error`."""
    et = inv.error_type or "Error"
    msg = ERROR_MESSAGES.get(et, "failed")
    stack = [f"{et}: {msg}", "    at Runtime.handler (file:///var/task/index.mjs:23:11)"]
    return {"errorType": et, "errorMessage": msg, "stack": stack}


def _app_python(rng: random.Random, inv: Invocation, t: int) -> str:
    """One application line from Python's logging in Lambda's text format."""
    r = rng.random()
    if r < 0.01:
        msg = "[ERROR]\t{ts}\t{rid}\tpayment provider returned 502, retried once\n"
    elif r < 0.05:
        msg = "[WARNING]\t{ts}\t{rid}\tslow DynamoDB response: 212 ms\n"
    else:
        n = rng.randrange(10**6)
        msg = f"[INFO]\t{{ts}}\t{{rid}}\tprocessed item {n:06d} in batch\n"
    return msg.format(ts=iso(t), rid=inv.request_id)


def _app_node(rng: random.Random, inv: Invocation, t: int) -> str:
    """One application line from Node's console in Lambda's text format."""
    n = rng.randrange(10**5)
    return f"{iso(t)}\t{inv.request_id}\tINFO\tProcessing report chunk {n} (rows: {n % 977})\n"


def _app_java(rng: random.Random, inv: Invocation, t: int) -> str:
    """One application line from a Java LambdaLogger layout."""
    n = rng.randrange(1, 60)
    return f"{iso(t)} {inv.request_id} INFO  c.e.inventory.SyncHandler:58 - synced {n} items\n"


def record(spec: FunctionSpec, inv: Invocation, rng: random.Random, end_ms: int) -> str:
    """The lambdascope v1 record (design §2), keys in contract order."""
    outcome = {"ok": "success", "timeout": "timeout"}.get(inv.kind, "error")
    dur = inv.duration_ms - 150.0 if inv.kind == "timeout" else inv.duration_ms - 0.4
    rec: dict[str, object] = {
        "lambdascope": 1,
        "ts": iso(end_ms),
        "function": spec.name,
        "version": spec.version,
        "request_id": inv.request_id,
        "cold_start": inv.cold,
        "init_type": "on-demand",
    }
    if inv.cold and inv.init_ms is not None:
        rec["init_ms"] = round(inv.init_ms - rng.uniform(20, 60), 3)
    remaining = spec.timeout_s * 1000 - math.ceil(dur)
    rec |= {"duration_ms": round(dur, 3), "remaining_ms": remaining}
    rec |= {"timeout_ms": spec.timeout_s * 1000, "outcome": outcome}
    if outcome != "success":
        et = inv.error_type or "TimeoutError"
        rec["error_type"] = et.rsplit(".", 1)[-1]
        rec["error_message"] = ERROR_MESSAGES.get(et, "deadline reached")
        rec["error_stack"] = 'File "/var/task/app.py", line 41, in handler'
    rec |= {"trigger": "http", "source": "apigw-v2", "memory_mb": spec.memory_mb}
    rec |= {"max_rss_mb": max(1, inv.max_mem - 9), "trace_id": inv.trace_id}
    rec |= {"env_id": inv.env.env_id, "seq": inv.seq, "overhead_us": rng.randint(18, 60)}
    return json.dumps(rec, separators=(",", ":")) + "\n"


def render_text(sim: Simulation, rng: random.Random) -> list[Event]:
    """Every event of a text-format function, in time order per stream."""
    spec = sim.spec
    out: list[Event] = []
    for inv in sim.invocations:
        out.extend(_text_invocation(spec, inv, rng))
    for orphan in sim.orphans:
        out.extend(_orphan_text(spec, orphan, rng))
    return out


def _init_events(spec: FunctionSpec, inv: Invocation, rng: random.Random) -> list[Event]:
    """INIT_START or RESTORE_START/RESTORE_REPORT before a cold start."""
    s = inv.env.stream
    if inv.restore_ms is not None:
        t = inv.start_ms - math.ceil(inv.restore_ms)
        head = f"RESTORE_START Runtime Version: {spec.runtime_version}\t"
        return [
            (t, s, f"{head}Runtime Version ARN: {_arn(rng)}\n"),
            (inv.start_ms - 1, s, f"RESTORE_REPORT Restore Duration: {inv.restore_ms:.2f} ms\n"),
        ]
    t = inv.start_ms - math.ceil(inv.init_ms or 0.0)
    head = f"INIT_START Runtime Version: {spec.runtime_version}\t"
    events = [(t, s, f"{head}Runtime Version ARN: {_arn(rng)}\n")]
    if spec.app == "node":  # init-phase console output carries the request id `undefined`
        msg = f"{iso(t + 40)}\tundefined\tINFO\tLoaded {rng.randint(5, 30)} report templates\n"
        events.append((t + 40, s, msg))
    return events


def _text_invocation(spec: FunctionSpec, inv: Invocation, rng: random.Random) -> list[Event]:
    """START, app lines, error lines, END, REPORT (and legacy lines) of one invocation."""
    s, rid, t0 = inv.env.stream, inv.request_id, inv.start_ms
    end = t0 + math.ceil(inv.duration_ms)
    if inv.kind == "initfail":
        return _initfail_text(spec, inv, rng)
    ev: list[Event] = _init_events(spec, inv, rng) if inv.cold else []
    ev.append((t0, s, f"START RequestId: {rid} Version: {spec.version}\n"))
    app: Callable[[random.Random, Invocation, int], str] = {
        "python": _app_python,
        "node": _app_node,
        "java": _app_java,
    }[spec.app]
    for i in range(rng.choice((0, 1, 1, 2, 2, 3))):
        t = t0 + int(inv.duration_ms * (i + 1) / 5)
        ev.append((t, s, app(rng, inv, t)))
    if spec.records:
        rec_ms = end - 150 if inv.kind == "timeout" else end - 1
        ev.append((rec_ms, s, record(spec, inv, rng, rec_ms)))
    ev.extend(_error_events(spec, inv, end))
    legacy_report = inv.legacy
    ev.append((end, s, f"END RequestId: {rid}\n"))
    rep = report_text(spec, inv, legacy=legacy_report)
    if spec.xray:
        rep += _xray(rng, inv)
    ev.append((end, s, rep))
    if inv.kind == "timeout" and inv.legacy:
        limit = f"{spec.timeout_s:.2f}"
        ev.append((end + 1, s, f"{iso(end + 1)} {rid} Task timed out after {limit} seconds\n"))
    return ev


def _error_events(spec: FunctionSpec, inv: Invocation, end: int) -> list[Event]:
    """What the runtime prints when the handler fails or the process is killed."""
    s, rid = inv.env.stream, inv.request_id
    if inv.kind == "oom" and inv.legacy:
        msg = f"RequestId: {rid} Error: Runtime exited with error: signal: killed\n"
        msg += "Runtime.ExitError\n"
        return [(end, s, msg)]
    if inv.kind != "error":
        return []
    et = inv.error_type or "Error"
    if spec.app == "python":
        warning = spec.runtime_version >= "python:3.12"
        return [(end - 1, s, python_traceback(spec, et, warning=warning))]
    if spec.app == "node":
        doc = json.dumps(_node_error(inv), separators=(",", ":"))
        return [(end - 1, s, f"{iso(end - 1)}\t{rid}\tERROR\tInvoke Error \t{doc}\n")]
    doc = json.dumps(
        {
            "errorMessage": ERROR_MESSAGES.get(et, "failed"),
            "errorType": et,
            "stackTrace": ["com.example.inventory.SyncHandler.handleRequest(SyncHandler.java:58)"],
        },
        separators=(",", ":"),
    )
    return [(end - 1, s, doc + "\n")]


def _import_error(spec: FunctionSpec) -> str:
    """The Python import failure event (no request id: it happens during init)."""
    return (
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'PIL'\n"
        "Traceback (most recent call last):\n"
    )


def _initfail_text(spec: FunctionSpec, inv: Invocation, rng: random.Random) -> list[Event]:
    """Failed init, retried in the invoke phase of the request, which then fails too."""
    s, rid, t0 = inv.env.stream, inv.request_id, inv.start_ms
    first = inv.failed_init_ms or 0.0
    t_init = t0 - math.ceil(first) - 5
    et = inv.error_type
    head = f"INIT_START Runtime Version: {spec.runtime_version}\t"
    end = t0 + math.ceil(inv.duration_ms)
    return [
        (t_init, s, f"{head}Runtime Version ARN: {_arn(rng)}\n"),
        (t0 - 6, s, _import_error(spec)),
        (t0 - 5, s, f"INIT_REPORT Init Duration: {first:.2f} ms\tPhase: init\tStatus: error\t"
                    f"Error Type: {et}\n"),
        (t0, s, f"START RequestId: {rid} Version: {spec.version}\n"),
        (end - 1, s, _import_error(spec)),
        (end, s, f"INIT_REPORT Init Duration: {inv.duration_ms - 0.3:.2f} ms\tPhase: invoke\t"
                 f"Status: error\tError Type: {et}\n"),
        (end, s, f"END RequestId: {rid}\n"),
        (end, s, report_text(spec, inv)),
    ]  # fmt: skip


def _orphan_text(spec: FunctionSpec, o: InitFailure, rng: random.Random) -> list[Event]:
    """An environment whose init failed before any request reached it."""
    s, t = o.env.stream, o.ts_ms
    head = f"INIT_START Runtime Version: {spec.runtime_version}\t"
    tail = "" if o.status == "timeout" else "\tError Type: Runtime.ImportModuleError"
    end = t + math.ceil(o.init_ms)
    ev: list[Event] = [(t, s, f"{head}Runtime Version ARN: {_arn(rng)}\n")]
    if o.status == "error":
        ev.append((end - 1, s, _import_error(spec)))
    msg = f"INIT_REPORT Init Duration: {o.init_ms:.2f} ms\tPhase: init\tStatus: {o.status}{tail}\n"
    ev.append((end, s, msg))
    return ev
