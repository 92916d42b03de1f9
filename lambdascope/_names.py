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
