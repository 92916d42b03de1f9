"""Fault injection: telemetry failures never cost the handler its result or its record.

Collector and stdout faults run in a fresh process per test (OpenTelemetry and stdout are
process-wide); handler-side faults run in-process with `capture_records`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from _support.otlp import OtlpReceiver

from lambdascope import instrument
from lambdascope.testing import capture_records, fake_context

CALLS = 4
"""Invocations per fault scenario: enough to tell 'once' from 'per call'."""

_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from awslambdaric.lambda_context import LambdaContext
    from lambdascope import instrument

    @instrument(flush_budget_ms=200)
    def handler(event, context):
        return {{"n": event["n"], "echo": "kept"}}

    results = open(sys.argv[1], "w")
    {preamble}
    for n in range({calls}):
        ctx = LambdaContext(f"req-{{n}}", None, None, int((time.time() + 30) * 1000), "arn")
        t0 = time.monotonic()
        result = handler({{"n": n}}, ctx)
        seconds = time.monotonic() - t0
        results.write(json.dumps({{"result": result, "seconds": seconds}}) + "\\n")
        results.flush()
    """
)


@dataclass
class Run:
    """What one scripted process produced."""

    results: list[dict[str, Any]]
    records: list[dict[str, Any]]
    stderr: str

    def repeated_stderr_lines(self) -> list[str]:
        """stderr lines written more than once: telemetry errors must be reported once."""
        # Digits vary per call (ports, timeouts): compare lines with numbers blanked out.
        lines = [re.sub(r"\d+", "N", line) for line in self.stderr.splitlines() if line.strip()]
        return [line for line, n in Counter(lines).items() if n > 1]


