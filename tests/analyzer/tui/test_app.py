"""Pilot tests of the dashboard's screens and main flows on fixed seeded data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from analyzer.tui.app import LambdascopeApp
from analyzer.tui.screens.function import FunctionScreen
from analyzer.tui.screens.help import TextModal
from analyzer.tui.screens.invocation import InvocationScreen
from analyzer.tui.screens.summary import SummaryScreen
from analyzer.tui.table import DataView

from ._pilot import SIZE, make_app, open_function, running, screen_text, settle, sync, until


def _table(app: LambdascopeApp, selector: str) -> DataView:
    return app.screen.query_one(selector, DataView)


@sync
async def test_summary_lists_one_row_per_function(db: duckdb.DuckDBPyConnection) -> None:
    """The first screen after loading has one row per function, busiest first."""
    async with running(db) as (app, _pilot):
        assert isinstance(app.screen, SummaryScreen)
        rows = _table(app, "#functions").rows_data
        assert [r["function"] for r in rows] == ["orders", "billing"]
        assert rows[0]["invocations"] == 301


@sync
async def test_enter_opens_the_function_screen(db: duckdb.DuckDBPyConnection) -> None:
    """Selecting a function shows its slowest invocations and error groups."""
    async with running(db) as (app, pilot):
        await open_function(pilot, "down", "enter")
        assert isinstance(app.screen, FunctionScreen) and app.screen.function == "billing"
        slowest = _table(app, "#slowest").rows_data
        assert slowest and all(r["request_id"].startswith("bil-") for r in slowest)


@sync
async def test_error_groups_are_queried_when_their_tab_opens(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """The hidden error-groups tab is empty until 'e' shows it, then holds the groups."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        before = list(_table(app, "#groups").rows_data)
        await pilot.press("e")
        groups = _table(app, "#groups")
        await until(pilot, lambda: bool(groups.rows_data))
        after = groups.rows_data
    assert before == [] and after and after[0]["count"] >= after[-1]["count"]


@sync
async def test_escape_goes_back(db: duckdb.DuckDBPyConnection) -> None:
    """Escape on the function screen returns to the summary."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        await pilot.press("escape")
        await settle(pilot, SummaryScreen)
        assert isinstance(app.screen, SummaryScreen)


@sync
async def test_filter_applies_on_every_screen(db: duckdb.DuckDBPyConnection) -> None:
    """Choosing outcome=timeout narrows the summary and the function screen alike."""
    async with running(db) as (app, pilot):
        app.screen.query_one("#f-outcome").value = "timeout"  # type: ignore[attr-defined]
        await until(pilot, lambda: app.filters.outcome == "timeout")
        await settle(pilot)
        assert app.filters.outcome == "timeout"
        assert [r["invocations"] for r in _table(app, "#functions").rows_data] == [4, 1]
        await open_function(pilot)
        outcomes = {r["outcome"] for r in _table(app, "#slowest").rows_data}
        assert outcomes == {"timeout"}


@sync
async def test_time_filter_typed_in_the_bar(db: duckdb.DuckDBPyConnection) -> None:
    """Typing an ISO time in 'since' and Enter drops earlier invocations."""
    async with running(db) as (app, pilot):
        await pilot.click("#f-since")
        await pilot.press(*"2026-11-24T08:30:00Z", "enter")
        await until(pilot, lambda: app.filters.since is not None)
        await settle(pilot)
        total = sum(r["invocations"] for r in _table(app, "#functions").rows_data)
        assert app.filters.since is not None and 0 < total < 421


@sync
async def test_drill_down_to_an_invocation(db: duckdb.DuckDBPyConnection) -> None:
    """Enter on a slow invocation opens its record and log lines."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        first = _table(app, "#slowest").rows_data[0]["request_id"]
        await pilot.press("enter")
        await settle(pilot, InvocationScreen)
        assert isinstance(app.screen, InvocationScreen) and app.screen.request_id == first


@sync
async def test_search_moves_to_the_matching_row(db: duckdb.DuckDBPyConnection) -> None:
    """'/' then text and Enter puts the cursor on the first row containing it."""
    async with running(db) as (app, pilot):
        await pilot.press("slash", *"bill", "enter")
        table = _table(app, "#functions")
        await until(pilot, lambda: table.cursor_row == 1)
        assert table.selected() is not None
        assert table.selected()["function"] == "billing"  # type: ignore[index]


