"""Dashboard benchmark: first paint of the summary and filter / function changes on 1 M lines.

Data: one S3-export text file of 1 M lines (≈220 k invocations) from the analyzer's bulk
generator, plus a small second function, in benchmarks/data/ (reused), loaded once into
benchmarks/.work/ (reused: the loader skips unchanged files). The app runs headless
(`App.run_test`) at
120x36; a change counts as done when the screen has posted the new results (its `shown`
filters equal the app's). Targets (issue 6): first paint ≤ 1 s, filter change and function
select ≤ 100 ms (median). Results: benchmarks/results/dashboard.json.
`LAMBDASCOPE_BENCH_QUICK=1` runs on 50 k lines.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
QUICK = os.environ.get("LAMBDASCOPE_BENCH_QUICK") == "1"
LINES = 50_000 if QUICK else 1_000_000
REPS = 7
RESULTS = HERE / "results" / "dashboard.json"
FIRST_PAINT_S = 1.0
CHANGE_MS = 100.0


SMALL_LINES = 20_000
"""Lines of a second, small function: selecting it between measured selects forces a reload."""


def _file(lines: int, function: str) -> Path:
    """An export file of `lines` lines for `function` (generated once, then reused)."""
    from analyzer.generator import generate_export_text

    root = HERE / "data" / f"dashboard-{LINES}"
    path = root / "aws" / "lambda" / function / "export.txt"
    done = path.with_suffix(".done")
    if not done.exists():
        generate_export_text(path, lines=lines, seed=42)
        done.touch()
    return path


def _data() -> tuple[list[Path], str, str]:
    """The big and the small export file, and their function names (from their folders)."""
    return (
        [_file(LINES, "bench-api"), _file(SMALL_LINES, "bench-small")],
        "bench-api",
        "bench-small",
    )


def _load(paths: list[Path]) -> tuple[Any, float, int]:
    """Open the work database, load the file into it; return con, seconds, invocations."""
    from analyzer.load import load_paths
    from analyzer.store import open_db

    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    con = open_db(work / f"dashboard-{LINES}.duckdb", rebuild_stale=True)
    t0 = time.perf_counter()
    load_paths(con, [str(p) for p in paths], progress=False)
    seconds = time.perf_counter() - t0
    row = con.execute("SELECT count(*) FROM invocations").fetchone()
    return con, seconds, int(row[0]) if row else 0


async def _until_shown(app: Any, screen_type: type) -> float:
    """Wait until the top screen is `screen_type` with results for the app's filters."""
    t0 = time.perf_counter()
    while True:
        screen = app.screen
        if isinstance(screen, screen_type) and screen.shown == app.filters:
            return time.perf_counter() - t0
        await asyncio.sleep(0.001)


