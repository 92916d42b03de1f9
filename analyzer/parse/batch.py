"""The fast path for many line-oriented files at once: one DuckDB `read_csv` over a batch of
files (S3 export parts, text files), classified and stored with a handful of statements."""

from __future__ import annotations

import os
import sys

import duckdb

from analyzer import sources as _sources
from analyzer.parse import sql as _sql
from analyzer.parse.store_file import FileLoad, finish, path_hints, scalar

BATCH_BYTES = 256 << 20
"""About how much (uncompressed) text one batch reads: bounds memory for huge inputs."""

GZIP_RATIO = 8
"""Rough size factor of gzip-compressed logs, for batching."""


def batches(
    items: list[tuple[int, _sources.Source, str]],
) -> list[list[tuple[int, _sources.Source, str]]]:
    """Group (file_id, source, format) by format and compression, each group ~BATCH_BYTES."""
    groups: dict[tuple[str, bool], list[list[tuple[int, _sources.Source, str]]]] = {}
    sizes: dict[tuple[str, bool], int] = {}
    for item in items:
        key = (item[2], item[1].gzip)
        size = item[1].size * (GZIP_RATIO if item[1].gzip else 1)
        if key not in groups or sizes[key] + size > BATCH_BYTES:
            groups.setdefault(key, []).append([])
            sizes[key] = 0
        groups[key][-1].append(item)
        sizes[key] += size
    return [b for bs in groups.values() for b in bs]


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, _sources.Source, str]],
    cli_function: str | None,
    track: bool = True,
) -> dict[int, FileLoad] | None:
    """Load a batch of same-format files in SQL; None (and nothing stored) if DuckDB refuses."""
    fmt, gz = batch[0][2], batch[0][1].gzip
    lo, hi = batch[0][0], batch[-1][0]
    rows = []
    for i, (fid, src, _) in enumerate(batch):
        fn, env = path_hints(src.path if not src.temp else "")
        rows.append((i, fid, fn, env))
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _files "
            "(fx BIGINT, f_id INTEGER, f_gfn VARCHAR, f_env VARCHAR)"
        )
        con.executemany("INSERT INTO _files VALUES (?, ?, ?, ?)", rows)
        con.execute(
            _sql.READ_RAW,
            {"paths": [src.path for _, src, _ in batch], "compression": "gzip" if gz else "none"},
        )
        con.execute(_sql.BASE)
        bom = bool(scalar(con, _sql.HAS_BOM))
        if len(batch) == 1:
            base = scalar(con, "SELECT base FROM _base")
            q = {"cfn": cli_function, "base": base or 0, "fid": lo, "gfn": rows[0][2]}
            q["env"] = rows[0][3]
            con.execute(_sql.events_insert(_sql.stage_sql(fmt, one_file=True, bom=bom)), q)
        else:
            con.execute(_sql.events_insert(_sql.stage_sql(fmt, bom=bom)), {"cfn": cli_function})
        con.execute(_sql.RAW_REJECTS)
        if scalar(con, _sql.NEEDS_INHERIT, {"lo": lo, "hi": hi}):
            con.execute(_sql.INHERIT, {"lo": lo, "hi": hi})
        lines = dict(con.execute("SELECT f_id, n FROM _base").fetchall())
        con.execute("DROP TABLE _raw")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        if os.environ.get("LAMBDASCOPE_DEBUG"):
            print(f"fast path refused {len(batch)} file(s): {exc}", file=sys.stderr)
        con.execute("ROLLBACK")
        return None
    loads = {fid: FileLoad(lines=int(lines.get(fid, 0))) for fid, _, _ in batch}
    finish(con, lo, hi, False, loads, track)
    return loads
