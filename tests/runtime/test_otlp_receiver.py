"""The test OTLP receiver decodes what the real OTLP/HTTP exporters send."""

from __future__ import annotations

from _support.otlp import OtlpReceiver
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExportResult,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


def _finished_spans() -> list:  # type: ignore[type-arg]
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "probe"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("op", attributes={"k": 7}):
        pass
    return list(memory.get_finished_spans())


def test_receives_and_decodes_spans() -> None:
    """A span exported by OTLPSpanExporter arrives decoded with name, attributes and resource."""
    with OtlpReceiver() as rx:
        exporter = OTLPSpanExporter(endpoint=rx.endpoint + "/v1/traces", timeout=5)
        assert exporter.export(_finished_spans()) is SpanExportResult.SUCCESS
        assert rx.wait_for(lambda r: len(r.spans()) == 1)
        span = rx.spans()[0]
    assert (span.name, span.attributes["k"], span.resource["service.name"]) == ("op", 7, "probe")


def test_decodes_gzip_requests() -> None:
    """A gzip-compressed export is decompressed and decoded."""
    with OtlpReceiver() as rx:
        exporter = OTLPSpanExporter(
            endpoint=rx.endpoint + "/v1/traces", timeout=5, compression=Compression.Gzip
        )
        exporter.export(_finished_spans())
        assert rx.wait_for(lambda r: len(r.spans()) == 1)
        assert rx.requests == [("/v1/traces", "gzip")]


def test_receives_metric_points() -> None:
    """Counter points exported by OTLPMetricExporter arrive flattened with their value."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("m").create_counter("probe.count").add(3, {"a": "b"})
    data = reader.get_metrics_data()
    assert data is not None
    with OtlpReceiver() as rx:
        exporter = OTLPMetricExporter(endpoint=rx.endpoint + "/v1/metrics", timeout=5)
        exporter.export(data)
        assert rx.wait_for(lambda r: bool(r.metrics()))
        point = rx.metrics()[0]
    provider.shutdown()
    assert (point.name, point.kind, point.value, point.attributes) == (
        "probe.count",
        "sum",
        3,
        {"a": "b"},
    )


def test_refuse_mode_answers_503() -> None:
    """In refuse mode the exporter gets a failure and nothing is stored."""
    with OtlpReceiver(mode="refuse") as rx:
        exporter = OTLPSpanExporter(endpoint=rx.endpoint + "/v1/traces", timeout=0.5)
        assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE
        assert rx.spans() == [] and rx.requests


def test_hang_mode_makes_the_exporter_time_out() -> None:
    """In hang mode an exporter with a short timeout gives up with a failure."""
    with OtlpReceiver(mode="hang", hang_s=3) as rx:
        exporter = OTLPSpanExporter(endpoint=rx.endpoint + "/v1/traces", timeout=0.2)
        assert exporter.export(_finished_spans()) is SpanExportResult.FAILURE