async def _measure(con: Any, function: str, other: str) -> dict[str, Any]:
    """First paint, filter changes and function selects, in one headless app."""
    from analyzer.filters import Filters
    from analyzer.tui.app import LambdascopeApp
    from analyzer.tui.screens.function import FunctionScreen
    from analyzer.tui.screens.summary import SummaryScreen

    t0 = time.perf_counter()
    app = LambdascopeApp(con)
    async with app.run_test(size=(120, 36)) as pilot:
        await _until_shown(app, SummaryScreen)
        first_paint = time.perf_counter() - t0
        filters = [
            Filters(outcome="error"),
            Filters(cold=True),
            Filters(),
            Filters(outcome="timeout"),
        ]
        changes: list[float] = []
        for i in range(REPS):
            t = time.perf_counter()
            app.filters = filters[i % len(filters)]
            await _until_shown(app, SummaryScreen)
            changes.append(time.perf_counter() - t)
        app.filters = Filters()
        await _until_shown(app, SummaryScreen)
        t = time.perf_counter()
        app.open_function(other)
        await _until_shown(app, FunctionScreen)
        first_select = time.perf_counter() - t
        app.pop_screen()
        selects: list[float] = []
        for i in range(2 * REPS):
            name = function if i % 2 == 0 else other
            await pilot.pause()
            t = time.perf_counter()
            app.open_function(name)
            await _until_shown(app, FunctionScreen)
            if name == function:
                selects.append(time.perf_counter() - t)
            app.pop_screen()
        app.open_function(function)
        await _until_shown(app, FunctionScreen)
        detail_changes: list[float] = []
        for i in range(REPS):
            t = time.perf_counter()
            app.filters = filters[(i + 1) % len(filters)]
            await _until_shown(app, FunctionScreen)
            detail_changes.append(time.perf_counter() - t)
        app.filters = Filters()
        await _until_shown(app, FunctionScreen)
        t = time.perf_counter()
        app.screen.action_toggle_tab()
        while not (app.screen.groups_loaded and app.screen.shown == app.filters):
            await asyncio.sleep(0.001)
        groups_tab = time.perf_counter() - t
        app.screen.action_toggle_tab()
        app.pop_screen()
        screen = app.get_screen("function")
        screen.function = function  # the big one (the last select was the small one)
        screen.want_groups = screen.groups_only = False  # what a select queries
        queries: list[float] = []
        for _ in range(REPS):
            t = time.perf_counter()
            screen.fetch(con, Filters())
            queries.append(time.perf_counter() - t)
        await pilot.press("q")
    return {
        "function_queries_ms": [round(q * 1000, 1) for q in queries],
        "first_paint_s": round(first_paint, 3),
        "filter_change_ms": [round(c * 1000, 1) for c in changes],
        "first_function_select_ms": round(first_select * 1000, 1),
        "function_select_ms": [round(s * 1000, 1) for s in selects],
        "error_groups_tab_ms": round(groups_tab * 1000, 1),
        "function_filter_change_ms": [round(c * 1000, 1) for c in detail_changes],
    }


def main() -> int:
    """Generate or reuse the data, load it, measure, write results/dashboard.json."""
    paths, function, other = _data()
    con, load_s, invocations = _load(paths)
    try:
        m = asyncio.run(_measure(con, function, other))
    finally:
        con.close()
    filter_ms = statistics.median(m["filter_change_ms"])
    select_ms = statistics.median(m["function_select_ms"])
    result = {
        "lines": LINES,
        "invocations": invocations,
        "load_s": round(load_s, 2),
        **m,
        "filter_change_median_ms": filter_ms,
        "function_select_median_ms": select_ms,
        "function_filter_change_median_ms": statistics.median(m["function_filter_change_ms"]),
        "function_queries_median_ms": statistics.median(m["function_queries_ms"]),
        "targets": {
            "first_paint_s<=1": m["first_paint_s"] <= FIRST_PAINT_S,
            "filter_change_median_ms<=100": filter_ms <= CHANGE_MS,
            "function_select_median_ms<=100": select_ms <= CHANGE_MS,
            "function_filter_change_median_ms<=100": statistics.median(
                m["function_filter_change_ms"]
            )
            <= CHANGE_MS,
        },
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "load_average_1m": round(os.getloadavg()[0], 2),
        "note": "headless App.run_test at 120x36; function select = the big function's "
        "screen showing its results, the screen already built (first_function_select_ms "
        "includes building it), each select alternating with the small function so nothing "
        "is cached; the error groups are queried only when their tab is shown, so a select "
        "runs four queries (error_groups_tab_ms: 'e' on the big function until the groups "
        "show: their query alone; function_filter_change_ms: a filter changed on the big "
        "function's screen until it shows the new results, the hidden summary waiting until "
        "it is shown again); function_queries = those queries alone on the big function "
        "(the rest of a select is Textual's screen switch and repaint, and the queries "
        "slowing each other and the UI on a loaded machine); load_s is ~0 when "
        "benchmarks/.work already held the files",
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
