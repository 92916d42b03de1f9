"""Pilot tests: the key column stays on screen when a wide table scrolls right."""

from __future__ import annotations

import duckdb

from analyzer.tui.table import DataView

from ._pilot import make_app, open_function, screen_text, settle, sync


def _scroll_right(table: DataView) -> None:
    """Scroll `table` to its last column."""
    table.scroll_to(x=table.max_scroll_x, animate=False, immediate=True)


@sync
async def test_function_names_stay_when_the_summary_scrolls_right(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """At 80 columns, scrolled to the cost column, the summary still shows the function names."""
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#functions", DataView)
        _scroll_right(table)
        await pilot.pause()
        assert table.scroll_x > 0
        text = screen_text(app)
        assert "billing" in text and "cost" in text


@sync
async def test_request_ids_stay_when_the_slowest_table_scrolls_right(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """At 80 columns, scrolled to the version column, the slowest table keeps its request ids."""
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await open_function(pilot)
        table = app.screen.query_one("#slowest", DataView)
        _scroll_right(table)
        await pilot.pause()
        assert table.scroll_x > 0
        text = screen_text(app)
        assert "ord-0009" in text and "$LATEST" in text