@sync
async def test_click_on_header_sorts(db: duckdb.DuckDBPyConnection) -> None:
    """A mouse click on the 'function' header sorts rows by name."""
    async with running(db) as (app, pilot):
        table = _table(app, "#functions")
        await pilot.click("#functions", offset=(3, 0))
        await until(pilot, lambda: table.sort_column == "function")
        assert [r["function"] for r in table.rows_data] == ["billing", "orders"]


@sync
async def test_second_header_click_reverses(db: duckdb.DuckDBPyConnection) -> None:
    """A second click on the same header reverses the order."""
    async with running(db) as (app, pilot):
        table = _table(app, "#functions")
        await pilot.click("#functions", offset=(3, 0))
        await until(pilot, lambda: table.sort_column == "function")
        await pilot.click("#functions", offset=(3, 0))
        await until(pilot, lambda: table.sort_reverse)
        assert [r["function"] for r in table.rows_data] == ["orders", "billing"]


@sync
async def test_sort_key_sorts_by_the_first_column(db: duckdb.DuckDBPyConnection) -> None:
    """'s' sorts by the function name: billing before orders (the query order is busiest first)."""
    async with running(db) as (app, pilot):
        await pilot.press("s")
        table = _table(app, "#functions")
        await until(pilot, lambda: table.sort_column == "function")
        assert [r["function"] for r in table.rows_data] == ["billing", "orders"]


@sync
async def test_sort_reverse_key_flips_the_order(db: duckdb.DuckDBPyConnection) -> None:
    """'s' then 'S' sorts by function name descending."""
    async with running(db) as (app, pilot):
        table = _table(app, "#functions")
        await pilot.press("s")
        await until(pilot, lambda: table.sort_column == "function")
        await pilot.press("S")
        await until(pilot, lambda: table.sort_reverse)
        assert [r["function"] for r in table.rows_data] == ["orders", "billing"]


