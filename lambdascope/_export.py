"""OTLP/HTTP export with hard time limits: lazy exporters, a span buffer, periodic metrics."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from lambdascope._config import Config
from lambdascope._report import report_exception, report_once

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricExporter
    from opentelemetry.sdk.trace.export import SpanExporter

    from lambdascope._metrics import FaasMetrics
    from lambdascope._transport import HttpClientTransport

MAX_BUFFERED_SPANS = 2048
"""Spans kept for the next flush; beyond, new spans are dropped (and reported once)."""

_EXPORTER_LOGGERS = (
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.metrics._internal.export",
    "opentelemetry.sdk._shared_internal",
)
"""Loggers that would warn on every failed export; we let each message through once."""


class _OncePerMessage(logging.Filter):
    """Pass each distinct log message template once."""

    def __init__(self) -> None:
        super().__init__("lambdascope")
        self.seen: set[tuple[str, object]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


_once = _OncePerMessage()


def quiet_exporter_logs() -> None:
    """A collector that is down must not print a warning per invocation: once is enough."""
    for name in _EXPORTER_LOGGERS:
        logger = logging.getLogger(name)
        if _once not in logger.filters:
            logger.addFilter(_once)


def _set_client_timeout(exporter: Any, seconds: float) -> None:
    client = getattr(exporter, "_client", None)
    if client is not None and hasattr(client, "_timeout"):
        client._timeout = seconds
    elif hasattr(exporter, "_timeout"):
        exporter._timeout = seconds


def _plain_http(signal: str) -> bool:
    """True when the signal goes straight (no proxy) to an http:// endpoint without TLS or
    credential settings."""
    env = os.environ
    endpoint = env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318"
    )
    tls_or_auth = any(
        key.startswith(("OTEL_EXPORTER_OTLP_", "OTEL_PYTHON_EXPORTER_OTLP_"))
        and key.endswith(("CERTIFICATE", "CLIENT_KEY", "CREDENTIAL_PROVIDER"))
        for key in env
    )
    return endpoint.startswith("http://") and not tls_or_auth and not _proxied(endpoint)


_PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
"""Environment variables that can put a proxy in front of an http:// endpoint."""


def _proxied(url: str) -> bool:
    """True when HTTP_PROXY / ALL_PROXY applies to `url` (NO_PROXY not matching its host),
    as the default transport (requests) would decide; our transport never uses a proxy."""
    if not any(os.environ.get(k) for k in _PROXY_VARIABLES):
        return False  # the common case, without importing urllib.request (~4 ms)
    import urllib.request

    proxies = urllib.request.getproxies()
    if not (proxies.get("http") or proxies.get("all")):
        return False
    host = urlsplit(url).netloc.rpartition("@")[2]
    return not urllib.request.proxy_bypass(host)


def _build(exporter_class: Any, timeout_s: float, signal: str) -> Any:
    """The exporter, on our lean transport for plain http:// (the default goes through
    requests, which scans the environment for proxies on every export, ~0.5 ms)."""
    if _plain_http(signal):
        try:
            from lambdascope._transport import HttpClientTransport

            return exporter_class(timeout=timeout_s, _transport=HttpClientTransport())
        except (ImportError, TypeError):
            pass  # older exporter: no pluggable transport
    return exporter_class(timeout=timeout_s)


