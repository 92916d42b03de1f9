"""Recorded-shape Logs Insights data for the aggregated `analyze --insights` tests."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from typing import Any

import duckdb
from _aws_insights_fake import FakeInsights, report_row

from analyzer.aws._client import AwsTarget, make_client
from analyzer.aws.insights import load_insights

T0_MS = 1_755_261_840_000  # 2025-08-15 12:44:00 UTC
GROUPS = ["/aws/lambda/orders", "/aws/lambda/billing"]


def rows(durations: list[float], step_ms: int = 1000) -> list[dict[str, Any]]:
    """REPORT rows, one per duration: every 10th errors (Status), every 10th +3 times out,
    every 25th is cold; functions alternate."""
    rows: list[dict[str, Any]] = []
    for i, d in enumerate(durations):
        status = "timeout" if i % 10 == 3 else "error" if i % 10 == 7 else None
        ms = T0_MS + i * step_ms
        row = report_row(
            ms, f"req-{i}", "orders" if i % 2 else "billing", duration=d,
            init=150.0 + i % 50 if i % 25 == 0 else None, status=status,
        )  # fmt: skip
        rows.append({**row, "_ms": ms})
    return rows


def load(fake: FakeInsights, con: duckdb.DuckDBPyConnection, **kw: Any) -> int:
    """Aggregated load (unless aggregate=False) of GROUPS over two hours from T0_MS through
    `fake`."""
    client = make_client("logs", AwsTarget(region="us-east-1", endpoint_url=fake.endpoint))
    return load_insights(
        con, GROUPS, since=datetime.fromtimestamp(T0_MS / 1000, UTC),
        until=datetime.fromtimestamp(T0_MS / 1000 + 7200, UTC),
        client=client, sleep=lambda s: None, **{"aggregate": True, **kw},
    )  # fmt: skip


def stats_served(fake: FakeInsights) -> list[dict[str, Any]]:
    """The rows the service returned for the stats-by-bin queries."""
    return [
        r for q, rows in fake.served if "by @log, bin(" in q and "cold, bucket" in q for r in rows
    ]


def quantile_cont(values: list[float], q: float) -> float:
    """DuckDB's quantile_cont: linear interpolation between order statistics."""
    s = sorted(values)
    h = (len(s) - 1) * q
    k = math.floor(h)
    return s[k] + (h - k) * (s[min(k + 1, len(s) - 1)] - s[k])


def lognormal(n: int, seed: int = 11) -> list[float]:
    """Durations with a long right tail (median ~120 ms), two decimals as REPORT gives them."""
    rng = random.Random(seed)
    return [round(math.exp(rng.gauss(math.log(120), 0.8)), 2) for _ in range(n)]
