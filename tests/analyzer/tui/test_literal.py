"""Log text with Rich markup or terminal escapes is shown literally, never interpreted."""

from __future__ import annotations

import duckdb

from analyzer.tui.format import literal
from analyzer.tui.screens.invocation import InvocationScreen

from ._pilot import open_function, running, screen_text, settle, sync, until
from .conftest import INJECTION_ID


def test_literal_keeps_markup_and_escapes_control_characters() -> None:
    """`literal` leaves brackets alone and turns ESC into the visible text \\x1b."""
    assert literal("[bold red]x[/] \x1b[31mred").plain == "[bold red]x[/] \\x1b[31mred"


@sync
async def test_invocation_lines_show_markup_literally(db: duckdb.DuckDBPyConnection) -> None:
    """Markup, a link tag and an ANSI colour sequence in log lines appear as typed."""
    async with running(db) as (app, pilot):
        app.push_screen(InvocationScreen(INJECTION_ID))
        await settle(pilot, InvocationScreen)
        shown = screen_text(app)
    assert "[bold red]x[/]" in shown
    assert "[link=http://x]click[/link]" in shown
    assert "\\x1b[31mred\\x1b[0m" in shown
    assert "\x1b" not in shown


@sync
async def test_error_message_markup_is_literal_in_groups(db: duckdb.DuckDBPyConnection) -> None:
    """An error message with markup shows its brackets in the error-groups table."""
    async with running(db) as (app, pilot):
        await open_function(pilot)
        await pilot.press("e")
        await until(pilot, lambda: "message pattern" in screen_text(app))
        shown = screen_text(app)
    assert "[bold red]x[/] \\x1b[<n>mboom" in shown


@sync
async def test_function_name_markup_is_literal(db: duckdb.DuckDBPyConnection) -> None:
    """A function named with markup shows its brackets in the summary table."""
    db.execute("UPDATE invocations SET function = '[red]evil[/]' WHERE function = 'billing'")
    async with running(db) as (app, _pilot):
        shown = screen_text(app)
    assert "[red]evil[/]" in shown
