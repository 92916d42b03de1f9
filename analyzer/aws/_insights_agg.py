"""`analyze --insights`, aggregated: stats rows for the counts, single rows only for failures.

Per group chunk and planned window: STATS_QUERY and INIT_QUERY (counts, sums, extremes and
histograms per bin), and FAILURES_QUERY: REPORT lines with `Status: error|timeout` and, in
the same scan, the failure lines a REPORT does not show (ERRORS_QUERY's). Failure lines are
tied to their REPORT as the per-invocation load does: a line naming a request id fetches that
REPORT (REPORTS_BY_ID), a line without one the REPORTs of its log stream just after it
(REPORTS_BY_STREAM, LOOKAHEAD_S). Failed invocations are few: they load as single
invocations (error groups and their log lines work), and each one whose outcome differs from
its REPORT `Status:` adds a +/-1 correction to the aggregates, so errors and timeouts are
exact, as a file load counts them.
"""

from __future__ import annotations

import bisect
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC

import duckdb

from analyzer.aws._insights_errors import (
    FAILURE_LINES,
    error_marks,
    is_failure,
    request_id_in,
)
from analyzer.aws._insights_rows import QUERY, insert_rows, parse_ts, to_invocation
from analyzer.aws._insights_stats import (
    INIT_QUERY,
    STATS_QUERY,
    Stage,
    agg_bin,
    correction,
    init_record,
    plan_windows,
    stats_record,
)

Rows = list[dict[str, str]]
Collect = Callable[[list[str], tuple[int, int], str], Rows]
"""Rows of a query over groups and a window, split at the row cap (insights._collect)."""

_REST = QUERY.removeprefix('filter @type = "REPORT"')
FAILURES_QUERY = (
    f'filter (@type = "REPORT" and @message like /Status: (error|timeout)/)'
    f" or @message like {FAILURE_LINES}" + _REST.replace("@logStream,", "@logStream, @message,")
)
"""One scan for both: REPORT lines of invocations that failed by their own Status, and the
failure lines a REPORT does not show (ERRORS_QUERY's)."""
REPORTS_BY_ID = 'filter @type = "REPORT" and @requestId in [{items}]' + _REST
REPORTS_BY_STREAM_PREFIX = 'filter @type = "REPORT" and @logStream in ['
REPORTS_BY_STREAM = REPORTS_BY_STREAM_PREFIX + "{items}]" + _REST
"""REPORT rows of named requests / log streams (failure lines' invocations)."""

IDS_PER_QUERY = 100
STREAMS_PER_QUERY = 50
"""Names per lookup query (a query string holds at most 10,000 characters)."""

LOOKAHEAD_S = 60
"""How long after a failure line without a request id its REPORT is looked for."""

REPORT_WITHIN_S = 900
"""How far from a failure line naming a request its REPORT is looked for (Lambda's longest
run: the line is written during the invocation, or a legacy timeout line just after)."""

CONCURRENCY = 4
"""Logs Insights queries run at once (as insights.CONCURRENCY; an account may run 30)."""

MAX_GROUPS = 50
"""Most log groups one StartQuery may name (as insights.MAX_GROUPS)."""


Lookup = tuple[str, tuple[int, int]]
"""A query and the window it runs over."""


def _runs(
    items: list[tuple[int, str]], before: int, after: int, size: int, start: int, end: int
) -> list[tuple[tuple[int, int], list[str]]]:
    """(window, names) per batch of the (epoch second, name) items in time order: a batch
    holds at most `size` distinct names, and an item joins it only while its own window
    [t - before, t + after] overlaps the batch's; the batch's window [lo, hi) spans its
    items' windows, within the range [start, end). So a lookup scans about the time its
    items cover, not the whole range however many batches there are."""
    out: list[tuple[tuple[int, int], list[str]]] = []
    names: list[str] = []
    lo = hi = 0
    for t, name in sorted(items):
        if names and (t - before > hi or (name not in names and len(names) >= size)):
            out.append(((max(start, lo), min(end, hi + 1)), names))
            names = []
        if not names:
            lo = t - before
        if name not in names:
            names.append(name)
        hi = t + after  # items come in time order
    if names:
        out.append(((max(start, lo), min(end, hi + 1)), names))
    return out


