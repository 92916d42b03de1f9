"""`lambdascope query SQL [PATH...]`: run SQL over the loaded tables, print the result.

`--function`, `--since` and `--until` restrict what the SQL sees of `invocations` (a
temporary table of the matching rows shadows it); the other tables are as loaded. A
`--function` that names no function of the data still runs the SQL, after a hint on stderr
listing the functions there.
An SQL error is reported in one line with exit 1, never a traceback.
"""

from __future__ import annotations

import argparse

import duckdb

from analyzer.cli import EXIT_FAILURE, EXIT_OK
from analyzer.commands._common import loaded, say, write_out
from analyzer.filters import Filters


def _restrict(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Make `invocations` mean only the rows `filters` selects, for this connection only."""
    if filters == Filters():
        return
    where, params = filters.where()
    row = con.execute("SELECT current_database()").fetchone()
    assert row is not None
    catalog = str(row[0]).replace('"', '""')
    con.execute(
        f'CREATE TEMP TABLE invocations AS SELECT * FROM "{catalog}".main.invocations '
        f"WHERE {where}",
        params,
    )


def run(args: argparse.Namespace) -> int:
    """Load the inputs, run `args.sql`, render the rows in `--format`."""
    from analyzer.report import render_rows

    got = loaded(args, "query")
    if isinstance(got, int):
        return got
    con = got.con
    try:
        _restrict(con, got.filters)
        cursor = con.execute(args.sql)
        if cursor.description is None:
            return EXIT_OK
        columns = [str(d[0]) for d in cursor.description]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        say("query", f"SQL error: {str(exc).strip() or type(exc).__name__}")
        return EXIT_FAILURE
    finally:
        con.close()
    write_out(render_rows(columns, rows, getattr(args, "format", "table")))
    return EXIT_OK
