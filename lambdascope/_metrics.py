"""The FaaS metrics, aggregated in plain Python and exported as OTel SDK `MetricsData`.

A fixed set of instruments without attributes needs no per-measurement SDK pipeline
(~4 µs per `record`): counting is `+= 1` and a histogram update is one bisect. At flush
time the totals become the SDK's data model and go through the standard OTLP exporter.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from typing import Any

from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from lambdascope import _names

SECONDS_BOUNDS = _names.SECONDS_BOUNDS
BYTES_BOUNDS = _names.BYTES_BOUNDS

COUNTERS = (
    (_names.METRIC_INVOCATIONS, "success", "{invocation}", "Number of successful invocations."),
    (_names.METRIC_ERRORS, "error", "{error}", "Number of invocation errors."),
    (_names.METRIC_TIMEOUTS, "timeout", "{timeout}", "Number of invocation timeouts."),
    (_names.METRIC_COLDSTARTS, "cold", "{coldstart}", "Number of invocation cold starts."),
)
"""(name, key in FaasMetrics.counts, unit, description): semconv's, see test_semconv_names."""

HISTOGRAMS = (
    (_names.METRIC_INVOKE_DURATION, "s", SECONDS_BOUNDS,
     "Measures the duration of the function's logic execution."),
    (_names.METRIC_INIT_DURATION, "s", SECONDS_BOUNDS,
     "Measures the duration of the function's initialization, such as a cold start."),
    (_names.METRIC_MEM_USAGE, "By", BYTES_BOUNDS,
     "Distribution of max memory usage per invocation."),
    (_names.METRIC_REMAINING_TIME, "s", SECONDS_BOUNDS,
     "Time left before the Lambda deadline when the handler returned."),
)  # fmt: skip
"""(name, unit, bucket bounds, description) of the histograms, in FaasMetrics' order."""


class _Histogram:
    """Explicit-bucket histogram state: count, sum, min, max and bucket counts."""

    __slots__ = ("bounds", "buckets", "count", "description", "max", "min", "name", "sum", "unit")

    def __init__(self, name: str, unit: str, bounds: tuple[float, ...], description: str) -> None:
        self.name, self.unit, self.bounds, self.description = name, unit, bounds, description
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.buckets = [0] * (len(self.bounds) + 1)

    def record(self, value: float) -> None:
        self.count += 1
        self.sum += value
        if value < self.min:
            self.min = value
        if value > self.max:
            self.max = value
        self.buckets[bisect_left(self.bounds, value)] += 1

    def point(self, start_ns: int, now_ns: int) -> HistogramDataPoint:
        return HistogramDataPoint(
            attributes={}, start_time_unix_nano=start_ns, time_unix_nano=now_ns,
            count=self.count, sum=self.sum, bucket_counts=list(self.buckets),
            explicit_bounds=list(self.bounds), min=self.min, max=self.max,
        )  # fmt: skip


def _temporality() -> AggregationTemporality:
    preference = os.environ.get("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "")
    if preference.strip().lower() in ("delta", "lowmemory"):
        return AggregationTemporality.DELTA
    return AggregationTemporality.CUMULATIVE


class FaasMetrics:
    """faas.* counters and histograms plus lambdascope.remaining_time for one function."""

    def __init__(self, resource: Resource, scope: InstrumentationScope) -> None:
        self.resource, self.scope = resource, scope
        self.temporality = _temporality()
        self.lock = threading.Lock()
        self.counts = {"success": 0, "error": 0, "timeout": 0, "cold": 0}
        self.histograms = tuple(_Histogram(*row) for row in HISTOGRAMS)
        self.invoke_duration, self.init_duration, self.mem_usage, self.remaining_time = (
            self.histograms
        )
        self.start_ns = time.time_ns()
        self.pending = False
        """Something was recorded since the last collect."""

    def record(
        self,
        outcome: str,
        cold: bool,
        init_s: float | None,
        duration_s: float,
        rss_bytes: int,
        remaining_s: float | None,
    ) -> None:
        """Account one invocation."""
        with self.lock:
            self.counts[outcome] += 1
            if cold:
                self.counts["cold"] += 1
                if init_s is not None:
                    self.init_duration.record(init_s)
            self.invoke_duration.record(duration_s)
            self.mem_usage.record(rss_bytes)
            if remaining_s is not None:
                self.remaining_time.record(remaining_s)
            self.pending = True

    def collect(self) -> MetricsData | None:
        """Snapshot as MetricsData (None when nothing new); delta temporality resets."""
        with self.lock:
            if not self.pending:
                return None
            self.pending = False
            now_ns = time.time_ns()
            metrics = self._metrics(self.start_ns, now_ns)
            if self.temporality is AggregationTemporality.DELTA:
                self.start_ns = now_ns
                self.counts = dict.fromkeys(self.counts, 0)
                for histogram in self.histograms:
                    histogram.reset()
        scope_metrics = ScopeMetrics(scope=self.scope, metrics=metrics, schema_url="")
        resource_metrics = ResourceMetrics(
            resource=self.resource, scope_metrics=[scope_metrics], schema_url=""
        )
        return MetricsData(resource_metrics=[resource_metrics])

    def _metrics(self, start_ns: int, now_ns: int) -> list[Metric]:
        out: list[Metric] = []
        for name, key, unit, description in COUNTERS:
            point = NumberDataPoint(
                attributes={}, start_time_unix_nano=start_ns, time_unix_nano=now_ns,
                value=self.counts[key],
            )  # fmt: skip
            data: Any = Sum(
                data_points=[point], aggregation_temporality=self.temporality, is_monotonic=True
            )
            out.append(Metric(name=name, description=description, unit=unit, data=data))
        for histogram in self.histograms:
            if histogram.count:
                data = Histogram(
                    data_points=[histogram.point(start_ns, now_ns)],
                    aggregation_temporality=self.temporality,
                )
                name, unit = histogram.name, histogram.unit
                description = histogram.description
                out.append(Metric(name=name, description=description, unit=unit, data=data))
        return out
