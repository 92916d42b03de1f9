"""Open the analyzer's DuckDB database and make sure every table of `schema.sql` exists."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

_SCHEMA = resources.files("analyzer").joinpath("schema.sql")


def schema_sql() -> str:
    """The text of `analyzer/schema.sql` (idempotent DDL)."""
    return _SCHEMA.read_text(encoding="utf-8")


def open_db(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """Connect to `path` (None: in memory) and create any missing table or view."""
    if path is None:
        con = duckdb.connect(":memory:")
    else:
        target = Path(path).expanduser()
        target.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(target))
    con.execute(schema_sql())
    return con
