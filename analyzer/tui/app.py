"""The dashboard App: owns the connection, the filters and the screens; nothing else."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import duckdb
from rich.text import Text
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen

from analyzer.filters import Filters
from analyzer.tui.screens.base import DataScreen
from analyzer.tui.screens.help import TextModal, help_text, prices_text
from analyzer.tui.screens.loading import Loaded, Loader, LoadingScreen, Meta


class LambdascopeApp(App[int]):
    """Summary → function → invocation, with filters that apply everywhere."""

    CSS_PATH = Path(__file__).with_name("lambdascope.tcss")
    TITLE = "lambdascope"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    filters: reactive[Filters] = reactive(Filters)
    """The filters every screen shows its data under."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        loader: Loader | None = None,
        what: str = "logs",
        filters: Filters | None = None,
        export_dir: Path | None = None,
        total_bytes: int | None = None,
    ) -> None:
        super().__init__()
        self.con = con
        """The database; workers query it through their own cursors."""
        self.loader = loader
        """Loads the logs on start (None: `con` is already filled)."""
        self.what = what
        """What is loaded, as the loading screen names it."""
        self.meta = Meta()
        """Function names and time range, known once loading is done."""
        self.total_bytes = total_bytes
        """Size of the input files, for the loading progress bar (None: unknown)."""
        self.export_dir = export_dir or Path.cwd()
        """Where exported tables are written."""
        self.set_reactive(LambdascopeApp.filters, filters or Filters())

    def on_mount(self) -> None:
        """Start with the loading screen (it also reads the function list)."""
        self.push_screen(LoadingScreen(self.loader, self.what, self.total_bytes))

    def on_loaded(self, message: Loaded) -> None:
        """Loading finished: show the summary, or say why nothing could be read."""
        if message.error is not None:
            self.exit(1, return_code=1, message=Text(f"lambdascope: {message.error}"))
            return
        self.meta = message.meta
        from analyzer.tui.screens.summary import SummaryScreen

        self.switch_screen(SummaryScreen())
        for warning in message.meta.warnings[:5]:
            self.notify(warning, severity="warning", markup=False)

    def open_function(self, function: str) -> None:
        """Show one function's screen; it is built once and reused (building is the slow part)."""
        from analyzer.tui.screens.function import FunctionScreen

        if not self.is_screen_installed("function"):
            self.install_screen(FunctionScreen(function), name="function")
        else:
            screen = self.get_screen("function")
            assert isinstance(screen, FunctionScreen)
            screen.select(function)
        self.push_screen("function")

    def action_quit(self) -> None:  # type: ignore[override]
        """Quit cleanly; Textual restores the terminal (after the file being loaded, if any)."""
        if isinstance(self.screen, LoadingScreen):
            self.screen.quitting()
        self.exit(0)

    def action_help(self) -> None:
        """Show every key."""
        if not isinstance(self.screen, TextModal):
            self.push_screen(TextModal(help_text()))

    def action_prices(self) -> None:
        """Show the price table and cost assumptions."""
        if not isinstance(self.screen, TextModal):
            self.push_screen(TextModal(prices_text()))

    def action_clear_filters(self) -> None:
        """Drop every filter."""
        self.filters = Filters()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette: our actions next to Textual's own."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Show every key", self.action_help)
        yield SystemCommand("Prices", "Price table and cost assumptions", self.action_prices)
        yield SystemCommand("Clear filters", "Show everything again", self.action_clear_filters)
        if isinstance(screen, DataScreen):
            yield SystemCommand("Export CSV", "Current table to CSV", screen.export_csv)
            yield SystemCommand("Export JSON", "Current table to JSON", screen.export_json)
            yield SystemCommand("Sort", "Sort by the next column", screen.action_sort_next)
            yield SystemCommand("Search", "Search the current table", screen.action_search)