def run_script(
    tmp_path: Path,
    env: dict[str, str],
    *,
    preamble: str = "",
    stdout: int | IO[Any] = subprocess.PIPE,
) -> Run:
    """Run CALLS instrumented invocations in a fresh process; collect results and records."""
    results_path = tmp_path / "results.jsonl"
    code = _SCRIPT.format(preamble=preamble, calls=CALLS)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDASCOPE_", "OTEL_"))}
    base.update(AWS_LAMBDA_FUNCTION_NAME="orders", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256")
    done = subprocess.run(
        [sys.executable, "-c", code, str(results_path)],
        env={**base, **env},
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    out = done.stdout.decode() if done.stdout else ""
    records = [json.loads(line) for line in out.splitlines() if '"lambdascope"' in line]
    results = [json.loads(line) for line in results_path.read_text().splitlines()]
    return Run(results, records, done.stderr.decode(errors="replace"))


def expected_results() -> list[dict[str, Any]]:
    """What the scripted handler returns on each call."""
    return [{"n": n, "echo": "kept"} for n in range(CALLS)]


def otel_env(endpoint: str) -> dict[str, str]:
    """OTel on, flush at the end of each invocation, exporting to `endpoint`."""
    return {
        "LAMBDASCOPE_OTEL": "on",
        "LAMBDASCOPE_FLUSH": "end",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
    }


def closed_port() -> int:
    """A 127.0.0.1 port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_collector_down_keeps_results_and_records(tmp_path: Path) -> None:
    """A collector that is down changes nothing the handler or the log reader sees."""
    run = run_script(tmp_path, otel_env(f"http://127.0.0.1:{closed_port()}"))
    assert [r["result"] for r in run.results] == expected_results()
    assert [r["outcome"] for r in run.records] == ["success"] * CALLS
    assert run.repeated_stderr_lines() == []


def test_collector_hanging_past_the_budget_does_not_hang_the_handler(tmp_path: Path) -> None:
    """A collector that never answers in time: every call still returns, with its record."""
    with OtlpReceiver(mode="hang", hang_s=60) as rx:
        run = run_script(tmp_path, otel_env(rx.endpoint))
        tried = len(rx.requests)
    assert tried > 0, "the exporter never reached the collector"
    assert [r["result"] for r in run.results] == expected_results()
    assert [r["outcome"] for r in run.records] == ["success"] * CALLS
    assert max(r["seconds"] for r in run.results) < 20, "a call waited on the collector"
    assert run.repeated_stderr_lines() == []


def test_collector_refusing_keeps_results_and_records(tmp_path: Path) -> None:
    """A collector answering 503 (retryable) costs no result and no record."""
    with OtlpReceiver(mode="refuse") as rx:
        run = run_script(tmp_path, otel_env(rx.endpoint))
        tried = len(rx.requests)
    assert tried > 0, "the exporter never reached the collector"
    assert [r["result"] for r in run.results] == expected_results()
    assert [r["outcome"] for r in run.records] == ["success"] * CALLS
    assert max(r["seconds"] for r in run.results) < 20, "a call waited on retries"
    assert run.repeated_stderr_lines() == []


def test_broken_pipe_on_stdout_keeps_results(tmp_path: Path) -> None:
    """stdout is a pipe nobody reads (EPIPE): the handler's results are intact, reported once."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "wb") as broken:
        run = run_script(tmp_path, {"LAMBDASCOPE_OTEL": "off"}, stdout=broken)
    assert [r["result"] for r in run.results] == expected_results()
    assert run.repeated_stderr_lines() == []
    assert run.stderr.count("lambdascope:") == 1


def test_closed_stdout_keeps_results(tmp_path: Path) -> None:
    """sys.stdout closed by the application: results intact, the failure reported once."""
    run = run_script(tmp_path, {"LAMBDASCOPE_OTEL": "off"}, preamble="sys.stdout.close()")
    assert [r["result"] for r in run.results] == expected_results()
    assert run.repeated_stderr_lines() == []
    assert run.stderr.count("lambdascope:") == 1


class BadStr(Exception):
    """An exception whose message cannot be computed."""

    def __str__(self) -> str:
        raise RuntimeError("__str__ exploded")


def call_raising(exc: BaseException) -> tuple[BaseException, list[dict[str, Any]]]:
    """Call an instrumented handler raising `exc`; what escaped and the records written."""

    @instrument(otel=False)
    def handler(event: Any, context: Any) -> Any:
        raise exc

    with capture_records() as records:
        try:
            handler({}, fake_context(function_name="orders"))
        except BaseException as escaped:  # the point: whatever it is, catch it here
            return escaped, records
    raise AssertionError("the handler's exception was swallowed")


def line_bytes(record: dict[str, Any]) -> int:
    """Size of the record as the compact JSON line it was written as."""
    return len(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode()) + 1


def test_exception_whose_str_raises_is_reraised_with_a_record() -> None:
    """An exception whose __str__ raises is re-raised as is and still gets an error record."""
    exc = BadStr()
    escaped, records = call_raising(exc)
    assert escaped is exc
    (record,) = records
    assert (record["outcome"], record["error_type"]) == ("error", "BadStr")


def test_non_serializable_return_value_passes_through() -> None:
    """A return value JSON cannot encode reaches the caller as the same object, record written."""
    value = {"when": object(), "tags": {1, 2}, "raw": b"\x00\xff"}

    @instrument(otel=False)
    def handler(event: Any, context: Any) -> Any:
        return value

    with capture_records() as records:
        result = handler({"n": object()}, fake_context(function_name="orders"))
    assert result is value
    assert [r["outcome"] for r in records] == ["success"]


def test_huge_error_message_gives_a_bounded_record() -> None:
    """A 10 MB error message is re-raised whole; the record keeps at most 1 KiB of it."""
    exc = ValueError("x" * 10_000_000)
    escaped, records = call_raising(exc)
    assert escaped is exc and len(str(escaped)) == 10_000_000
    (record,) = records
    assert 0 < len(record["error_message"].encode()) <= 1024
    assert len(record.get("error_stack", "").encode()) <= 4096
    assert line_bytes(record) <= 512 + 1024 + 4096


def test_recursion_error_is_reraised_with_a_record() -> None:
    """A handler that recurses without end: the same RecursionError escapes, record says so."""

    def dive(n: int) -> int:
        return dive(n + 1) + 1

    @instrument(otel=False)
    def handler(event: Any, context: Any) -> Any:
        return dive(0)

    with capture_records() as records, pytest.raises(RecursionError) as caught:
        handler({}, fake_context(function_name="orders"))
    assert caught.value.__traceback__ is not None
    (record,) = records
    assert (record["outcome"], record["error_type"]) == ("error", "RecursionError")


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()], ids=type)
def test_base_exceptions_are_reraised_untouched(exc: BaseException) -> None:
    """SystemExit and KeyboardInterrupt escape as the very same object, after one record."""
    escaped, records = call_raising(exc)
    assert escaped is exc
    assert [r["error_type"] for r in records] == [type(exc).__name__]
