"""Standard OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER switches, seen by a real receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from _support.otlp import OtlpReceiver

from lambdascope import _report, instrument
from lambdascope._config import resolve
from lambdascope.testing import FakeContext


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[OtlpReceiver]:
    """A running OTLP receiver that the exporters are pointed at."""
    with OtlpReceiver() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)
        yield rx


def _handler() -> Any:
    @instrument(flush="end")
    def handler(event: Any, context: Any) -> str:
        return "ok"

    return handler


def _paths(receiver: OtlpReceiver) -> set[str]:
    return {path for path, _encoding in receiver.requests}


def test_traces_exporter_none_sends_metrics_but_no_span(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_TRACES_EXPORTER=none: metrics reach the receiver, no span does; record written."""
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert _handler()({}, context) == "ok"
    assert receiver.wait_for(lambda r: "faas.invocations" in r.metric_names())
    assert (receiver.spans(), _paths(receiver)) == ([], {"/v1/metrics"})
    assert [r["outcome"] for r in records] == ["success"]


def test_metrics_exporter_none_sends_the_span_but_no_metrics(
    receiver: OtlpReceiver,
    context: FakeContext,
    records: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """OTEL_METRICS_EXPORTER=none: the span reaches the receiver, no metric does; record written."""
    monkeypatch.setenv("OTEL_METRICS_EXPORTER", "none")
    assert _handler()({}, context) == "ok"
    assert receiver.wait_for(lambda r: len(r.spans()) == 1)
    assert (receiver.metrics(), _paths(receiver)) == ([], {"/v1/traces"})
    assert [r["outcome"] for r in records] == ["success"]


def test_both_exporters_none_turn_opentelemetry_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """With traces and metrics both `none` the handler runs log-only (no SDK set up)."""
    env = {"OTEL_TRACES_EXPORTER": "none", "OTEL_METRICS_EXPORTER": " None "}
    assert resolve(env=env).otel is False


def test_unsupported_protocol_is_reported_once(capsys: pytest.CaptureFixture[str]) -> None:
    """OTEL_EXPORTER_OTLP_PROTOCOL=grpc is reported on stderr: lambdascope sends http/protobuf."""
    _report.reset()
    for _ in range(2):
        resolve(env={"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})
    assert capsys.readouterr().err.count("OTLP/HTTP protobuf only") == 1
