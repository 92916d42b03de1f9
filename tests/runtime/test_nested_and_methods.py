"""@instrument on nested calls, methods and callable objects: one true record per request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from lambdascope import instrument
from lambdascope.testing import FakeContext, fake_context


@instrument(otel=False)
def inner(event: Any, context: Any) -> str:
    """A decorated handler that other decorated handlers call."""
    return "inner"


def _wait_for(records: list[dict[str, Any]], count: int, limit_s: float = 3.0) -> None:
    deadline = time.monotonic() + limit_s
    while len(records) < count and time.monotonic() < deadline:
        time.sleep(0.005)


def test_nested_decorated_call_writes_one_record(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """A decorated handler called inside another decorated call passes straight through."""

    @instrument(otel=False)
    def outer(event: Any, context: Any) -> str:
        return inner(event, fake_context(request_id="inner-request")) + "+outer"

    assert outer({}, context) == "inner+outer"
    assert [r["request_id"] for r in records] == [context.aws_request_id]


def test_nested_call_keeps_the_outer_watchdog_armed(records: list[dict[str, Any]]) -> None:
    """After a nested decorated call returns, the outer call's timeout record is still written."""

    @instrument(otel=False, timeout_margin_ms=150)
    def outer(event: Any, context: Any) -> list[str]:
        inner(event, context)
        _wait_for(records, 1)
        return [r["outcome"] for r in records]

    assert outer({}, fake_context(timeout_s=0.3)) == ["timeout"]


class Service:
    """A handler written as a method, decorated in the class body."""

    @instrument(otel=False)
    def handle(self, event: Any, context: Any) -> str:
        """Return the event's name."""
        return str(event["name"])


def test_method_handler_records_the_context(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """@instrument on a method finds (event, context) after self: request id and trigger right."""
    assert Service().handle({"name": "x", "awslogs": {"data": ""}}, context) == "x"
    assert (records[0]["request_id"], records[0]["function"]) == (context.aws_request_id, "orders")
    assert records[0]["source"] == "cloudwatch-logs"


def test_keyword_context_is_found(records: list[dict[str, Any]], context: FakeContext) -> None:
    """A call passing event= and context= by keyword records that context."""
    assert inner(event={}, context=context) == "inner"
    assert records[0]["request_id"] == context.aws_request_id


class CallableHandler:
    """A callable object used as the handler."""

    def __call__(self, event: Any, context: Any) -> int:
        return 7


def test_callable_object_records_the_context(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """An object with __call__ wrapped by instrument() records its call's request id."""
    handler = instrument(otel=False)(CallableHandler())
    assert handler({}, context) == 7
    assert records[0]["request_id"] == context.aws_request_id


class AsyncCallable:
    """A callable object whose __call__ is async and fails after an await."""

    async def __call__(self, event: Any, context: Any) -> None:
        await asyncio.sleep(0.01)
        raise ValueError("late failure")


def test_async_callable_object_is_awaited_and_its_error_recorded(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """An object with `async def __call__` is wrapped as async: the record has its error."""
    handler = instrument(otel=False)(AsyncCallable())
    with pytest.raises(ValueError, match="late failure"):
        asyncio.run(handler({}, context))
    assert [(r["outcome"], r.get("error_type")) for r in records] == [("error", "ValueError")]
    assert records[0]["duration_ms"] >= 10


def test_handler_returning_a_coroutine_is_recorded_when_it_completes(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """A sync callable returning a coroutine gets its record when that coroutine finishes."""

    async def work() -> str:
        await asyncio.sleep(0.01)
        return "done"

    handler = instrument(otel=False)(lambda event, context: work())
    pending = handler({}, context)
    assert records == []
    assert asyncio.run(pending) == "done"
    assert [r["outcome"] for r in records] == ["success"]
    assert records[0]["duration_ms"] >= 10
