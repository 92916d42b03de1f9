"""A DataTable that keeps its rows as data: sort by any column, search, export CSV/JSON."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from analyzer.tui.format import Column

Row = dict[str, Any]
"""One row of data: column key to raw value."""


def _sort_key(value: Any) -> tuple[int, Any]:
    """Order values of one column; unknown values always last."""
    if value is None:
        return (1, 0)
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (0, str(value).lower())


def _plain(value: Any) -> Any:
    """A raw value as CSV/JSON wants it: ISO times; floats without binary noise.

    Values of 1 and more keep 3 decimals (like `report --format json`); smaller ones (costs in
    USD) keep 6 significant digits.
    """
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3) if abs(value) >= 1 else float(f"{value:.6g}")
    return value


class DataView(DataTable[Text]):
    """Rows of dicts shown through `Column`s; the data, not the cells, is the truth."""

    def __init__(self, title: str, columns: Sequence[Column], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.export_name = title
        """Name used for exported files."""
        self.columns_spec = list(columns)
        """What this table shows, in order."""
        self.rows_data: list[Row] = []
        """The rows in display order."""
        self.sort_column: str | None = None
        """Key of the column the rows are sorted by (None: query order)."""
        self.sort_reverse = False
        """Whether the sort is descending."""

    def on_mount(self) -> None:
        """Create the columns."""
        for col in self.columns_spec:
            self.add_column(self._label(col.key), key=col.key)

    def _label(self, key: str) -> Text:
        """A column's header, with ▲ or ▼ when the rows are sorted by it."""
        col = next(c for c in self.columns_spec if c.key == key)
        mark = ("▼" if self.sort_reverse else "▲") if key == self.sort_column else ""
        label = f"{mark}{col.label}" if col.numeric and mark else f"{col.label}{mark}"
        return Text(label, justify="right" if col.numeric else "left")

    def set_data(self, rows: Sequence[Row]) -> None:
        """Replace the rows, keeping the current sort and (when possible) the cursor row."""
        self.rows_data = list(rows)
        if self.sort_column is not None:
            self._sort_data()
        self._redraw()

    def _sort_data(self) -> None:
        """Sort `data` by the current sort column."""
        key = self.sort_column
        self.rows_data.sort(key=lambda r: _sort_key(r.get(key or "")), reverse=self.sort_reverse)
        if self.sort_reverse:  # keep unknown values last either way
            known = [r for r in self.rows_data if r.get(key or "") is not None]
            self.rows_data = known + [r for r in self.rows_data if r.get(key or "") is None]

    def _redraw(self) -> None:
        """Rebuild the cells from `data`."""
        row_index = self.cursor_row
        self.clear()
        widths = [0] * len(self.columns_spec)
        for i, row in enumerate(self.rows_data):
            cells = [c.cell(row) for c in self.columns_spec]
            widths = [max(w, cell.cell_len) for w, cell in zip(widths, cells, strict=True)]
            self.add_row(*cells, key=str(i))
        self._widen(widths)
        if self.rows_data:
            self.move_cursor(row=min(row_index, len(self.rows_data) - 1))

    def _widen(self, widths: list[int]) -> None:
        """Size the columns for the new cells now, so the header is never drawn narrower.

        DataTable measures new rows only when idle; a header painted before that keeps the
        old widths (seen on a screen's first fill: header and rows out of line).
        """
        for column, width in zip(self.ordered_columns, widths, strict=False):
            if column.auto_width and width > column.content_width:
                column.content_width = width

    def selected(self) -> Row | None:
        """The row under the cursor, or None when the table is empty."""
        if not self.rows_data or not 0 <= self.cursor_row < len(self.rows_data):
            return None
        return self.rows_data[self.cursor_row]

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        """Sort by column `key`; the same column again flips the order."""
        if reverse is None:
            reverse = not self.sort_reverse if key == self.sort_column else False
        self.sort_column, self.sort_reverse = key, reverse
        for column in self.ordered_columns:
            column.label = self._label(str(column.key.value))
            column.content_width = max(column.content_width, column.label.cell_len)
        self._sort_data()
        self._redraw()
        self.move_cursor(row=0)

    def sort_next(self) -> str:
        """Sort by the column after the current sort column; return its label."""
        keys = [c.key for c in self.columns_spec]
        i = keys.index(self.sort_column) + 1 if self.sort_column in keys else 0
        col = self.columns_spec[i % len(keys)]
        self.sort_by(col.key, reverse=col.numeric)
        return col.label

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        """Clicking a header sorts by that column (again: reverse)."""
        event.stop()
        self.sort_by(str(event.column_key.value))

    def search(self, needle: str, *, start_after: bool = True) -> bool:
        """Move the cursor to the next row whose text contains `needle` (case-insensitive)."""
        needle = needle.lower()
        n = len(self.rows_data)
        first = self.cursor_row + 1 if start_after else self.cursor_row
        for step in range(n):
            i = (first + step) % n
            cells = (c.cell(self.rows_data[i]).plain.lower() for c in self.columns_spec)
            if any(needle in cell for cell in cells):
                self.move_cursor(row=i)
                return True
        return False

    def export(self, fmt: str, directory: Path) -> Path:
        """Write the rows as `fmt` ('csv' or 'json') to a new file in `directory`."""
        base = f"lambdascope-{self.export_name}"
        path = directory / f"{base}.{fmt}"
        n = 1
        while path.exists():
            path = directory / f"{base}-{n}.{fmt}"
            n += 1
        keys = [c.key for c in self.columns_spec]
        rows = [{k: _plain(r.get(k)) for k in keys} for r in self.rows_data]
        with path.open("x", encoding="utf-8", newline="") as fh:
            if fmt == "json":
                json.dump(rows, fh, indent=2, default=str)
                fh.write("\n")
            else:
                writer = csv.DictWriter(fh, fieldnames=keys)
                writer.writeheader()
                writer.writerows(rows)
        return path
