"""`@instrument` under the real `awslambdaric` runtime client: records on stdout, results intact."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from _support.otlp import OtlpReceiver
from _support.runtime_api import RicProcess, RuntimeApi, ric_process

_APP = textwrap.dedent(
    """
    from lambdascope import instrument

    @instrument
    def handler(event, context):
        if event.get("fail"):
            raise ValueError("card declined")
        return {"statusCode": 200, "body": "ok", "n": event.get("n")}
    """
)

_HTTP = {"version": "2.0", "rawPath": "/orders", "requestContext": {"http": {"method": "GET"}}}


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    """A task root holding `app.py` with an instrumented handler."""
    (tmp_path / "app.py").write_text(_APP)
    return tmp_path


@pytest.fixture
def api() -> Iterator[RuntimeApi]:
    """A running Runtime API server."""
    with RuntimeApi() as server:
        yield server


@pytest.fixture
def ric(api: RuntimeApi, task_root: Path) -> Iterator[RicProcess]:
    """The real runtime client running `app.handler` with OpenTelemetry off."""
    with ric_process(api, task_root) as proc:
        yield proc


def test_one_record_per_invocation_cold_then_warm(api: RuntimeApi, ric: RicProcess) -> None:
    """Two invocations write two records on stdout: the first cold, the second warm."""
    first = api.invoke({**_HTTP, "n": 1})
    second = api.invoke({**_HTTP, "n": 2})
    records = ric.wait_records(2)
    assert [r["request_id"] for r in records] == [first.request_id, second.request_id]
    assert [r["cold_start"] for r in records] == [True, False]
    assert [r["outcome"] for r in records] == ["success", "success"]
    assert {r["function"] for r in records} == {"orders"}


def test_response_body_is_the_handler_return_value(api: RuntimeApi, ric: RicProcess) -> None:
    """The runtime client posts exactly what the wrapped handler returned."""
    inv = api.invoke({**_HTTP, "n": 7})
    assert inv.kind == "response"
    assert inv.json() == {"statusCode": 200, "body": "ok", "n": 7}


def test_raising_handler_posts_error_and_writes_error_record(
    api: RuntimeApi, ric: RicProcess
) -> None:
    """A raise reaches the runtime as /error with the handler's type; the record says error."""
    inv = api.invoke({"fail": True})
    assert inv.kind == "error"
    assert (inv.json()["errorType"], inv.json()["errorMessage"]) == ("ValueError", "card declined")
    (record,) = ric.wait_records(1)
    assert (record["request_id"], record["outcome"]) == (inv.request_id, "error")
    assert (record["error_type"], record["error_message"]) == ("ValueError", "card declined")


def test_record_carries_remaining_time_from_the_runtime_deadline(
    api: RuntimeApi, ric: RicProcess
) -> None:
    """remaining_ms and timeout_ms come from the deadline the Runtime API sent."""
    api.invoke(_HTTP, timeout_s=30)
    (record,) = ric.wait_records(1)
    assert record["timeout_ms"] == 30_000
    assert 0 < record["remaining_ms"] <= 30_000


def test_span_reaches_the_collector_with_flush_end(api: RuntimeApi, task_root: Path) -> None:
    """With OTel on and flush=end, the invocation's span reaches a real OTLP receiver."""
    with (
        OtlpReceiver() as rx,
        ric_process(
            api,
            task_root,
            LAMBDASCOPE_OTEL="on",
            LAMBDASCOPE_FLUSH="end",
            OTEL_EXPORTER_OTLP_ENDPOINT=rx.endpoint,
        ),
    ):
        inv = api.invoke(_HTTP)
        assert rx.wait_for(lambda r: len(r.spans()) >= 1, timeout=30)
    (span,) = rx.spans()
    assert span.attributes["faas.invocation_id"] == inv.request_id


def test_trace_id_comes_from_the_runtime_trace_header(api: RuntimeApi, ric: RicProcess) -> None:
    """Lambda-Runtime-Trace-Id (set as _X_AMZN_TRACE_ID by the client) gives trace_id."""
    root = "1-5759e988-bd862e3fe1be46a994272793"
    api.invoke(_HTTP, trace_id=f"Root={root};Parent=53995c3f42cd8ad8;Sampled=1")
    (record,) = ric.wait_records(1)
    assert record["trace_id"] == root


def test_env_id_from_log_stream_and_seq_counts_invocations(
    api: RuntimeApi, ric: RicProcess
) -> None:
    """env_id is the log stream name after ']'; seq numbers the process's invocations."""
    for _ in range(3):
        api.invoke(_HTTP)
    records = ric.wait_records(3)
    assert {r["env_id"] for r in records} == {"0123456789abcdef0123456789abcdef"}
    assert [r["seq"] for r in records] == [1, 2, 3]


def test_provisioned_concurrency_first_invocation_is_not_cold(
    api: RuntimeApi, task_root: Path
) -> None:
    """Under provisioned concurrency the first invocation is not a cold start; init_type says so."""
    init = "provisioned-concurrency"
    with ric_process(api, task_root, AWS_LAMBDA_INITIALIZATION_TYPE=init) as proc:
        api.invoke(_HTTP)
        (record,) = proc.wait_records(1)
    assert (record["cold_start"], record["init_type"]) == (False, init)


def test_record_is_its_own_line_with_json_log_format(api: RuntimeApi, task_root: Path) -> None:
    """With AWS_LAMBDA_LOG_FORMAT=JSON the runtime logs JSON; our record stays one plain line."""
    with ric_process(api, task_root, AWS_LAMBDA_LOG_FORMAT="JSON") as proc:
        inv = api.invoke({"fail": True})
        (record,) = proc.wait_records(1)
    assert (record["request_id"], record["error_type"]) == (inv.request_id, "ValueError")
    lines = [line for line in proc.stdout if '"lambdascope"' in line]
    assert len(lines) == 1 and lines[0].startswith('{"lambdascope":1,')
