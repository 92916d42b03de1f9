"""Pilot test: quitting while the logs still load says what it waits for."""

from __future__ import annotations

import threading

import duckdb
from textual.widgets import Static
from textual.worker import get_current_worker

from analyzer.tui.app import LambdascopeApp
from analyzer.tui.screens.loading import LoadingScreen

from ._pilot import SIZE, sync, until


@sync
async def test_q_while_loading_says_it_finishes_the_load(db: duckdb.DuckDBPyConnection) -> None:
    """'q' during a load shows 'quitting: finishing the load' until the loader returns."""
    release = threading.Event()

    def loader(con: duckdb.DuckDBPyConnection) -> None:
        while not release.wait(0.02) and not get_current_worker().is_cancelled:
            pass

    app = LambdascopeApp(db, loader=loader, what="fixture logs")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LoadingScreen))
            await pilot.press("q")
            status = app.screen.query_one("#loading-status", Static)
            await pilot.pause(0.3)  # a progress poll must not overwrite it
            assert "quitting: finishing the load" in str(status.render())
            release.set()
    finally:
        release.set()
    assert app.return_code == 0
