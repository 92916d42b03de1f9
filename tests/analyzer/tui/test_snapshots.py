"""One SVG snapshot per screen at 120x36 on the fixed seeded data."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import duckdb
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import get_current_worker

from analyzer.tui.app import LambdascopeApp
from analyzer.tui.screens.help import TextModal
from analyzer.tui.screens.invocation import InvocationScreen

from ._pilot import SIZE, make_app, open_function, settle
from .conftest import INJECTION_ID

SnapCompare = Callable[..., bool]


def test_loading_screen(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """The loading screen while the loader is still running."""
    release = threading.Event()

    def loader(con: duckdb.DuckDBPyConnection) -> None:
        while not release.wait(0.02) and not get_current_worker().is_cancelled:
            pass

    async def before(pilot: Pilot[Any]) -> None:
        status = pilot.app.screen.query_one("#loading-status", Static)
        while "files" not in str(status.render()):
            await pilot.pause(0.05)

    app = LambdascopeApp(db, loader=loader, what="fixture logs", total_bytes=1000)
    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=before)
    finally:
        release.set()


def test_summary_screen(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """The summary: one row per function, totals line."""
    assert snap_compare(make_app(db), terminal_size=SIZE, run_before=settle)


def test_function_screen(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """A function: series, histogram, cost, slowest invocations."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_function(pilot)

    assert snap_compare(make_app(db), terminal_size=SIZE, run_before=before)


def test_invocation_screen(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """An invocation: fields and literal log lines (markup and escapes as text)."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        pilot.app.push_screen(InvocationScreen(INJECTION_ID))
        await settle(pilot, InvocationScreen)

    assert snap_compare(make_app(db), terminal_size=SIZE, run_before=before)


def test_help_screen(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """The key list over the summary."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        while not isinstance(pilot.app.screen, TextModal):
            await pilot.pause(0.01)

    assert snap_compare(make_app(db), terminal_size=SIZE, run_before=before)


def test_function_screen_at_80x24(db: duckdb.DuckDBPyConnection, snap_compare: SnapCompare) -> None:
    """At 80x24 the function screen keeps its name, the series and the histogram."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_function(pilot)

    assert snap_compare(make_app(db), terminal_size=(80, 24), run_before=before)
