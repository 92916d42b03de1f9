"""Flush `end` against a hanging collector: each call costs about the budget, never the hang.

Behaviour checks with generous bounds (a 5 s hang against a 0.1-0.25 s deadline), not
benchmarks: the figures themselves are in benchmarks/results/wrapper.json.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from _support.otlp import OtlpReceiver

from lambdascope import instrument
from lambdascope.testing import fake_context

HANG_S = 5.0
"""How long the collector sits on each request (much longer than any budget here)."""


@pytest.fixture
def hanging(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A receiver that answers nothing for HANG_S seconds, the exporters pointed at it."""
    with OtlpReceiver(mode="hang", hang_s=HANG_S) as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)
        yield rx


def _seconds(handler: Any, context: Any) -> float:
    started = time.monotonic()
    assert handler({}, context) == "ok"
    return time.monotonic() - started


def test_hanging_collector_costs_about_the_budget_per_call(
    hanging: OtlpReceiver, records: list[dict[str, Any]]
) -> None:
    """With a 100 ms budget each call returns in < 2 s although the collector hangs 5 s."""

    @instrument(flush="end", flush_budget_ms=100)
    def handler(event: Any, context: Any) -> str:
        return "ok"

    seconds = [_seconds(handler, fake_context(timeout_s=60)) for _ in range(3)]
    assert max(seconds) < 2.0, seconds
    assert hanging.requests  # the exports did reach the collector
    assert [r["outcome"] for r in records] == ["success"] * 3


def test_little_remaining_time_shortens_the_flush_below_the_budget(
    hanging: OtlpReceiver, records: list[dict[str, Any]]
) -> None:
    """Deadline = min(budget, remaining − margin): 400 ms left, 3 s budget → returns in < 1.5 s."""

    @instrument(flush="end", flush_budget_ms=3000, timeout_margin_ms=150)
    def handler(event: Any, context: Any) -> str:
        return "ok"

    seconds = _seconds(handler, fake_context(timeout_s=0.4))
    assert seconds < 1.5, seconds
    assert hanging.requests


class _HangsOn(OtlpReceiver):
    """Sits HANG_S seconds on every request to one path (/v1/traces or /v1/metrics) only."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.hang_path = path

    def _note_request(self, path: str, encoding: str) -> None:
        super()._note_request(path, encoding)
        if path.endswith(self.hang_path):
            self._stop.wait(HANG_S)


@pytest.mark.parametrize("path", ["/v1/traces", "/v1/metrics"])
def test_collector_hanging_on_one_of_the_two_requests_costs_about_the_budget(
    path: str, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """Spans and metrics go out on two connections: one of them hanging 5 s still lets each
    call return in < 2 s with a 100 ms budget, and the other one's data arrives."""
    with _HangsOn(path) as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)

        @instrument(flush="end", flush_budget_ms=100)
        def handler(event: Any, context: Any) -> str:
            return "ok"

        seconds = [_seconds(handler, fake_context(timeout_s=60)) for _ in range(3)]
        delivered = rx.metrics() if path == "/v1/traces" else rx.spans()
    assert max(seconds) < 2.0, seconds
    assert delivered
    assert [r["outcome"] for r in records] == ["success"] * 3


class _FirstAnswerWaitsForSecondRequest(OtlpReceiver):
    """Holds its answer to the first request until a second request has come (at most 3 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals = 0
        self.second = threading.Event()
        self.overlapped: bool | None = None
        """Did the second request come while the first one still waited for its answer?"""
        self._lock = threading.Lock()

    def _note_request(self, path: str, encoding: str) -> None:
        super()._note_request(path, encoding)
        with self._lock:
            self.arrivals += 1
            first = self.arrivals == 1
        if first:
            self.overlapped = self.second.wait(3.0)
        else:
            self.second.set()


def test_spans_and_metrics_requests_are_in_flight_at_once(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """flush=end does not wait for the collector's answer to one request before sending the
    other: the second request arrives while the first is unanswered."""
    with _FirstAnswerWaitsForSecondRequest() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)

        @instrument(flush="end", flush_budget_ms=5000)
        def handler(event: Any, context: Any) -> str:
            return "ok"

        _seconds(handler, fake_context(timeout_s=60))
        assert rx.wait_for(lambda r: bool(r.metrics()) and bool(r.spans()))
    assert rx.overlapped is True
