"""Helpers for pilot tests: build the app on fixture data and wait until it is quiet."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, ParamSpec

import duckdb
from textual.pilot import Pilot

from analyzer.tui.app import LambdascopeApp

P = ParamSpec("P")

SIZE = (120, 36)
"""Terminal size of every pilot and snapshot test."""


def make_app(con: duckdb.DuckDBPyConnection, export_dir: Path | None = None) -> LambdascopeApp:
    """The dashboard on an already filled database."""
    return LambdascopeApp(con, what="fixture", export_dir=export_dir)


async def settle(pilot: Pilot[object]) -> None:
    """Let workers finish and their results reach the screen."""
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def sync(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    """Run an async pilot test with asyncio (no async pytest plugin is installed)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(fn(*args, **kwargs))

    return wrapper
