"""Open the analyzer's DuckDB database and make sure every table of `schema.sql` exists."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

import duckdb

_SCHEMA = resources.files("analyzer").joinpath("schema.sql")

MEMORY_LIMIT = "640MB"
"""DuckDB's memory limit unless LAMBDASCOPE_MEMORY_LIMIT says otherwise: keeps a 10 M-line
load under 1 GiB of RSS (measured 845 MB); bigger work spills to a temporary folder instead
of growing."""

DATA_VERSION = "10"
"""Version of what the loader writes into the tables. Bump it when parsing or merging changes
the rows produced from the same file: a database written under another version is not reused
(its files would be skipped as unchanged and keep their old rows)."""

_spill_dir: str | None = None


class StaleDatabaseError(duckdb.Error):
    """A database file written by a lambdascope whose data version differs from ours."""


def schema_sql() -> str:
    """The text of `analyzer/schema.sql` (idempotent DDL)."""
    return _SCHEMA.read_text(encoding="utf-8")


def _spill_directory() -> str:
    """A private temporary folder for DuckDB's spill files, removed when the process ends."""
    global _spill_dir
    if _spill_dir is None:
        _spill_dir = tempfile.mkdtemp(prefix="lambdascope-spill-")
        atexit.register(shutil.rmtree, _spill_dir, ignore_errors=True)
    return _spill_dir


def open_db(
    path: str | os.PathLike[str] | None = None, *, rebuild_stale: bool = False
) -> duckdb.DuckDBPyConnection:
    """Connect to `path` (None: in memory) and create any missing table or view.

    A file written under another DATA_VERSION raises StaleDatabaseError, or, with
    `rebuild_stale` (for caches lambdascope owns), is deleted and created anew.
    """
    if path is None:
        con = duckdb.connect(":memory:")
    else:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
    limit = os.environ.get("LAMBDASCOPE_MEMORY_LIMIT", "").strip() or MEMORY_LIMIT
    try:
        con.execute(f"SET memory_limit = '{_quote(limit)}'")
    except duckdb.Error:
        con.close()
        raise duckdb.InvalidInputException(
            f"LAMBDASCOPE_MEMORY_LIMIT={limit!r} is not a memory size: use e.g. 640MB or 4GB"
        ) from None
    con.execute(f"SET temp_directory = '{_quote(_spill_directory())}'")
    con.execute(schema_sql())
    # fetchall: a half-fetched result would block the caller's next `con.sql()`.
    rows = con.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchall()
    # A database with loaded files but no version predates versioning: treat it as stale.
    (loaded,) = con.execute("SELECT count(*) FROM files").fetchall()[0]
    stored = rows[0][0] if rows else ("0" if loaded else None)
    if stored is None:
        con.execute("INSERT INTO meta VALUES ('data_version', ?)", [DATA_VERSION])
    elif stored != DATA_VERSION:
        con.close()
        if path is not None and rebuild_stale:
            Path(path).expanduser().unlink()
            return open_db(path)
        raise StaleDatabaseError(
            f"{path} was written by another lambdascope version (data version {stored}, "
            f"this one writes {DATA_VERSION}): delete it or choose another --db, then load again"
        )
    return con


def _quote(value: str) -> str:
    """`value` safe inside a single-quoted SQL literal (SET takes no parameters)."""
    return value.replace("'", "''")
