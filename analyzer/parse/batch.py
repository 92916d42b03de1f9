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


def text_bytes(src: _sources.Source) -> int:
    """About how many bytes of text `src` holds once decompressed (gzip counted GZIP_RATIO x)."""
    return src.size * (GZIP_RATIO if src.gzip else 1)


def batches(
    items: list[tuple[int, _sources.Source, str]],
) -> list[list[tuple[int, _sources.Source, str]]]:
    """Group (file_id, source, format) by format and compression, each group ~BATCH_BYTES."""
    groups: dict[tuple[str, bool], list[list[tuple[int, _sources.Source, str]]]] = {}
    sizes: dict[tuple[str, bool], int] = {}
    for item in items:
        key = (item[2], item[1].gzip)
        size = text_bytes(item[1])
        if key not in groups or sizes[key] + size > BATCH_BYTES:
            groups.setdefault(key, []).append([])
            sizes[key] = 0
        groups[key][-1].append(item)
        sizes[key] += size
    return [b for bs in groups.values() for b in bs]


def _texts(batch: list[tuple[int, _sources.Source, str]]) -> list[str] | None:
    """The decoded text of every file of a small batch; None when one is not clean UTF-8 or
    ends early (the per-file path then says so) or the batch is too big to hold."""
    size = sum(text_bytes(src) for _, src, _ in batch)
    if size > _sql.TEXTS_MAX_BYTES:
        return None
    texts = []
    for _, src, _ in batch:
        content = _sources.read_all(src)
        if content.truncated:
            return None
        try:
            texts.append(content.data.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return texts


def _read(
    con: duckdb.DuckDBPyConnection, batch: list[tuple[int, _sources.Source, str]], how: str
) -> bool:
    """Fill `_raw` with the batch's lines by DuckDB's CSV reader or from Python-read texts."""
    if how == "csv":
        paths = [src.path for _, src, _ in batch]
        gz = batch[0][1].gzip
        con.execute(_sql.READ_RAW, {"paths": paths, "compression": "gzip" if gz else "none"})
        return True
    texts = _texts(batch)
    if texts is None:
        return False
    con.execute(_sql.READ_TEXTS, {"texts": texts})
    return True


def load_batch(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, _sources.Source, str]],
    cli_function: str | None,
    track: bool = True,
) -> dict[int, FileLoad] | None:
    """Load a batch of same-format files in SQL; None (and nothing stored) if DuckDB refuses.

    DuckDB's CSV reader is tried first; a batch it refuses (a lone carriage return) is read
    in Python and handed over as texts when it is small."""
    big = sum(text_bytes(src) for _, src, _ in batch) >= STREAM_MIN_BYTES
    hows = ("stream", "csv", "texts") if big and not _starts_with_bom(batch) else ("csv", "texts")
    for how in hows:
        lines = _stream(con, batch, cli_function) if how == "stream" else None
        if how != "stream":
            lines = _load(con, batch, cli_function, how)
        if lines is not None:
            break
    else:
        return None
    lo, hi = batch[0][0], batch[-1][0]
    loads = {fid: FileLoad(lines=int(lines.get(fid, 0))) for fid, _, _ in batch}
    finish(con, lo, hi, False, loads, track)
    return loads


STREAM_MIN_BYTES = 256 << 20
"""Batches of at least this much text are streamed (`_stream`): the `_raw` copy of a big file
costs more memory (and spilling) than the streamed pass's slower insert (10 M lines: 19.4 s
and 760 MB streamed against 22.8 s and 852 MB; 1 M lines: 1.48 s against 1.36 s)."""

_BOM = "\ufeff".encode()


def _hints(batch: list[tuple[int, _sources.Source, str]]) -> list[tuple[str | None, str | None]]:
    """(function, env_id) each file's path tells (none for stdin's temporary copy)."""
    return [path_hints(src.path if not src.temp else "") for _, src, _ in batch]


