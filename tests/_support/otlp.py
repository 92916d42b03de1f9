"""A real OTLP/HTTP receiver on 127.0.0.1 that decodes what exporters send.

Usage::

    with OtlpReceiver() as rx:
        exporter = OTLPSpanExporter(endpoint=rx.endpoint + "/v1/traces")
        ...
        rx.wait_for(lambda r: len(r.spans()) >= 1)
        assert rx.spans()[0].name == "fn"

Modes simulate a faulty collector: ``ok`` answers 200, ``refuse`` answers 503 (retryable
for OTLP exporters), ``hang`` sleeps ``hang_s`` before answering 200. Requests are decoded
with opentelemetry-proto (``Content-Encoding: gzip`` / ``deflate`` handled).
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

Mode = Literal["ok", "refuse", "hang"]


def any_value(value: AnyValue) -> Any:
    """Convert an OTLP AnyValue to the plain Python value it holds."""
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [any_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    return getattr(value, kind)


def attributes(kvs: Any) -> dict[str, Any]:
    """Convert repeated KeyValue to a dict."""
    out: dict[str, Any] = {}
    kv: KeyValue
    for kv in kvs:
        out[kv.key] = any_value(kv.value)
    return out


@dataclass(frozen=True)
class Span:
    """One decoded span with its resource and scope."""

    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    status_code: int
    status_message: str
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]
    scope: str


@dataclass(frozen=True)
class Point:
    """One decoded metric data point (sum/gauge: value; histogram: count/sum)."""

    name: str
    kind: str
    unit: str
    attributes: dict[str, Any]
    value: float | None
    count: int | None
    sum: float | None
    time_ns: int
    resource: dict[str, Any]
    temporality: int = 0
    bucket_counts: list[int] = field(default_factory=list)


def decode_spans(request: ExportTraceServiceRequest) -> list[Span]:
    """Flatten an ExportTraceServiceRequest into spans."""
    out: list[Span] = []
    for rs in request.resource_spans:
        resource = attributes(rs.resource.attributes)
        for ss in rs.scope_spans:
            for s in ss.spans:
                out.append(
                    Span(
                        name=s.name,
                        kind=s.kind,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_span_id=s.parent_span_id.hex(),
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        attributes=attributes(s.attributes),
                        status_code=s.status.code,
                        status_message=s.status.message,
                        events=[(e.name, attributes(e.attributes)) for e in s.events],
                        resource=resource,
                        scope=ss.scope.name,
                    )
                )
    return out


def _points(metric: Any, resource: dict[str, Any]) -> list[Point]:
    kind = metric.WhichOneof("data")
    data = getattr(metric, kind)
    temporality = getattr(data, "aggregation_temporality", 0)
    out: list[Point] = []
    for dp in data.data_points:
        value: float | None = None
        count: int | None = None
        total: float | None = None
        buckets: list[int] = []
        if kind in ("sum", "gauge"):
            value = dp.as_int if dp.WhichOneof("value") == "as_int" else dp.as_double
        else:
            count, total = dp.count, dp.sum
            buckets = list(getattr(dp, "bucket_counts", []))
        out.append(
            Point(
                name=metric.name,
                kind=kind,
                unit=metric.unit,
                attributes=attributes(dp.attributes),
                value=value,
                count=count,
                sum=total,
                time_ns=dp.time_unix_nano,
                resource=resource,
                temporality=temporality,
                bucket_counts=buckets,
            )
        )
    return out


def decode_metrics(request: ExportMetricsServiceRequest) -> list[Point]:
    """Flatten an ExportMetricsServiceRequest into data points."""
    out: list[Point] = []
    for rm in request.resource_metrics:
        resource = attributes(rm.resource.attributes)
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                out.extend(_points(metric, resource))
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like a real collector

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    def do_POST(self) -> None:
        rx = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        rx._note_request(self.path, encoding)
        if rx.mode == "refuse":
            self._answer(503, b"")
            return
        if rx.mode == "hang":
            rx._stop.wait(rx.hang_s)
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if self.path.endswith("/v1/traces"):
            trace_req = ExportTraceServiceRequest.FromString(body)
            rx._add(spans=decode_spans(trace_req))
            self._answer(200, ExportTraceServiceResponse().SerializeToString())
        elif self.path.endswith("/v1/metrics"):
            metric_req = ExportMetricsServiceRequest.FromString(body)
            rx._add(points=decode_metrics(metric_req))
            self._answer(200, ExportMetricsServiceResponse().SerializeToString())
        else:
            self._answer(404, b"")

    def _answer(self, code: int, body: bytes) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the exporter gave up waiting (hang mode): expected


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: OtlpReceiver


class OtlpReceiver:
    """OTLP/HTTP protobuf receiver on 127.0.0.1:<random port> (context manager)."""

    def __init__(self, mode: Mode = "ok", hang_s: float = 5.0) -> None:
        self.mode: Mode = mode
        self.hang_s = hang_s
        self.requests: list[tuple[str, str]] = []
        """(path, content-encoding) of every request received, in order."""
        self._spans: list[Span] = []
        self._points: list[Point] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def endpoint(self) -> str:
        """Base URL; exporters append /v1/traces and /v1/metrics."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def spans(self) -> list[Span]:
        """All spans received so far."""
        with self._cond:
            return list(self._spans)

    def metrics(self) -> list[Point]:
        """All metric data points received so far (flattened)."""
        with self._cond:
            return list(self._points)

    def metric_names(self) -> set[str]:
        """Names of every metric received so far."""
        return {p.name for p in self.metrics()}

    def wait_for(self, predicate: Callable[[OtlpReceiver], bool], timeout: float = 10.0) -> bool:
        """Wait until predicate(self) holds (re-checked on each request); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _note_request(self, path: str, encoding: str) -> None:
        with self._cond:
            self.requests.append((path, encoding))
            self._cond.notify_all()

    def _add(self, spans: list[Span] | None = None, points: list[Point] | None = None) -> None:
        with self._cond:
            self._spans.extend(spans or [])
            self._points.extend(points or [])
            self._cond.notify_all()
