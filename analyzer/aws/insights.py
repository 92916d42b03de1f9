"""`analyze --insights`: let CloudWatch Logs Insights read the logs, load only its rows.

The query (`dashboards/insights/invocations.query`, kept equal to `QUERY` by a test) has
Logs Insights parse every REPORT line into one row per invocation; only those rows travel,
and they fill the same tables as loading files does, so report and dashboard work unchanged.
A second query per window (`ERRORS_QUERY`, dashboards/insights/errors.query) finds the lines
that make an invocation fail without a REPORT `Status:` (handler exceptions, legacy timeouts,
lambdascope records), so errors are counted as loading the files would count them.
A query returns at most 10,000 rows: a time range that hits the cap is split in two and
each half queried again, down to one second.

Windows are half-open second ranges [lo, hi): StartQuery gets startTime lo and endTime hi
(AWS reads endTime as hi x 1000 ms, inclusive), and every query starts with
`filter toMillis(@timestamp) >= lo x 1000 and toMillis(@timestamp) < hi x 1000` (WINDOW), so
consecutive windows and split halves meet exactly: no event falls between two of them, none
is read twice. The user's --until is exclusive.

Two modes. Per invocation (`--per-invocation`, `aggregate=False`): one row per invocation,
about one query per 8,000 invocations, practical up to a few million; every invocation can
be drilled into. Aggregated (the CLI's default, `aggregate=True`, `_insights_agg`): Logs
Insights computes counts, sums and duration histograms per function and time bin, and only
those rows (plus the few failed invocations) travel, whatever the number of invocations.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from analyzer import aggregates
from analyzer.aws._client import AwsError, AwsTarget, aws_errors, make_client
from analyzer.aws._insights_agg import load_aggregated
from analyzer.aws._insights_errors import ERRORS_QUERY, error_marks
from analyzer.aws._insights_rows import QUERY, _float, insert_rows, parse_ts

COUNT_QUERY = 'filter @type = "REPORT" | stats count(*) as invocations by bin({bin})'
"""Invocations per time bin: plans the windows so each per-invocation query fits the cap."""

BINS_S = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "6h": 21600, "1d": 86400}
"""Bin sizes for COUNT_QUERY; the smallest giving at most MAX_BINS bins is used."""
MAX_BINS = 5000


def normalize_query(text: str) -> str:
    """A query file as one line: '#' comment lines dropped, whitespace runs collapsed."""
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return " ".join(" ".join(lines).split())


ROW_CAP = 10_000
"""Most rows one Logs Insights query returns."""

CONCURRENCY = 4
"""Logs Insights queries run at once (an account may run 30; leave room for others)."""

MAX_GROUPS = 50
"""Most log groups one StartQuery may name."""

POLL_FIRST_S = 0.5
POLL_MAX_S = 5.0
"""GetQueryResults polling: the first pause, doubled up to the max."""

_DONE = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}

WINDOW = "filter toMillis(@timestamp) >= {lo} and toMillis(@timestamp) < {hi} | "
"""Prefix of every query: its window [lo, hi) exactly, in epoch milliseconds."""


class Stopper:
    """The queries of one load: the first that fails (or Ctrl-C) stops the others, queued
    ones before they start and running ones with StopQuery, and its error is the one shown."""

    def __init__(self, logs: Any) -> None:
        self._logs = logs
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._event = threading.Event()
        self.first: BaseException | None = None
        """The failure that stopped the load, if one did."""
        self.stopped: list[str] = []
        """Query ids StopQuery was sent for."""

    def is_set(self) -> bool:
        return self._event.is_set()

    def started(self, query_id: str) -> None:
        with self._lock:
            self._running.add(query_id)

    def done(self, query_id: str) -> None:
        with self._lock:
            self._running.discard(query_id)

    def fail(self, exc: BaseException) -> None:
        """Record `exc` (the first one wins) and stop every other query."""
        with self._lock:
            if self.first is None:
                self.first = exc
        self.stop()

    def stop(self) -> None:
        """Stop the load: no query starts any more, running ones get StopQuery."""
        self._event.set()
        with self._lock:
            running = sorted(self._running)
            self._running.clear()
        for query_id in running:
            try:
                self._logs.stop_query(queryId=query_id)
                self.stopped.append(query_id)
            except Exception:  # already finished, or the endpoint is gone: nothing to stop
                pass


class _Stopped(AwsError):
    """A query given up because another one failed (its error is the one reported)."""


def _warn(message: str) -> None:
    print(f"lambdascope analyze: warning: {message}", file=sys.stderr)


def load_insights(
    con: duckdb.DuckDBPyConnection,
    log_groups: Sequence[str] | argparse.Namespace,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    client: Any = None,
    sleep: Callable[[float], None] = time.sleep,
    row_cap: int = ROW_CAP,
    aggregate: bool = False,
) -> int:
    """Query `log_groups` over [since, until) and insert the invocations; return how many.

    `aggregate`: load stats per function and time bin into `aggregates` instead (plus the
    failed invocations alone); the CLI form does so unless `--per-invocation` is given.
    """
    if isinstance(log_groups, argparse.Namespace):
        return _load_from_args(con, log_groups, client=client, sleep=sleep, row_cap=row_cap)
    until = until or datetime.now(UTC)
    since = since or until - timedelta(hours=1)
    if since >= until:
        raise AwsError("--since must be before --until")
    refused = aggregates.mixing(con, "aggregates" if aggregate else "per-invocation")
    if refused:
        raise AwsError(refused)
    logs = client or make_client("logs", AwsTarget(region, profile, endpoint_url))
    start, end = math.floor(since.timestamp()), math.ceil(until.timestamp())  # [start, end)
    stopper = Stopper(logs)
    with aws_errors("Logs Insights"):
        try:
            groups = list(log_groups)
            return _load(con, logs, groups, start, end, sleep, row_cap, aggregate, stopper)
        except BaseException as exc:
            stopper.stop()
            if isinstance(exc, _Stopped) and stopper.first is not None:
                raise stopper.first from None
            raise


def _load(
    con: duckdb.DuckDBPyConnection,
    logs: Any,
    groups: list[str],
    start: int,
    end: int,
    sleep: Callable[[float], None],
    row_cap: int,
    aggregate: bool,
    stopper: Stopper,
) -> int:
    """load_insights over [start, end) once its arguments are checked."""
    if aggregate:

        def run(chunk: list[str], window: tuple[int, int], query: str) -> list[dict[str, str]]:
            return _collect(logs, chunk, window, sleep, row_cap, query, stopper)

        return load_aggregated(con, groups, start, end, run, row_cap, stopper.stop, _warn)
    rows: dict[str, dict[str, str]] = {}
    failures: list[dict[str, str]] = []
    for i in range(0, len(groups), MAX_GROUPS):
        chunk = groups[i : i + MAX_GROUPS]
        name, width = count_bin(start, end)
        count = COUNT_QUERY.format(bin=name)
        counted = run_query(logs, chunk, start, end, sleep, count, stopper)
        windows = plan_windows(counted, start, end, row_cap, width)

        def collect(window: tuple[int, int], chunk: list[str] = chunk) -> list[dict[str, str]]:
            return _collect(logs, chunk, window, sleep, row_cap, QUERY, stopper)

        def failed(window: tuple[int, int], chunk: list[str] = chunk) -> list[dict[str, str]]:
            return _collect(logs, chunk, window, sleep, row_cap, ERRORS_QUERY, stopper)

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            try:
                for result in pool.map(collect, windows):
                    rows.update((r["@requestId"], r) for r in result if r.get("@requestId"))
                for result in pool.map(failed, contiguous(windows, start, end)):
                    failures += result
            except BaseException:
                stopper.stop()  # before the pool waits for its queued and running queries
                raise
    return insert_rows(con, groups, rows.values(), error_marks(rows.values(), failures))


def contiguous(windows: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """`windows` ([lo, hi)) stretched to cover [start, end) without gaps (failure lines can
    fall in a bin without REPORT lines, e.g. just before an invocation's REPORT in the next
    bin)."""
    out: list[tuple[int, int]] = []
    lo = start
    for i, (_, hi) in enumerate(windows):
        out.append((lo, end if i == len(windows) - 1 else hi))
        lo = hi
    return out


def _collect(
    logs: Any,
    groups: list[str],
    window: tuple[int, int],
    sleep: Callable[[float], None],
    row_cap: int,
    query: str = QUERY,
    stopper: Stopper | None = None,
    warn: Callable[[str], None] = _warn,
) -> list[dict[str, str]]:
    """Rows of one window [lo, hi); a window that hits the cap is split in halves [lo, mid)
    and [mid, hi) and re-queried, down to one second (one that still hits it is said)."""
    out: list[dict[str, str]] = []
    pending = [window]
    while pending:
        lo, hi = pending.pop()
        result = run_query(logs, groups, lo, hi, sleep, query, stopper)
        if len(result) >= row_cap and hi - lo > 1:
            mid = (lo + hi) // 2
            pending += [(mid, hi), (lo, mid)]
            continue
        if len(result) >= row_cap:
            when = datetime.fromtimestamp(lo, UTC).strftime("%Y-%m-%d %H:%M:%S")
            warn(
                f"{row_cap:,} rows in the one second {when} UTC of {', '.join(groups)}: the "
                "Logs Insights row cap; rows past it are missing, counts may be low"
            )
        out += result
    return out


def _load_from_args(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, **kwargs: Any) -> int:
    """The CLI form: log groups, --since/--until, --region/--profile/--endpoint-url."""
    from analyzer._timeparse import parse_when

    now = datetime.now(UTC)
    return load_insights(
        con,
        list(args.insights),
        since=parse_when(args.since, now=now) if getattr(args, "since", None) else None,
        until=parse_when(args.until, now=now) if getattr(args, "until", None) else None,
        region=getattr(args, "region", None),
        profile=getattr(args, "profile", None),
        endpoint_url=getattr(args, "endpoint_url", None),
        aggregate=not getattr(args, "per_invocation", False),
        **kwargs,
    )


def count_bin(start: int, end: int) -> tuple[str, int]:
    """The smallest bin (name, seconds) that covers [start, end) in at most MAX_BINS bins."""
    for name, width in BINS_S.items():
        if (end - start) / width <= MAX_BINS:
            return name, width
    return "1d", 86400


def plan_windows(
    counted: list[dict[str, str]], start: int, end: int, cap: int, width: int = 3600
) -> list[tuple[int, int]]:
    """[lo, hi) second ranges (half-open) holding under ~80 % of `cap` rows each, in order.

    Quiet bins are merged into one query, busy ones cut into equal parts; bins without
    REPORT lines are not queried. Without usable counts: the whole range, split on demand.
    """
    counts: dict[int, int] = {}
    for row in counted:
        label = next((v for k, v in row.items() if k.startswith("bin(")), "")
        when, n = parse_ts(label), _float(row.get("invocations"))
        if when is not None and n is not None:
            counts[int(when.replace(tzinfo=UTC).timestamp())] = int(n)
    if not counts:
        return [(start, end)]
    budget, windows = max(1, int(cap * 0.8)), []
    lo, held, last_hi = None, 0, end
    for t in sorted(counts):
        b_lo, b_hi, n = max(t, start), min(t + width, end), counts[t]
        if b_lo >= b_hi:
            continue
        if lo is not None and held + n > budget:
            windows.append((lo, b_lo))
            lo, held = None, 0
        if n > budget:
            step = max(1, (b_hi - b_lo) // math.ceil(n / budget))
            windows += [(a, min(a + step, b_hi)) for a in range(b_lo, b_hi, step)]
            continue
        lo, held, last_hi = (b_lo if lo is None else lo), held + n, b_hi
    if lo is not None:
        windows.append((lo, last_hi))
    return windows


def run_query(
    logs: Any,
    groups: list[str],
    start_s: int,
    end_s: int,
    sleep: Callable[[float], None],
    query: str = QUERY,
    stopper: Stopper | None = None,
) -> list[dict[str, str]]:
    """StartQuery over [start_s, end_s) (WINDOW filters it to the millisecond), poll
    GetQueryResults with backoff until done, return rows as dicts. With a `stopper`: not
    started, or given up, once another query failed; a failure here stops the others."""
    exact = WINDOW.format(lo=start_s * 1000, hi=end_s * 1000) + query
    if stopper is not None and stopper.is_set():
        raise _Stopped("stopped: another Logs Insights query failed")
    try:
        query_id = logs.start_query(
            logGroupNames=groups, startTime=start_s, endTime=end_s, queryString=exact
        )["queryId"]
    except Exception as exc:
        if stopper is not None:
            stopper.fail(exc)
        raise
    if stopper is not None:
        stopper.started(query_id)
    try:
        page, status = _poll(logs, query_id, sleep, stopper)
    except _Stopped:
        raise
    except Exception as exc:
        if stopper is not None:
            stopper.fail(exc)
        raise
    finally:
        if stopper is not None:
            stopper.done(query_id)
    if status != "Complete":
        ended = AwsError(
            f"Logs Insights query {query_id} ended {status}: try a shorter --since/--until "
            "range, or re-run"
        )
        if stopper is not None:
            stopper.fail(ended)
        raise ended
    return [{c["field"]: c.get("value", "") for c in row} for row in page.get("results", [])]


def _poll(
    logs: Any, query_id: str, sleep: Callable[[float], None], stopper: Stopper | None
) -> tuple[dict[str, Any], str]:
    """GetQueryResults with backoff until the query is done: (last page, status)."""
    delay = POLL_FIRST_S
    while True:
        if stopper is not None and stopper.is_set():
            raise _Stopped("stopped: another Logs Insights query failed")
        page: dict[str, Any] = logs.get_query_results(queryId=query_id)
        status = str(page.get("status", "Unknown"))
        if status in _DONE:
            return page, status
        sleep(delay)
        delay = min(delay * 2, POLL_MAX_S)
