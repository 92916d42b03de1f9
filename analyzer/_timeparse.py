"""Parse the CLI's time arguments: relative (`30m`, `2h`, `7d`) or ISO-8601."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_RELATIVE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TimeArgError(ValueError):
    """A --since/--until value that is neither relative nor ISO-8601."""


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """Return the UTC instant `text` names: '2h' means two hours before `now`."""
    now = now or datetime.now(UTC)
    m = _RELATIVE.match(text)
    if m:
        return now - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TimeArgError(
            f"cannot read time {text!r}: use a duration like 30m, 2h, 7d "
            "or an ISO-8601 time like 2026-11-24T08:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
