"""Flush `end` against a hanging collector: each call costs about the budget, never the hang.

Behaviour checks with generous bounds (a 5 s hang against a 0.1-0.25 s deadline), not
benchmarks: the figures themselves are in benchmarks/results/wrapper.json.
"""

from __future__ import annotations

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
