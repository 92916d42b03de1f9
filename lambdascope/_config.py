"""Resolve settings: explicit argument > LAMBDASCOPE_* environment variable > default."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict, Unpack

from lambdascope._report import report_once

FlushPolicy = Literal["end", "interval", "off"]

FLUSH_POLICIES: tuple[FlushPolicy, ...] = ("end", "interval", "off")
"""Accepted values of `flush` / `LAMBDASCOPE_FLUSH`."""

FLUSH_BUDGET_MS = 200
"""Time a flush may take before we return to Lambda."""

FLUSH_INTERVAL_S = 10.0
"""Background export period with `flush="interval"`."""

TIMEOUT_MARGIN_MS = 150
"""The watchdog fires this long before Lambda's deadline."""

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one decorated handler, resolved once at decoration time."""

    disabled: bool = False
    service: str | None = None
    flush: FlushPolicy = "end"
    flush_budget_ms: int = FLUSH_BUDGET_MS
    flush_interval_s: float = FLUSH_INTERVAL_S
    timeout_margin_ms: int = TIMEOUT_MARGIN_MS
    capture_stack: bool = True
    otel: bool = True
    traces: bool = True
    """False with OTEL_TRACES_EXPORTER=none: no span is exported."""
    metrics: bool = True
    """False with OTEL_METRICS_EXPORTER=none: no metrics are exported."""


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    report_once(f"config:{name}", f"{name}={raw!r} is not on/off; using {default}")
    return default


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0 or value != value:
        report_once(f"config:{name}", f"{name}={raw!r} is not a number >= 0; using {default}")
        return default
    return value


def _exporter_on(env: Mapping[str, str], name: str) -> bool:
    """False when the standard OTEL_*_EXPORTER variable is `none`; lambdascope exports OTLP only."""
    raw = env.get(name)
    if raw is None:
        return True
    values = {v.strip().lower() for v in raw.split(",")} - {""}
    if values == {"none"}:
        return False
    if values - {"otlp"}:
        report_once(f"config:{name}", f"{name}={raw!r}: lambdascope exports OTLP only; using otlp")
    return True


def _check_protocol(env: Mapping[str, str]) -> None:
    for name in _PROTOCOL_VARS:
        raw = env.get(name)
        if raw is not None and raw.strip().lower() not in ("", "http/protobuf"):
            report_once(
                f"config:{name}", f"{name}={raw!r}: lambdascope sends OTLP/HTTP protobuf only"
            )


_PROTOCOL_VARS = (
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
)


def _flush_policy(value: str | None, env: Mapping[str, str]) -> FlushPolicy:
    if value is not None:
        if value not in FLUSH_POLICIES:
            raise ValueError(f"flush must be one of {', '.join(FLUSH_POLICIES)}, not {value!r}")
        return value
    raw = env.get("LAMBDASCOPE_FLUSH", "end").strip().lower() or "end"
    if raw not in FLUSH_POLICIES:
        report_once(
            "config:LAMBDASCOPE_FLUSH",
            f"LAMBDASCOPE_FLUSH={raw!r} is not one of {', '.join(FLUSH_POLICIES)}; using end",
        )
        return "end"
    return raw


class Options(TypedDict, total=False):
    """The keyword arguments of `instrument`; each overrides `LAMBDASCOPE_<NAME>`. The one
    place an option is declared: `instrument`'s signature and `resolve` use it."""

    service: str | None
    flush: str | None
    flush_budget_ms: float | None
    flush_interval_s: float | None
    timeout_margin_ms: float | None
    capture_stack: bool | None
    otel: bool | None


OPTION_NAMES = frozenset(Options.__annotations__)
"""Accepted keyword arguments of `instrument`."""


def check_options(options: Mapping[str, object]) -> None:
    """Raise TypeError for a keyword `instrument` does not know (as a signature would)."""
    unknown = options.keys() - OPTION_NAMES
    if unknown:
        raise TypeError(f"instrument() got unexpected keyword argument(s): {sorted(unknown)}")


def _number(value: float | None, env: Mapping[str, str], name: str, default: float) -> float:
    return _env_number(env, name, default) if value is None else value


def resolve(*, env: Mapping[str, str] | None = None, **options: Unpack[Options]) -> Config:
    """Build a Config from explicit arguments, then the environment, then defaults."""
    check_options(options)
    env = os.environ if env is None else env
    otel_default = _env_bool(env, "LAMBDASCOPE_OTEL", True) and not _env_bool(
        env, "OTEL_SDK_DISABLED", False
    )
    budget = _number(
        options.get("flush_budget_ms"), env, "LAMBDASCOPE_FLUSH_BUDGET_MS", FLUSH_BUDGET_MS
    )
    interval = _number(
        options.get("flush_interval_s"), env, "LAMBDASCOPE_FLUSH_INTERVAL_S", FLUSH_INTERVAL_S
    )
    margin = _number(
        options.get("timeout_margin_ms"), env, "LAMBDASCOPE_TIMEOUT_MARGIN_MS", TIMEOUT_MARGIN_MS
    )
    if budget < 0 or margin < 0 or interval <= 0:
        raise ValueError("flush_budget_ms and timeout_margin_ms must be >= 0, interval > 0")
    capture_stack, otel = options.get("capture_stack"), options.get("otel")
    traces = _exporter_on(env, "OTEL_TRACES_EXPORTER")
    metrics = _exporter_on(env, "OTEL_METRICS_EXPORTER")
    otel = (otel_default if otel is None else otel) and (traces or metrics)
    if otel:
        _check_protocol(env)
    return Config(
        disabled=_env_bool(env, "LAMBDASCOPE_DISABLED", False),
        service=options.get("service")
        or env.get("LAMBDASCOPE_SERVICE")
        or env.get("OTEL_SERVICE_NAME")
        or None,
        flush=_flush_policy(options.get("flush"), env),
        flush_budget_ms=int(budget),
        flush_interval_s=float(interval),
        timeout_margin_ms=int(margin),
        capture_stack=(
            _env_bool(env, "LAMBDASCOPE_CAPTURE_STACK", True)
            if capture_stack is None
            else capture_stack
        ),
        otel=otel,
        traces=traces,
        metrics=metrics,
    )
