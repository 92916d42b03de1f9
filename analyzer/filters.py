"""Filters applied everywhere (CLI options, dashboard filter bar) as SQL over invocations."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from analyzer._timeparse import parse_when

OUTCOMES = ("success", "error", "timeout")
"""Values of `invocations.outcome` a filter may ask for."""


@dataclass(frozen=True)
class Filters:
    """Which invocations an answer covers; every field None means no restriction."""

    function: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None
    cold: bool | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is not None and self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {self.outcome!r}")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Filters:
        """Build from the common CLI options (`--function`, `--since`, `--until`).

        Raises `analyzer._timeparse.TimeArgError` with a user-facing message on a bad time.
        """
        since = getattr(args, "since", None)
        until = getattr(args, "until", None)
        return cls(
            function=getattr(args, "function", None),
            since=parse_when(since) if since else None,
            until=parse_when(until) if until else None,
        )

    def where(self, ts_column: str = "start_ts", prefix: str = "") -> tuple[str, list[object]]:
        """A SQL boolean expression over invocations' columns and its `?` parameters.

        `prefix` is a table alias with its dot (e.g. "i."); the result is "TRUE" when empty.
        Times compare as naive UTC, as DuckDB stores them in the TIMESTAMP columns.
        """
        clauses: list[str] = []
        params: list[object] = []
        if self.function is not None:
            clauses.append(f"{prefix}function = ?")
            params.append(self.function)
        if self.since is not None:
            clauses.append(f"{prefix}{ts_column} >= ?")
            params.append(_naive_utc(self.since))
        if self.until is not None:
            clauses.append(f"{prefix}{ts_column} < ?")
            params.append(_naive_utc(self.until))
        if self.outcome is not None:
            clauses.append(f"{prefix}outcome = ?")
            params.append(self.outcome)
        if self.cold is not None:
            clauses.append(f"coalesce({prefix}cold_start, false) = ?")
            params.append(self.cold)
        if self.version is not None:
            clauses.append(f"{prefix}version = ?")
            params.append(self.version)
        return (" AND ".join(clauses) if clauses else "TRUE"), params

    def init_failures_where(self) -> tuple[str, list[object]] | None:
        """The filter over table `init_failures` (time column `ts`); None: it excludes them all.

        An init failure is a failed cold start of no known version: it counts under outcome
        'error' and under cold starts, not under another outcome, warm only or a version.
        The report and the dashboard both count by this rule."""
        if self.outcome not in (None, "error") or self.cold is False or self.version is not None:
            return None
        return Filters(function=self.function, since=self.since, until=self.until).where("ts")

    def replace(self, **changes: object) -> Filters:
        """A copy with some fields changed (dataclasses.replace, typed for callers)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _naive_utc(value: datetime) -> datetime:
    """`value` as a naive datetime in UTC (DuckDB TIMESTAMP semantics)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
