"""OpenTelemetry for one function: resource, one span per invocation, FaaS metrics, bounded flush.

Imported on the first invocation with OTel on (never by `import lambdascope`); the OTLP
exporters (which import requests) are built when first needed.

The invocation span is built as an SDK `ReadableSpan` when the invocation ends, from facts
we hold anyway, and handed to the SDK span processors and the OTLP exporter. During the call
a non-recording span with the same ids is current, so the handler's own spans nest under it.
That skips the SDK's per-span sampler, attribute validation and locks (~15 µs).
"""

from __future__ import annotations

import atexit
import random
import threading
import time
from typing import TYPE_CHECKING, Any

from opentelemetry import context as context_api
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from lambdascope import __version__, _record
from lambdascope._config import Config
from lambdascope._export import BufferSpanProcessor, Exporters, quiet_exporter_logs
from lambdascope._metrics import FaasMetrics
from lambdascope._report import report_exception
from lambdascope._resource import build_resource
from lambdascope._trigger import CONSUMER_SOURCES

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricsData

    from lambdascope._invocation import Invocation
    from lambdascope._transport import HttpClientTransport

SCOPE = InstrumentationScope("lambdascope", __version__)
"""Instrumentation scope of our span and metrics."""

_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_UNSAMPLED = TraceFlags(TraceFlags.DEFAULT)
_OK = Status(StatusCode.UNSET)
_getrandbits = random.getrandbits

_telemetry: dict[tuple[Any, ...], Telemetry] = {}
_lock = threading.Lock()


def telemetry_for(config: Config, context: Any) -> Telemetry:
    """The Telemetry of this configuration (one per process and settings), built on first use."""
    key = (
        config.service, config.flush, config.flush_budget_ms, config.flush_interval_s,
        config.traces, config.metrics,
    )  # fmt: skip
    with _lock:
        tel = _telemetry.get(key)
        if tel is None or tel.closed:
            tel = _telemetry[key] = Telemetry(config, context)
        return tel


def reset() -> None:
    """Shut every Telemetry down (bounded by its budget) and forget them (tests)."""
    with _lock:
        items = list(_telemetry.values())
        _telemetry.clear()
    for tel in items:
        tel.shutdown()


def _ids() -> tuple[int, int | None, TraceFlags]:
    """(trace id, parent span id, flags): X-Ray's from `_X_AMZN_TRACE_ID` (`Sampled=0`
    gives unsampled flags), else a new, sampled trace."""
    root, parent = _record.xray_trace()
    if root is not None and parent is not None and len(root) == 35 and len(parent) == 16:
        try:
            flags = _SAMPLED if _record.xray_sampled() else _UNSAMPLED
            return int(root[2:10] + root[11:], 16), int(parent, 16), flags
        except ValueError:
            pass
    return _getrandbits(128) or 1, None, _SAMPLED


class SpanStart:
    """What is known of the invocation span when it starts."""

    __slots__ = ("context", "kind", "parent", "start_ns")

    def __init__(self, source: str) -> None:
        trace_id, parent_id, flags = _ids()
        self.context = SpanContext(trace_id, _getrandbits(64) or 1, False, flags)
        self.parent = None if parent_id is None else SpanContext(trace_id, parent_id, True, flags)
        self.kind = SpanKind.CONSUMER if source in CONSUMER_SOURCES else SpanKind.SERVER
        self.start_ns = time.time_ns()