@sync
async def test_export_writes_csv_and_json(db: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """'c' and 'j' write the current table to files holding its rows."""
    app = make_app(db, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c", "j")
        await until(pilot, lambda: len(list(tmp_path.iterdir())) == 2)
    with (tmp_path / "lambdascope-functions.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    data = json.loads((tmp_path / "lambdascope-functions.json").read_text())
    assert [r["function"] for r in rows] == [r["function"] for r in data] == ["orders", "billing"]


@sync
async def test_help_lists_keys_and_closes(db: duckdb.DuckDBPyConnection) -> None:
    """'?' opens the key list; escape closes it."""
    async with running(db) as (app, pilot):
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, TextModal))
        assert isinstance(app.screen, TextModal)
        assert "export the current table" in app.screen.body.plain
        await pilot.press("escape")
        await settle(pilot, SummaryScreen)
        assert isinstance(app.screen, SummaryScreen)


@sync
async def test_q_quits_with_exit_code_0(db: duckdb.DuckDBPyConnection) -> None:
    """'q' ends the app cleanly with return code 0."""
    async with running(db) as (app, pilot):
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


@sync
async def test_loader_failure_exits_1(
    db: duckdb.DuckDBPyConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    """When nothing can be loaded the app exits 1 with the loader's message."""

    def loader(con: duckdb.DuckDBPyConnection) -> None:
        raise ValueError("no input could be read")

    app = LambdascopeApp(db, loader=loader)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    assert app.return_code == 1
    assert "lambdascope: no input could be read" in capsys.readouterr().err


@sync
async def test_function_screen_is_reused_for_another_function(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """Going back and selecting another function shows that function's invocations."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        await pilot.press("escape")
        await settle(pilot, SummaryScreen)
        await pilot.press("down", "enter")
        await until(pilot, lambda: getattr(app.screen, "function", None) == "billing")
        await settle(pilot, FunctionScreen)
        ids = {r["request_id"][:4] for r in _table(app, "#slowest").rows_data}
        assert ids == {"bil-"}


@sync
async def test_error_group_opens_its_example(db: duckdb.DuckDBPyConnection) -> None:
    """Enter on an error group opens the invocation given as its example."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        await open_function(pilot, "e")
        groups = _table(app, "#groups")
        await until(pilot, lambda: app.focused is groups and bool(groups.rows_data))
        example = groups.rows_data[0]["example"]
        await pilot.press("enter")
        await settle(pilot, InvocationScreen)
        assert app.screen.request_id == example  # type: ignore[attr-defined]


@sync
async def test_export_on_function_screen_uses_the_active_tab(
    db: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """With the error-groups tab active, 'j' exports the error groups."""
    app = make_app(db, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_function(pilot)
        await pilot.press("e")
        groups = _table(app, "#groups")
        await until(pilot, lambda: app.focused is groups and bool(groups.rows_data))
        await pilot.press("j")
        path = tmp_path / "lambdascope-error-groups.json"
        await until(pilot, path.exists)
    assert {"count", "error_type", "pattern"} <= set(json.loads(path.read_text())[0])


@sync
async def test_prices_key_shows_the_price_table(db: duckdb.DuckDBPyConnection) -> None:
    """'p' shows both architectures' prices and the assumptions."""
    async with running(db) as (app, pilot):
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, TextModal))
        body = app.screen.body.plain  # type: ignore[attr-defined]
    assert "x86_64" in body and "arm64" in body and "us-east-1" in body


@sync
async def test_command_palette_opens(db: duckdb.DuckDBPyConnection) -> None:
    """ctrl+p opens Textual's command palette, which offers our commands."""
    from textual.command import CommandPalette

    async with running(db) as (app, pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        await pilot.press("ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette))
    assert {"Export CSV", "Export JSON", "Clear filters", "Prices"} <= set(titles)


@sync
async def test_function_filter_on_function_screen_switches_function(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """Choosing another function in the filter bar of the function screen shows that one."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        app.screen.query_one("#f-function").value = "billing"  # type: ignore[attr-defined]
        await until(pilot, lambda: getattr(app.screen, "function", None) == "billing")
        await settle(pilot, FunctionScreen)
        ids = {r["request_id"][:4] for r in _table(app, "#slowest").rows_data}
        assert ids == {"bil-"}


@sync
async def test_columns_fit_new_rows_before_the_next_paint(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """set_data widens the columns at once, so the header lines up with the rows."""
    async with running(db) as (app, _pilot):
        table = _table(app, "#functions")
        table.set_data([{"function": "a-function-name-longer-than-any-header"}])
        first = table.ordered_columns[0]
        assert first.get_render_width(table) >= len("a-function-name-longer-than-any-header")


@sync
async def test_clicking_a_function_row_opens_it(db: duckdb.DuckDBPyConnection) -> None:
    """A click on a summary row highlights it; a second click opens that function."""
    async with running(db) as (app, pilot):
        await pilot.click("#functions", offset=(3, 2))  # header is line 0, rows from line 1
        await until(pilot, lambda: _table(app, "#functions").cursor_row == 1)
        await pilot.click("#functions", offset=(3, 2))
        await until(pilot, lambda: isinstance(app.screen, FunctionScreen))
        await settle(pilot, FunctionScreen)
        assert app.screen.function == "billing"  # type: ignore[attr-defined]


@sync
async def test_failed_query_is_a_notification_not_a_crash() -> None:
    """A query that fails (no init_failures table) is notified; the app keeps running."""
    from analyzer.store import open_db

    con = open_db(None)
    con.execute("DROP TABLE init_failures")
    app = make_app(con)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SummaryScreen))
        await until(pilot, lambda: any("query failed" in n.message for n in app._notifications))
        assert app.return_code is None


@sync
async def test_summary_follows_a_filter_set_on_the_function_screen(
    db: duckdb.DuckDBPyConnection,
) -> None:
    """outcome=timeout chosen on the function screen shows in the summary on going back."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        app.screen.query_one("#f-outcome").value = "timeout"  # type: ignore[attr-defined]
        await until(pilot, lambda: app.filters.outcome == "timeout")
        await settle(pilot, FunctionScreen)
        await pilot.press("escape")
        await settle(pilot, SummaryScreen)
        assert [r["invocations"] for r in _table(app, "#functions").rows_data] == [4, 1]


@sync
async def test_sorted_column_header_shows_the_order(db: duckdb.DuckDBPyConnection) -> None:
    """After 's' the function header reads 'function▲'; after 'S' it reads 'function▼'."""
    async with running(db) as (app, pilot):
        table = _table(app, "#functions")
        await pilot.press("s")
        await until(pilot, lambda: table.sort_column == "function")
        await pilot.pause()
        up = screen_text(app)
        await pilot.press("S")
        await until(pilot, lambda: table.sort_reverse)
        await pilot.pause()
        down = screen_text(app)
    assert "function▲" in up and "function▼" in down
