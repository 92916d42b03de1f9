"""The exporters that keep the encoded resource send exactly what the standard encoders give."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _support.otlp import OtlpReceiver
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, TraceFlags

from lambdascope import instrument
from lambdascope._metrics import FaasMetrics
from lambdascope._otlp import MetricExporter, SpanExporter, _Encoded
from lambdascope.testing import FakeContext

RESOURCE = Resource({"service.name": "orders", "cloud.provider": "aws", "faas.max_memory": 1 << 28})
OTHER_RESOURCE = Resource({"service.name": "other"}, schema_url="https://example.com/schema")
SCOPE = InstrumentationScope("lambdascope", "0.1.0")
OTHER_SCOPE = InstrumentationScope("mine", "2", schema_url="https://example.com/s")


def _span(span_id: int, resource: Resource, scope: InstrumentationScope | None) -> ReadableSpan:
    context = SpanContext(0x5759E988BD862E3FE1BE46A994272793, span_id, False, TraceFlags(1))
    return ReadableSpan(
        name="orders", context=context, resource=resource, kind=SpanKind.SERVER,
        attributes={"faas.trigger": "http", "faas.coldstart": False}, start_time=1, end_time=2,
        instrumentation_scope=scope,
    )  # fmt: skip


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A running OTLP receiver that the exporters are pointed at."""
    with OtlpReceiver() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)
        yield rx


def test_span_request_is_the_standard_encoders_byte_for_byte() -> None:
    """Spans of two resources and three scopes (one missing) encode as encode_spans does."""
    spans = [
        _span(1, RESOURCE, SCOPE), _span(2, OTHER_RESOURCE, OTHER_SCOPE),
        _span(3, RESOURCE, SCOPE), _span(4, RESOURCE, None), _span(5, RESOURCE, OTHER_SCOPE),
    ]  # fmt: skip
    encoded = _Encoded()
    for _ in range(2):  # the second time from the kept resource and scopes
        assert encoded.spans(spans) == encode_spans(spans).SerializePartialToString()


def test_metric_request_is_the_standard_encoders_byte_for_byte() -> None:
    """lambdascope's metrics (counters and histograms) encode as encode_metrics does."""
    metrics = FaasMetrics(RESOURCE, SCOPE)
    encoded = _Encoded()
    for cold in (True, False):
        metrics.record("success", cold, 0.2 if cold else None, 0.012, 61 << 20, 2.9)
        data = metrics.collect()
        assert data is not None
        ours = encoded.metrics(data).SerializeToString()
        assert ours == encode_metrics(data).SerializeToString()


def _data(*metrics: Metric, resources: int = 1) -> MetricsData:
    scope = ScopeMetrics(scope=OTHER_SCOPE, metrics=list(metrics), schema_url="")
    return MetricsData(
        resource_metrics=[
            ResourceMetrics(resource=r, scope_metrics=[scope], schema_url="")
            for r in (RESOURCE, OTHER_RESOURCE)[:resources]
        ]
    )


def _sum(value: float, attributes: dict[str, str] | None = None) -> Metric:
    point = NumberDataPoint(attributes=attributes or {}, start_time_unix_nano=1,
                            time_unix_nano=2, value=value)  # fmt: skip
    data = Sum(data_points=[point], aggregation_temporality=AggregationTemporality.DELTA,
               is_monotonic=False)  # fmt: skip
    return Metric(name="m", description="d", unit="1", data=data)


@pytest.mark.parametrize(
    "data",
    [
        _data(_sum(1.5), _sum(-3)),
        _data(_sum(2, {"k": "v"})),
        _data(Metric(name="g", description="", unit="", data=Gauge(
            data_points=[NumberDataPoint(attributes={}, start_time_unix_nano=0,
                                         time_unix_nano=5, value=7)]))),
        _data(_sum(1), resources=2),
    ],
    ids=["float-and-negative-sums", "attributes", "gauge", "two-resources"],
)  # fmt: skip
def test_other_metric_shapes_are_the_standard_encoders_byte_for_byte(data: MetricsData) -> None:
    """Float sums, attributes, gauges and several resources encode as encode_metrics does."""
    ours = _Encoded().metrics(data).SerializeToString()
    assert ours == encode_metrics(data).SerializeToString()


def test_resource_is_encoded_once_per_resource_object() -> None:
    """The same Resource object gives the kept message; another one is encoded afresh."""
    encoded = _Encoded()
    first = encoded.resource(RESOURCE)
    assert encoded.resource(RESOURCE) is first
    assert encoded.resource(OTHER_RESOURCE) is not first


def test_instrumented_handler_exports_through_these_exporters(
    receiver: OtlpReceiver, context: FakeContext
) -> None:
    """flush=end sends its span and metrics through them, and the receiver decodes both."""

    @instrument(flush="end")
    def handler(event: object, ctx: object) -> int:
        return 1

    handler({}, context)
    exporters = handler.__lambdascope__.telemetry.exporters  # type: ignore[attr-defined]
    assert isinstance(exporters.span_exporter(), SpanExporter)
    assert isinstance(exporters.metric_exporter(), MetricExporter)
    assert [span.name for span in receiver.spans()] == [context.function_name]
    assert "faas.invocations" in receiver.metric_names()
