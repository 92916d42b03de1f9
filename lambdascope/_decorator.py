"""`@instrument`: bare or with arguments, on sync and async handlers."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, Unpack, overload

from lambdascope._config import Options, check_options, resolve
from lambdascope._invocation import Runtime

F = TypeVar("F", bound=Callable[..., Any])
_perf = time.perf_counter


def _wrap_sync(handler: Callable[..., Any], rt: Runtime) -> Callable[..., Any]:
    begin, end = rt.begin, rt.end

    def wrapper(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        inv = begin(event, context, _perf())
        if inv is None:
            return handler(event, context, *args, **kwargs)
        try:
            result = handler(event, context, *args, **kwargs)
        except BaseException as exc:
            end(inv, exc, _perf())
            raise
        end(inv, None, _perf())
        return result

    rt.skip_codes = frozenset({wrapper.__code__})
    return functools.update_wrapper(wrapper, handler)


def _wrap_async(handler: Callable[..., Awaitable[Any]], rt: Runtime) -> Callable[..., Any]:
    begin, end = rt.begin, rt.end

    async def wrapper(event: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        inv = begin(event, context, _perf())
        if inv is None:
            return await handler(event, context, *args, **kwargs)
        try:
            result = await handler(event, context, *args, **kwargs)
        except BaseException as exc:
            end(inv, exc, _perf())
            raise
        end(inv, None, _perf())
        return result

    rt.skip_codes = frozenset({wrapper.__code__})
    return functools.update_wrapper(wrapper, handler)


def _decorate(handler: F, options: Options) -> F:
    config = resolve(**options)
    if config.disabled:
        return handler
    rt = Runtime(config, frozenset())
    if inspect.iscoroutinefunction(handler):
        wrapped = _wrap_async(handler, rt)
    else:
        wrapped = _wrap_sync(handler, rt)
    wrapped.__lambdascope__ = rt  # type: ignore[attr-defined]
    return wrapped  # type: ignore[return-value]


@overload
def instrument(handler: F, /) -> F: ...


@overload
def instrument(handler: None = None, /, **options: Unpack[Options]) -> Callable[[F], F]: ...


def instrument(handler: F | None = None, /, **options: Unpack[Options]) -> F | Callable[[F], F]:
    """Write one record per invocation of `handler` (and a span and metrics unless otel is off).

    Use bare (`@instrument`) or with arguments (`@instrument(service="orders", flush="end")`):
    `service`, `flush`, `flush_budget_ms`, `flush_interval_s`, `timeout_margin_ms`,
    `capture_stack`, `otel` (see `lambdascope._config.Options`). Each argument overrides its
    `LAMBDASCOPE_*` environment variable; see docs/runtime.md.
    """
    check_options(options)
    if handler is None:
        return lambda h: _decorate(h, options)
    return _decorate(handler, options)
