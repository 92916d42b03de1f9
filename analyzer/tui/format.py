"""Turn query values into display text; log text always literal, never markup or escapes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.text import Text

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
"""Control characters (tab excepted) that must never reach the terminal."""

MISSING = "–"
"""Shown for values that are not known."""


def literal(value: object, *, wrap: bool = False) -> Text:
    """`value` as plain text: markup stays text, control characters become `\\xNN`."""
    text = "" if value is None else str(value)
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text.replace("\t", "  "))
    return Text(text, no_wrap=not wrap)


def count(value: Any) -> str:
    """An integer with thousands separators."""
    return MISSING if value is None else f"{int(value):,}"


def ms(value: Any) -> str:
    """A duration in milliseconds, one decimal."""
    return MISSING if value is None else f"{float(value):,.1f}"


def ratio(value: Any) -> str:
    """A ratio as a percentage, two decimals."""
    return MISSING if value is None else f"{100 * float(value):.2f}%"


def mb(value: Any) -> str:
    """Megabytes as an integer."""
    return MISSING if value is None else f"{int(value):,}"


def usd(value: Any) -> str:
    """A (usually tiny) amount of US dollars."""
    if value is None:
        return MISSING
    v = float(value)
    return f"${v:,.2f}" if v >= 100 else f"${v:.4f}"


def when(value: Any) -> str:
    """A timestamp to the second, UTC."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return MISSING if value is None else str(value)


def flag(value: Any) -> str:
    """A boolean as yes/no."""
    return MISSING if value is None else ("yes" if value else "no")


def text(value: Any) -> str:
    """Anything as a string (rendered literally by the table)."""
    return MISSING if value is None else str(value)


PATTERN_WIDTH = 60
"""Longest error pattern shown in a table cell (the example invocation has the full text)."""


def clipped(value: Any) -> str:
    """Text cut to `PATTERN_WIDTH` characters with an ellipsis, so later columns stay visible."""
    s = text(value)
    return s if len(s) <= PATTERN_WIDTH else s[: PATTERN_WIDTH - 1] + "…"


@dataclass(frozen=True)
class Column:
    """One table column: the row key it shows, its label, how to format, alignment."""

    key: str
    label: str
    fmt: Callable[[Any], str] = text
    numeric: bool = False

    def cell(self, row: dict[str, Any]) -> Text:
        """The literal, aligned cell text of this column for `row`."""
        t = literal(self.fmt(row.get(self.key)))
        if self.numeric:
            t.justify = "right"
        return t
