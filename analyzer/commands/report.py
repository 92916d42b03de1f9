"""`lambdascope report`: load logs, print the summary, exit 1 when a threshold fails.

Inputs: the PATHs; none given means stdin when it is not a terminal, or, with `--db`, the
database as it is (no loading). Exit codes: 0 fine, 1 a threshold failed or nothing could be
read, 2 a usage error (bad `--since`, bad `--fail-on`, a `--fail-on` naming a function that
is not in the data, no input named).

A threshold fails when it is crossed and when it cannot be checked (its value is unknown):
a CI gate never passes by checking nothing. `--function NAME` that names no function of
(non-empty) data prints a hint on stderr listing the functions the data holds; without
`--fail-on` the empty report follows with exit 0 (zero invocations is an answer: asking
about a function that has not run yet is not an error), with `--fail-on` it is a usage
error (exit 2, no report), as the gate would check nothing but a typo.

`say`, `input_paths`, `filters_from`, `open_and_load` and `write_out` live in
`analyzer.commands._common` and stay importable from here.
"""

from __future__ import annotations

import argparse

import duckdb

from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.commands._common import (
    filters_from,
    input_paths,
    loaded,
    open_and_load,
    say,
    write_out,
)
from analyzer.filters import Filters

__all__ = [
    "filters_from",
    "input_paths",
    "open_and_load",
    "run",
    "say",
    "warn_untimed",
    "write_out",
]


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


def run(args: argparse.Namespace) -> int:
    """Load, summarise, check `--fail-on`, render in `--format`, then name what failed."""
    from analyzer import aggregates, queries, report

    exprs: list[str] = list(getattr(args, "fail_on", None) or [])
    try:
        for expr in exprs:
            report.parse_threshold(expr)
    except report.ThresholdError as exc:
        say("report", str(exc))
        return EXIT_USAGE
    got = loaded(args, "report")
    if isinstance(got, int):
        return got
    try:
        warn_untimed(got.con, got.filters, "report")
        summary = queries.summary(got.con, got.filters)
        names = queries.function_names(got.con) if exprs else []
        aggregated = aggregates.applies(got.con, got.filters)
        cut = aggregates.widened(got.con, got.filters)
    finally:
        got.con.close()
    if exprs and got.unknown_function:
        say("report", "--fail-on would check nothing: fix --function (see the names above)")
        return EXIT_USAGE
    try:
        violations = report.check_thresholds(summary, exprs, functions=names)
    except report.ThresholdError as exc:
        say("report", str(exc))
        return EXIT_USAGE
    write_out(report.render(summary, getattr(args, "format", "table")))
    if aggregated:
        say("report", aggregates.REPORT_NOTE)
    if cut:
        say("report", cut)
    for message in violations:
        say("report", message)
    return EXIT_FAILURE if violations else EXIT_OK
