"""`lambdascope query SQL [PATH...]`: run read-only SQL over the loaded tables, print the result.

`--function`, `--since` and `--until` restrict what the SQL sees of `invocations` (a
temporary table of the matching rows shadows it); the other tables are as loaded. A
`--function` that names no function of the data still runs the SQL, after a hint on stderr
listing the functions there.

The SQL only reads. Statements other than SELECT (WITH, DESCRIBE, SHOW, SUMMARIZE, VALUES, ...),
PIVOT, EXPLAIN, PRAGMA and CALL are refused before they run, and the SQL runs with DuckDB's file
access off and its settings locked: no INSERT/UPDATE/DELETE/CREATE/DROP, no COPY ... TO or
EXPORT writing files, no ATTACH, no read_csv of other files, no SET or setting PRAGMA. A `--db`
file is opened read-only for the SQL (after loading any PATHs into it), so it is byte-identical
afterwards; a `--db` naming no file gives empty tables (with a note on stderr, as a mistyped
path looks the same) and creates none. A refused statement
or an SQL error is reported in one line with exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb

from analyzer.cli import EXIT_FAILURE, EXIT_OK
from analyzer.commands._common import (
    filters_from,
    hint_unknown_function,
    input_paths,
    open_and_load,
    say,
    write_out,
)
from analyzer.filters import Filters

READING = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "MULTI"})
"""Statement types `query` runs (DESCRIBE, SHOW, SUMMARIZE and VALUES parse as SELECT, a PIVOT
as MULTI, `CALL pragma_table_info(...)` as CALL). This list only turns obvious writes away with
a clear message: what keeps the data unchanged is DuckDB itself (a read-only `--db`, file
access off, settings locked), which refuses any write a listed type could carry (EXPLAIN
ANALYZE INSERT, COPY FROM DATABASE, PRAGMA enable_profiling...)."""

REFUSED_HINT = (
    "query only reads (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN, "
    "PRAGMA table_info): "
    "it never changes the database or writes files; to save results use "
    "--format csv|json > FILE"
)
"""What to do instead, after a refused statement."""


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


def refused(con: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    """The type of the first statement of `sql` that `query` does not run, else None.

    Raises duckdb.Error when `sql` does not parse."""
    try:
        for statement in con.extract_statements(sql):
            kind = str(statement.type).rpartition(".")[2]
            if kind == "CALL" and statement.query.lstrip()[:4].lower() != "call":
                return "CHECKPOINT"  # CHECKPOINT / FORCE CHECKPOINT parse as CALL
            if kind not in READING:
                return kind.replace("_", " ")
    except ValueError:  # a statement type the Python binding does not know (UPDATE EXTENSIONS)
        words = sql.replace(";", " ").split()
        return " ".join(words[:2]).upper() or "EMPTY"
    return None


def _lock(con: duckdb.DuckDBPyConnection) -> None:
    """No file access (COPY TO, EXPORT, ATTACH, read_csv...) and no setting changes from here."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def open_read_only(path: str) -> duckdb.DuckDBPyConnection:
    """Open the `--db` file read-only, with the store's memory limit and data version check."""
    from analyzer.store import DATA_VERSION, MEMORY_LIMIT, StaleDatabaseError, _spill_directory

    target = Path(path).expanduser()
    limit = os.environ.get("LAMBDASCOPE_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": limit,
        "temp_directory": _spill_directory(),
    }
    con = duckdb.connect(str(target), read_only=True, config=config)
    try:
        rows = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()
    except duckdb.CatalogException:
        con.close()
        raise StaleDatabaseError(
            f"{path} holds no lambdascope tables: choose the --db that report or analyze wrote"
        ) from None
    stored = rows[0][0] if rows else None
    if stored != DATA_VERSION:
        con.close()
        raise StaleDatabaseError(
            f"{path} was written by another lambdascope version (data version {stored}, "
            f"this one reads {DATA_VERSION}): delete it or choose another --db, then load again"
        )
    return con


def _connect(args: argparse.Namespace) -> duckdb.DuckDBPyConnection | int:
    """The loaded inputs: `--db` reopened read-only after loading any PATHs, else memory."""
    db = getattr(args, "db", None)
    if db and not input_paths(args) and not Path(db).expanduser().exists():
        from analyzer.store import open_db

        say(
            "query",
            f"note: no database at {db!r} yet, so every table is empty (nothing is created); "
            f"load logs into it first: lambdascope report --db {db} logs/",
        )
        return open_db(None)
    if not db or input_paths(args):
        loaded = open_and_load(args, "query")
        if isinstance(loaded, int) or not db:
            return loaded
        loaded.close()
    try:
        return open_read_only(db)
    except (duckdb.Error, OSError) as exc:
        say("query", f"cannot open database {db!r}: {exc}")
        return EXIT_FAILURE


def run(args: argparse.Namespace) -> int:
    """Load the inputs, run `args.sql` read-only, render the rows in `--format`."""
    from analyzer.report import render_rows

    filters = filters_from(args, "query")
    if isinstance(filters, int):
        return filters
    con = _connect(args)
    if isinstance(con, int):
        return con
    try:
        hint_unknown_function(con, filters.function, "query")
        _restrict(con, filters)
        _lock(con)
        kind = refused(con, args.sql)
        if kind is not None:
            say("query", f"{kind} statements are not run: {REFUSED_HINT}")
            return EXIT_FAILURE
        cursor = con.execute(args.sql)
        if cursor.description is None:
            return EXIT_OK
        columns = [str(d[0]) for d in cursor.description]
        rows = cursor.fetchall()
    except duckdb.Error as exc:
        reason = str(exc).strip() or type(exc).__name__
        if isinstance(exc, duckdb.PermissionException) or "configuration has been locked" in reason:
            reason = f"{reason.splitlines()[0]}: {REFUSED_HINT}"
        say("query", f"SQL error: {reason}")
        return EXIT_FAILURE
    finally:
        con.close()
    write_out(render_rows(columns, rows, getattr(args, "format", "table")))
    return EXIT_OK
