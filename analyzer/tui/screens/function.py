"""One function: time series, duration histogram, cost, error groups, slowest invocations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, ClassVar

import duckdb
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Sparkline, Static, TabbedContent, TabPane

from analyzer import pricing, views
from analyzer.filters import Filters
from analyzer.tui import format as fmt
from analyzer.tui.filterbar import FilterBar
from analyzer.tui.format import Column, literal
from analyzer.tui.screens.base import DataScreen
from analyzer.tui.table import DataView

SERIES = (
    ("invocations", "invocations"),
    ("errors", "errors"),
    ("cold_starts", "cold starts"),
    ("p99", "p99 ms"),
)
"""Time series shown: row key and label."""

SLOWEST = (
    Column("request_id", "request id"),
    Column("start_ts", "start (UTC)", fmt.when),
    Column("duration_ms", "duration", fmt.ms, True),
    Column("billed_ms", "billed", fmt.ms, True),
    Column("cold_start", "cold", fmt.flag),
    Column("init_ms", "init", fmt.ms, True),
    Column("outcome", "outcome"),
    Column("error_type", "error"),
    Column("max_memory_mb", "mem used", fmt.mb, True),
    Column("version", "version"),
)
"""Columns of the slowest-invocations table."""

GROUPS = (
    Column("count", "count", fmt.count, True),
    Column("error_type", "type"),
    Column("pattern", "message pattern", fmt.clipped),
    Column("first_seen", "first seen", fmt.when),
    Column("last_seen", "last seen", fmt.when),
    Column("example", "example id"),
)
"""Columns of the error-groups table."""

BAR = 12
"""Width of the longest histogram bar, in cells (label 16 + bar + counts fit the 40-cell panel)."""


@dataclass(frozen=True)
class Detail:
    """Everything the function screen shows, from one worker run."""

    series: views.Series
    histogram: list[dict[str, Any]]
    groups: list[dict[str, Any]] | None
    """None when the error-groups tab was hidden: queried when it is shown."""
    slowest: list[dict[str, Any]]
    sizing: pricing.RightSizing | None
    note: str | None = None
    """Why there are no single invocations (an aggregated --insights load), else None."""


def bucket_label(seconds: int) -> str:
    """A bucket size as people say it: 30s, 5m, 1h, 1d."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def series_title(function: str, series: views.Series) -> Text:
    """The band's title: the function and the time span its series cover (UTC)."""
    title = f"function {function}"
    if series.rows:
        first = series.rows[0]["bucket"]
        last = series.rows[-1]["bucket"] + timedelta(seconds=series.bucket_seconds)
        end = last.strftime("%H:%M" if last.date() == first.date() else "%m-%d %H:%M")
        title += f" · {first:%m-%d %H:%M}→{end} UTC"
    return literal(title)


def short_count(n: int) -> str:
    """A count in at most 4 characters: 9999, 12k, 208k, 1.2M."""
    if n < 10_000:
        return str(n)
    if n < 999_500:
        return f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M" if n < 9_950_000 else f"{n / 1_000_000:.0f}M"


def _edge(value: float) -> str:
    """A bin edge in ms: one decimal below 10 ms, else whole ms with thousands separators."""
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def histogram_text(bins: list[dict[str, Any]]) -> Text:
    """Horizontal bars per duration bin: warm then cold, with counts; the last row > p99."""
    out = Text("duration ms      warm █  cold █\n", no_wrap=True, overflow="ellipsis")
    out.stylize("green", 22, 23)
    out.stylize("magenta", 30, 31)
    top = max((b["warm"] + b["cold"] for b in bins), default=0) or 1
    for b in bins:
        w = max(round(BAR * b["warm"] / top), 1 if b["warm"] else 0)
        c = max(round(BAR * b["cold"] / top), 1 if b["cold"] else 0)
        if b.get("overflow"):
            out.append(f"{'> p99 ' + _edge(b['lo_ms']):<15} ")
        else:
            out.append(f"{_edge(b['lo_ms']):>7}–{_edge(b['hi_ms']):<7} ")
        out.append("█" * w, style="green")
        out.append("█" * c, style="magenta")
        out.append(f" {short_count(b['warm'])}/{short_count(b['cold'])}\n")
    return out


