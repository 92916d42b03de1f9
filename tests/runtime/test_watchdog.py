"""Timeout watchdog: the timeout record is out before Lambda's deadline; state is restored."""

from __future__ import annotations

import os
import signal
import threading
import time
from types import FrameType
from typing import Any

import pytest

from lambdascope import instrument
from lambdascope.testing import fake_context


def _wait_for(records: list[dict[str, Any]], count: int, limit_s: float = 3.0) -> None:
    """Block (like a slow handler) until `count` records exist or limit_s passes."""
    deadline = time.monotonic() + limit_s
    while len(records) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_timeout_record_is_written_while_handler_still_runs(
    records: list[dict[str, Any]],
) -> None:
    """At remaining − margin the watchdog writes outcome=timeout while the handler is busy."""
    seen_inside: list[dict[str, Any]] = []

    @instrument(otel=False, timeout_margin_ms=150)
    def slow(event: Any, context: Any) -> str:
        _wait_for(records, 1)
        seen_inside.extend(records)
        return "late"

    assert slow({}, fake_context(timeout_s=0.3)) == "late"
    assert [r["outcome"] for r in seen_inside] == ["timeout"]
    assert seen_inside[0]["timeout_ms"] == 1000 and seen_inside[0]["remaining_ms"] <= 150


def test_handler_finishing_in_time_writes_superseding_record(
    records: list[dict[str, Any]],
) -> None:
    """After a timeout record, a handler that still returns adds its real outcome, supersedes."""

    @instrument(otel=False, timeout_margin_ms=150)
    def slow(event: Any, context: Any) -> None:
        _wait_for(records, 1)
        raise ValueError("after the watchdog")

    context = fake_context(timeout_s=0.3)
    with pytest.raises(ValueError):
        slow({}, context)
    assert [(r["outcome"], r.get("supersedes")) for r in records] == [
        ("timeout", None),
        ("error", True),
    ]
    assert {r["request_id"] for r in records} == {context.aws_request_id}


def test_previous_sigalrm_handler_and_itimer_are_restored(
    records: list[dict[str, Any]],
) -> None:
    """A handler and interval timer set before the call are back in place after it."""
    fired: list[int] = []

    def previous(signum: int, frame: FrameType | None) -> None:
        fired.append(signum)

    @instrument(otel=False)
    def quick(event: Any, context: Any) -> int:
        return 1

    old = signal.signal(signal.SIGALRM, previous)
    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        quick({}, fake_context(timeout_s=5))
        assert signal.getsignal(signal.SIGALRM) is previous
        assert 29.0 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert fired == []


def test_nothing_left_armed_after_a_normal_call(records: list[dict[str, Any]]) -> None:
    """After a quick call no itimer is pending and a stray SIGALRM does nothing."""

    @instrument(otel=False)
    def quick(event: Any, context: Any) -> int:
        return 1

    quick({}, fake_context(timeout_s=5))
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    os.kill(os.getpid(), signal.SIGALRM)  # e.g. one of ours arriving just after the disarm
    time.sleep(0.01)
    assert [r["outcome"] for r in records] == ["success"]


def test_user_handler_installed_between_calls_is_noticed_and_kept(
    records: list[dict[str, Any]],
) -> None:
    """A SIGALRM handler set after an invocation is still in place after the next one."""
    fired: list[int] = []

    def mine(signum: int, frame: FrameType | None) -> None:
        fired.append(signum)

    @instrument(otel=False)
    def quick(event: Any, context: Any) -> int:
        return 1

    quick({}, fake_context(timeout_s=5))
    old = signal.signal(signal.SIGALRM, mine)
    try:
        quick({}, fake_context(timeout_s=5))
        assert signal.getsignal(signal.SIGALRM) is mine
        os.kill(os.getpid(), signal.SIGALRM)
        time.sleep(0.01)
    finally:
        signal.signal(signal.SIGALRM, old)
    assert fired == [signal.SIGALRM]
    assert [r["outcome"] for r in records] == ["success", "success"]


def test_timer_thread_fallback_outside_the_main_thread(records: list[dict[str, Any]]) -> None:
    """In a worker thread a Timer does the job: timeout first, then the superseding record."""

    @instrument(otel=False, timeout_margin_ms=150)
    def slow(event: Any, context: Any) -> str:
        _wait_for(records, 1)
        return "late"

    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(slow({}, fake_context(timeout_s=0.3))))
    worker.start()
    worker.join(5)
    assert results == ["late"]
    assert [(r["outcome"], r.get("supersedes")) for r in records] == [
        ("timeout", None),
        ("success", True),
    ]


def test_async_handler_timeout_is_recorded(records: list[dict[str, Any]]) -> None:
    """An async handler awaiting past remaining − margin gets its timeout record in time."""
    import asyncio

    @instrument(otel=False, timeout_margin_ms=150)
    async def slow(event: Any, context: Any) -> str:
        for _ in range(600):
            if records:
                break
            await asyncio.sleep(0.005)
        return "late"

    assert asyncio.run(slow({}, fake_context(timeout_s=0.3))) == "late"
    assert [(r["outcome"], r.get("supersedes")) for r in records] == [
        ("timeout", None),
        ("success", True),
    ]