class Telemetry:
    """Resource, span processor, metrics and flush policy of one function."""

    def __init__(self, config: Config, context: Any) -> None:
        self.config = config
        quiet_exporter_logs()
        self.resource = build_resource(config, context)
        self.exporters = Exporters(config.flush_budget_ms / 1000)
        self.metrics = FaasMetrics(self.resource, SCOPE)
        self.buffer: BufferSpanProcessor | None = None
        self.processor: SpanProcessor
        if config.flush == "end":
            self.processor = self.buffer = BufferSpanProcessor(self.exporters)
        else:
            self.processor = (
                self.exporters.batch_processor(config)
                if config.traces
                else BufferSpanProcessor(self.exporters)  # never fed: no exporter, no thread
            )
            self._periodic = self.exporters.periodic_metrics(config, self.metrics)
        self.closed = False
        """True after shutdown (tests; process exit): callers then build a new one."""
        atexit.register(self.shutdown)

    def start(self, inv: Invocation) -> tuple[SpanStart, object]:
        """Begin the invocation span and make it current; returns (start, context token)."""
        start = SpanStart(inv.source)
        current = trace.NonRecordingSpan(start.context)
        return start, context_api.attach(trace.set_span_in_context(current))

    def detach(self, inv: Invocation) -> None:
        """Restore the context that was current before the span started."""
        token, inv.token = inv.token, None
        if token is not None:
            context_api.detach(token)

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
        init_s = None if inv.init_ms is None else inv.init_ms / 1000
        remaining_s = None if remaining_ms is None else remaining_ms / 1000
        rss = inv.rss_mb << 20
        if self.config.metrics:  # OTEL_METRICS_EXPORTER=none: never recorded, never sent
            self.metrics.record(outcome, inv.cold, init_s, duration_s, rss, remaining_s)
        start: SpanStart = inv.span
        if not (start.context.trace_flags.sampled and self.config.traces):
            # X-Ray's Sampled=0 (metrics only) or OTEL_TRACES_EXPORTER=none
            if detach:
                self.detach(inv)
            return
        attributes: dict[str, Any] = {
            "faas.trigger": inv.trigger,
            "faas.invocation_id": str(inv.request_id or ""),
            "faas.coldstart": inv.cold,
        }
        events: tuple[Event, ...] = ()
        status = _OK
        if exc is not None:
            kind, message = _record.error_type(exc), _record.error_message(exc)
            attributes["error.type"] = kind
            event = {"exception.type": kind, "exception.message": message}
            events = (Event("exception", event, time.time_ns()),)
            status = Status(StatusCode.ERROR, f"{kind}: {message}"[:256])
        elif outcome == "timeout":
            attributes["error.type"] = "timeout"
            status = Status(StatusCode.ERROR, "timeout")
        span = ReadableSpan(
            name=str(inv.function or "handler"), context=start.context, parent=start.parent,
            resource=self.resource, attributes=attributes, events=events, kind=start.kind,
            status=status, start_time=start.start_ns, end_time=time.time_ns(),
            instrumentation_scope=SCOPE,
        )  # fmt: skip
        self.processor.on_end(span)
        if detach:
            self.detach(inv)

    def flush_after(self, remaining_ms: int | None, margin_ms: int) -> None:
        """Flush policy `end`: export within min(budget, remaining − margin)."""
        if self.buffer is None:
            return
        self.flush(self._deadline_ms(remaining_ms, margin_ms) / 1000)

    def _deadline_ms(self, remaining_ms: int | None, reserve_ms: int) -> int:
        """The flush budget, cut to what is left before Lambda's deadline minus `reserve_ms`."""
        budget = self.config.flush_budget_ms
        return budget if remaining_ms is None else min(budget, remaining_ms - reserve_ms)

    def flush(self, deadline_s: float) -> None:
        """Export pending spans and metrics within `deadline_s`; never raises.

        With flush `end` on our transport the metrics request goes out first and its answer
        is read after the span export: the collector handles both at once (two kept-alive
        connections, no thread). A metrics answer that is not a success is sent again, the
        usual way, in the time left. Otherwise spans, then metrics, one after the other
        (measured faster than two threads: the GIL hand-over costs more than the overlap).
        """
        try:
            if deadline_s <= 0:
                return
            # Built (and imported) on first use, outside the deadline: a cold flush must not
            # spend its budget importing the exporter.
            if self.config.traces:
                self.exporters.span_exporter()
            if self.config.metrics:
                self.exporters.metric_exporter()
            started = time.monotonic()
            ahead = None
            if self.buffer is not None and self.config.metrics:
                ahead = self.exporters.lean_metric_transport()
            sent = None if ahead is None else self.metrics.collect()
            if ahead is not None and sent is not None:
                self.exporters.set_timeout(deadline_s, spans=False)
                ahead.defer_next()  # failures are the exporter's to report, as usual
                self.exporters.metric_exporter().export(sent)
            try:
                if self.buffer is not None:
                    self.buffer.export(deadline_s - (time.monotonic() - started))
                else:
                    self.processor.force_flush(int(deadline_s * 1000))
            finally:
                if ahead is not None and sent is not None:
                    self._finish_ahead(ahead, sent, deadline_s - (time.monotonic() - started))
            left = deadline_s - (time.monotonic() - started)
            data = self.metrics.collect() if ahead is None and left > 0 else None
            if data is not None:
                self.exporters.set_timeout(left, spans=False)
                self.exporters.metric_exporter().export(data)
        except Exception as exc:
            report_exception("flush", "exporting telemetry", exc)

    def _finish_ahead(self, transport: HttpClientTransport, data: MetricsData, left: float) -> None:
        """Read the answer to the metrics sent ahead; send again, the usual way (retries,
        logging), if it is not a success and time is left."""
        answer = transport.collect(left)
        if answer is None or (answer.status_code is not None and 200 <= answer.status_code < 300):
            return  # None: not deferred after all (the exporter saw the real outcome)
        if left > 0:
            self.exporters.set_timeout(left, spans=False)
            self.exporters.metric_exporter().export(data)

    def end_timeout(
        self, inv: Invocation, duration_s: float, remaining_ms: int | None, margin_ms: int
    ) -> None:
        """After a timeout record: end the span and flush before Lambda stops the process."""
        deadline = self._deadline_ms(remaining_ms, min(25, margin_ms // 3))

        def work() -> None:
            try:
                self.end(inv, "timeout", None, duration_s, remaining_ms, detach=False)
                self.flush(deadline / 1000)
            except Exception as exc:
                report_exception("otel-timeout", "ending the span on timeout", exc)

        if threading.current_thread() is not threading.main_thread():
            work()
            return
        # In the SIGALRM handler the interrupted code may hold a lock we need: use a thread.
        worker = threading.Thread(target=work, name="lambdascope-timeout", daemon=True)
        worker.start()
        worker.join(max(deadline, 0) / 1000 + 0.005)

    def shutdown(self) -> None:
        """Flush what is left within the budget and stop background exporters; never raises."""
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.shutdown)
        budget_s = self.config.flush_budget_ms / 1000
        try:
            if self.buffer is None:
                self._periodic.stop()
            self.flush(budget_s)
            self.exporters.set_timeout(budget_s)
            self.processor.shutdown()
            self.exporters.shutdown(spans=self.buffer is not None)
        except Exception as exc:
            report_exception("otel-shutdown", "shutting OpenTelemetry down", exc)