def _starts_with_bom(batch: list[tuple[int, _sources.Source, str]]) -> bool:
    """Does a file of the batch start with a byte order mark (or cannot be read to tell)?
    Only the `_raw` path strips it from exactly the first line."""
    try:
        return any(_sources.read_head(src, len(_BOM)) == _BOM for _, src, _ in batch)
    except OSError:
        return True


def _stream(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, _sources.Source, str]],
    cli_function: str | None,
) -> dict[int, int] | None:
    """Stage and store the batch in one pass of DuckDB's reader over its files (no `_raw`
    copy: less memory and time); the lines per file id, or None if DuckDB refused.

    Every line is appended in the reader's order, blank and rejected ones included, so the
    rows' order numbers them (`NUMBER_LINES`); then rejects move and blank lines go."""
    fmt = batch[0][2]
    lo, hi = batch[0][0], batch[-1][0]
    hints = _hints(batch)
    q: dict[str, object] = {
        "paths": [src.path for _, src, _ in batch],
        "compression": "gzip" if batch[0][1].gzip else "none",
        "cfn": cli_function,
    }
    if len(batch) == 1:
        q |= {"fid": lo, "gfn": hints[0][0], "env": hints[0][1]}
    else:
        q |= {
            "fids": [fid for fid, _, _ in batch],
            "gfns": [fn for fn, _ in hints],
            "envs": [env for _, env in hints],
        }
    r = {"lo": lo, "hi": hi}
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            _sql.events_insert(_sql.stage_sql(fmt, one_file=len(batch) == 1, streamed=True)), q
        )
        con.execute(_sql.NUMBER_LINES, r)
        lines = {int(k): int(v) for k, v in con.execute(_sql.LINE_COUNTS, r).fetchall()}
        for statement in _sql.SETTLE_STREAMED:
            con.execute(statement, r)
        _settle(con, fmt, r)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _refused(con, "stream", len(batch), exc)
        return None
    return lines


def _refused(con: duckdb.DuckDBPyConnection, how: str, files: int, exc: duckdb.Error) -> None:
    """DuckDB refused a batch: undo what it stored (the caller tries another way), and say why
    under LAMBDASCOPE_DEBUG."""
    if os.environ.get("LAMBDASCOPE_DEBUG"):
        print(f"fast path ({how}) refused {files} file(s): {exc}", file=sys.stderr)
    con.execute("ROLLBACK")


def _settle(con: duckdb.DuckDBPyConnection, fmt: str, span: dict[str, int]) -> None:
    """After a batch's events are stored (either path): error-document field lines outside a
    runtime's document become app lines, then continuation, XRAY and unattributed error lines
    take their invocation's request id (`INHERIT`)."""
    row = con.execute(_sql.NEEDS_INHERIT, span).fetchone()
    needs, doc_fields = row if row is not None else (0, 0)
    if doc_fields:
        con.execute(_sql.demote_doc_fields(cont=fmt in ("export", "tail")), span)
    if needs:
        con.execute(_sql.inherit(by_env=fmt == "tail"), span)


def _load(
    con: duckdb.DuckDBPyConnection,
    batch: list[tuple[int, _sources.Source, str]],
    cli_function: str | None,
    how: str,
) -> dict[int, int] | None:
    """Stage and store the batch's events; the lines per file id, or None if refused."""
    fmt = batch[0][2]
    lo, hi = batch[0][0], batch[-1][0]
    hints = _hints(batch)
    rows = [(i, fid, *hints[i]) for i, (fid, _, _) in enumerate(batch)]
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _files "
            "(fx BIGINT, f_id INTEGER, f_gfn VARCHAR, f_env VARCHAR)"
        )
        con.execute(
            "INSERT INTO _files SELECT unnest($1), unnest($2), unnest($3), unnest($4)",
            [list(c) for c in zip(*rows, strict=True)],
        )
        if not _read(con, batch, how):
            con.execute("ROLLBACK")
            return None
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
        _settle(con, fmt, {"lo": lo, "hi": hi})
        lines = {int(k): int(v) for k, v in con.execute("SELECT f_id, n FROM _base").fetchall()}
        con.execute("DROP TABLE _raw")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _refused(con, how, len(batch), exc)
        return None
    return lines
