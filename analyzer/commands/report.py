"""`lambdascope report`: load logs, print the summary, exit 1 when a threshold is crossed.

Inputs: the PATHs; none given means stdin when it is not a terminal, or, with `--db`, the
database as it is (no loading). Exit codes: 0 fine, 1 a threshold crossed or nothing could be
read, 2 a usage error (bad `--since`, bad `--fail-on`, no input named).
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from analyzer._timeparse import TimeArgError
from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.filters import Filters


def say(command: str, message: str) -> None:
    """One message for the user on stderr, prefixed with the command."""
    print(f"lambdascope {command}: {message}", file=sys.stderr)


def input_paths(args: argparse.Namespace) -> list[str] | None:
    """The paths to load: PATHs, else stdin if piped, else [] with --db; None if no input."""
    paths: list[str] = list(getattr(args, "paths", None) or [])
    if paths:
        return paths
    if getattr(args, "db", None):
        return []
    if not sys.stdin.isatty():
        return ["-"]
    return None


def open_and_load(args: argparse.Namespace, command: str) -> duckdb.DuckDBPyConnection | int:
    """Open `--db` (or memory), load the inputs and print their warnings; an exit code if not."""
    paths = input_paths(args)
    if paths is None:
        say(
            command,
            "no input: give log files, folders or globs, pipe logs on stdin, "
            "or name a database with --db",
        )
        return EXIT_USAGE
    from analyzer.store import open_db

    try:
        con = open_db(getattr(args, "db", None))
    except (duckdb.Error, OSError) as exc:
        say(command, f"cannot open database {args.db!r}: {exc}")
        return EXIT_FAILURE
    if not paths:
        return con
    from analyzer.load import LoadError, load_paths

    try:
        result = load_paths(con, paths, function=getattr(args, "function", None))
    except LoadError as exc:
        say(command, str(exc))
        con.close()
        return EXIT_FAILURE
    for warning in result.warnings:
        say(command, f"warning: {warning}")
    return con


def filters_from(args: argparse.Namespace, command: str) -> Filters | int:
    """The CLI filters, or the usage exit code after saying what is wrong."""
    try:
        return Filters.from_args(args)
    except (TimeArgError, ValueError) as exc:
        say(command, str(exc))
        return EXIT_USAGE


def warn_untimed(con: duckdb.DuckDBPyConnection, filters: Filters, command: str) -> None:
    """Say how many invocations a time window leaves out only because their time is unknown."""
    if filters.since is None and filters.until is None:
        return
    where, params = Filters(function=filters.function).where()
    row = con.execute(
        f"SELECT count(*) FROM invocations WHERE start_ts IS NULL AND {where}", params
    ).fetchone()
    if row and row[0]:
        say(
            command,
            f"warning: {row[0]} invocation(s) have no timestamp (logs without times) "
            "and are left out by --since/--until",
        )


def write_out(text: str) -> None:
    """Print `text` and flush now, so a closed pipe surfaces here as BrokenPipeError."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    """Load, summarise, render in `--format`, then check `--fail-on` thresholds."""
    from analyzer import queries, report

    exprs: list[str] = list(getattr(args, "fail_on", None) or [])
    try:
        for expr in exprs:
            report.parse_threshold(expr)
    except report.ThresholdError as exc:
        say("report", str(exc))
        return EXIT_USAGE
    filters = filters_from(args, "report")
    if isinstance(filters, int):
        return filters
    con = open_and_load(args, "report")
    if isinstance(con, int):
        return con
    try:
        warn_untimed(con, filters, "report")
        summary = queries.summary(con, filters)
    finally:
        con.close()
    write_out(report.render(summary, getattr(args, "format", "table")))
    violations = report.check_thresholds(summary, exprs)
    for message in violations:
        say("report", message)
    return EXIT_FAILURE if violations else EXIT_OK
