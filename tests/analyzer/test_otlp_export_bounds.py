"""The runtime and `lambdascope export` send each histogram with the same bucket bounds."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from analyzer import otlp_export
from lambdascope import _names
from lambdascope._metrics import FaasMetrics

GIB = 1024 * 1024 * 1024
HISTOGRAMS = (
    _names.METRIC_INVOKE_DURATION,
    _names.METRIC_INIT_DURATION,
    _names.METRIC_MEM_USAGE,
    _names.METRIC_REMAINING_TIME,
)


def _runtime_histograms(rss_bytes: int) -> dict[str, Any]:
    """name -> data point of the runtime's histograms after one cold 10 GiB invocation."""
    metrics = FaasMetrics(Resource.create({}), InstrumentationScope("t"))
    metrics.record("success", True, 0.2, 0.05, rss_bytes, 1.5)
    data = metrics.collect()
    assert data is not None
    out = {}
    for metric in data.resource_metrics[0].scope_metrics[0].metrics:
        if metric.name in HISTOGRAMS:
            out[metric.name] = metric.data.data_points[0]  # type: ignore[union-attr]
    return out


def _export_histograms(memory_mb: float) -> dict[str, Any]:
    """name -> data point of `lambdascope export`'s histograms for one bucket."""
    bucket = otlp_export.Bucket(
        function="f", start_ms=0, invocations=1, errors=0, timeouts=0, cold_starts=1,
        durations_ms=[50.0], inits_ms=[200.0], memory_mb=[memory_mb], remaining_ms=[1500.0],
    )  # fmt: skip
    request = otlp_export.build_request("f", [bucket], 60_000)
    return {
        m.name: m.histogram.data_points[0]
        for m in request.resource_metrics[0].scope_metrics[0].metrics
        if m.name in HISTOGRAMS
    }


@pytest.mark.parametrize("name", HISTOGRAMS)
def test_runtime_and_export_bounds_are_equal(name: str) -> None:
    """Both senders give a histogram the same explicit bounds (one `le` set in Grafana)."""
    runtime = _runtime_histograms(10 * GIB)[name]
    export = _export_histograms(10 * 1024)[name]
    assert list(runtime.explicit_bounds) == list(export.explicit_bounds)
    assert len(runtime.explicit_bounds) > 5


def test_runtime_10_gib_memory_lands_in_a_real_bucket() -> None:
    """The runtime counts a 10 GiB max memory in the last finite bucket, not +Inf."""
    point = _runtime_histograms(10 * GIB)[_names.METRIC_MEM_USAGE]
    assert point.bucket_counts[-1] == 0
    assert point.bucket_counts[-2] == 1


def test_export_10_gib_memory_lands_in_a_real_bucket() -> None:
    """`lambdascope export` counts a 10240 MB max memory in the last finite bucket, not +Inf."""
    point = _export_histograms(10 * 1024)[_names.METRIC_MEM_USAGE]
    assert list(point.bucket_counts)[-1] == 0
    assert list(point.bucket_counts)[-2] == 1