class Exporters:
    """The OTLP/HTTP span and metric exporters, built on first use, with one time limit."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._span: SpanExporter | None = None
        self._metric: MetricExporter | None = None

    def span_exporter(self) -> SpanExporter:
        """OTLPSpanExporter configured by OTEL_EXPORTER_OTLP_* (imports requests: lazy)."""
        if self._span is None:
            exporter_class: Any
            try:
                from lambdascope._otlp import SpanExporter as exporter_class
            except ImportError:  # a release without the encoder helpers it reuses
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter as exporter_class,
                )

            self._span = _build(exporter_class, self.timeout_s, "TRACES")
        return self._span

    def metric_exporter(self) -> MetricExporter:
        """OTLPMetricExporter configured by OTEL_EXPORTER_OTLP_* (imports requests: lazy)."""
        if self._metric is None:
            exporter_class: Any
            try:
                from lambdascope._otlp import MetricExporter as exporter_class
            except ImportError:  # a release without the encoder helpers it reuses
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                    OTLPMetricExporter as exporter_class,
                )

            self._metric = _build(exporter_class, self.timeout_s, "METRICS")
        return self._metric

    def lean_metric_transport(self) -> HttpClientTransport | None:
        """Our transport under the metric exporter, when it has it (see `_build`)."""
        from lambdascope._transport import HttpClientTransport

        client = getattr(self.metric_exporter(), "_client", None)
        transport = getattr(client, "_transport", None)
        return transport if isinstance(transport, HttpClientTransport) else None

    def shutdown(self, spans: bool) -> None:
        """Shut the metric exporter (and the span exporter when `spans`) down: closes sockets."""
        for exporter in (self._span if spans else None, self._metric):
            if exporter is not None:
                exporter.shutdown()

    def set_timeout(self, seconds: float, spans: bool = True, metrics: bool = True) -> None:
        """Bound the next exports (retries included) to `seconds`."""
        for exporter in (self._span if spans else None, self._metric if metrics else None):
            if exporter is not None:
                _set_client_timeout(exporter, seconds)

    def batch_processor(self, config: Config) -> SpanProcessor:
        """Background span export (flush `interval`: every N s; `off`: SDK defaults)."""
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        if config.flush == "interval":
            return BatchSpanProcessor(
                self.span_exporter(),
                schedule_delay_millis=config.flush_interval_s * 1000,
                export_timeout_millis=config.flush_budget_ms,
            )
        return BatchSpanProcessor(self.span_exporter())

    def periodic_metrics(self, config: Config, metrics: FaasMetrics) -> PeriodicExport:
        """Background metric export (flush `interval`: every N s; `off`: every
        OTEL_METRIC_EXPORT_INTERVAL ms, default 60 s)."""
        if config.flush == "interval":
            period_s = config.flush_interval_s
        else:
            try:
                period_s = float(os.environ.get("OTEL_METRIC_EXPORT_INTERVAL", "60000")) / 1000
            except ValueError:
                period_s = 60.0
        return PeriodicExport(max(period_s, 0.05), lambda: self._export_metrics(metrics))

    def _export_metrics(self, metrics: FaasMetrics) -> None:
        data = metrics.collect()
        if data is not None:
            self.metric_exporter().export(data)


class PeriodicExport:
    """A daemon thread calling `export` every `period_s` seconds until stopped."""

    def __init__(self, period_s: float, export: Callable[[], None]) -> None:
        self._period_s, self._export = period_s, export
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lambdascope-metrics", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            try:
                self._export()
            except Exception as exc:
                report_exception("metrics-export", "exporting metrics", exc)

    def stop(self) -> None:
        """Stop the thread (the caller flushes what is left)."""
        self._stop.set()


class BufferSpanProcessor(SpanProcessor):
    """Keeps ended spans until `export` (flush policy `end`): no thread, no lock in on_end."""

    def __init__(self, exporters: Exporters) -> None:
        self._exporters = exporters
        self._spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        if len(self._spans) < MAX_BUFFERED_SPANS:
            self._spans.append(span)
        else:
            report_once("spans-dropped", f"more than {MAX_BUFFERED_SPANS} spans unexported")

    def export(self, deadline_s: float) -> float:
        """Send buffered spans within `deadline_s`; returns the seconds left."""
        started = time.monotonic()
        if not self._spans or deadline_s <= 0:
            return deadline_s
        batch, self._spans = self._spans, []
        exporter = self._exporters.span_exporter()
        self._exporters.set_timeout(deadline_s, metrics=False)
        exporter.export(batch)
        return deadline_s - (time.monotonic() - started)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.export(timeout_millis / 1000)
        return True
