"""Pilot tests: typing in the filter bar never keeps the footer keys from working."""

from __future__ import annotations

import duckdb

from analyzer.tui.table import DataView

from ._pilot import running, sync, until


@sync
async def test_enter_in_a_filter_box_returns_focus_to_the_table(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """After Enter in the version box, the table has the focus and 'q' quits."""
    async with running(db) as (app, pilot):
        await pilot.click("#f-version")
        await pilot.press("7", "enter")
        await until(pilot, lambda: app.filters.version == "7")
        assert isinstance(app.focused, DataView)
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


@sync
async def test_escape_in_a_filter_box_returns_focus_to_the_table(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """Escape in a half-typed filter box leaves it; the next 'q' quits instead of typing."""
    async with running(db) as (app, pilot):
        await pilot.click("#f-since")
        await pilot.press("2", "escape")
        assert isinstance(app.focused, DataView)
        await pilot.press("q")
        await until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 0


@sync
async def test_f_then_escape_returns_focus_to_the_table(db: duckdb.DuckDBPyConnection) -> None:
    """'f' focuses the filter bar; escape puts the focus back on the table."""
    async with running(db) as (app, pilot):
        await pilot.press("f")
        assert not isinstance(app.focused, DataView)
        await pilot.press("escape")
        assert app.focused is app.screen.query_one("#functions", DataView)