def lookups(lines: Rows, known: set[str], start: int, end: int) -> list[Lookup]:
    """(query, window) pairs fetching the REPORTs that failure `lines` point at: by request
    id within REPORT_WITHIN_S of the line, else by log stream up to LOOKAHEAD_S after it;
    batches in time order, each over the time its own lines cover (`_runs`)."""
    named: list[tuple[int, str]] = []
    loose: list[tuple[int, str]] = []
    for row in lines:
        if not is_failure(row.get("@message", "")):
            continue
        rid = request_id_in(row.get("@message", ""))
        ts = parse_ts(row.get("@timestamp", ""))
        if ts is None:
            continue
        epoch = int(ts.replace(tzinfo=UTC).timestamp())
        if rid and rid not in known:
            named.append((epoch, rid))
        elif not rid:
            loose.append((epoch, row.get("@logStream", "")))
    out: list[Lookup] = []
    runs = (
        (REPORTS_BY_ID, _runs(named, REPORT_WITHIN_S, REPORT_WITHIN_S, IDS_PER_QUERY, start, end)),
        (REPORTS_BY_STREAM, _runs(loose, 0, LOOKAHEAD_S, STREAMS_PER_QUERY, start, end)),
    )
    for query, batches in runs:
        for window, names in batches:
            items = ", ".join(json.dumps(n) for n in sorted(names))
            out.append((query.format(items=items), window))
    return out


def load_aggregated(
    con: duckdb.DuckDBPyConnection,
    groups: list[str],
    start: int,
    end: int,
    collect: Collect,
    row_cap: int,
    stop: Callable[[], None] = lambda: None,
    warn: Callable[[str], None] = lambda message: None,
) -> int:
    """Aggregate [start, end) of `groups` in Logs Insights into `aggregates`; return the
    invocations counted (this load). `stop` is called when a query fails or on Ctrl-C,
    before waiting for the queries still queued or running (insights.Stopper.stop); `warn`
    gets what the user should know (a group with events but no REPORT line, `quiet`)."""
    with Stage() as stage:
        seen: set[str] = set()
        reports, lines = _collect_all(stage, groups, start, end, collect, row_cap, stop, seen)
        for message in quiet([g for g in groups if g not in seen], start, end, collect):
            warn(message)
        width = agg_bin(start, end)[1]
        marks = error_marks(reports.values(), lines)
        failed: Rows = []
        for row in reports.values():
            values = to_invocation(row, marks)
            if values is not None and values[13] != "success":
                failed.append(row)
                stage.add([correction(row, values[13], width)])
        _forget(con, sorted(stage.functions))
        path = "insights:" + ",".join(groups)
        con.execute("DELETE FROM files WHERE format = 'insights-aggregates' AND path = ?", [path])
        before = _counted(con)
        stage.load(con)
    insert_rows(con, groups, failed, marks, record_file=False)  # events get the next file id
    counted = _counted(con) - before
    con.execute(
        "INSERT INTO files (file_id, path, fingerprint, format, lines, events, rejected,"
        " loaded_at) SELECT coalesce(max(file_id), 0) + 1, ?, ?, 'insights-aggregates', ?, ?, 0,"
        " now() FROM files",
        [path, f"insights-{time.time_ns()}", counted, counted],
    )
    return counted


def _collect_all(
    stage: Stage,
    groups: list[str],
    start: int,
    end: int,
    collect: Collect,
    row_cap: int,
    stop: Callable[[], None],
    seen: set[str],
) -> tuple[dict[str, dict[str, str]], Rows]:
    """Run every query of the load: stats and init rows go to `stage` as they arrive (`seen`
    gets the log groups they came from); return the REPORT rows of failed invocations (by
    request id) and the failure lines."""
    name, width = agg_bin(start, end)
    reports: dict[str, dict[str, str]] = {}
    lines: Rows = []
    for i in range(0, len(groups), MAX_GROUPS):
        chunk = groups[i : i + MAX_GROUPS]
        windows = plan_windows(start, end, width, len(chunk), row_cap)

        def run(query: str, chunk: list[str] = chunk) -> Callable[[tuple[int, int]], Rows]:
            return lambda window: collect(chunk, window, query)

        with ThreadPoolExecutor(max_workers=CONCURRENCY) as pool:
            try:
                found, chunk_lines = _chunk(pool, run, stage, name, width, windows, seen)
                reports.update((r["@requestId"], r) for r in found if r.get("@requestId"))
                todo = lookups(chunk_lines, set(reports), start, end)

                def fetch(lookup: Lookup, chunk: list[str] = chunk) -> Rows:
                    return collect(chunk, lookup[1], lookup[0])

                for (query, _), rows in zip(todo, pool.map(fetch, todo), strict=True):
                    if query.startswith(REPORTS_BY_STREAM_PREFIX):
                        rows = pointed_at(rows, chunk_lines)
                    reports.update((r["@requestId"], r) for r in rows if r.get("@requestId"))
            except BaseException:
                stop()  # before the pool waits for its queued and running queries
                raise
            lines += chunk_lines
    return reports, lines


