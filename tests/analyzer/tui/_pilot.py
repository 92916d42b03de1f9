"""Helpers for pilot tests: build the app on fixture data and wait until it is quiet."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec

import duckdb
from textual.pilot import Pilot
from textual.screen import Screen
from textual.worker import WorkerCancelled

from analyzer.filters import Filters
from analyzer.tui.app import LambdascopeApp
from analyzer.tui.screens.base import DataScreen
from analyzer.tui.screens.function import FunctionScreen

P = ParamSpec("P")

SIZE = (120, 36)
"""Terminal size of every pilot and snapshot test."""


def make_app(
    con: duckdb.DuckDBPyConnection,
    export_dir: Path | None = None,
    filters: Filters | None = None,
) -> LambdascopeApp:
    """The dashboard on an already filled database (optionally opened with `filters`)."""
    return LambdascopeApp(con, what="fixture", export_dir=export_dir, filters=filters)


async def settle(pilot: Pilot[Any], screen: type[Screen[Any]] | None = None) -> None:
    """Wait until the top data screen (of type `screen`) shows results for the filters."""
    app = pilot.app
    for _ in range(500):
        if screen is not None and not isinstance(app.screen, screen):
            await pilot.pause(0.01)
            continue
        with contextlib.suppress(WorkerCancelled):  # exclusive workers cancel older ones
            await app.workers.wait_for_complete()
        await pilot.pause()
        if app.return_code is not None:
            return
        screens = [s for s in app.screen_stack if isinstance(s, DataScreen)]
        busy = any(w.is_running for w in app.workers)
        ready = bool(screens) and screens[-1].shown == getattr(app, "filters", None)
        if ready and not busy:
            await pilot.pause()
            return
    raise AssertionError("the dashboard never showed its data")


@contextlib.asynccontextmanager
async def running(
    con: duckdb.DuckDBPyConnection, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[LambdascopeApp, Pilot[Any]]]:
    """The dashboard on `con`, run by a pilot and settled on its summary."""
    app = make_app(con)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield app, pilot


async def open_function(pilot: Pilot[Any], *keys: str) -> None:
    """Press `keys` (default: enter on the selected row) and wait for the function screen."""
    await pilot.press(*(keys or ("enter",)))
    await settle(pilot, FunctionScreen)


def sync(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async pilot test with asyncio (no async pytest plugin is installed)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper


def screen_text(app: LambdascopeApp) -> str:
    """What the terminal shows now, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    """Let the app run until `condition()` holds (fails after a few seconds)."""
    for _ in range(500):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition never became true")
