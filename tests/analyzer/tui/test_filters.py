"""Pilot tests: the cold/warm and version filters and a command run from the palette."""

from __future__ import annotations

import duckdb

from analyzer.filters import Filters
from analyzer.tui.table import DataView

from ._pilot import SIZE, make_app, running, screen_text, settle, sync, until


def _invocations(app: object) -> dict[str, int]:
    """Function name to invocations, as the summary table shows them."""
    table = app.screen.query_one("#functions", DataView)  # type: ignore[attr-defined]
    return {r["function"]: r["invocations"] for r in table.rows_data}


def _count(con: duckdb.DuckDBPyConnection, where: str) -> dict[str, int]:
    """Function name to invocations matching `where`, counted directly."""
    rows = con.execute(
        f"SELECT function, count(*) FROM invocations WHERE {where} GROUP BY 1"
    ).fetchall()
    return {str(f): int(n) for f, n in rows}


@sync
async def test_cold_filter_keeps_only_cold_starts(db: duckdb.DuckDBPyConnection) -> None:
    """Choosing 'cold starts' summarises exactly the cold-start invocations."""
    expected = _count(db, "cold_start")
    async with running(db) as (app, pilot):
        app.screen.query_one("#f-cold").value = True  # type: ignore[attr-defined]
        await until(pilot, lambda: app.filters.cold is True)
        await settle(pilot)
        assert expected and _invocations(app) == expected


@sync
async def test_warm_filter_keeps_only_warm_invocations(db: duckdb.DuckDBPyConnection) -> None:
    """Choosing 'warm only' summarises exactly the invocations that were not cold starts."""
    expected = _count(db, "NOT cold_start")
    async with running(db) as (app, pilot):
        app.screen.query_one("#f-cold").value = False  # type: ignore[attr-defined]
        await until(pilot, lambda: app.filters.cold is False)
        await settle(pilot)
        assert expected and _invocations(app) == expected


@sync
async def test_version_typed_in_the_bar(db: duckdb.DuckDBPyConnection) -> None:
    """Typing version 7 and Enter leaves only the invocations of version 7."""
    db.execute(
        "INSERT INTO invocations (function, version, request_id, duration_ms, outcome) "
        "VALUES ('billing', '7', 'v7-0001', 10.0, 'success')"
    )
    async with running(db) as (app, pilot):
        await pilot.click("#f-version")
        await pilot.press("7", "enter")
        await until(pilot, lambda: app.filters.version == "7")
        await settle(pilot)
        assert _invocations(app) == {"billing": 1}


@sync
async def test_clear_filters_from_the_command_palette(db: duckdb.DuckDBPyConnection) -> None:
    """Running 'Clear filters' from ctrl+p drops the active filters."""
    app = make_app(db, filters=Filters(outcome="timeout"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"Clear filters")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: app.filters == Filters())
        await settle(pilot)
        assert sum(_invocations(app).values()) == 421


@sync
async def test_empty_result_names_the_data_time_range(db: duckdb.DuckDBPyConnection) -> None:
    """A time filter that matches nothing says when the loaded data starts and ends."""
    from datetime import UTC, datetime

    since = datetime(2030, 1, 1, tzinfo=UTC)
    app = make_app(db, filters=Filters(since=since))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
    assert "no invocations match the filters · data from 2026-11-24 08:00" in text
