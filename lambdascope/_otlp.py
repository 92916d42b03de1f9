"""The OTLP/HTTP exporters with the function's resource encoded once, not on every export.

The standard encoders turn the resource's ~14 attributes into protobuf on every export (about
20 µs of a flush's CPU, twice: spans and metrics). The resource of a function never changes,
so its protobuf message is kept (per Resource object) and copied into each request. The
requests are the standard encoders' to the byte (`tests/runtime/test_otlp_encoding.py`); the
sending (client, retries, size check, failure logging) is the exporters' own. Imported with
the exporters (they import requests), never by `import lambdascope`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_instrumentation_scope,
    _encode_resource,
)
from opentelemetry.exporter.otlp.proto.common._internal.metrics_encoder import (
    _encode_resource_metrics as _untyped_encode_resource_metrics,
)
from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import _encode_span
from opentelemetry.exporter.otlp.proto.http._common import _is_request_too_large
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import ResourceMetrics
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans
from opentelemetry.sdk.metrics.export import Histogram, MetricExportResult, MetricsData, Sum
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE

_encode_resource_metrics: Callable[[Any, dict[Any, Any]], None] = _untyped_encode_resource_metrics


class _Encoded:
    """Protobuf of the last resource and scopes seen, by identity (SDK ones are immutable)."""

    def __init__(self) -> None:
        self._resource: Resource | None = None
        self._resource_pb: Any = None
        self._scopes: dict[int, tuple[InstrumentationScope | None, Any]] = {}

    def resource(self, resource: Resource) -> Any:
        """The encoded resource (kept while the same Resource object comes)."""
        if resource is not self._resource:
            self._resource_pb = _encode_resource(resource)
            self._resource = resource
        return self._resource_pb

    def scope(self, scope: Any) -> Any:
        """The encoded scope (None: an empty one, as the standard encoder does)."""
        known = self._scopes.get(id(scope))
        if known is None or known[0] is not scope:
            if len(self._scopes) >= 8:
                self._scopes.clear()
            known = self._scopes[id(scope)] = (scope, _encode_instrumentation_scope(scope))
        return known[1]

    def spans(self, spans: Sequence[ReadableSpan]) -> bytes:
        """What `encode_spans(spans).SerializePartialToString()` gives."""
        grouped: dict[Resource, dict[InstrumentationScope | None, list[Any]]] = {}
        for span in spans:
            scope = span.instrumentation_scope or None
            by_scope = grouped.setdefault(span.resource, {})
            by_scope.setdefault(scope, []).append(_encode_span(span))
        request = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=self.resource(resource),
                    scope_spans=[
                        ScopeSpans(
                            scope=self.scope(scope),
                            spans=pb_spans,
                            schema_url=(scope.schema_url or "") if scope else "",
                        )
                        for scope, pb_spans in by_scope.items()
                    ],
                    schema_url=resource.schema_url,
                )
                for resource, by_scope in grouped.items()
            ]
        )
        data: bytes = request.SerializePartialToString()
        return data

    def metrics(self, data: MetricsData) -> Any:
        """What `encode_metrics(data)` gives (an ExportMetricsServiceRequest)."""
        if len(data.resource_metrics) == 1:
            request = self._metrics_in_place(data.resource_metrics[0])
            if request is not None:
                return request
        by_resource: dict[Resource, dict[Any, Any]] = {}
        for resource_metrics in data.resource_metrics:
            _encode_resource_metrics(resource_metrics, by_resource)
        return ExportMetricsServiceRequest(
            resource_metrics=[
                ResourceMetrics(
                    resource=self.resource(resource),
                    scope_metrics=scopes.values(),
                    schema_url=resource.schema_url,
                )
                for resource, scopes in by_resource.items()
            ]
        )

    def _metrics_in_place(self, resource_metrics: Any) -> Any:
        """One resource's sums and explicit-bucket histograms without attributes or
        exemplars (lambdascope's own), built inside the request: the standard encoder builds
        each message apart and copies it into its parent, level by level. None for any other
        shape."""
        request = ExportMetricsServiceRequest()
        resource = resource_metrics.resource
        pb_resource = request.resource_metrics.add(schema_url=resource.schema_url)
        pb_resource.resource.CopyFrom(self.resource(resource))
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            pb_scope = pb_resource.scope_metrics.add(schema_url=scope.schema_url)
            pb_scope.scope.CopyFrom(self.scope(scope))
            for metric in scope_metrics.metrics:
                data, kind = metric.data, type(metric.data)
                if kind is not Sum and kind is not Histogram:
                    return None
                pb_metric = pb_scope.metrics.add(
                    name=metric.name, description=metric.description, unit=metric.unit
                )
                for point in data.data_points:
                    if point.attributes or point.exemplars:
                        return None
                    if kind is Sum:
                        value = point.value
                        pb_metric.sum.data_points.add(
                            start_time_unix_nano=point.start_time_unix_nano,
                            time_unix_nano=point.time_unix_nano,
                            **{"as_int" if isinstance(value, int) else "as_double": value},
                        )
                        pb_metric.sum.aggregation_temporality = data.aggregation_temporality
                        pb_metric.sum.is_monotonic = data.is_monotonic
                    else:
                        pb_metric.histogram.data_points.add(
                            time_unix_nano=point.time_unix_nano,
                            start_time_unix_nano=point.start_time_unix_nano,
                            count=point.count, sum=point.sum, bucket_counts=point.bucket_counts,
                            explicit_bounds=point.explicit_bounds, max=point.max, min=point.min,
                        )  # fmt: skip
                        pb_metric.histogram.aggregation_temporality = data.aggregation_temporality
        return request


class SpanExporter(OTLPSpanExporter):
    """`OTLPSpanExporter` whose requests reuse the encoded resource."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoded = _Encoded()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """As `OTLPSpanExporter.export`; its own code handles shutdown, encoding errors and
        oversized requests (it reports them)."""
        if self._shutdown:
            return super().export(spans)
        try:
            data = self._encoded.spans(spans)
        except Exception:
            return super().export(spans)
        if _is_request_too_large(data, self._max_request_size):
            return super().export(spans)
        with self._metrics.export_operation(len(spans)) as result:
            sent = self._client.export(data)
            if not sent.success:
                result.error = sent.error
                if sent.status_code is not None:
                    result.error_attrs = {HTTP_RESPONSE_STATUS_CODE: sent.status_code}
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


class MetricExporter(OTLPMetricExporter):
    """`OTLPMetricExporter` whose requests reuse the encoded resource."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._encoded = _Encoded()

    def export(
        self, metrics_data: MetricsData, timeout_millis: float | None = 10000, **kwargs: Any
    ) -> MetricExportResult:
        """As `OTLPMetricExporter.export`; batch splitting, shutdown and encoding errors are
        left to it."""
        if self._shutdown or self._max_export_batch_size is not None:
            return super().export(metrics_data, timeout_millis, **kwargs)
        try:
            request = self._encoded.metrics(metrics_data)
        except Exception:
            return super().export(metrics_data, timeout_millis, **kwargs)
        result: MetricExportResult = self._export_batch(request)
        return result
