"""Metric and attribute names shared by the runtime and the analyzer's OTLP export.

Plain strings on purpose: importing the semantic-conventions package costs import time in
the Lambda bundle. `tests/runtime/test_semconv_names.py` checks them against that package.
"""

from __future__ import annotations

METRIC_INVOCATIONS = "faas.invocations"
METRIC_ERRORS = "faas.errors"
METRIC_TIMEOUTS = "faas.timeouts"
METRIC_COLDSTARTS = "faas.coldstarts"
METRIC_INVOKE_DURATION = "faas.invoke_duration"
METRIC_INIT_DURATION = "faas.init_duration"
METRIC_MEM_USAGE = "faas.mem_usage"
METRIC_REMAINING_TIME = "lambdascope.remaining_time"

ALL_METRICS = (
    METRIC_INVOCATIONS,
    METRIC_ERRORS,
    METRIC_TIMEOUTS,
    METRIC_COLDSTARTS,
    METRIC_INVOKE_DURATION,
    METRIC_INIT_DURATION,
    METRIC_MEM_USAGE,
    METRIC_REMAINING_TIME,
)
"""Every metric name lambdascope emits, at runtime or from `lambdascope export`."""

SECONDS_BOUNDS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5,
    10.0, 30.0, 60.0, 300.0, 900.0,
)  # fmt: skip
"""Bucket bounds of the histograms in seconds (faas.invoke_duration, faas.init_duration,
lambdascope.remaining_time): OTel's HTTP duration advice, up to Lambda's 15 min. The runtime
and `lambdascope export` both use these, so Grafana's `sum by (le)` sees one set."""

MEMORY_MB_BOUNDS: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096, 8192, 10240)
"""Lambda memory sizes (MB, which are MiB) bounding the faas.mem_usage buckets; 10240 is the max."""

BYTES_BOUNDS: tuple[float, ...] = tuple(float(mb * 1024 * 1024) for mb in MEMORY_MB_BOUNDS)
"""Bucket bounds of faas.mem_usage in bytes (runtime and `lambdascope export`)."""