def _at_limit(s: pricing.RightSizing) -> bool:
    """Whether the function used all its configured memory."""
    return s.max_used_mb is not None and s.max_used_mb >= s.memory_mb


def sizing_text(s: pricing.RightSizing | None) -> Text:
    """Memory right-sizing and cost, with the assumption it rests on."""
    if s is None:
        return Text("cost: no REPORT lines with billed duration and memory")
    lines = [
        "memory and cost (this selection)",
        f"configured {s.memory_mb:,} MB · max used {fmt.mb(s.max_used_mb)} MB",
        f"suggested {s.suggested_mb:,} MB ({pricing.HEADROOM:.1f}x "
        f"{'configured' if _at_limit(s) else 'max used'}, 64 MB steps)",
        f"{s.invocations:,} invocations · billed {s.billed_ms / 1000:,.1f} s",
    ]
    for arch in pricing.PRICES:
        now, then = s.cost_now[arch], s.cost_suggested[arch]
        lines.append(f"{arch:<7} now {fmt.usd(now)} → {fmt.usd(then)} at suggested")
    if s.saving_ratio >= 0:
        lines.append(f"saving {100 * s.saving_ratio:.0f}% if duration stays the same")
    else:
        why = "it used all its memory" if _at_limit(s) else "too little headroom now"
        lines.append(f"costs {-100 * s.saving_ratio:.0f}% more: {why}")
    lines.append("us-east-1 on-demand 2024 prices · p: price table")
    return Text("\n".join(lines))


