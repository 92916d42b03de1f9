"""The runtime emits exactly the names and units the dashboards and `export` rely on."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from _support.otlp import OtlpReceiver

from analyzer import otlp_export
from lambdascope import _names

_HANDLER = textwrap.dedent(
    """
    from lambdascope import instrument
    from lambdascope.testing import fake_context

    @instrument(flush="end")
    def handler(event, context):
        return "ok"

    handler({}, fake_context("orders"))
    handler({}, fake_context("orders"))
    """
)


def test_runtime_metrics_match_export_names_and_units():
    """A wrapped handler's metrics share kind and unit with `export` (same Prometheus names)."""
    with OtlpReceiver() as rx:
        env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": rx.endpoint}
        subprocess.run([sys.executable, "-c", _HANDLER], env=env, check=True, timeout=60)
        points = rx.metrics()
    kinds = {"sum": "counter", "histogram": "histogram"}
    seen = {(p.name, kinds.get(p.kind, p.kind), p.unit) for p in points}
    shared = {(name, kind, unit) for name, (kind, unit) in otlp_export.EXPORTED.items()}
    runtime_only = {p for p in seen if p[0] not in otlp_export.EXPORTED}
    assert seen - runtime_only <= shared
    assert {p[0] for p in runtime_only} <= {_names.METRIC_REMAINING_TIME}
    assert {_names.METRIC_INVOCATIONS, _names.METRIC_INVOKE_DURATION} <= {p[0] for p in seen}
    assert {p.resource.get("faas.name") for p in points} == {"orders"}
