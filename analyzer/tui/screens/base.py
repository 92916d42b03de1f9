"""What every data screen shares: filter bar, query worker, search, sort and export keys."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Input, Static
from textual.worker import get_current_worker

from analyzer.filters import Filters
from analyzer.tui.filterbar import FilterBar
from analyzer.tui.table import DataView

if TYPE_CHECKING:
    from analyzer.tui.app import LambdascopeApp


def key_line(screen: Screen[Any]) -> Text:
    """The screen's and the app's shown keys as one line (a Footer costs ~100 ms per switch)."""
    out = Text()
    bindings: list[Any] = []
    for cls in type(screen).__mro__:
        bindings[:0] = cls.__dict__.get("BINDINGS", [])
    bindings += screen.app.BINDINGS
    back = getattr(screen, "BACK", True)
    for b in bindings:
        if isinstance(b, Binding) and b.show and b.description and (back or b.action != "back"):
            out.append(f" {b.key_display or _KEY_NAMES.get(b.key, b.key)} ", style="bold reverse")
            out.append(f" {b.description}  ")
    out.append(" ^p ", style="bold reverse")
    out.append(" palette")
    return out


_KEY_NAMES = {"escape": "esc", "slash": "/", "question_mark": "?"}
"""How binding keys are written in the key line."""


class DataReady(Message):
    """A query worker finished: `data` is what the screen's `fetch` returned."""

    def __init__(self, data: Any, filters: Filters) -> None:
        super().__init__()
        self.data = data
        """The query results."""
        self.filters = filters
        """The filters they were computed for."""


class QueryFailed(Message):
    """A query worker failed: `error` says why."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
        """The database's message."""


