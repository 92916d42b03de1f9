"""@instrument: bare or with arguments, sync or async, transparent to the handler."""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from lambdascope import instrument
from lambdascope.testing import FakeContext


def test_bare_decorator_records_and_returns(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """Bare @instrument passes the return value through and writes one record."""

    @instrument
    def handler(event: Any, context: Any) -> dict[str, int]:
        return {"n": event["n"]}

    assert handler({"n": 2}, context) == {"n": 2}
    assert len(records) == 1


def test_decorator_with_arguments(records: list[dict[str, Any]], context: FakeContext) -> None:
    """@instrument(...) with arguments works the same way."""

    @instrument(service="orders", flush="off", otel=False, timeout_margin_ms=100)
    def handler(event: Any, context: Any) -> str:
        return "ok"

    assert handler({}, context) == "ok"
    assert records[0]["outcome"] == "success"


def test_keeps_name_docstring_and_signature() -> None:
    """functools.wraps semantics: name, qualname, docstring, signature and __wrapped__."""

    def handler(event: dict[str, Any], context: Any, *, extra: int = 1) -> int:
        """Handle orders."""
        return extra

    wrapped = instrument(otel=False)(handler)
    assert (wrapped.__name__, wrapped.__doc__) == ("handler", "Handle orders.")
    assert inspect.signature(wrapped) == inspect.signature(handler)
    assert wrapped.__wrapped__ is handler  # type: ignore[attr-defined]


def test_extra_arguments_pass_through(context: FakeContext, records: list[Any]) -> None:
    """Positional and keyword arguments beyond (event, context) reach the handler."""

    @instrument(otel=False)
    def handler(event: Any, context: Any, a: int, *, b: int) -> int:
        return a + b

    assert handler({}, context, 1, b=2) == 3


def test_async_handler_stays_a_coroutine_function(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """An async handler is wrapped by an async function; the record covers the awaited work."""

    @instrument(otel=False)
    async def handler(event: Any, context: Any) -> str:
        await asyncio.sleep(0.01)
        return "done"

    assert inspect.iscoroutinefunction(handler)
    assert asyncio.run(handler({}, context)) == "done"
    assert records[0]["duration_ms"] >= 10


def test_async_handler_exception_reraised(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """An async handler's exception is re-raised as the same object after its record."""
    error = LookupError("gone")

    @instrument(otel=False)
    async def handler(event: Any, context: Any) -> None:
        raise error

    with pytest.raises(LookupError) as info:
        asyncio.run(handler({}, context))
    assert info.value is error and records[0]["outcome"] == "error"


def _counting(func: Callable[..., Any]) -> Callable[..., Any]:
    calls: list[int] = []

    @functools.wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return func(*args, **kwargs)

    inner.calls = calls  # type: ignore[attr-defined]
    return inner


def test_stacks_with_other_decorators(records: list[dict[str, Any]], context: FakeContext) -> None:
    """Above and below another decorator, both run once and the name survives."""

    @_counting
    @instrument(otel=False)
    @_counting
    def handler(event: Any, context: Any) -> int:
        return 5

    assert handler({}, context) == 5
    assert handler.calls == [1] and handler.__name__ == "handler"  # type: ignore[attr-defined]
    assert len(records) == 1


def test_stacks_with_powertools_logger(
    records: list[dict[str, Any]], context: FakeContext, capsys: pytest.CaptureFixture[str]
) -> None:
    """Powertools' inject_lambda_context above @instrument: both do their job."""
    from aws_lambda_powertools import Logger

    logger = Logger(service="orders")

    @logger.inject_lambda_context
    @instrument(otel=False)
    def handler(event: Any, context: Any) -> str:
        logger.info("inside")
        return "ok"

    assert handler({}, context) == "ok"
    assert records[0]["function"] == "orders"
    assert '"message":"inside"' in capsys.readouterr().out.replace(": ", ":")


def test_disabled_env_returns_the_handler_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """LAMBDASCOPE_DISABLED=1 makes the decorator a pass-through (the same function)."""
    monkeypatch.setenv("LAMBDASCOPE_DISABLED", "1")

    def handler(event: Any, context: Any) -> None:
        return None

    assert instrument(handler) is handler
    assert instrument(service="x")(handler) is handler


def test_works_without_a_context(records: list[dict[str, Any]]) -> None:
    """A local call with context=None still returns and records what it can."""

    @instrument(otel=False)
    def handler(event: Any, context: Any) -> int:
        return 1

    assert handler({}, None) == 1
    assert records[0]["function"] is None and records[0]["timeout_ms"] is None


def test_positional_option_is_a_clear_error() -> None:
    """@instrument("orders") fails at decoration with a message naming the keyword form."""
    with pytest.raises(TypeError, match=r"@instrument\(service='orders'\)"):
        instrument("orders")  # type: ignore[call-overload]
