"""A real timeout: the runtime process is SIGKILLed at its deadline, like Lambda does."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from _support.otlp import OtlpReceiver
from _support.runtime_api import Invocation, RicProcess, RuntimeApi, ric_process

_APP = textwrap.dedent(
    """
    import time
    from lambdascope import instrument

    @instrument
    def handler(event, context):
        if event.get("slow"):
            time.sleep(60)
        while context.get_remaining_time_in_millis() > event.get("until_ms", 10**9):
            time.sleep(0.01)
        return {"slow": False}
    """
)

TIMEOUT_S = 2
"""The function's configured timeout: short, whole seconds like Lambda's."""

MARGIN_MS = "600"
"""Watchdog margin; wider than the default so a loaded CI machine still makes it."""


@pytest.fixture
def task_root(tmp_path: Path) -> Path:
    """A task root whose handler sleeps far past any deadline."""
    (tmp_path / "app.py").write_text(_APP)
    return tmp_path


def warm_then_slow(api: RuntimeApi) -> Invocation:
    """One quick invocation (so imports are done, as on a warm instance), then a slow one."""
    assert api.invoke({"slow": False}).kind == "response"
    return api.push({"slow": True}, timeout_s=TIMEOUT_S)


def kill_at_deadline(inv: Invocation, ric: RicProcess) -> None:
    """Wait for the invocation's deadline, then SIGKILL the runtime process."""
    assert inv.fetched.wait(60), "the runtime client never fetched the invocation"
    assert inv.delivered_at is not None
    time.sleep(max(0.0, inv.delivered_at + inv.timeout_s - time.monotonic()))
    ric.kill()


@pytest.mark.slow
def test_killed_invocation_leaves_a_timeout_record(task_root: Path) -> None:
    """The stdout of a process killed at its deadline holds outcome=timeout for the request."""
    with (
        RuntimeApi() as api,
        ric_process(api, task_root, LAMBDASCOPE_TIMEOUT_MARGIN_MS=MARGIN_MS) as ric,
    ):
        inv = warm_then_slow(api)
        kill_at_deadline(inv, ric)
    assert inv.kind is None, "the handler cannot have answered"
    (record,) = [r for r in ric.records() if r["request_id"] == inv.request_id]
    assert record["outcome"] == "timeout"
    assert record["timeout_ms"] == TIMEOUT_S * 1000


@pytest.mark.slow
def test_killed_invocation_span_reached_the_collector(task_root: Path) -> None:
    """Before the kill, the watchdog ended the span and flushed it to the collector."""
    with (
        OtlpReceiver() as rx,
        RuntimeApi() as api,
        ric_process(
            api,
            task_root,
            LAMBDASCOPE_TIMEOUT_MARGIN_MS=MARGIN_MS,
            LAMBDASCOPE_OTEL="on",
            LAMBDASCOPE_FLUSH="end",
            OTEL_EXPORTER_OTLP_ENDPOINT=rx.endpoint,
        ) as ric,
    ):
        inv = warm_then_slow(api)
        kill_at_deadline(inv, ric)
        rx.wait_for(lambda r: len(r.spans()) >= 1, timeout=5)
    spans = [s for s in rx.spans() if s.attributes.get("faas.invocation_id") == inv.request_id]
    assert len(spans) == 1
    assert spans[0].status_code == 2  # STATUS_CODE_ERROR


@pytest.mark.slow
def test_handler_finishing_inside_the_margin_supersedes_the_timeout_record(
    task_root: Path,
) -> None:
    """The watchdog wrote timeout, the handler then returned in time: a superseding success."""
    with (
        RuntimeApi() as api,
        ric_process(api, task_root, LAMBDASCOPE_TIMEOUT_MARGIN_MS="1500") as ric,
    ):
        inv = api.invoke({"until_ms": 300}, timeout_s=3)
        records = ric.wait_records(2)
    assert (inv.kind, inv.json()) == ("response", {"slow": False})
    assert [r["request_id"] for r in records] == [inv.request_id] * 2
    assert [r["outcome"] for r in records] == ["timeout", "success"]
    assert records[1]["supersedes"] is True
