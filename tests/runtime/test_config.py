"""Configuration: explicit argument > LAMBDASCOPE_* environment variable > default."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lambdascope import instrument
from lambdascope._config import OPTION_NAMES, Config, resolve


def test_defaults() -> None:
    """Without arguments or environment the documented defaults apply."""
    assert resolve(env={}) == Config(
        disabled=False, service=None, flush="end", flush_budget_ms=200, flush_interval_s=10.0,
        timeout_margin_ms=150, capture_stack=True, otel=True,
    )  # fmt: skip


def test_environment_overrides_defaults() -> None:
    """LAMBDASCOPE_* variables replace the defaults."""
    env = {
        "LAMBDASCOPE_SERVICE": "billing", "LAMBDASCOPE_FLUSH": "interval",
        "LAMBDASCOPE_FLUSH_BUDGET_MS": "50", "LAMBDASCOPE_TIMEOUT_MARGIN_MS": "300",
        "LAMBDASCOPE_CAPTURE_STACK": "off", "LAMBDASCOPE_OTEL": "off",
        "LAMBDASCOPE_FLUSH_INTERVAL_S": "2.5", "LAMBDASCOPE_DISABLED": "1",
    }  # fmt: skip
    assert resolve(env=env) == Config(
        disabled=True, service="billing", flush="interval", flush_budget_ms=50,
        flush_interval_s=2.5, timeout_margin_ms=300, capture_stack=False, otel=False,
    )  # fmt: skip


def test_arguments_override_environment() -> None:
    """An explicit argument wins over its environment variable."""
    env = {"LAMBDASCOPE_SERVICE": "billing", "LAMBDASCOPE_FLUSH": "interval",
           "LAMBDASCOPE_FLUSH_BUDGET_MS": "50", "LAMBDASCOPE_OTEL": "off"}  # fmt: skip
    config = resolve(service="orders", flush="off", flush_budget_ms=80, otel=True, env=env)
    assert (config.service, config.flush, config.flush_budget_ms, config.otel) == (
        "orders", "off", 80, True,
    )  # fmt: skip


def test_otel_service_name_is_the_fallback_service() -> None:
    """OTEL_SERVICE_NAME names the service when LAMBDASCOPE_SERVICE is not set."""
    assert resolve(env={"OTEL_SERVICE_NAME": "svc"}).service == "svc"
    assert resolve(env={"OTEL_SERVICE_NAME": "svc", "LAMBDASCOPE_SERVICE": "ls"}).service == "ls"


def test_otel_sdk_disabled_turns_otel_off() -> None:
    """OTEL_SDK_DISABLED=true means log only."""
    assert resolve(env={"OTEL_SDK_DISABLED": "true"}).otel is False


def test_bad_environment_value_falls_back_and_says_so_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unparsable variable uses the default and is reported on stderr once."""
    env = {"LAMBDASCOPE_FLUSH_BUDGET_MS": "lots", "LAMBDASCOPE_FLUSH": "sometimes"}
    first = resolve(env=env)
    resolve(env=env)
    assert (first.flush_budget_ms, first.flush) == (200, "end")
    err = capsys.readouterr().err
    assert err.count("LAMBDASCOPE_FLUSH_BUDGET_MS") == 1 and err.count("LAMBDASCOPE_FLUSH=") == 1


def test_bad_argument_raises_at_decoration() -> None:
    """A wrong explicit flush policy is a programming error: ValueError at decoration time."""
    with pytest.raises(ValueError, match="flush must be one of"):
        resolve(flush="sometimes", env={})


def test_every_option_is_a_config_field() -> None:
    """The declared options are exactly Config's settings, except the env-only ones."""
    fields = {f.name for f in dataclasses.fields(Config)}
    assert fields - {"disabled", "traces", "metrics"} == OPTION_NAMES


def test_every_option_reaches_the_config() -> None:
    """Each keyword of `instrument` sets its Config field (none is dropped on the way)."""
    values: dict[str, Any] = {
        "service": "orders", "flush": "off", "flush_budget_ms": 7, "flush_interval_s": 3.0,
        "timeout_margin_ms": 9, "capture_stack": False, "otel": False,
    }  # fmt: skip
    assert set(values) == OPTION_NAMES
    config = resolve(env={}, **values)
    assert {name: getattr(config, name) for name in values} == values


def test_unknown_option_raises_type_error() -> None:
    """A misspelt keyword fails when `instrument(...)` is called, like a signature would."""
    with pytest.raises(TypeError, match="servic"):
        instrument(servic="orders")  # type: ignore[call-overload]
