"""Fixed, seeded dashboard data written with plain SQL inserts into the real schema."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import duckdb
import pytest

from analyzer.store import open_db

BASE = datetime(2026, 11, 24, 8, 0, 0)
"""Start of the fixture's time range (naive UTC, as stored)."""

INJECTION_ID = "inj-0001"
"""Request id of the invocation whose log lines carry markup and escape sequences."""

INJECTION_LINES = (
    "[bold red]x[/]",
    "[link=http://x]click[/link]",
    "\x1b[31mred\x1b[0m",
)
"""Log text that must show literally."""


def _invocation(rng: random.Random, function: str, i: int, memory: int) -> tuple[object, ...]:
    """One invocations row with seeded values."""
    cold = i % 10 == 0
    duration = round(rng.uniform(20, 400) + (600 if cold else 0), 2)
    roll = rng.random()
    outcome, etype, emsg = "success", None, None
    if roll < 0.05:
        outcome, etype = "error", "ValueError"
        emsg = f"bad order id {rng.randint(1, 999)} for user 0x{rng.randint(0, 2**32):08x}"
    elif roll < 0.07:
        outcome, etype, emsg = "timeout", None, None
        duration = 3000.0
    elif roll < 0.08:
        outcome, etype, emsg = "error", "Runtime.OutOfMemory", "Runtime exited with error"
    start = BASE + timedelta(seconds=i * 7 + rng.randint(0, 5))
    return (
        function, "$LATEST", f"{function[:3]}-{i:04d}", f"env-{i % 4}", start,
        start + timedelta(milliseconds=duration), cold, 250.0 + i % 7 if cold else None,
        None, duration, float(int(duration) + 1), memory, int(memory * rng.uniform(0.2, 0.4)),
        outcome, etype, emsg, 3000.0, None, None, None, None, "report",
    )  # fmt: skip


def fill(con: duckdb.DuckDBPyConnection) -> None:
    """Insert three functions' invocations, their lines and one markup-injection invocation."""
    rng = random.Random(7)
    rows = [_invocation(rng, "orders", i, 512) for i in range(300)]
    rows += [_invocation(rng, "billing", i, 1024) for i in range(120)]
    con.executemany(f"INSERT INTO invocations VALUES ({', '.join('?' * 22)})", rows)
    start = BASE + timedelta(minutes=5)
    con.execute(
        "INSERT INTO invocations (function, version, request_id, start_ts, end_ts, cold_start, "
        "duration_ms, billed_ms, memory_mb, max_memory_mb, outcome, error_type, error_message) "
        "VALUES ('orders', '$LATEST', ?, ?, ?, false, 12.5, 13, 512, 90, 'error', "
        "'KeyError', '[bold red]x[/] \x1b[31mboom')",
        [INJECTION_ID, start, start],
    )
    con.execute(
        "INSERT INTO files VALUES (1, 'fixture.log', 100, 0, 'fp', 's3-export', 9, 9, 0, "
        "'ok', NULL, NULL)"
    )
    lines = [("start", f"START RequestId: {INJECTION_ID} Version: $LATEST")]
    lines += [("app", text) for text in INJECTION_LINES]
    lines += [("report", f"REPORT RequestId: {INJECTION_ID}\tDuration: 12.50 ms")]
    con.executemany(
        "INSERT INTO events VALUES (1, ?, ?, 'orders', 'env-0', ?, 'INFO', ?, ?)",
        [(n, start, INJECTION_ID, kind, text) for n, (kind, text) in enumerate(lines, 1)],
    )
    con.execute(
        "INSERT INTO init_failures VALUES ('billing', 'env-9', ?, 'init', 'error', "
        "'Runtime.ImportModuleError', 120.0)",
        [BASE + timedelta(minutes=3)],
    )


@pytest.fixture
def db() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory database holding the seeded fixture data."""
    con = open_db(None)
    fill(con)
    yield con
    con.close()
