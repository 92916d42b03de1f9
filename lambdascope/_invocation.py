"""One invocation's flow: cold flag, watchdog, record, telemetry; never breaks the handler."""

from __future__ import annotations

import contextlib
import os
import time
from types import CodeType
from typing import TYPE_CHECKING, Any

from lambdascope import _record
from lambdascope._config import Config
from lambdascope._output import write_record
from lambdascope._report import report_exception
from lambdascope._trigger import detect
from lambdascope._watchdog import Watchdog

if TYPE_CHECKING:
    from lambdascope._otel import Telemetry

_perf = time.perf_counter
_time = time.time
_iso_ts = _record.iso_ts
_max_rss_mb = _record.max_rss_mb
_xray_trace = _record.xray_trace
_SCHEMA = _record.SCHEMA_VERSION
_FIELD_MAX = _record.FIELD_MAX_CHARS
_WARM_INIT_TYPES = frozenset({"provisioned-concurrency", "snap-start"})
_UNSET = object()


class _Process:
    """Facts shared by every decorated handler in this process."""

    def __init__(self) -> None:
        self.started = _record.process_start_time()
        self.env_id = ""
        """Set by the first call (`Runtime.begin`), from its context: no record comes earlier."""
        self.init_type = os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        self.seq = 0
        self.called = False
        self.memory_raw: object = _UNSET
        self.memory_mb: int | None = None

    def memory(self, raw: object) -> int | None:
        """Configured memory in MB from the context's (string) attribute, cached."""
        if raw != self.memory_raw:
            self.memory_raw = raw
            try:
                self.memory_mb = int(raw)  # type: ignore[call-overload]
            except (TypeError, ValueError):
                self.memory_mb = None
        return self.memory_mb


PROCESS = _Process()


def _clip(value: object) -> object:
    """Context strings longer than FIELD_MAX_CHARS are cut (records stay <= 512 bytes)."""
    if value.__class__ is str and len(value) > _record.FIELD_MAX_CHARS:
        return value[: _record.FIELD_MAX_CHARS]
    return value


def _remaining(context: Any) -> int | None:
    try:
        left = context.get_remaining_time_in_millis()
        return left if left.__class__ is int else int(left)
    except Exception:
        return None


class Invocation(Watchdog):
    """State of one call between `begin` and `end` (it is also the call's watchdog)."""

    __slots__ = (
        "claim",
        "cold",
        "context",
        "function",
        "init_ms",
        "overhead",
        "remaining_entry",
        "request_id",
        "rss_mb",
        "seq",
        "source",
        "span",
        "start",
        "token",
        "trigger",
        "version",
    )

    def __init__(self, context: Any, event: object) -> None:
        Watchdog.__init__(self)
        self.context = context
        try:
            self.function = context.function_name
            self.version = context.function_version
            self.request_id = context.aws_request_id
        except AttributeError:
            self.function = getattr(context, "function_name", None)
            self.version = getattr(context, "function_version", None)
            self.request_id = getattr(context, "aws_request_id", None)
        self.trigger, self.source = detect(event)
        self.remaining_entry: int | None = _remaining(context)
        self.claim = [True]
        """Popped by whichever finishes the record first: end() or the watchdog (atomic)."""
        self.span: Any = None
        self.token: Any = None
        self.init_ms: float | None = None
        self.cold = False
        self.seq = 0
        self.start = 0.0
        self.overhead = 0.0
        self.rss_mb = 0

    def take(self) -> bool:
        """Claim the right to write the record; False when the other side already did."""
        try:
            self.claim.pop()
        except IndexError:
            return False
        return True


