"""`lambdascope analyze`: load logs and open the dashboard; without a terminal, print the report.

The default database is a file under the user's cache dir keyed by the resolved input paths,
so a second run over the same logs skips every unchanged file (the loader's fingerprints).
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

from analyzer import aggregates
from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.commands.report import filters_from, input_paths, open_and_load, say, write_out

EXIT_UNAVAILABLE = 3
"""Exit code when a feature is not available in this installation."""

AGGREGATED_NOTE = (
    f"{aggregates.REPORT_NOTE}; "
    "--per-invocation loads every invocation (exact percentiles, more queries)"
)
"""Said on stderr after the report of an aggregated --insights run."""


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/lambdascope`, else `~/.cache/lambdascope`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lambdascope"


def cache_db(paths: Sequence[str], function: str | None = None) -> Path | None:
    """The cache database for these inputs (None for stdin: nothing to reuse).

    `function` (`--function`) names the invocations of files that do not say, so rows loaded
    with another (or no) `--function` differ: it is part of the key.
    """
    if not paths or "-" in paths:
        return None
    resolved = sorted(str(Path(p).expanduser().resolve()) for p in paths)
    if function:
        resolved.append(f"--function={function}")
    key = hashlib.sha256("\0".join(resolved).encode()).hexdigest()[:16]
    return cache_dir() / f"analyze-{key}.duckdb"


def interactive() -> bool:
    """Whether a person is at a terminal (else the report is printed instead of the UI)."""
    if os.environ.get("TERM") == "dumb":
        return False
    return sys.stdin.isatty() and sys.stdout.isatty()


def _usable_db(path: Path | None) -> str | None:
    """`path` if it can be opened now (not locked by another run), else None (in memory)."""
    if path is None:
        return None
    try:
        from analyzer.store import open_db

        open_db(path, rebuild_stale=True).close()  # our cache: rebuild when stale
    except (duckdb.Error, OSError):
        return None
    return str(path)


def input_bytes(paths: Sequence[str]) -> int | None:
    """Total size of the files under `paths` (None when unknown: stdin or nothing found)."""
    total = 0
    for raw in paths:
        if raw == "-":
            return None
        p = Path(raw).expanduser()
        matches = [p] if p.exists() else [Path(m) for m in glob.glob(str(p), recursive=True)]
        for m in matches:
            if m.is_file():
                total += m.stat().st_size
            elif m.is_dir():
                total += sum(f.stat().st_size for f in m.rglob("*") if f.is_file())
    return total or None


def _insights(args: argparse.Namespace) -> int:
    """`--insights LOG_GROUP...`: aggregate in CloudWatch Logs Insights, then show."""
    try:
        module = importlib.import_module("analyzer.aws.insights")
        load_insights = module.load_insights
    except (ImportError, AttributeError):
        say("analyze", "--insights is not available in this version")
        return EXIT_UNAVAILABLE
    filters = filters_from(args, "analyze")
    if isinstance(filters, int):
        return filters
    from analyzer.store import open_db

    con = open_db(getattr(args, "db", None))
    if interactive():

        def loader(cur: duckdb.DuckDBPyConnection) -> object:
            return load_insights(cur, args)

        return show(args, con, loader, what=" ".join(args.insights))
    from analyzer import queries, report
    from analyzer.aws import AwsError

    try:
        load_insights(con, args)
        summary = queries.summary(con, filters)
        aggregated = aggregates.applies(con, filters)  # the answer's source, not the flag
    except AwsError as exc:  # the user's message: what went wrong and what to do
        say("analyze", exc.message)
        return EXIT_FAILURE
    finally:
        con.close()
    write_out(report.render(summary, "table"))
    if aggregated:  # --since/--until were the load's range: no bin holds more than it
        say("analyze", AGGREGATED_NOTE)
    return EXIT_OK


def show(
    args: argparse.Namespace,
    con: duckdb.DuckDBPyConnection,
    loader: object,
    what: str,
    total_bytes: int | None = None,
) -> int:
    """Open the dashboard on `con`, loading with `loader` first."""
    filters = filters_from(args, "analyze")
    if isinstance(filters, int):
        return filters
    from analyzer.tui.app import LambdascopeApp  # Textual: dashboard only

    app = LambdascopeApp(
        con,
        loader=loader,  # type: ignore[arg-type]
        what=what,
        filters=filters,
        total_bytes=total_bytes,
    )
    try:
        app.run()
    finally:
        con.close()
    return app.return_code or 0


def print_report(args: argparse.Namespace) -> int:
    """No terminal: load and print the summary table, exiting as `report` does."""
    from analyzer import queries, report

    filters = filters_from(args, "analyze")
    if isinstance(filters, int):
        return filters
    con = open_and_load(args, "analyze")
    if isinstance(con, int):
        return con
    try:
        summary = queries.summary(con, filters)
    finally:
        con.close()
    write_out(report.render(summary, "table"))
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Load PATHs (cached), then the dashboard on a terminal or the report elsewhere."""
    if getattr(args, "insights", None):
        return _insights(args)
    paths = input_paths(args)
    if paths is None:
        say("analyze", "no input: give log files, folders or globs, or pipe logs on stdin")
        return EXIT_USAGE
    if not getattr(args, "db", None) and not getattr(args, "no_cache", False):
        args.db = _usable_db(cache_db(paths, getattr(args, "function", None)))
    if not interactive() or "-" in paths:
        return print_report(args)
    from analyzer.store import open_db

    try:
        con = open_db(args.db)
    except (duckdb.Error, OSError) as exc:
        say("analyze", f"cannot open database {args.db!r}: {exc}")
        return EXIT_FAILURE
    load = importlib.import_module("analyzer.load")

    def loader(cur: duckdb.DuckDBPyConnection) -> object:
        return load.load_paths(cur, paths, function=args.function, progress=False)

    what = ", ".join(paths) if len(paths) <= 3 else f"{len(paths)} paths"
    return show(args, con, loader, what, input_bytes(paths))
