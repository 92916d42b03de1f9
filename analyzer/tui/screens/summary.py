"""The first screen: one row per function, totals, and what was read."""

from __future__ import annotations

from typing import Any

import duckdb
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from analyzer import views
from analyzer.filters import Filters
from analyzer.tui import format as fmt
from analyzer.tui.format import Column
from analyzer.tui.screens.base import DataScreen
from analyzer.tui.table import DataView

COLUMNS = (
    Column("function", "function"),
    Column("invocations", "invocations", fmt.count, True),
    Column("errors", "errors", fmt.count, True),
    Column("error_rate", "err %", fmt.ratio, True),
    Column("timeouts", "timeouts", fmt.count, True),
    Column("oom", "OOM", fmt.count, True),
    Column("init_failures", "init fail", fmt.count, True),
    Column("cold_ratio", "cold %", fmt.ratio, True),
    Column("warm_p50", "warm p50", fmt.ms, True),
    Column("cold_p50", "cold p50", fmt.ms, True),
    Column("warm_p90", "warm p90", fmt.ms, True),
    Column("cold_p90", "cold p90", fmt.ms, True),
    Column("warm_p99", "warm p99", fmt.ms, True),
    Column("cold_p99", "cold p99", fmt.ms, True),
    Column("warm_max", "warm max", fmt.ms, True),
    Column("cold_max", "cold max", fmt.ms, True),
    Column("init_p50", "init p50", fmt.ms, True),
    Column("init_p99", "init p99", fmt.ms, True),
    Column("max_memory_mb", "mem used", fmt.mb, True),
    Column("memory_mb", "mem set", fmt.mb, True),
    Column("cost_usd", "cost x86", fmt.usd, True),
)
"""Summary columns: warm and cold durations side by side."""


def totals_line(t: dict[str, Any]) -> Text:
    """The status line under the table."""
    return Text(
        f"{fmt.count(t['invocations'])} invocations · {fmt.count(t['errors'])} errors · "
        f"{fmt.count(t['timeouts'])} timeouts · {fmt.count(t['cold_starts'])} cold starts · "
        f"read {fmt.count(t['files'])} files, {fmt.count(t['lines'])} lines, "
        f"{fmt.count(t['rejected'])} rejected · durations in ms · "
        "cost: on-demand us-east-1 (p: prices)" + _untimed(t) + _aggregated(t)
    )


def _aggregated(t: dict[str, Any]) -> str:
    """The note of an aggregated --insights load: estimated percentiles, no single calls."""
    if not t.get("aggregated"):
        return ""
    return " · aggregated by Logs Insights: percentiles estimated (±4.5 %), failed invocations only"


def _untimed(t: dict[str, Any]) -> str:
    """What the time filter left out for lack of a time (empty when nothing)."""
    n = t.get("untimed") or 0
    return (
        f" · {fmt.count(n)} invocations without a time are left out by the time filter" if n else ""
    )


def empty_line(t: dict[str, Any]) -> Text:
    """The status line when nothing matches: with the data's time range to choose from."""
    out = "no invocations match the filters"
    if t.get("first") is not None:
        out += f" · data from {fmt.when(t['first'])} to {fmt.when(t['last'])} UTC"
    return Text(out + _untimed(t))


class SummaryScreen(DataScreen):
    """Every function at a glance; Enter opens one."""

    AUTO_FOCUS = "#functions"

    BACK = False

    def compose_body(self) -> ComposeResult:
        """The functions table and the totals line."""
        yield DataView("functions", COLUMNS, id="functions", fixed_columns=1)
        yield Static("", id="totals")

    def fetch(self, con: duckdb.DuckDBPyConnection, filters: Filters) -> Any:
        """Per-function rows and totals."""
        return views.function_summary(con, filters), views.totals(con, filters)

    def show(self, data: Any) -> None:
        """Fill the table and the totals line."""
        rows, totals = data
        self.query_one("#functions", DataView).set_data(rows)
        self.query_one("#totals", Static).update(totals_line(totals))
        if not rows:
            self.query_one("#totals", Static).update(empty_line(totals))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or click) on a function opens its screen."""
        table = event.data_table
        if not isinstance(table, DataView):
            return
        row = table.selected()
        if row is not None:
            self.lsapp.open_function(str(row["function"]))