class Runtime:
    """Everything one decorated handler needs at call time."""

    def __init__(self, config: Config, skip_codes: frozenset[CodeType]) -> None:
        self.config = config
        self.skip_codes = skip_codes
        self.telemetry: Telemetry | None = None
        self._otel_failed = False

    def begin(self, event: object, context: Any, t0: float) -> Invocation | None:
        """Prepare one call (record facts, arm the watchdog, start the span); None on failure."""
        inv: Invocation | None = None
        try:
            inv = Invocation(context, event)
            p = PROCESS
            p.seq += 1
            inv.seq = p.seq
            if not p.called:
                p.called = True
                # At the first call, not at import: a SnapStart snapshot is taken after import.
                p.env_id = _record.environment_id(getattr(context, "log_stream_name", None))
                inv.cold = p.init_type not in _WARM_INIT_TYPES
                if inv.cold:
                    inv.init_ms = round((time.time() - p.started) * 1000, 1)
            remaining, margin = inv.remaining_entry, self.config.timeout_margin_ms
            if remaining is not None and remaining > margin:  # as _arm(), one call less
                inv.arm((remaining - margin) / 1000, lambda: self._on_timeout(inv))
            if self.config.otel and not self._otel_failed:
                self._start_span(inv)
            inv.start = _perf()
            inv.overhead = inv.start - t0
            return inv
        except Exception as exc:
            report_exception("begin", "preparing the invocation record", exc)
            if inv is not None:
                with contextlib.suppress(Exception):
                    inv.disarm()
            return None

    def _arm(self, inv: Invocation, remaining: int | None) -> None:
        margin = self.config.timeout_margin_ms
        if remaining is not None and remaining > margin:
            inv.arm((remaining - margin) / 1000, lambda: self._on_timeout(inv))

    def suspend(self, inv: Invocation) -> None:
        """The handler returned a coroutine: no watchdog and no current span until it runs."""
        try:
            inv.disarm()
            tel = self.telemetry
            if tel is not None and inv.token is not None:
                tel.detach(inv)
        except Exception as exc:
            report_exception("suspend", "deferring the record to the returned coroutine", exc)

    def resume(self, inv: Invocation) -> None:
        """The returned coroutine starts running: the watchdog is armed again."""
        try:
            self._arm(inv, _remaining(inv.context))
        except Exception as exc:
            report_exception("resume", "arming the watchdog for the returned coroutine", exc)

    def _telemetry(self, context: Any) -> Telemetry | None:
        tel = self.telemetry
        if (tel is None or tel.closed) and not self._otel_failed:
            try:
                from lambdascope._otel import telemetry_for  # OTel SDK: only when used

                self.telemetry = telemetry_for(self.config, context)
            except Exception as exc:
                self._otel_failed = True
                report_exception("otel-setup", "setting up OpenTelemetry", exc)
        return self.telemetry

    def _start_span(self, inv: Invocation) -> None:
        tel = self._telemetry(inv.context)
        if tel is not None:
            try:
                inv.span, inv.token = tel.start(inv)
            except Exception as exc:
                report_exception("otel-start", "starting the span", exc)

    def end(self, inv: Invocation, exc: BaseException | None, t_end: float) -> None:
        """Disarm, write the record, end the span and flush; never raises."""
        try:
            inv.disarm()
            try:
                inv.claim.pop()  # as inv.take(), one call less on every invocation
                superseding = False
            except IndexError:
                superseding = True
            if superseding and inv.fired_event is not None:
                inv.fired_event.wait(self.config.timeout_margin_ms / 1000)
            self._finish(inv, exc, t_end, superseding)
        except Exception as exc2:
            report_exception("end", "finishing the invocation record", exc2)

    def _finish(
        self, inv: Invocation, exc: BaseException | None, t_end: float, superseding: bool
    ) -> None:
        outcome = "success" if exc is None else "error"
        remaining = _remaining(inv.context)
        inv.rss_mb = _max_rss_mb()
        tel = self.telemetry
        if tel is not None:
            if inv.span is not None and not superseding:
                try:
                    tel.end(inv, outcome, exc, t_end - inv.start, remaining, detach=True)
                except Exception as exc2:
                    report_exception("otel-end", "ending the span", exc2)
            elif inv.token is not None:
                tel.detach(inv)
        if inv.init_ms is None and exc is None and not superseding:
            write_record(self._warm_record(inv, outcome, t_end, remaining))
        else:
            write_record(self._full_record(inv, outcome, exc, t_end, remaining, superseding))
        if tel is not None and not superseding:
            tel.flush_after(remaining, self.config.timeout_margin_ms)

    def _record(
        self,
        inv: Invocation,
        outcome: str,
        exc: BaseException | None,
        t_end: float,
        remaining: int | None,
        superseding: bool,
    ) -> dict[str, Any]:
        if inv.init_ms is None and exc is None and not superseding:
            return self._warm_record(inv, outcome, t_end, remaining)
        return self._full_record(inv, outcome, exc, t_end, remaining, superseding)

    def _warm_record(
        self, inv: Invocation, outcome: str, t_end: float, remaining: int | None
    ) -> dict[str, Any]:
        """The common case, a warm call that returned: one dict literal (~1 µs less).
        Its keys follow `_record.RECORD_KEYS`, like `_full_record`'s (test_record checks)."""
        p = PROCESS
        entry = inv.remaining_entry
        trace_id = _xray_trace()[0]
        function, version, request_id = inv.function, inv.version, inv.request_id
        memory = getattr(inv.context, "memory_limit_in_mb", None)
        if not (
            function.__class__ is version.__class__ is request_id.__class__ is str
            and len(function) <= _FIELD_MAX
            and len(version) <= _FIELD_MAX
            and len(request_id) <= _FIELD_MAX
        ):
            function, version, request_id = _clip(function), _clip(version), _clip(request_id)
        rec: dict[str, Any] = {
            "lambdascope": _SCHEMA,
            "ts": _iso_ts(_time()),
            "function": function,
            "version": version,
            "request_id": request_id,
            "cold_start": inv.cold,
            "init_type": p.init_type,
            "duration_ms": round((t_end - inv.start) * 1e6) / 1000,
            "remaining_ms": remaining,
            "timeout_ms": None if entry is None else -(-entry // 1000) * 1000,
            "outcome": outcome,
            "trigger": inv.trigger,
            "source": inv.source,
            "memory_mb": p.memory_mb if memory == p.memory_raw else p.memory(memory),
            "max_rss_mb": inv.rss_mb,
            "trace_id": trace_id,
            "env_id": p.env_id,
            "seq": inv.seq,
            "overhead_us": round((inv.overhead + _perf() - t_end) * 1e6),
        }
        if trace_id is None:
            del rec["trace_id"]
        return rec

    def _full_record(
        self,
        inv: Invocation,
        outcome: str,
        exc: BaseException | None,
        t_end: float,
        remaining: int | None,
        superseding: bool,
    ) -> dict[str, Any]:
        """Any record: cold, failed, timed out or superseding (keys in `RECORD_KEYS` order)."""
        p = PROCESS
        entry = inv.remaining_entry
        trace_id = _record.xray_trace()[0]
        rec: dict[str, Any] = {
            "lambdascope": _record.SCHEMA_VERSION,
            "ts": _record.iso_ts(time.time()),
            "function": _clip(inv.function),
            "version": _clip(inv.version),
            "request_id": _clip(inv.request_id),
            "cold_start": inv.cold,
            "init_type": p.init_type,
        }
        if inv.init_ms is not None:
            rec["init_ms"] = inv.init_ms
        rec["duration_ms"] = round((t_end - inv.start) * 1e6) / 1000
        rec["remaining_ms"] = remaining
        rec["timeout_ms"] = None if entry is None else -(-entry // 1000) * 1000
        rec["outcome"] = outcome
        if exc is not None:
            rec["error_type"] = _record.error_type(exc)
            rec["error_message"] = _record.error_message(exc)
            if self.config.capture_stack:
                rec["error_stack"] = _record.error_stack(exc, self.skip_codes)
        rec["trigger"] = inv.trigger
        rec["source"] = inv.source
        rec["memory_mb"] = p.memory(getattr(inv.context, "memory_limit_in_mb", None))
        rec["max_rss_mb"] = inv.rss_mb
        if trace_id is not None:
            rec["trace_id"] = trace_id
        rec["env_id"] = p.env_id
        rec["seq"] = inv.seq
        rec["overhead_us"] = round((inv.overhead + _perf() - t_end) * 1e6)
        if superseding:
            rec["supersedes"] = True
        return rec

    def _on_timeout(self, inv: Invocation) -> None:
        """Watchdog callback: write the timeout record, end the span, flush within the margin."""
        if not inv.take():
            return  # end() is running: the handler has returned
        try:
            t_now = _perf()
            remaining = _remaining(inv.context)
            inv.rss_mb = _record.max_rss_mb()
            write_record(self._record(inv, "timeout", None, t_now, remaining, False))
            tel = self.telemetry
            if tel is not None and inv.span is not None:
                tel.end_timeout(inv, t_now - inv.start, remaining, self.config.timeout_margin_ms)
        except Exception as exc:
            report_exception("timeout", "writing the timeout record", exc)