def _chunk(
    pool: ThreadPoolExecutor,
    run: Callable[[str], Callable[[tuple[int, int]], Rows]],
    stage: Stage,
    name: str,
    width: int,
    windows: list[tuple[int, int]],
    seen: set[str],
) -> tuple[Rows, Rows]:
    """Stats and init rows of one group chunk into `stage` (their log groups into `seen`);
    return its failed REPORT rows and failure lines."""
    for rows in pool.map(run(STATS_QUERY.format(bin=name)), windows):
        stage.add(stats_record(x, width) for x in rows)
        seen.update(x.get("@log", "").split(":", 1)[-1] for x in rows)
    for rows in pool.map(run(INIT_QUERY.format(bin=name)), windows):
        stage.add(init_record(x, width) for x in rows)
    found: Rows = []
    chunk_lines: Rows = []
    for rows in pool.map(run(FAILURES_QUERY), windows):
        for r in rows:
            report = r.get("@message", "").startswith("REPORT RequestId:")
            (found if report else chunk_lines).append(r)
    return found, chunk_lines


QUIET_QUERY = (
    "stats count(*) as events,"
    ' sum(strcontains(@message, \'"type":"platform.report"\')) as json_reports by @log'
)
"""Events and JSON-format REPORTs (`platform.report`) per log group: run only over groups
that gave no REPORT line, to say why."""


def quiet(groups: list[str], start: int, end: int, collect: Collect) -> list[str]:
    """One message per group of `groups` (those that gave no text REPORT line) that does hold
    log events in [start, end): JSON-format `platform.report` lines, which this load does not
    read, or other events only."""
    out: list[str] = []
    for i in range(0, len(groups), MAX_GROUPS):
        chunk = groups[i : i + MAX_GROUPS]
        for row in collect(chunk, (start, end), QUIET_QUERY):
            group = row.get("@log", "").split(":", 1)[-1]
            events, json_reports = _count(row.get("events")), _count(row.get("json_reports"))
            if json_reports:
                out.append(
                    f"{group}: {json_reports:,} REPORTs in Lambda's JSON log format "
                    "(platform.report) and no text REPORT line; an --insights load reads only "
                    "the text format: fetch the logs (lambdascope fetch) and analyze the files"
                )
            elif events:
                out.append(
                    f"{group}: {events:,} log events but no REPORT line in the range: "
                    "0 invocations loaded from it"
                )
    return out


def _count(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


def pointed_at(reports: Rows, lines: Rows) -> Rows:
    """The REPORT rows of a by-stream lookup that a failure line without a request id points
    at (the first REPORT of its stream at or after it); the rest are not kept in memory. An
    error document's field line points at none: it only adds to a failure
    (`_insights_errors.error_marks`)."""
    by_stream: dict[str, list[tuple[float, int]]] = {}
    for i, r in enumerate(reports):
        ts = parse_ts(r.get("@timestamp", ""))
        if ts is not None:
            by_stream.setdefault(r.get("@logStream", ""), []).append((ts.timestamp(), i))
    for found in by_stream.values():
        found.sort()
    keep: set[int] = set()
    for line in lines:
        ts = parse_ts(line.get("@timestamp", ""))
        found = by_stream.get(line.get("@logStream", ""), [])
        message = line.get("@message", "")
        if ts is None or not found or not is_failure(message) or request_id_in(message):
            continue
        at = bisect.bisect_left(found, (ts.timestamp(), -1))
        if at < len(found):
            keep.add(found[at][1])
    return [reports[i] for i in sorted(keep)]


def _forget(con: duckdb.DuckDBPyConnection, functions: list[str]) -> None:
    """Drop what an earlier aggregated load stored for `functions`: a re-run replaces it
    (adding would count its invocations twice)."""
    if not functions:
        return
    marks = ", ".join("?" * len(functions))
    con.execute(f"DELETE FROM aggregates WHERE function IN ({marks})", functions)
    con.execute(
        "DELETE FROM events WHERE request_id IN (SELECT request_id FROM invocations"
        f" WHERE source = 'insights' AND function IN ({marks}))",
        functions,
    )
    con.execute(
        f"DELETE FROM invocations WHERE source = 'insights' AND function IN ({marks})", functions
    )


def _counted(con: duckdb.DuckDBPyConnection) -> int:
    """Invocations the aggregates count so far."""
    row = con.execute(
        "SELECT coalesce(sum(invocations), 0) FROM aggregates WHERE kind = 'report'"
    ).fetchone()
    return int(row[0]) if row else 0
