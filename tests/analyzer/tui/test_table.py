"""DataView exports and the cell formats of the function screen's tables."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer.tui.format import PATTERN_WIDTH
from analyzer.tui.screens.function import GROUPS
from analyzer.tui.table import _plain


def test_export_values_have_no_float_noise() -> None:
    """Exported floats keep 3 decimals from 1 up and 6 significant digits below 1."""
    assert (_plain(86.39400000000002), _plain(0.0015230690328000061)) == (86.394, 0.00152307)


def test_long_error_patterns_are_clipped_in_the_table() -> None:
    """A 200-character message pattern is cut to the pattern width with an ellipsis."""
    pattern_column = next(c for c in GROUPS if c.key == "pattern")
    cell = pattern_column.cell({"pattern": "x" * 200}).plain
    assert len(cell) == PATTERN_WIDTH and cell.endswith("…")


def test_export_writes_the_full_pattern(tmp_path: Path) -> None:
    """The exported JSON keeps a long pattern whole (only the cell is clipped)."""
    from analyzer.tui.table import DataView

    view = DataView("error-groups", GROUPS)
    view.rows_data = [{"pattern": "y" * 200, "count": 1}]
    path = view.export("json", tmp_path)
    assert json.loads(path.read_text())[0]["pattern"] == "y" * 200


def test_series_title_names_the_time_span() -> None:
    """The series title gives the first bucket's start and the last bucket's end."""
    from datetime import datetime

    from analyzer import views
    from analyzer.tui.screens.function import series_title

    rows = [{"bucket": datetime(2026, 11, 24, 8, 0)}, {"bucket": datetime(2026, 11, 24, 8, 30)}]
    title = series_title("orders", views.Series(bucket_seconds=600, rows=rows)).plain
    assert title == "function orders · 11-24 08:00→08:40 UTC"
