"""Every attribute and metric name lambdascope emits is the OpenTelemetry semantic convention's."""

from __future__ import annotations

import importlib
import pkgutil
import time
from collections.abc import Iterator
from typing import Any

import pytest
from _support.otlp import OtlpReceiver
from opentelemetry.semconv._incubating.attributes import cloud_attributes, faas_attributes
from opentelemetry.semconv._incubating.metrics import faas_metrics

from lambdascope import _names, _trigger, instrument
from lambdascope.testing import FakeContext, fake_context

OWN_METRICS = {_names.METRIC_REMAINING_TIME}
"""Metrics with no semantic convention: they live in the lambdascope.* namespace."""


def _semconv_attribute_names() -> set[str]:
    names: set[str] = set()
    for package_name in (
        "opentelemetry.semconv.attributes",
        "opentelemetry.semconv._incubating.attributes",
    ):
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            names.update(v for k, v in vars(module).items() if k.isupper() and isinstance(v, str))
    return names


@pytest.fixture
def emitted(
    monkeypatch: pytest.MonkeyPatch, context: FakeContext, records: list[Any]
) -> Iterator[OtlpReceiver]:
    """A receiver holding a failed, a successful and a timed-out invocation's telemetry."""
    with OtlpReceiver() as rx:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rx.endpoint)

        @instrument(flush="end", timeout_margin_ms=150)
        def handler(event: Any, context: Any) -> None:
            if event.get("fail"):
                raise KeyError("x")
            deadline = time.monotonic() + 3
            while event.get("slow") and len(records) < 3 and time.monotonic() < deadline:
                time.sleep(0.005)  # until the watchdog's timeout record is out

        with pytest.raises(KeyError):
            handler({"fail": True}, context)
        handler({}, context)
        handler({"slow": True}, fake_context(timeout_s=0.3))
        assert rx.wait_for(lambda r: len(r.spans()) == 3)
        yield rx


def test_span_resource_and_event_attributes_are_semconv(emitted: OtlpReceiver) -> None:
    """Span, exception-event and resource attribute keys all exist in the semconv package."""
    keys: set[str] = set()
    for span in emitted.spans():
        keys |= set(span.attributes) | set(span.resource)
        for _name, attributes in span.events:
            keys |= set(attributes)
    assert keys - _semconv_attribute_names() == set()


def test_key_faas_and_cloud_names_match_constants(emitted: OtlpReceiver) -> None:
    """The FaaS/cloud keys we rely on are exactly the package's constants."""
    span = emitted.spans()[-1]
    wanted = {
        faas_attributes.FAAS_INVOCATION_ID, faas_attributes.FAAS_COLDSTART,
        faas_attributes.FAAS_TRIGGER,
    }  # fmt: skip
    assert wanted <= set(span.attributes)
    resource_wanted = {
        cloud_attributes.CLOUD_PROVIDER, cloud_attributes.CLOUD_PLATFORM,
        cloud_attributes.CLOUD_REGION, cloud_attributes.CLOUD_ACCOUNT_ID,
        cloud_attributes.CLOUD_RESOURCE_ID, faas_attributes.FAAS_NAME,
        faas_attributes.FAAS_VERSION, faas_attributes.FAAS_INSTANCE,
        faas_attributes.FAAS_MAX_MEMORY,
    }  # fmt: skip
    assert resource_wanted <= set(span.resource)
    assert span.resource[cloud_attributes.CLOUD_PLATFORM] == (
        cloud_attributes.CloudPlatformValues.AWS_LAMBDA.value
    )


def test_metric_names_kinds_and_units_match_semconv(emitted: OtlpReceiver) -> None:
    """Each exported FaaS metric has the semconv name, instrument kind and unit."""
    semconv = {
        getattr(faas_metrics, name): getattr(faas_metrics, "create_" + name.lower())
        for name in dir(faas_metrics)
        if name.startswith("FAAS_") and hasattr(faas_metrics, "create_" + name.lower())
    }
    exported = {p.name: (p.kind, p.unit) for p in emitted.metrics()}
    assert set(exported) == set(_names.ALL_METRICS)
    assert set(exported) - set(semconv) == OWN_METRICS
    assert all(name.startswith("lambdascope.") for name in OWN_METRICS)

    kinds = {"create_counter": "sum", "create_histogram": "histogram"}

    class KindUnitMeter:
        """Answers a semconv `create_*` call with (OTLP data kind, unit)."""

        def __getattr__(self, method: str) -> Any:
            return lambda **kw: (kinds.get(method, method), kw["unit"])

    for name, kind_unit in exported.items():
        if name in semconv:
            assert semconv[name](KindUnitMeter()) == kind_unit, name


def test_trigger_values_are_semconv_values() -> None:
    """Every faas.trigger value we can emit is one of FaasTriggerValues."""
    values = {v.value for v in faas_attributes.FaasTriggerValues}
    emitted = {trigger for trigger, _source in _trigger._RECORD_SOURCES.values()}
    emitted |= {trigger for trigger, _source in _trigger._BATCH_SOURCES.values()}
    emitted |= {"http", "timer", "pubsub", "other"}
    assert emitted <= values
