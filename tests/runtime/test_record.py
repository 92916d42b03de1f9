"""Record v1: one compact JSON line per invocation, keys and meanings as design §2."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import pytest

from lambdascope import _record, instrument
from lambdascope._config import Config
from lambdascope._invocation import Invocation, Runtime
from lambdascope._output import pop_sink, push_sink, render_line
from lambdascope.testing import FakeContext, fake_context

KEYS_SUCCESS_COLD = [
    "lambdascope", "ts", "function", "version", "request_id", "cold_start", "init_type",
    "init_ms", "duration_ms", "remaining_ms", "timeout_ms", "outcome", "trigger", "source",
    "memory_mb", "max_rss_mb", "env_id", "seq", "overhead_us",
]  # fmt: skip

_TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"

API_V2 = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/orders",
    "requestContext": {"domainName": "id.execute-api.us-east-1.amazonaws.com"},
}


@instrument(otel=False)
def ok_handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Return a constant."""
    return {"ok": 1}


class _CountingStdout(io.StringIO):
    """A real text stream that counts write() calls."""

    writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


def test_one_record_with_keys_in_design_order(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """A cold successful call yields exactly one record with the design's keys, in order."""
    assert ok_handler(API_V2, context) == {"ok": 1}
    assert len(records) == 1
    assert list(records[0]) == KEYS_SUCCESS_COLD


def test_record_values_describe_the_call(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """Function, request id, memory, trigger and outcome come from context and event."""
    ok_handler(API_V2, context)
    rec = records[0]
    assert (rec["lambdascope"], rec["function"], rec["version"]) == (1, "orders", "$LATEST")
    assert rec["request_id"] == context.aws_request_id
    assert (rec["outcome"], rec["trigger"], rec["source"], rec["memory_mb"]) == (
        "success", "http", "apigw-v2", 256,
    )  # fmt: skip
    assert rec["ts"].endswith("Z") and len(rec["ts"]) == 24


def test_written_with_one_write_on_stdout_at_call_time(
    monkeypatch: pytest.MonkeyPatch, context: FakeContext
) -> None:
    """The line goes to the sys.stdout of call time, in a single write() ending in newline."""
    out = _CountingStdout()
    monkeypatch.setattr(sys, "stdout", out)
    ok_handler(API_V2, context)
    assert out.writes == 1
    line = out.getvalue()
    assert line.endswith("\n") and line.count("\n") == 1
    assert ", " not in line and ": " not in line


def test_second_call_is_warm_with_next_seq(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """Only the first call is cold and carries init_ms; seq counts calls in the environment."""
    ok_handler(API_V2, context)
    ok_handler(API_V2, context)
    first, second = records
    assert (first["cold_start"], second["cold_start"]) == (True, False)
    assert (first["seq"], second["seq"]) == (1, 2)
    assert first["init_ms"] >= 0 and "init_ms" not in second
    assert first["env_id"] == second["env_id"]


@pytest.mark.parametrize("init_type", ["provisioned-concurrency", "snap-start"])
def test_pre_initialised_environments_are_not_cold(
    init_type: str, monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """Provisioned concurrency and SnapStart: cold_start false, init_type says why."""
    from lambdascope.testing import reset_process

    monkeypatch.setenv("AWS_LAMBDA_INITIALIZATION_TYPE", init_type)
    reset_process()
    ok_handler(API_V2, fake_context())
    assert (records[0]["cold_start"], records[0]["init_type"]) == (False, init_type)
    assert "init_ms" not in records[0]


def test_timeout_is_remaining_at_entry_rounded_up_to_seconds(
    records: list[dict[str, Any]],
) -> None:
    """timeout_ms is the whole-second timeout; remaining_ms is below it."""
    ok_handler(API_V2, fake_context(timeout_s=6.0))
    rec = records[0]
    assert rec["timeout_ms"] == 6000
    assert 0 < rec["remaining_ms"] <= 6000


def test_duration_has_three_decimals_and_overhead_is_integer(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """duration_ms is rounded to 3 decimals; overhead_us is a non-negative integer."""
    ok_handler(API_V2, context)
    rec = records[0]
    assert round(rec["duration_ms"], 3) == rec["duration_ms"] >= 0
    assert isinstance(rec["overhead_us"], int) and rec["overhead_us"] >= 0


def test_trace_id_from_xray_header(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]], context: FakeContext
) -> None:
    """trace_id is the Root of _X_AMZN_TRACE_ID."""
    monkeypatch.setenv(
        "_X_AMZN_TRACE_ID",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
    )
    ok_handler(API_V2, context)
    assert records[0]["trace_id"] == "1-5759e988-bd862e3fe1be46a994272793"


def test_env_id_is_log_stream_after_bracket(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """Without a context stream, env_id is AWS_LAMBDA_LOG_STREAM_NAME after ']'."""
    from lambdascope.testing import reset_process

    monkeypatch.setenv(
        "AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/25/[$LATEST]3893a1b2c3d4e5f6a7b8c9d0e1f2a3b4"
    )
    reset_process()
    context = fake_context()
    context.log_stream_name = ""
    ok_handler(API_V2, context)
    assert records[0]["env_id"] == "3893a1b2c3d4e5f6a7b8c9d0e1f2a3b4"


def test_env_id_comes_from_the_first_calls_context(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """env_id is taken from the first call's context stream, not from what import time saw."""
    from lambdascope.testing import reset_process

    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/25/[$LATEST]snapshot")
    reset_process()  # import time (e.g. before a SnapStart snapshot)
    restored = "2026/11/25/[$LATEST]restored0123456789"
    ok_handler(API_V2, fake_context(log_stream_name=restored))
    ok_handler(API_V2, fake_context(log_stream_name="2026/11/25/[$LATEST]other"))
    assert [r["env_id"] for r in records] == ["restored0123456789"] * 2


def test_event_payload_is_never_logged(records: list[dict[str, Any]], context: FakeContext) -> None:
    """Nothing from the event body or headers appears in the record."""
    event = dict(API_V2, body='{"card":"4111-SECRET"}', headers={"authorization": "Bearer SECRET"})
    ok_handler(event, context)
    assert "SECRET" not in json.dumps(records[0])


def _max_record(records: list[dict[str, Any]], name: str) -> dict[str, Any]:
    ctx = fake_context(
        function_name=name, function_version="4294967295", memory_mb=10240, timeout_s=900
    )
    ok_handler({"awslogs": {"data": "x"}}, ctx)
    return dict(
        records[-1], supersedes=True, overhead_us=10**7, seq=10**7, max_rss_mb=10240,
        duration_ms=899999.999, init_ms=899999.9, init_type="provisioned-concurrency",
    )  # fmt: skip


def test_record_stays_under_512_bytes_at_maximum_sizes(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """With a 64-char name, trace id, large numbers and supersedes the line is <= 512 bytes."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", _TRACE)
    line = render_line(None, "msg", _max_record(records, "f" * 64))
    assert len(line.encode()) - 1 <= 512
    assert json.loads(line)["function"].startswith("f" * 24)


def test_typical_record_keeps_every_field(
    monkeypatch: pytest.MonkeyPatch, records: list[dict[str, Any]]
) -> None:
    """A usual cold record with a trace id and a 32-char name is not shortened at all."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", _TRACE)
    ok_handler(API_V2, fake_context(function_name="orders-service-prod-create-order"))
    rec = records[0]
    assert rec["function"] == "orders-service-prod-create-order" and "trace_id" in rec


def test_fast_renderer_matches_json_encoder() -> None:
    """The f-string renderer gives exactly what json.dumps gives, including escapes."""
    rec: dict[str, Any] = {
        "lambdascope": 1, "ts": "2026-11-25T10:00:00.123Z", "function": 'we"ird\\fn\u00e9',
        "version": "$LATEST", "request_id": "id\n1", "cold_start": True, "init_type": "on-demand",
        "init_ms": 182.4, "duration_ms": 1e-06, "remaining_ms": 2987, "timeout_ms": 3000,
        "outcome": "success", "trigger": "http", "source": "apigw-v2", "memory_mb": 256,
        "max_rss_mb": 61, "trace_id": "1-67", "env_id": "3893", "seq": 1, "overhead_us": 38,
        "supersedes": True,
    }  # fmt: skip
    expected = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert render_line(None, "msg", rec) == expected


@pytest.mark.parametrize(
    "changes",
    [
        {"remaining_ms": None, "timeout_ms": None, "memory_mb": None},
        {"function": None, "version": None, "request_id": None},
        {"memory_mb": True},
        {"timeout_ms": 3000.0},
    ],
)
def test_fast_renderer_matches_json_encoder_for_nulls_and_odd_numbers(
    changes: dict[str, Any],
) -> None:
    """Null numbers and names, a bool or float where an int belongs: still json.dumps' text."""
    rec: dict[str, Any] = {
        "lambdascope": 1, "ts": "2026-11-25T10:00:00.123Z", "function": "fn",
        "version": "$LATEST", "request_id": "id-1", "cold_start": False, "init_type": "on-demand",
        "duration_ms": 1.5, "remaining_ms": 2987, "timeout_ms": 3000, "outcome": "success",
        "trigger": "http", "source": "apigw-v2", "memory_mb": 256, "max_rss_mb": 61,
        "env_id": "3893", "seq": 2, "overhead_us": 38,
    }  # fmt: skip
    rec.update(changes)
    expected = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert render_line(None, "msg", rec) == expected


def test_record_with_a_foreign_key_in_place_of_ours_renders_as_json() -> None:
    """18 keys of which one is not ours (seq missing): the line is json.dumps' text."""
    rec: dict[str, Any] = {
        "lambdascope": 1, "ts": "2026-11-25T10:00:00.123Z", "function": "fn",
        "version": "$LATEST", "request_id": "id-1", "cold_start": False, "init_type": "on-demand",
        "duration_ms": 1.5, "remaining_ms": 2987, "timeout_ms": 3000, "outcome": "success",
        "trigger": "http", "source": "apigw-v2", "memory_mb": 256, "max_rss_mb": 61,
        "env_id": "3893", "user": "x", "overhead_us": 38,
    }  # fmt: skip
    expected = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert render_line(None, "msg", rec) == expected


def test_renderer_falls_back_for_unexpected_values() -> None:
    """A null number or a non-str name still renders as valid JSON (via the encoder)."""
    rec = {"lambdascope": 1, "function": object(), "remaining_ms": None}
    parsed = json.loads(render_line(None, "msg", rec))
    assert parsed["remaining_ms"] is None and parsed["function"].startswith("<object")


def test_users_structlog_configuration_is_left_alone(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """lambdascope neither reads nor changes the global structlog configuration."""
    import structlog

    structlog.configure(processors=[structlog.processors.KeyValueRenderer()])
    try:
        before = structlog.get_config()
        ok_handler(API_V2, context)
        assert structlog.get_config() == before
    finally:
        structlog.reset_defaults()
    assert records[0]["outcome"] == "success"


def _fresh_invocation() -> tuple[Runtime, Invocation]:
    """A warm invocation that has just been prepared (no watchdog armed)."""
    inv = Invocation(fake_context(), API_V2)
    inv.start = inv.overhead = 0.0
    return Runtime(Config(otel=False), frozenset()), inv


def test_warm_and_full_records_have_the_same_key_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """For the same warm success the fast dict literal and the general builder agree on keys."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", _TRACE)
    rt, inv = _fresh_invocation()
    warm = rt._warm_record(inv, "success", 0.01, 100)
    full = rt._full_record(inv, "success", None, 0.01, 100, False)
    assert list(warm) == list(full)
    assert list(warm) == [key for key in _record.RECORD_KEYS if key in warm]


def test_full_record_with_every_key_follows_record_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold, failed, superseding record with a trace id has every key, in RECORD_KEYS order."""
    monkeypatch.setenv("_X_AMZN_TRACE_ID", _TRACE)
    rt, inv = _fresh_invocation()
    inv.init_ms = 12.5
    full = rt._full_record(inv, "error", ValueError("bad"), 0.01, 100, True)
    assert tuple(full) == _record.RECORD_KEYS


def test_hostile_event_and_context_give_a_bounded_record_without_event_text() -> None:
    """A long eventSource and long odd context strings give lines <= 512 bytes, no event text."""
    ctx = fake_context(function_name="é" * 200, request_id="\x01" * 200, function_version="ü" * 200)
    lines: list[str] = []
    push_sink(lines.append)
    try:
        for _ in range(2):  # cold (full record) and warm (fast literal)
            ok_handler({"Records": [{"eventSource": "aws:" + "x" * 3000}]}, ctx)
    finally:
        pop_sink(lines.append)
    assert [len(line.encode()) - 1 <= 512 for line in lines] == [True, True]
    assert not any("xxxx" in line for line in lines)


def test_shrinking_clips_every_long_string_field() -> None:
    """A record whose strings are all long and multi-byte is clipped to <= 512 bytes, ts intact."""
    rt, inv = _fresh_invocation()
    rec = rt._full_record(inv, "success", None, 0.01, 100, True)
    rec.update(function="é" * 64, version="ü" * 64, env_id="\x02" * 64)
    rec.update(request_id="\x01" * 64, init_type="ß" * 64, source="ö" * 64)
    ts = rec["ts"]
    line = render_line(None, "msg", rec)
    assert len(line.encode()) - 1 <= 512
    assert json.loads(line)["ts"] == ts


def test_line_under_512_characters_but_over_512_bytes_is_clipped() -> None:
    """A multi-byte line of at most 512 characters but more UTF-8 bytes is still clipped."""
    rt, inv = _fresh_invocation()
    rec = rt._full_record(inv, "success", None, 0.01, 100, True)
    rec.update(function="é" * 40, request_id="8f3e2a4c-1b7d-4c1e-9e55-0c9a1f3d2b10")
    rec.update(trace_id="1-5759e988-bd862e3fe1be46a994272793", env_id="0123456789abcdef" * 2)
    rec.update(overhead_us=38, max_rss_mb=61, seq=1)
    unbounded = json.dumps(rec, ensure_ascii=False, separators=(",", ":"))
    assert len(unbounded) <= 512 < len(unbounded.encode())
    line = render_line(None, "msg", rec)
    assert len(line.encode()) - 1 <= 512


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (1795644000.0, "2026-11-25T22:00:00.000Z"),
        (1795644000.0429, "2026-11-25T22:00:00.042Z"),
        (1795644001.9999, "2026-11-25T22:00:01.999Z"),
        (1795644000.5, "2026-11-25T22:00:00.500Z"),
    ],
)
def test_timestamp_is_iso_utc_with_milliseconds_truncated(t: float, expected: str) -> None:
    """ts is ISO-8601 UTC with the milliseconds of the instant, truncated, per second."""
    assert _record.iso_ts(t) == expected