class DataScreen(Screen[None]):
    """A screen showing query results that follow the app's filters."""

    BACK = True
    """Whether escape leaves this screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search"),
        Binding("n", "search_next", "Next match", show=False),
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("c", "export('csv')", "CSV"),
        Binding("j", "export('json')", "JSON"),
        Binding("f", "focus_filters", "Filters", show=False),
        Binding("p", "app.prices", "Prices", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.needle = ""
        """The last search text."""
        self.shown: Filters | None = None
        """The filters of the results on screen (None until the first results arrive)."""
        self.stale = False
        """Whether the filters changed while the screen was hidden (query when shown)."""
        self.generation = 0
        """Number of the latest query; a worker whose number is older drops its results."""

    @property
    def lsapp(self) -> LambdascopeApp:
        """The app, typed."""
        from analyzer.tui.app import LambdascopeApp

        assert isinstance(self.app, LambdascopeApp)
        return self.app

    def compose_body(self) -> ComposeResult:
        """The screen's own widgets (between filter bar and footer)."""
        yield from ()

    def compose(self) -> ComposeResult:
        """Header, filter bar, body, hidden search input, footer."""
        yield Header()
        meta = self.lsapp.meta
        yield FilterBar(self.lsapp.filters, meta.functions, meta.latest)
        yield from self.compose_body()
        yield Input(placeholder="search this table, Enter to find", id="search", compact=True)
        yield Static(key_line(self), id="keys")

    def on_mount(self) -> None:
        """Query now and whenever the app's filters change."""
        self.watch(self.app, "filters", self._filters_changed, init=False)
        self.reload()

    def _filters_changed(self, filters: Filters) -> None:
        """Show the app's filters in this screen's bar; query now, or when next shown."""
        self.query_one(FilterBar).show(filters)
        if self.is_current:
            self.reload()
        else:  # a hidden screen's queries would only slow the one the user looks at
            self.stale = True

    def on_screen_resume(self) -> None:
        """Shown again: query if the filters changed while hidden."""
        if self.stale:
            self.reload()

    def on_filter_bar_changed(self, event: FilterBar.Changed) -> None:
        """The user changed a filter here: it applies to every screen."""
        self.lsapp.filters = event.filters

    def on_filter_bar_done(self, event: FilterBar.Done) -> None:
        """Enter in a filter box: focus the table so the footer keys work again."""
        event.stop()
        self.focus_table()

    def focus_table(self) -> None:
        """Put the focus on the table the keys act on (if the screen has one)."""
        table = self.current_table()
        if table is not None:
            table.focus()

    def reload(self) -> None:
        """Start the query worker for the current filters."""
        self.stale = False
        self.generation += 1
        # Cursors are made here, on the UI thread: the connection itself is not thread-safe.
        self.run_query(self.lsapp.filters, self.lsapp.con.cursor(), self.generation)

    @work(thread=True, exclusive=True, group="query")
    def run_query(self, filters: Filters, cur: duckdb.DuckDBPyConnection, generation: int) -> None:
        """Run `fetch` on its own DuckDB cursor off the UI thread; post the result."""
        try:
            data = self.fetch(cur, filters)
        except Exception as exc:  # shown, not raised: a failed query must not end the app
            self.post_message(QueryFailed(f"{type(exc).__name__}: {exc}"))
            return
        finally:
            cur.close()
        if generation == self.generation and not get_current_worker().is_cancelled:
            self.post_message(DataReady(data, filters))

    def on_query_failed(self, message: QueryFailed) -> None:
        """Say that a query failed (the screen keeps what it showed)."""
        self.notify(f"query failed: {message.error}", severity="error", markup=False)

    def fetch(self, con: duckdb.DuckDBPyConnection, filters: Filters) -> Any:
        """Query what the screen shows (runs in a worker thread)."""
        return None

    def on_data_ready(self, message: DataReady) -> None:
        """Show results unless the filters moved on meanwhile."""
        if message.filters == self.lsapp.filters:
            self.show(message.data)
            if self.current(message.data):
                self.shown = message.filters

    def current(self, data: Any) -> bool:
        """Whether `data` is for what the screen shows now (not an earlier selection)."""
        return True

    def show(self, data: Any) -> None:
        """Put query results on screen (UI thread)."""

    def current_table(self) -> DataView | None:
        """The table keys act on: the focused one, else the screen's main one."""
        if isinstance(self.focused, DataView):
            return self.focused
        tables = list(self.query(DataView))
        return tables[0] if tables else None

    def action_search(self) -> None:
        """Open the search input."""
        box = self.query_one("#search", Input)
        box.display = True
        box.value = self.needle
        box.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Search the current table for the submitted text."""
        if event.input.id != "search":
            return
        event.stop()
        event.input.display = False
        self.needle = event.value
        table = self.current_table()
        if table is not None:
            table.focus()
            self.action_search_next(start_after=False)

    def action_search_next(self, start_after: bool = True) -> None:
        """Jump to the next row matching the last search."""
        table = self.current_table()
        if table is None or not self.needle:
            return
        if not table.search(self.needle, start_after=start_after):
            self.notify(f"no row contains {self.needle!r}", severity="warning", markup=False)

    def action_sort_next(self) -> None:
        """Sort the current table by its next column."""
        table = self.current_table()
        if table is not None:
            label = table.sort_next()
            self.notify(f"sorted by {label}", timeout=2)

    def action_sort_reverse(self) -> None:
        """Flip the current table's sort order."""
        table = self.current_table()
        if table is not None and table.sort_column is not None:
            table.sort_by(table.sort_column, reverse=not table.sort_reverse)

    def action_export(self, fmt: str) -> None:
        """Write the current table to a CSV or JSON file in the working directory."""
        table = self.current_table()
        if table is None:
            return
        path = table.export(fmt, self.lsapp.export_dir)
        self.notify(f"exported {len(table.rows_data)} rows to {path}", markup=False)

    def export_csv(self) -> None:
        """Export the current table as CSV (command palette)."""
        self.action_export("csv")

    def export_json(self) -> None:
        """Export the current table as JSON (command palette)."""
        self.action_export("json")

    def action_focus_filters(self) -> None:
        """Put the focus on the filter bar."""
        self.query_one("#f-function").focus()

    def action_back(self) -> None:
        """Close the search box, leave the filter bar, else go back to the previous screen."""
        box = self.query_one("#search", Input)
        bar = self.query_one(FilterBar)
        if box.display:
            box.display = False
            self.focus_table()
        elif self.focused is not None and bar in self.focused.ancestors_with_self:
            self.focus_table()
        elif len(self.app.screen_stack) > 1 and self.BACK:
            self.app.pop_screen()
