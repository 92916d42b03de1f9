"""OpenTelemetry for one function: resource, one span per invocation, FaaS metrics, bounded flush.

Imported on the first invocation with OTel on (never by `import lambdascope`); the OTLP
exporters (which import requests) are built when first needed.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode

from lambdascope import _names, _record
from lambdascope._config import Config
from lambdascope._export import (
    BufferSpanProcessor,
    Exporters,
    FlushMetricReader,
    quiet_exporter_logs,
)
from lambdascope._report import report_exception
from lambdascope._resource import resource_attributes
from lambdascope._trigger import CONSUMER_SOURCES

if TYPE_CHECKING:
    from lambdascope._invocation import Invocation

SCOPE = "lambdascope"
"""Instrumentation scope name of our tracer and meter."""

_telemetry: dict[tuple[Any, ...], Telemetry] = {}
_lock = threading.Lock()


def telemetry_for(config: Config, context: Any) -> Telemetry:
    """The Telemetry of this configuration (one per process and settings), built on first use."""
    key = (config.service, config.flush, config.flush_budget_ms, config.flush_interval_s)
    with _lock:
        tel = _telemetry.get(key)
        if tel is None:
            tel = _telemetry[key] = Telemetry(config, context)
        return tel


def reset() -> None:
    """Shut every Telemetry down (bounded by its budget) and forget them (tests)."""
    with _lock:
        items = list(_telemetry.values())
        _telemetry.clear()
    for tel in items:
        tel.shutdown()


def _remote_parent() -> Any:
    """Context holding the X-Ray parent from `_X_AMZN_TRACE_ID`, or None."""
    root, parent = _record.xray_trace()
    if root is None or parent is None or len(root) != 35 or len(parent) != 16:
        return None
    try:
        trace_id = int(root[2:10] + root[11:], 16)
        span_id = int(parent, 16)
    except ValueError:
        return None
    span_context = trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED)
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(span_context))


class Telemetry:
    """Tracer, meter and instruments of one function, plus its flush policy."""

    def __init__(self, config: Config, context: Any) -> None:
        self.config = config
        quiet_exporter_logs()
        self.resource = Resource.create(resource_attributes(config, context))
        self.exporters = Exporters(config.flush_budget_ms / 1000)
        self.spans: BufferSpanProcessor | None = None
        self.reader: MetricReader
        self.tracer_provider = TracerProvider(resource=self.resource)
        if config.flush == "end":
            self.spans = BufferSpanProcessor(self.exporters)
            self.tracer_provider.add_span_processor(self.spans)
            self.reader = FlushMetricReader(self.exporters)
        else:
            self.tracer_provider.add_span_processor(self.exporters.batch_processor(config))
            self.reader = self.exporters.periodic_reader(config)
        # Exemplars double the cost of each measurement; opt in with OTEL_METRICS_EXEMPLAR_FILTER.
        exemplars = (
            None if os.environ.get("OTEL_METRICS_EXEMPLAR_FILTER") else AlwaysOffExemplarFilter()
        )
        self.meter_provider = MeterProvider(
            resource=self.resource, metric_readers=[self.reader], exemplar_filter=exemplars
        )
        self.tracer = self.tracer_provider.get_tracer(SCOPE)
        self.closed = False
        """True after shutdown (tests; process exit): callers then build a new one."""
        atexit.register(self.shutdown)
        self.counts = {"success": 0, "error": 0, "timeout": 0, "cold": 0}
        """Totals behind the observable counters (faas.invocations counts successes)."""
        self._instruments(self.meter_provider.get_meter(SCOPE))

    def _instruments(self, meter: Any) -> None:
        # Counters are observed from plain ints at collection time: an SDK `add` costs ~5 µs.
        counted = (
            (_names.METRIC_INVOCATIONS, "success", "{invocation}"),
            (_names.METRIC_ERRORS, "error", "{error}"),
            (_names.METRIC_TIMEOUTS, "timeout", "{timeout}"),
            (_names.METRIC_COLDSTARTS, "cold", "{coldstart}"),
        )
        for name, key, unit in counted:
            meter.create_observable_counter(name, callbacks=[self._observer(key)], unit=unit)
        self.invoke_duration = meter.create_histogram(_names.METRIC_INVOKE_DURATION, unit="s")
        self.init_duration = meter.create_histogram(_names.METRIC_INIT_DURATION, unit="s")
        self.mem_usage = meter.create_histogram(_names.METRIC_MEM_USAGE, unit="By")
        self.remaining_time = meter.create_histogram(_names.METRIC_REMAINING_TIME, unit="s")

    def _observer(self, key: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
        def observe(_options: CallbackOptions) -> Iterable[Observation]:
            return (Observation(self.counts[key]),)

        return observe

    def start(self, inv: Invocation) -> tuple[Any, Any]:
        """Start the invocation's span and make it current; returns (span, context token)."""
        attributes: dict[str, Any] = {
            "faas.trigger": inv.trigger,
            "faas.invocation_id": inv.request_id or "",
            "faas.coldstart": inv.cold,
        }
        kind = SpanKind.CONSUMER if inv.source in CONSUMER_SOURCES else SpanKind.SERVER
        span = self.tracer.start_span(
            inv.function or "handler",
            context=_remote_parent(),
            kind=kind,
            attributes=attributes,
        )
        token = context_api.attach(trace.set_span_in_context(span))
        return span, token

    def detach(self, inv: Invocation) -> None:
        """Restore the context that was current before the span started."""
        token, inv.token = inv.token, None
        if token is not None:
            context_api.detach(token)

    def _metrics(
        self, inv: Invocation, outcome: str, duration_s: float, remaining_ms: int | None
    ) -> None:
        # No attributes: they cost ~2 µs per measurement; the resource names the function.
        self.counts[outcome] += 1
        if inv.cold:
            self.counts["cold"] += 1
            if inv.init_ms is not None:
                self.init_duration.record(inv.init_ms / 1000)
        self.invoke_duration.record(duration_s)
        self.mem_usage.record(_record.max_rss_mb() << 20)
        if remaining_ms is not None:
            self.remaining_time.record(remaining_ms / 1000)

    def end(
        self,
        inv: Invocation,
        outcome: str,
        exc: BaseException | None,
        duration_s: float,
        remaining_ms: int | None,
        detach: bool,
    ) -> None:
        """Record the metrics and end the span (status ERROR + one exception event on failure)."""
        self._metrics(inv, outcome, duration_s, remaining_ms)
        span = inv.span
        if exc is not None:
            kind = _record.error_type(exc)
            message = _record.error_message(exc)
            span.set_attribute("error.type", kind)
            span.add_event("exception", {"exception.type": kind, "exception.message": message})
            span.set_status(Status(StatusCode.ERROR, f"{kind}: {message}"[:256]))
        elif outcome == "timeout":
            span.set_attribute("error.type", "timeout")
            span.set_status(Status(StatusCode.ERROR, "timeout"))
        span.end()
        if detach:
            self.detach(inv)

    def flush_after(self, remaining_ms: int | None, margin_ms: int) -> None:
        """Flush policy `end`: export within min(budget, remaining − margin)."""
        if self.spans is None:
            return
        budget = self.config.flush_budget_ms
        deadline = budget if remaining_ms is None else min(budget, remaining_ms - margin_ms)
        self.flush(deadline / 1000)

    def flush(self, deadline_s: float) -> None:
        """Export buffered spans, then collected metrics, within `deadline_s`; never raises."""
        try:
            if self.spans is not None:
                left = self.spans.export(deadline_s)
                self.exporters.set_timeout(max(left, 0.0))
                if left > 0:
                    self.reader.collect(timeout_millis=left * 1000)
            else:
                self.tracer_provider.force_flush(int(deadline_s * 1000))
                self.meter_provider.force_flush(int(deadline_s * 1000))
        except Exception as exc:
            report_exception("flush", "exporting telemetry", exc)

    def end_timeout(
        self, inv: Invocation, duration_s: float, remaining_ms: int | None, margin_ms: int
    ) -> None:
        """After a timeout record: end the span and flush before Lambda stops the process."""
        budget = self.config.flush_budget_ms
        slack = min(25, margin_ms // 3)
        deadline = budget if remaining_ms is None else min(budget, remaining_ms - slack)

        def work() -> None:
            try:
                self.end(inv, "timeout", None, duration_s, remaining_ms, detach=False)
                if deadline > 0:
                    self.flush(deadline / 1000)
            except Exception as exc:
                report_exception("otel-timeout", "ending the span on timeout", exc)

        if threading.current_thread() is not threading.main_thread():
            work()
            return
        # In the SIGALRM handler the interrupted code may hold an SDK lock: work in a thread.
        worker = threading.Thread(target=work, name="lambdascope-timeout", daemon=True)
        worker.start()
        worker.join(max(deadline, 0) / 1000 + 0.005)

    def shutdown(self) -> None:
        """Flush what is left within the budget and stop background exporters; never raises."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.shutdown)
        budget_ms = self.config.flush_budget_ms
        try:
            self.flush(budget_ms / 1000)
            self.exporters.set_timeout(budget_ms / 1000)
            self.tracer_provider.shutdown()
            self.meter_provider.shutdown(timeout_millis=budget_ms)
        except Exception as exc:
            report_exception("otel-shutdown", "shutting OpenTelemetry down", exc)
