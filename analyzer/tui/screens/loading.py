"""The first screen while logs load in a worker thread: the UI stays responsive."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import duckdb
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.message import Message
from textual.screen import Screen
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from analyzer import views

if TYPE_CHECKING:
    from analyzer.tui.app import LambdascopeApp

Loader = Callable[[duckdb.DuckDBPyConnection], Any]
"""Loads logs into the connection it is given; returns a LoadResult (or anything)."""


@dataclass(frozen=True)
class Meta:
    """What the data screens need to know about the database as a whole."""

    functions: list[str] = field(default_factory=list)
    latest: datetime | None = None
    warnings: list[str] = field(default_factory=list)


class Loaded(Message):
    """The load worker finished (error is a user message when nothing could be read)."""

    def __init__(self, meta: Meta, error: str | None) -> None:
        super().__init__()
        self.meta = meta
        """Functions and time range of what is loaded."""
        self.error = error
        """Why nothing could be loaded, or None."""


class LoadingScreen(Screen[None]):
    """Progress while the loader runs; hands over to the summary when it is done."""

    def __init__(self, loader: Loader | None, what: str, total_bytes: int | None = None) -> None:
        super().__init__()
        self.total_bytes = total_bytes
        """Size of all input files (None: unknown, the bar just shows activity)."""
        self.loader = loader
        """What loads the logs (None: the database is already filled)."""
        self.what = what
        """What is being loaded, for the user."""
        self.leaving = False
        """Whether the user quit (the status line then keeps saying so)."""

    def compose(self) -> ComposeResult:
        """A title, a progress bar and a status line."""
        with Middle(), Center():
            yield Static(Text(f"lambdascope · loading {self.what}"), id="loading-title")
            yield ProgressBar(total=self.total_bytes, show_eta=False, id="loading-bar")
            yield Static(Text("starting"), id="loading-status")
        yield Static(Text(" q  quit"), id="keys")

    def on_mount(self) -> None:
        """Start loading; poll the files table for progress."""
        self.set_interval(0.25, self._poll)
        self.load(self._lsapp().con.cursor())

    def _poll(self) -> None:
        """Show how many files and lines are in so far (counted by a worker)."""
        self._count(self._lsapp().con.cursor())

    @work(thread=True, exclusive=True, group="progress")
    def _count(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Count loaded files and lines on a separate cursor (made on the UI thread)."""
        try:
            row = cur.execute(
                "SELECT count(*), coalesce(sum(lines), 0), coalesce(sum(size), 0) FROM files"
            ).fetchone()
        except duckdb.Error:
            return
        finally:
            cur.close()
        if row and not get_current_worker().is_cancelled:
            status = Text(f"{row[0]:,} files, {row[1]:,} lines read")
            self.app.call_from_thread(self._status, status, int(row[2]))

    def _status(self, status: Text, done_bytes: int) -> None:
        """Update the status line and the bar (UI thread)."""
        if not self.is_current or self.leaving:
            return
        self.query_one("#loading-status", Static).update(status)
        if self.total_bytes:
            self.query_one(ProgressBar).update(progress=min(done_bytes, self.total_bytes))

    def quitting(self) -> None:
        """Say why quitting waits: the loader finishes its work so the cache stays whole."""
        self.leaving = True
        self.query_one("#loading-status", Static).update(
            Text("quitting: finishing the load in progress (the cache stays consistent)…")
        )

    def _lsapp(self) -> LambdascopeApp:
        """The app, typed."""
        from analyzer.tui.app import LambdascopeApp

        assert isinstance(self.app, LambdascopeApp)
        return self.app

    @work(thread=True, exclusive=True, group="load")
    def load(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Run the loader, then read the function list and time range."""
        error: str | None = None
        warnings: list[str] = []
        try:
            if self.loader is not None:
                result = self.loader(cur)
                warnings = list(getattr(result, "warnings", []) or [])
            meta = Meta(views.functions(cur), views.time_bounds(cur)[1], warnings)
        except Exception as exc:  # the loader's user-facing error (LoadError) or a DB error
            error, meta = str(exc) or type(exc).__name__, Meta()
        finally:
            cur.close()
        self.post_message(Loaded(meta, error))
