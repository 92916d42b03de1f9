"""The lean OTLP transport: one kept-alive connection, errors as results, real exporters."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from _support.otlp import OtlpReceiver
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

from lambdascope import instrument
from lambdascope._export import _build
from lambdascope._transport import HttpClientTransport
from lambdascope.testing import FakeContext


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A running OTLP receiver that the exporters are pointed at."""
    with OtlpReceiver() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)
        yield rx


def test_plain_http_endpoint_gets_the_lean_transport(receiver: OtlpReceiver) -> None:
    """For http:// without TLS settings the real exporter is built on HttpClientTransport."""
    exporter = _build(OTLPSpanExporter, 0.5, "TRACES")
    assert isinstance(exporter._client._transport, HttpClientTransport)
    exporter.shutdown()


def test_tls_settings_keep_the_default_transport(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A certificate setting leaves the exporter on its own default transport."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem")
    exporter = _build(OTLPSpanExporter, 0.5, "TRACES")
    assert not isinstance(exporter._client._transport, HttpClientTransport)
    exporter.shutdown()


def test_requests_reuse_one_connection(receiver: OtlpReceiver) -> None:
    """Consecutive POSTs go over the same kept-alive socket and get decoded answers."""
    transport = HttpClientTransport()
    url = receiver.endpoint + "/v1/traces"
    first = transport.request("POST", url, headers={"Content-Type": "application/x-protobuf"},
                              timeout=2, data=b"")  # fmt: skip
    sock = transport._sock
    second = transport.request("POST", url, timeout=2, data=b"")
    transport.close()
    assert (first.status_code, second.status_code) == (200, 200)
    assert sock is not None and transport._sock is None
    assert len(receiver.requests) == 2


def test_refused_connection_is_a_result_not_an_exception() -> None:
    """Nothing listening: the result carries a connection error the exporter may retry."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    transport = HttpClientTransport()
    result = transport.request("POST", f"http://127.0.0.1:{port}/v1/traces", timeout=1, data=b"x")
    assert result.status_code is None and transport.is_connection_error(result.error)


def test_gzip_compression_passes_through(
    receiver: OtlpReceiver,
    monkeypatch: pytest.MonkeyPatch,
    context: FakeContext,
    records: list[Any],
) -> None:
    """OTEL_EXPORTER_OTLP_COMPRESSION=gzip reaches the collector as Content-Encoding: gzip."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")

    @instrument(flush="end")
    def handler(event: Any, context: Any) -> int:
        return 1

    handler({}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1 and bool(r.metrics()))
    assert {encoding for _path, encoding in receiver.requests} == {"gzip"}


def _transports(handler: Any) -> list[Any]:
    """The transports of the span and metric exporters the decorated handler really uses."""
    exporters = handler.__lambdascope__.telemetry.exporters
    return [exporters.span_exporter()._client._transport,
            exporters.metric_exporter()._client._transport]  # fmt: skip


def test_exporters_in_use_have_the_lean_transport(
    receiver: OtlpReceiver, context: FakeContext, records: list[Any]
) -> None:
    """After an invocation to a plain http:// collector both exporters run on our transport."""

    @instrument(flush="end")
    def handler(event: Any, context: Any) -> int:
        return 1

    handler({}, context)
    assert receiver.wait_for(lambda r: len(r.spans()) == 1 and bool(r.metrics()))
    assert all(isinstance(t, HttpClientTransport) for t in _transports(handler))


def test_http_proxy_is_honoured(
    monkeypatch: pytest.MonkeyPatch, context: FakeContext, records: list[Any]
) -> None:
    """With HTTP_PROXY set, spans and metrics reach the collector through the proxy."""
    for name in ("http_proxy", "all_proxy", "no_proxy", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with OtlpReceiver() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.endpoint)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.invalid:4318")

        @instrument(flush="end")
        def handler(event: Any, context: Any) -> int:
            return 1

        handler({}, context)
        assert proxy.wait_for(lambda r: len(r.spans()) == 1 and bool(r.metrics()))
        assert not any(isinstance(t, HttpClientTransport) for t in _transports(handler))
        paths = {path for path, _encoding in proxy.requests}
    assert paths == {"http://collector.invalid:4318/v1/traces",
                     "http://collector.invalid:4318/v1/metrics"}  # fmt: skip


def test_no_proxy_host_keeps_the_lean_transport(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A collector listed in NO_PROXY is reached directly, on our transport."""
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    exporter = _build(OTLPSpanExporter, 0.5, "TRACES")
    assert isinstance(exporter._client._transport, HttpClientTransport)
    exporter.shutdown()


class _FirstMetricsRefused(OtlpReceiver):
    """Answers the first /v1/metrics request with 503, everything else with 200."""

    refused = 0

    def _note_request(self, path: str, encoding: str) -> None:
        metrics = path.endswith("/v1/metrics")
        self.mode = "refuse" if metrics and not self.refused else "ok"
        self.refused += metrics
        super()._note_request(path, encoding)


def test_metrics_sent_ahead_are_sent_again_when_refused(
    monkeypatch: pytest.MonkeyPatch, context: FakeContext, records: list[Any]
) -> None:
    """flush=end sends metrics before spans; a 503 for them means a second send, not a loss."""
    with _FirstMetricsRefused() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)

        @instrument(flush="end", flush_budget_ms=2000)
        def handler(event: Any, context: Any) -> int:
            return 1

        handler({}, context)
        assert rx.wait_for(lambda r: len(r.spans()) == 1 and bool(r.metrics()))
        paths = [path for path, _encoding in rx.requests]
    # The first two arrive on two connections at once, in either order; the re-send is last.
    assert sorted(paths[:2]) == ["/v1/metrics", "/v1/traces"] and paths[2:] == ["/v1/metrics"]
    assert {p.name for p in rx.metrics()} >= {"faas.invocations", "faas.invoke_duration"}
