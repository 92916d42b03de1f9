"""The `?` screen: every key, and the price table with its assumptions."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from analyzer import pricing

KEYS = (
    ("q", "quit (restores the terminal)"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("enter / click", "open the selected function or invocation"),
    ("escape", "back to the previous screen (or close search)"),
    ("/", "search the current table; n: next match"),
    ("s / S", "sort by the next column / reverse; click a header to sort by it"),
    ("e", "function screen: slowest invocations / error groups"),
    ("c / j", "export the current table to CSV / JSON in the working directory"),
    ("f", "filter bar: function, since, until, outcome, cold/warm, version"),
    ("tab", "move between filter bar, tables and tabs"),
    ("p", "price table and cost assumptions"),
    ("m", "function screen: memory right-sizing and cost"),
    ("escape", "in the filter bar: back to the table (Enter applies a typed filter)"),
)
"""Keys the help screen lists."""

TIME_NOTE = (
    "Filter times: ISO-8601 (2026-11-24T08:00:00Z) or relative (30m, 2h, 7d) counted back "
    "from the newest invocation loaded. Press Enter in a text filter to apply it."
)
"""How the time filters read what is typed."""


def help_text() -> Text:
    """The keys as aligned lines."""
    out = Text("lambdascope dashboard keys\n\n", style="bold")
    for key, what in KEYS:
        out.append(f"  {key:<15}", style="bold")
        out.append(f"{what}\n")
    out.append(f"\n{TIME_NOTE}\n")
    return out


def prices_text() -> Text:
    """The price table and every assumption behind the cost figures."""
    out = Text("Lambda price table (USD)\n\n", style="bold")
    out.append(f"  {'arch':<8}{'per GB-second':>16}{'per 1M requests':>18}\n")
    for p in pricing.PRICES.values():
        out.append(f"  {p.arch:<8}{p.per_gb_second:>16.10f}{p.per_million_requests:>18.2f}\n")
    out.append(f"\n{pricing.ASSUMPTIONS}\n")
    return out


class TextModal(ModalScreen[None]):
    """A closable panel of text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("question_mark", "close", "Close", show=False),
    ]

    def __init__(self, body: Text) -> None:
        super().__init__()
        self.body = body
        """What the panel shows."""

    def compose(self) -> ComposeResult:
        """The text in a scrollable panel."""
        with VerticalScroll(id="modal"):
            yield Static(self.body)

    def action_close(self) -> None:
        """Close the panel."""
        self.dismiss(None)