class FunctionScreen(DataScreen):
    """The detail of one function under the app's filters."""

    AUTO_FOCUS = "#slowest"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "toggle_tab", "Errors/Slowest"),
        Binding("m", "sizing", "Cost"),
    ]

    NARROW = 130
    """Below this many columns the cost panel leaves the band (key m shows it)."""

    SHORT = 32
    """Below this many rows the sparklines are one line high."""

    def __init__(self, function: str) -> None:
        super().__init__()
        self.function = function
        """The function shown."""
        self.want_groups = False
        """Whether the next query includes the error groups (their tab is active)."""
        self.groups_only = False
        """Whether the next query is the error groups alone (the rest is on screen)."""
        self.groups_loaded = False
        """Whether the error-groups table holds the groups of the results on screen."""
        self.sizing: pricing.RightSizing | None = None
        """The right-sizing on screen (for key m)."""

    def compose_body(self) -> ComposeResult:
        """Charts on top, tables below."""
        with Horizontal(id="charts"):
            with Vertical(id="series"):
                yield Label(literal(f"function {self.function}"), id="series-title")
                for key, _ in SERIES:
                    yield Label("", id=f"label-{key}", classes="series-label")
                    yield Sparkline([], id=f"spark-{key}")
            yield Static("", id="histogram")
            yield Static("", id="sizing")
        with TabbedContent(id="tabs"):
            with TabPane("Slowest invocations", id="tab-slowest"):
                yield Static("", id="slowest-note")
                yield DataView("slowest", SLOWEST, id="slowest", fixed_columns=1)
            with TabPane("Error groups", id="tab-groups"):
                yield DataView("error-groups", GROUPS, id="groups")

    def _filters_changed(self, filters: Filters) -> None:
        """A function chosen in the filter bar replaces the one shown; other filters apply."""
        if filters.function and filters.function != self.function:
            self.query_one(FilterBar).show(filters)
            self.select(filters.function)
            return
        super()._filters_changed(filters)

    def select(self, function: str) -> None:
        """Show another function (the screen is kept and reused: building it costs more)."""
        if function == self.function:
            return
        self.function = function
        self.shown = None
        self.query_one("#series-title", Label).update(literal(f"function {function}"))
        for table in self.query(DataView):  # no stale rows (and no painting them) meanwhile
            table.set_data([])
        self.reload()

    def reload(self, groups_only: bool = False) -> None:
        """Query again; the error groups only when their tab is shown (a select is faster)."""
        self.want_groups = self._groups_tab()
        self.groups_only = groups_only
        super().reload()

    def fetch(self, con: duckdb.DuckDBPyConnection, filters: Filters) -> Any:
        """Series, histogram, slowest, sizing and (tab shown) groups for this function."""
        f = filters.replace(function=self.function)
        if self.groups_only:  # the rest is on screen already
            return self.function, views.error_groups(con, f, limit=50)
        groups = views.error_groups(con, f, limit=50) if self.want_groups else None
        return self.function, Detail(
            series=views.timeseries(con, f),
            histogram=views.histogram(con, f),
            groups=groups,
            slowest=views.slowest(con, f, limit=50),
            sizing=views.right_sizing(con, f),
            note=views.drilldown_note(con),
        )

    def show(self, data: Any) -> None:
        """Fill charts and tables (unless they are for a function no longer shown)."""
        function, data = data
        if function != self.function:
            return
        if isinstance(data, list):  # the error groups alone
            self.query_one("#groups", DataView).set_data(data)
            self.groups_loaded = True
            return
        rows = data.series.rows
        unit = bucket_label(data.series.bucket_seconds)
        self.query_one("#series-title", Label).update(series_title(function, data.series))
        for key, label in SERIES:
            values = [float(r[key] or 0) for r in rows]
            peak = max(values, default=0.0)
            text = f"{label}/{unit} max {peak:,.0f}" if values else f"{label}: no timestamps"
            self.query_one(f"#label-{key}", Label).update(Text(text))
            self.query_one(f"#spark-{key}", Sparkline).data = values
        self.query_one("#histogram", Static).update(histogram_text(data.histogram))
        self.sizing = data.sizing
        self.query_one("#sizing", Static).update(sizing_text(data.sizing))
        self.query_one("#slowest", DataView).set_data(data.slowest)
        note = self.query_one("#slowest-note", Static)
        note.update(Text(data.note or ""))
        note.display = data.note is not None
        self.query_one("#slowest", DataView).display = data.note is None  # no empty table
        self.query_one("#groups", DataView).set_data(data.groups or [])
        self.groups_loaded = data.groups is not None
        if not self.groups_loaded and self._groups_tab():  # the tab opened meanwhile
            self.reload()

    def on_resize(self, event: events.Resize) -> None:
        """Fit the band to the terminal: no cost panel when narrow, flat sparklines when short."""
        self.set_class(event.size.width < self.NARROW, "-narrow")
        self.set_class(event.size.height < self.SHORT, "-short")

    def action_sizing(self) -> None:
        """Show memory right-sizing and cost in a window (the panel is hidden when narrow)."""
        from analyzer.tui.screens.help import TextModal

        self.app.push_screen(TextModal(sizing_text(self.sizing)))

    def _groups_tab(self) -> bool:
        """Whether the error-groups tab is the active one."""
        return self.query_one("#tabs", TabbedContent).active == "tab-groups"

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """The error-groups tab shown without its groups: query them (unless a query runs)."""
        idle = self.shown == self.lsapp.filters
        if event.pane.id == "tab-groups" and not self.groups_loaded and idle:
            self.shown = None
            self.reload(groups_only=True)

    def action_toggle_tab(self) -> None:
        """Switch between the slowest-invocations and error-groups tables."""
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = "tab-groups" if tabs.active == "tab-slowest" else "tab-slowest"
        self.query_one("#groups" if tabs.active == "tab-groups" else "#slowest").focus()

    def current(self, data: Any) -> bool:
        """Whether `data` is complete for the function and tab shown now."""
        function, detail = data
        if isinstance(detail, list):
            return bool(function == self.function)
        return bool(function == self.function) and (
            detail.groups is not None or not self._groups_tab()
        )

    def current_table(self) -> DataView | None:
        """The focused table, else the one in the active tab."""
        if isinstance(self.focused, DataView):
            return self.focused
        active = self.query_one("#tabs", TabbedContent).active
        return self.query_one("#slowest" if active == "tab-slowest" else "#groups", DataView)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on an invocation (or a group's example) opens its log lines."""
        table = event.data_table
        if not isinstance(table, DataView):
            return
        row = table.selected()
        key = "request_id" if table.id == "slowest" else "example"
        if row is not None and row.get(key):
            from analyzer.tui.screens.invocation import InvocationScreen

            self.app.push_screen(InvocationScreen(str(row[key])))
