"""Lambda cost estimates and memory right-sizing from billed duration and max memory used.

Prices are AWS Lambda on-demand list prices for us-east-1 (N. Virginia) as published in
2024, first volume tier. The dashboard shows `ASSUMPTIONS` next to every figure it derives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Price:
    """On-demand price of one architecture."""

    arch: str
    per_gb_second: float
    per_million_requests: float


PRICES: dict[str, Price] = {
    "x86_64": Price("x86_64", 0.0000166667, 0.20),
    "arm64": Price("arm64", 0.0000133334, 0.20),
}
"""Lambda on-demand prices, us-east-1, 2024, first tier (USD)."""

HEADROOM = 1.3
"""Suggested memory is the largest Max Memory Used times this factor."""

STEP_MB = 64
"""Suggested memory is rounded up to a multiple of this."""

MIN_MB, MAX_MB = 128, 10240
"""Memory sizes Lambda accepts."""

ASSUMPTIONS = (
    "Prices: AWS Lambda on-demand, us-east-1, 2024 list prices, first tier: "
    "x86_64 $0.0000166667 and arm64 $0.0000133334 per GB-second, $0.20 per million requests. "
    "Not included: free tier, volume tiers, ephemeral storage, provisioned concurrency, "
    "data transfer. Cost = billed duration x configured memory + requests. "
    "Suggested memory = largest Max Memory Used x 1.3, rounded up to 64 MB, at least 128 MB "
    "(a function that used all its memory: configured x 1.3); "
    "the estimate assumes billed duration stays the same at the new size (CPU share scales "
    "with memory, so CPU-bound code may run longer with less)."
)
"""What every cost figure on screen rests on (shown with the figures)."""


def cost(gb_seconds: float, requests: int, arch: str = "x86_64") -> float:
    """USD for `gb_seconds` of compute and `requests` invocations on `arch`."""
    p = PRICES[arch]
    return gb_seconds * p.per_gb_second + requests * p.per_million_requests / 1_000_000


def suggest_memory(max_used_mb: int | None, configured_mb: int) -> int:
    """The memory size to suggest: 1.3x the largest use in 64 MB steps (as ASSUMPTIONS say).

    A function near its limit is suggested more than it has (500 of 512 MB leaves no
    headroom); one that used all its memory (out of memory, or at the limit) gets 1.3x its
    configured size, since its real need is unknown.
    """
    if max_used_mb is None:
        return configured_mb
    base = configured_mb if max_used_mb >= configured_mb else max_used_mb
    wanted = math.ceil(base * HEADROOM / STEP_MB) * STEP_MB
    return max(MIN_MB, min(wanted, MAX_MB))


@dataclass(frozen=True)
class RightSizing:
    """Cost now and at the suggested memory size, both architectures."""

    invocations: int
    billed_ms: float
    memory_mb: int
    max_used_mb: int | None
    suggested_mb: int
    cost_now: dict[str, float]
    cost_suggested: dict[str, float]

    @property
    def saving_ratio(self) -> float:
        """Share of today's x86 cost the suggested size would save."""
        now = self.cost_now["x86_64"]
        return (now - self.cost_suggested["x86_64"]) / now if now else 0.0


def right_size(
    *,
    invocations: int,
    billed_ms: float,
    gb_seconds: float,
    memory_mb: int,
    max_used_mb: int | None,
) -> RightSizing:
    """Price the invocations as they ran and at the suggested memory size."""
    suggested = suggest_memory(max_used_mb, memory_mb)
    gb_s_suggested = billed_ms / 1000.0 * suggested / 1024.0
    return RightSizing(
        invocations=invocations,
        billed_ms=billed_ms,
        memory_mb=memory_mb,
        max_used_mb=max_used_mb,
        suggested_mb=suggested,
        cost_now={a: cost(gb_seconds, invocations, a) for a in PRICES},
        cost_suggested={a: cost(gb_s_suggested, invocations, a) for a in PRICES},
    )


def right_size_row(row: tuple[Any, ...] | None) -> RightSizing | None:
    """`right_size` from a query's (invocations, billed ms, memory MB, max used MB, GB-seconds)
    row; None when the row counts no invocation."""
    if not row or not row[0]:
        return None
    n, billed_ms, memory_mb, max_used, gb_s = row
    return right_size(
        invocations=int(n),
        billed_ms=float(billed_ms),
        gb_seconds=float(gb_s),
        memory_mb=int(memory_mb),
        max_used_mb=int(max_used) if max_used is not None else None,
    )
