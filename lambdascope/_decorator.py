"""`@instrument`: bare or with arguments, on sync and async handlers, functions or methods."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from types import CoroutineType
from typing import Any, TypeVar, Unpack, overload

from lambdascope._config import Options, check_options, resolve
from lambdascope._invocation import Invocation, Runtime

F = TypeVar("F", bound=Callable[..., Any])
_perf = time.perf_counter
_MISSING: Any = object()
"""Default of the wrapper's positional-only (event, context): a call that did not pass them."""

_ACTIVE: ContextVar[bool] = ContextVar("lambdascope_active", default=False)
"""True while a decorated call runs in this thread (or task): a nested one passes through."""
_active_get, _active_set, _active_reset = _ACTIVE.get, _ACTIVE.set, _ACTIVE.reset
_COROUTINE = CoroutineType


def _is_context(value: object) -> bool:
    return hasattr(value, "get_remaining_time_in_millis") or hasattr(value, "aws_request_id")


def _locate(positional: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(event, context) of a call that is not plain `handler(event, context)`: the context is
    the last positional argument that looks like Lambda's (or `context=`), the event the one
    before it (or `event=`); a method's `self` is skipped that way."""
    if "context" in kwargs:
        return kwargs.get("event", positional[-1] if positional else None), kwargs["context"]
    for i in range(len(positional) - 1, -1, -1):
        if _is_context(positional[i]):
            return (positional[i - 1] if i else kwargs.get("event")), positional[i]
    padded = (*positional, None, None)
    return padded[0], padded[1]


def _positional(event: Any, context: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    if context is _MISSING:
        return args if event is _MISSING else (event, *args)
    return (event, context, *args)


def _call_sync(
    handler: Callable[..., Any], rt: Runtime, positional: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """The general case of `_wrap_sync` (a method, keyword arguments, extra arguments)."""
    if _active_get():
        return handler(*positional, **kwargs)
    inv = rt.begin(*_locate(positional, kwargs), _perf())
    if inv is None:
        return handler(*positional, **kwargs)
    token = _active_set(True)
    try:
        result = handler(*positional, **kwargs)
    except BaseException as exc:
        _active_reset(token)
        rt.end(inv, exc, _perf())
        raise
    _active_reset(token)
    if result.__class__ is _COROUTINE:
        return _defer(result, inv, rt)
    rt.end(inv, None, _perf())
    return result


def _defer(coro: Any, inv: Invocation, rt: Runtime) -> Any:
    """A sync callable returned a coroutine: the record is written when it completes."""
    rt.suspend(inv)
    return _complete(coro, inv, rt)


async def _complete(coro: Any, inv: Invocation, rt: Runtime) -> Any:
    token = _active_set(True)
    rt.resume(inv)
    try:
        result = await coro
    except BaseException as exc:
        _active_reset(token)
        rt.end(inv, exc, _perf())
        raise
    _active_reset(token)
    rt.end(inv, None, _perf())
    return result


def _wrap_sync(handler: Callable[..., Any], rt: Runtime) -> Callable[..., Any]:
    begin, end = rt.begin, rt.end

    def wrapper(
        event: Any = _MISSING, context: Any = _MISSING, /, *args: Any, **kwargs: Any
    ) -> Any:
        if args or kwargs or context is _MISSING:
            return _call_sync(handler, rt, _positional(event, context, args), kwargs)
        if _active_get():
            return handler(event, context)
        inv = begin(event, context, _perf())
        if inv is None:
            return handler(event, context)
        token = _active_set(True)
        try:
            result = handler(event, context)
        except BaseException as exc:
            _active_reset(token)
            end(inv, exc, _perf())
            raise
        _active_reset(token)
        if result.__class__ is _COROUTINE:
            return _defer(result, inv, rt)
        end(inv, None, _perf())
        return result

    rt.skip_codes = frozenset({wrapper.__code__, _call_sync.__code__})
    return functools.update_wrapper(wrapper, handler)


def _wrap_async(handler: Callable[..., Awaitable[Any]], rt: Runtime) -> Callable[..., Any]:
    begin, end = rt.begin, rt.end

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _active_get():
            return await handler(*args, **kwargs)
        if len(args) == 2 and not kwargs:
            inv = begin(args[0], args[1], _perf())
        else:
            inv = begin(*_locate(args, kwargs), _perf())
        if inv is None:
            return await handler(*args, **kwargs)
        token = _active_set(True)
        try:
            result = await handler(*args, **kwargs)
        except BaseException as exc:
            _active_reset(token)
            end(inv, exc, _perf())
            raise
        _active_reset(token)
        end(inv, None, _perf())
        return result

    rt.skip_codes = frozenset({wrapper.__code__, _complete.__code__})
    return functools.update_wrapper(wrapper, handler)


def _is_async(handler: Callable[..., Any]) -> bool:
    """An `async def` function, or an object whose `__call__` is one."""
    return inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(
        getattr(type(handler), "__call__", None)  # noqa: B004 (the method, not callability)
    )


def _decorate(handler: F, options: Options) -> F:
    config = resolve(**options)
    if config.disabled:
        return handler
    rt = Runtime(config, frozenset())
    wrapped = _wrap_async(handler, rt) if _is_async(handler) else _wrap_sync(handler, rt)
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
    if handler is not None and not callable(handler):
        raise TypeError(
            f"instrument() takes the handler, or keyword options such as "
            f"@instrument(service='orders'); got {type(handler).__name__}"
        )
    if handler is None:
        return lambda h: _decorate(h, options)
    return _decorate(handler, options)
