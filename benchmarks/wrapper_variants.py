"""The handler variants the wrapper benchmark times: bare, lambdascope, and the anchors.

Every variant wraps the same trivial handler and is called with the same event and a
real `awslambdaric` LambdaContext. Builders return a plain `(event, context) -> result`
callable; heavy imports sit inside the builders so a variant costs nothing until built.
"""

from __future__ import annotations

import os
import sys
import time
import types
from collections.abc import Callable, Sequence
from typing import Any

Handler = Callable[[Any, Any], Any]

FUNCTION = "orders"
"""Function name used in the environment, the context and every variant."""

ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION}",
    "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "POWERTOOLS_SERVICE_NAME": FUNCTION,
    "POWERTOOLS_METRICS_NAMESPACE": "Bench",
    "OTEL_SERVICE_NAME": FUNCTION,
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}
"""What Lambda (and the user's configuration) put in the environment."""

EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "GET /orders/{id}",
    "rawPath": "/orders/42",
    "rawQueryString": "",
    "headers": {"accept": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com"},
    "pathParameters": {"id": "42"},
    "requestContext": {
        "accountId": "123456789012",
        "apiId": "abc123",
        "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
        "http": {
            "method": "GET",
            "path": "/orders/42",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.9",
            "userAgent": "curl/8.5.0",
        },
        "requestId": "JKJaXmPLvHcESHA=",
        "routeKey": "GET /orders/{id}",
        "stage": "$default",
        "time": "25/Nov/2026:22:00:00 +0000",
        "timeEpoch": 1795644000000,
    },
    "isBase64Encoded": False,
}
"""A small API Gateway HTTP API (v2) event."""


def setup_environment(endpoint: str) -> None:
    """Put the Lambda environment in place; OTLP exporters go to `endpoint`."""
    os.environ.update(ENV)
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    os.environ["_HANDLER"] = f"{HANDLERS.__name__}.otel_noop"


def make_context(timeout_s: float = 900.0) -> Any:
    """A real awslambdaric LambdaContext whose deadline is `timeout_s` from now."""
    from awslambdaric.lambda_context import LambdaContext

    deadline_ms = int((time.time() + timeout_s) * 1000)
    arn = f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}"
    return LambdaContext("8f3e2a4c-1b7d-4c1e-9e55-0c9a1f3d2b10", None, None, deadline_ms, arn)


def h(event: Any, ctx: Any) -> Any:
    """The trivial handler every variant wraps."""
    return {"ok": 1}


# The OTel contrib instrumentor patches a module attribute named by _HANDLER; give it one.
HANDLERS = types.ModuleType("benchmarks._wrapper_handlers")
HANDLERS.otel_noop = h  # type: ignore[attr-defined]
HANDLERS.otel_otlp = h  # type: ignore[attr-defined]
sys.modules[HANDLERS.__name__] = HANDLERS


def bare() -> Handler:
    """The handler itself."""
    return h


def lambdascope(**options: Any) -> Handler:
    """The handler under `@instrument(**options)`."""
    from lambdascope import instrument

    wrapped: Handler = instrument(**options)(h)
    return wrapped


def lambdascope_noop_export(**options: Any) -> Handler:
    """`@instrument(**options)` whose OTLP exporters are no-ops, like the contrib no-op variant.

    lambdascope builds (and keeps) its exporters per (service, flush) setting on first use;
    both are built here while its exporter factory answers no-op exporters. The own service
    name keeps these providers apart from the exporting variants'.
    """
    from unittest import mock

    from lambdascope import _export, instrument

    spans, metrics = _noop_exporters()
    wrapped: Any = instrument(service=f"{FUNCTION}-noop-{options.get('flush')}", **options)(h)

    def build(exporter_class: Any, timeout_s: float, signal: str) -> Any:
        return spans if signal == "TRACES" else metrics

    with mock.patch.object(_export, "_build", build):
        wrapped(EVENT, make_context())
        telemetry = wrapped.__lambdascope__.telemetry
        if telemetry is None:
            raise RuntimeError("lambdascope did not set up OpenTelemetry")
        if (telemetry.exporters.span_exporter(), telemetry.exporters.metric_exporter()) != (
            spans,
            metrics,
        ):
            raise RuntimeError("could not give lambdascope no-op exporters")
    result: Handler = wrapped
    return result


def powertools() -> Handler:
    """Powertools Logger (inject_lambda_context + one info) and Metrics (cold start + 1)."""
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.metrics import MetricUnit

    logger = Logger(service=FUNCTION)
    metrics = Metrics(namespace="Bench", service=FUNCTION)

    @metrics.log_metrics(capture_cold_start_metric=True)
    @logger.inject_lambda_context
    def handler(event: Any, ctx: Any) -> Any:
        logger.info("handled")
        metrics.add_metric(name="Handled", unit=MetricUnit.Count, value=1)
        return {"ok": 1}

    result: Handler = handler
    return result


def _otel_providers(exporters: Sequence[Any]) -> tuple[Any, Any]:
    """SDK tracer and meter providers with batch processors feeding `exporters`."""
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    span_exporter, metric_exporter = exporters
    resource = Resource.create({"service.name": FUNCTION})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=60_000)
    return tracer_provider, MeterProvider(resource=resource, metric_readers=[reader])


def _noop_exporters() -> tuple[Any, Any]:
    from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class NoopSpans(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class NoopMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 0, **kw: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 0) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 0, **kwargs: Any) -> None:
            return None

    return NoopSpans(), NoopMetrics()


def _otlp_exporters() -> tuple[Any, Any]:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(), OTLPMetricExporter()


def otel_contrib(export: str) -> Handler:
    """OTel contrib AwsLambdaInstrumentor over the SDK; `export` is "noop" or "otlp".

    The no-op variant goes through `AwsLambdaInstrumentor().instrument()`. The instrumentor
    is a singleton that instruments once per process, so the OTLP variant calls the same
    module-level `_instrument()` the public method calls, with its own providers.
    """
    from opentelemetry.instrumentation import aws_lambda

    exporters = _noop_exporters() if export == "noop" else _otlp_exporters()
    tracer_provider, meter_provider = _otel_providers(exporters)
    name = f"otel_{export}"
    if export == "noop":
        os.environ["_HANDLER"] = f"{HANDLERS.__name__}.{name}"
        aws_lambda.AwsLambdaInstrumentor().instrument(
            tracer_provider=tracer_provider, meter_provider=meter_provider
        )
    else:
        aws_lambda._instrument(
            HANDLERS.__name__,
            name,
            30_000,
            event_context_extractor=aws_lambda._default_event_context_extractor,
            tracer_provider=tracer_provider,
            meter_provider=meter_provider,
        )
    wrapped: Handler = getattr(HANDLERS, name)
    if wrapped is h:
        raise RuntimeError("the OTel contrib instrumentor did not wrap the handler")
    return wrapped
