"""One invocation: its record fields and every log line, shown literally."""

from __future__ import annotations

from typing import Any

import duckdb
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from analyzer import views
from analyzer.filters import Filters
from analyzer.tui import format as fmt
from analyzer.tui.format import Column, literal
from analyzer.tui.screens.base import DataScreen
from analyzer.tui.table import DataView

LINES = (
    Column("line_no", "line", fmt.count, True),
    Column("ts", "time (UTC)", fmt.when),
    Column("kind", "kind"),
    Column("message", "message"),
)
"""Columns of the log-lines table."""


def split_lines(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One table row per physical line: multi-line messages continue on blank-key rows."""
    out: list[dict[str, Any]] = []
    for e in events:
        parts = str(e.get("message") or "").split("\n")
        out.append(e | {"message": parts[0]})
        out.extend({"line_no": None, "ts": None, "kind": "", "message": p} for p in parts[1:])
    return out


def fields_text(record: dict[str, Any] | None, request_id: str, columns: int = 3) -> RenderableType:
    """The invocation's record as a grid of `name value` pairs, values literal."""
    if record is None:
        return literal(f"no invocation record for {request_id}")
    grid = Table.grid(padding=(0, 1), expand=True)
    for _ in range(columns):
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    items = list(record.items())
    per_column = -(-len(items) // columns)
    for r in range(per_column):
        cells: list[RenderableType] = []
        for c in range(columns):
            i = c * per_column + r
            if i < len(items):
                name, value = items[i]
                shown = fmt.when(value) if name.endswith("_ts") else fmt.text(value)
                cells += [Text(name), literal(shown)]
            else:
                cells += [Text(""), Text("")]
        grid.add_row(*cells)
    return grid


class InvocationScreen(DataScreen):
    """START … REPORT, application lines and traceback of one request id."""

    AUTO_FOCUS = "#lines"

    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id
        """The invocation shown."""

    def compose_body(self) -> ComposeResult:
        """Fields on top, lines below at full width."""
        yield Static("", id="fields")
        yield DataView("lines", LINES, id="lines")
        yield Static("", id="line-detail")

    def fetch(self, con: duckdb.DuckDBPyConnection, filters: Filters) -> Any:
        """The record and the lines (filters do not narrow one invocation)."""
        return views.invocation(con, self.request_id), views.invocation_lines(con, self.request_id)

    def show(self, data: Any) -> None:
        """Fill fields and lines."""
        record, lines = data
        self.query_one("#fields", Static).update(fields_text(record, self.request_id))
        self.query_one("#lines", DataView).set_data(split_lines(lines))
        self._show_line()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted line in full, wrapped, below the table."""
        self._show_line()

    def _show_line(self) -> None:
        """Put the highlighted line's whole text in the detail panel."""
        row = self.query_one("#lines", DataView).selected()
        text = literal(row.get("message") if row else "", wrap=True)
        self.query_one("#line-detail", Static).update(text)
