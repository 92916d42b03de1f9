"""OpenTelemetry: the real OTLP/HTTP exporters deliver spans and FaaS metrics to a receiver."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from _support.otlp import OtlpReceiver, Point

from lambdascope import instrument
from lambdascope.testing import FakeContext, fake_context

SERVER, CONSUMER = 2, 5
"""OTLP Span.SpanKind values."""

STATUS_ERROR = 2
"""OTLP Status.StatusCode ERROR."""

SQS_EVENT = {"Records": [{"eventSource": "aws:sqs", "body": "secret-body"}]}
HTTP_EVENT = {"version": "2.0", "routeKey": "$default", "requestContext": {"domainName": "x"}}


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A running OTLP receiver that the exporters are pointed at."""
    with OtlpReceiver() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)
        yield rx


def _latest(points: list[Point]) -> dict[str, Point]:
    latest: dict[str, Point] = {}
    for point in sorted(points, key=lambda p: p.time_ns):
        latest[point.name] = point
    return latest


@instrument(flush="end")
def handler(event: dict[str, Any], context: Any) -> str:
    """Fail when asked to."""
    if event.get("fail"):
        raise ValueError("bad input")
    return "ok"


def test_one_server_span_per_invocation_with_faas_attributes(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """An HTTP invocation yields one SERVER span named after the function, FaaS attributes set."""
    assert handler(HTTP_EVENT, context) == "ok"
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    span = receiver.spans()[0]
    assert (span.name, span.kind) == ("orders", SERVER)
    assert span.attributes == {
        "faas.trigger": "http",
        "faas.invocation_id": context.aws_request_id,
        "faas.coldstart": True,
    }


def test_resource_describes_the_function(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """The resource carries cloud.* and faas.* attributes from context and environment."""
    handler(HTTP_EVENT, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    resource = receiver.spans()[0].resource
    expected = {
        "cloud.provider": "aws",
        "cloud.platform": "aws_lambda",
        "cloud.region": "us-east-1",
        "cloud.account.id": "123456789012",
        "cloud.resource_id": "arn:aws:lambda:us-east-1:123456789012:function:orders",
        "faas.name": "orders",
        "faas.version": "$LATEST",
        "faas.instance": context.log_stream_name,
        "faas.max_memory": 256 * 1024 * 1024,
        "service.name": "orders",
    }
    assert {key: resource.get(key) for key in expected} == expected


def test_queue_trigger_gives_consumer_span(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """An SQS event makes a CONSUMER span with faas.trigger pubsub; the body is not exported."""
    handler(SQS_EVENT, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    span = receiver.spans()[0]
    assert (span.kind, span.attributes["faas.trigger"]) == (CONSUMER, "pubsub")
    assert "secret-body" not in repr(span)


def test_failure_sets_error_status_and_one_exception_event(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """A raising handler: status ERROR, error.type, exactly one exception event."""
    with pytest.raises(ValueError):
        handler({"fail": True}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    span = receiver.spans()[0]
    assert span.status_code == STATUS_ERROR
    assert span.attributes["error.type"] == "ValueError"
    assert span.events == [
        ("exception", {"exception.type": "ValueError", "exception.message": "bad input"})
    ]


def test_metrics_count_invocations_errors_and_cold_starts(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """After 2 successes and 1 error the FaaS metrics add up (flush at each end)."""
    handler(HTTP_EVENT, context)
    handler(HTTP_EVENT, context)
    with pytest.raises(ValueError):
        handler({"fail": True}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 3)
    latest = _latest(receiver.metrics())
    sums = {
        name: latest[name].value for name in ("faas.invocations", "faas.errors", "faas.coldstarts")
    }
    assert sums == {"faas.invocations": 2, "faas.errors": 1, "faas.coldstarts": 1}
    counts = {
        name: latest[name].count
        for name in ("faas.invoke_duration", "faas.mem_usage", "lambdascope.remaining_time")
    }
    assert counts == dict.fromkeys(counts, 3)
    assert latest["faas.init_duration"].count == 1
    assert (latest["faas.invoke_duration"].unit, latest["faas.mem_usage"].unit) == ("s", "By")


def test_span_joins_the_xray_trace(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With _X_AMZN_TRACE_ID the span's trace id and parent come from the X-Ray header."""
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    handler(HTTP_EVENT, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    span = receiver.spans()[0]
    assert (span.trace_id, span.parent_span_id) == (
        "5759e988bd862e3fe1be46a994272793",
        "53995c3f42cd8ad8",
    )


UNSAMPLED = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"


def test_unsampled_xray_trace_exports_metrics_and_no_span(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """X-Ray's Sampled=0: the record and the metrics are written, no span is exported."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", UNSAMPLED)
    handler(HTTP_EVENT, context)
    assert receiver.wait_for(lambda r: "faas.invocations" in r.metric_names())
    assert receiver.spans() == []
    assert [r["outcome"] for r in records] == ["success"]
    assert records[0]["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"


def test_unsampled_xray_trace_makes_handler_spans_unsampled(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under Sampled=0 the handler's current span context carries unsampled trace flags."""
    from opentelemetry import trace

    monkeypatch.setenv("_X_AMZN_TRACE_ID", UNSAMPLED)
    seen: list[tuple[bool, bool]] = []

    @instrument(flush="end")
    def traced(event: Any, context: Any) -> None:
        span_context = trace.get_current_span().get_span_context()
        seen.append((span_context.is_valid, span_context.trace_flags.sampled))

    traced({}, context)
    assert seen == [(True, False)]
    assert len(records) == 1


def test_handler_spans_nest_under_the_invocation_span(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """Inside the handler the current span is the invocation's span."""
    from opentelemetry import trace

    seen: list[int] = []

    @instrument(flush="end")
    def traced(event: Any, context: Any) -> None:
        seen.append(trace.get_current_span().get_span_context().span_id)

    traced({}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    assert f"{seen[0]:016x}" == receiver.spans()[0].span_id
    assert not trace.get_current_span().get_span_context().is_valid


@pytest.mark.parametrize("policy", ["interval", "off"])
def test_background_policies_export_by_shutdown(
    policy: str, receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """With flush interval/off nothing is forced per call, and spans still leave by shutdown."""
    from lambdascope import _otel

    @instrument(flush=policy, flush_interval_s=60)
    def quiet(event: Any, context: Any) -> int:
        return 3

    assert quiet({}, context) == 3
    _otel.reset()
    assert receiver.wait_for(lambda r: len(r.spans()) == 1 and bool(r.metrics()))


@pytest.mark.parametrize("mode", ["refuse", "hang", "down"])
def test_faulty_collector_never_reaches_the_handler(
    mode: str,
    monkeypatch: pytest.MonkeyPatch,
    context: FakeContext,
    records: list[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Refusing, hanging or absent collector: results and records unchanged, one line on stderr."""
    with OtlpReceiver(mode="ok" if mode == "down" else mode, hang_s=2) as rx:  # type: ignore[arg-type]
        endpoint = rx.endpoint
        if mode != "down":
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)

        @instrument(flush="end", flush_budget_ms=100)
        def fine(event: Any, context: Any) -> str:
            return "still fine"

        if mode == "down":
            rx.__exit__(None, None, None)
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        assert [fine({}, context) for _ in range(3)] == ["still fine"] * 3
    assert [r["outcome"] for r in records] == ["success"] * 3
    err = capsys.readouterr().err
    assert err.count("Failed to export spans") <= 1


def test_otel_off_loads_no_sdk() -> None:
    """With LAMBDASCOPE_OTEL=off a call loads neither the OTel SDK nor any exporter."""
    probe = textwrap.dedent(
        """
        import os, sys
        sys.modules["rich"] = None
        os.environ["LAMBDASCOPE_OTEL"] = "off"
        from lambdascope import instrument
        from lambdascope.testing import fake_context
        handler = instrument(lambda event, context: 1)
        handler({}, fake_context())
        heavy = ("opentelemetry.sdk", "opentelemetry.exporter", "requests")
        loaded = [m for m in sys.modules if m.startswith(heavy)]
        print("LOADED", loaded, file=sys.stderr)
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "LOADED []" in done.stderr
    assert '"outcome":"success"' in done.stdout


def test_timeout_span_is_exported_before_the_deadline(
    receiver: OtlpReceiver, records: list[Any]
) -> None:
    """When the watchdog fires, the span (error.type timeout) and faas.timeouts reach the
    collector while the handler is still running."""
    seen: list[bool] = []

    @instrument(flush="end", timeout_margin_ms=150)
    def slow(event: Any, context: Any) -> str:
        seen.append(receiver.wait_for(lambda r: len(r.spans()) == 1, timeout=3))
        return "late"

    assert slow({}, fake_context(timeout_s=0.4)) == "late"
    assert seen == [True]
    span = receiver.spans()[0]
    assert (span.status_code, span.attributes["error.type"]) == (STATUS_ERROR, "timeout")
    timeouts = [p.value for p in receiver.metrics() if p.name == "faas.timeouts"]
    assert timeouts and timeouts[-1] == 1
    assert [(r["outcome"], r.get("supersedes")) for r in records] == [
        ("timeout", None),
        ("success", True),
    ]


def test_otel_resource_attributes_apply_and_explicit_service_wins(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_RESOURCE_ATTRIBUTES adds to the resource; service= overrides its service.name."""
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,service.name=env")

    @instrument(service="explicit", flush="end")
    def named(event: Any, context: Any) -> None:
        return None

    named({}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    resource = receiver.spans()[0].resource
    assert (resource["deployment.environment"], resource["service.name"]) == ("prod", "explicit")
    assert resource["telemetry.sdk.name"] == "opentelemetry"


def test_interval_policy_exports_in_the_background(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """flush="interval" sends spans and metrics from background threads every N seconds."""

    @instrument(flush="interval", flush_interval_s=0.1)
    def quick(event: Any, context: Any) -> int:
        return 1

    quick({}, context)
    assert receiver.wait_for(
        lambda r: len(r.spans()) == 1 and "faas.invocations" in r.metric_names()
    )


def test_function_resource_hashes_and_compares_like_the_sdk_resource(
    context: FakeContext,
) -> None:
    """The read-only, once-hashed resource equals and hashes as an SDK Resource alike."""
    from opentelemetry.sdk.resources import Resource

    from lambdascope._config import resolve
    from lambdascope._resource import build_resource

    resource = build_resource(resolve(env={}), context)
    plain = Resource(resource.attributes, resource.schema_url)
    assert resource == plain and hash(resource) == hash(plain) == hash(resource)
    assert resource.attributes["faas.name"] == context.function_name
    with pytest.raises(TypeError):
        resource.attributes["faas.name"] = "changed"  # read-only, so the hash stays true
