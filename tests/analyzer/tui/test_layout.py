"""Pilot tests: the function screen fits small terminals."""

from __future__ import annotations

import duckdb
from textual.widgets import Static

from analyzer.tui.screens.help import TextModal

from ._pilot import make_app, open_function, settle, sync, until


@sync
async def test_series_keep_their_width_at_80_columns(db: duckdb.DuckDBPyConnection) -> None:
    """At 80x24 the series panel is at least 38 columns wide (the cost panel makes room)."""
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_function(pilot)
        assert app.screen.query_one("#series").size.width >= 36
        assert not app.screen.query_one("#sizing", Static).display


@sync
async def test_m_shows_the_cost_when_the_panel_is_hidden(db: duckdb.DuckDBPyConnection) -> None:
    """On a narrow terminal 'm' opens the memory right-sizing and cost."""
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_function(pilot)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, TextModal))
        assert "suggested" in app.screen.body.plain  # type: ignore[attr-defined]
