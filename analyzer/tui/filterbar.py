"""The filter bar: function, time range, outcome, cold/warm, version; applies everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from analyzer._timeparse import TimeArgError, parse_when
from analyzer.filters import OUTCOMES, Filters
from analyzer.tui.format import literal

_COLD = (("cold starts", True), ("warm only", False))


def _iso(value: datetime | None) -> str:
    """A filter time as the bar shows it."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class FilterBar(Horizontal):
    """Inputs for every filter; posts `FilterBar.Changed` with the new `Filters`."""

    class Changed(Message):
        """The user changed a filter."""

        def __init__(self, filters: Filters) -> None:
            super().__init__()
            self.filters = filters
            """The filters now asked for."""

    class Done(Message):
        """Enter in a text filter: the user is done typing (focus goes back to the table)."""

    def __init__(self, filters: Filters, functions: list[str], latest: datetime | None) -> None:
        super().__init__(id="filterbar")
        self.filters = filters
        """The filters this bar shows."""
        self.functions = functions
        """Function names offered."""
        self.latest = latest
        """Relative times ('2h') count back from this (the newest invocation), not from now."""

    def compose(self) -> ComposeResult:
        """One compact control per filter."""
        f = self.filters
        fn_options = [(literal(name), name) for name in self.functions]
        if f.function and f.function not in self.functions:
            fn_options.append((literal(f.function), f.function))
        yield Select(
            fn_options, prompt="all functions", value=f.function or Select.NULL,
            id="f-function", compact=True,
        )  # fmt: skip
        yield Input(_iso(f.since), placeholder="since (2h, ISO)", id="f-since", compact=True)
        yield Input(_iso(f.until), placeholder="until", id="f-until", compact=True)
        yield Select(
            [(o, o) for o in OUTCOMES], prompt="any outcome",
            value=f.outcome or Select.NULL, id="f-outcome", compact=True,
        )  # fmt: skip
        cold = Select.NULL if f.cold is None else f.cold
        yield Select(_COLD, prompt="cold+warm", value=cold, id="f-cold", compact=True)
        yield Input(f.version or "", placeholder="version", id="f-version", compact=True)

    def _time(self, widget_id: str) -> datetime | None:
        """Parse a time input; raises TimeArgError with a user message."""
        raw = self.query_one(widget_id, Input).value.strip()
        if not raw:
            return None
        now = self.latest.replace(tzinfo=UTC) if self.latest else None
        return parse_when(raw, now=now)

    def read(self) -> Filters:
        """The filters the controls say now (raises TimeArgError on a bad time)."""

        def sel(widget_id: str) -> object:
            value = self.query_one(widget_id, Select).value
            return None if value is Select.NULL else value

        version = self.query_one("#f-version", Input).value.strip() or None
        fn, outcome, cold = sel("#f-function"), sel("#f-outcome"), sel("#f-cold")
        return Filters(
            function=str(fn) if fn is not None else None,
            since=self._time("#f-since"),
            until=self._time("#f-until"),
            outcome=str(outcome) if outcome is not None else None,
            cold=bool(cold) if cold is not None else None,
            version=version,
        )

    def _changed(self) -> None:
        """Post the new filters when they differ from the current ones."""
        try:
            filters = self.read()
        except TimeArgError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if filters != self.filters:
            self.filters = filters
            self.post_message(self.Changed(filters))

    def on_select_changed(self, event: Select.Changed) -> None:
        """A choice changed: apply at once."""
        event.stop()
        self._changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a text filter applies it and hands the keys back to the table."""
        event.stop()
        self._changed()
        self.post_message(self.Done())

    def show(self, filters: Filters) -> None:
        """Make the controls show `filters` (set elsewhere) without posting a change."""
        if filters == self.filters:
            return
        self.filters = filters
        with self.prevent(Select.Changed):
            self.query_one("#f-function", Select).value = filters.function or Select.NULL
            self.query_one("#f-outcome", Select).value = filters.outcome or Select.NULL
            cold = Select.NULL if filters.cold is None else filters.cold
            self.query_one("#f-cold", Select).value = cold
        self.query_one("#f-since", Input).value = _iso(filters.since)
        self.query_one("#f-until", Input).value = _iso(filters.until)
        self.query_one("#f-version", Input).value = filters.version or ""
