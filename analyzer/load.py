"""Load log files into the analyzer's tables: sources -> detect -> parse -> store -> merge.

Line-oriented text (S3 export, plain text, `aws logs tail`) goes through DuckDB SQL
(`analyzer.parse.sql`); JSON containers and anything DuckDB refuses (invalid UTF-8, a
truncated gzip, stray carriage returns) through the pure-Python parsers.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from analyzer import detect as _detect
from analyzer import sources as _sources
from analyzer.aggregates import mixing
from analyzer.merge import merge
from analyzer.parse import forget as _forget
from analyzer.parse.batch import batches, load_batch, text_bytes
from analyzer.parse.store_file import (
    LINE_FORMATS,
    FileLoad,
    file_row,
    load_python,
    path_identity,
    record_files,
    scalar,
)

_PY_RUN = 64
_PY_RUN_BYTES = 16 << 20
"""Files (and about how many bytes of text, see `text_bytes`) the Python path stores together:
bounds the rows held in memory at once."""


class LoadError(Exception):
    """Nothing at all could be read; the message says why and what to do."""


@dataclass(slots=True)
class LoadResult:
    """What one `load_paths` call did."""

    files: int = 0
    skipped_unchanged: int = 0
    lines: int = 0
    events: int = 0
    rejected: int = 0
    invocations: int = 0
    warnings: list[str] = field(default_factory=list)


class _Progress:
    """A one-line \\r bar on stderr, shown only on a terminal and after about a second.

    A daemon thread redraws it twice a second (with the elapsed time), so a single big file,
    which DuckDB reads in one go, still shows that the load is alive."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.total = total
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.shown = False
        self.done = 0
        self.lines = 0
        self.phase = "loading"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        if self.enabled:
            threading.Thread(target=self._tick, daemon=True, name="lambdascope-progress").start()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self.start
        if not self.enabled or elapsed < 1.0:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        with self._lock:
            if not self.enabled:  # closed meanwhile
                return
            sys.stderr.write(
                f"\r{self.phase:<8} [{bar}] {self.done}/{self.total} files, {self.lines:,} lines, "
                f"{elapsed:.0f} s "
            )
            sys.stderr.flush()
            self.shown = True

    def update(self, done: int, lines: int) -> None:
        """Record progress (files done, lines read) and redraw if the bar is due."""
        self.done, self.lines = done, lines
        self._draw()

    def close(self) -> None:
        """Stop redrawing; end the bar's line if one was drawn."""
        self._stop.set()
        with self._lock:
            if self.shown:
                sys.stderr.write("\n")
                sys.stderr.flush()
            self.enabled = False


def _forgotten(
    con: duckdb.DuckDBPyConnection,
    args: Sequence[str],
    found: list[tuple[_sources.Source, str, bytes]],
    result: LoadResult,
) -> set[str]:
    """Forget stored files that are gone or changed (and files overlapping them that will be
    loaded again); return the fingerprints that no longer count as already loaded."""
    stored = con.execute("SELECT file_id, path, fingerprint FROM files").fetchall()
    fps = {fp for _, _, fp in stored}
    now = {path_identity(src): fp for src, fp, _ in found}
    gone = _forget.gone_files([(fid, path) for fid, path, _ in stored], args, set(now))
    changed = [fid for fid, path, fp in stored if path in now and now[path] not in fps]
    by_id = {fid: (path, fp) for fid, path, fp in stored}
    todo, frontier = set(gone) | set(changed), gone + changed
    while frontier:  # overlapping files that can be read again: reloaded, nothing is lost
        more = _forget.later_overlaps(con, frontier)
        more = [f for f in more if by_id[f][0] in now or os.path.isfile(by_id[f][0])]
        frontier = [f for f in more if f not in todo]
        todo.update(frontier)
    _forget.forget(con, sorted(todo))
    for fid in sorted(todo):  # loaded earlier from another path: read it again from there
        path = by_id[fid][0]
        if path not in now and fid not in gone and os.path.isfile(path):
            try:
                src = _sources.source_at(path)
                fp = _sources.fingerprint(src)
                found.append((src, fp, _sources.read_head(src, _detect.HEAD_BYTES)))
            except OSError as exc:
                result.warnings.append(f"{path}: cannot read ({exc}); check permissions")
    if gone:
        n = len(gone)
        result.warnings.append(
            f"{n} file{'s' if n > 1 else ''} gone since the last load: "
            f"{'their' if n > 1 else 'its'} data was removed"
        )
    return {by_id[f][1] for f in todo}


def _plan(
    con: duckdb.DuckDBPyConnection,
    args: Sequence[str],
    srcs: list[_sources.Source],
    result: LoadResult,
) -> tuple[list[tuple[_sources.Source, str, str]], int, bool]:
    """Fingerprint, forget gone/changed, skip unchanged, detect: the files to load, the
    readable count and whether anything was forgotten."""
    found: list[tuple[_sources.Source, str, bytes]] = []
    for src in srcs:
        try:
            found.append(
                (src, _sources.fingerprint(src), _sources.read_head(src, _detect.HEAD_BYTES))
            )
        except OSError as exc:
            result.warnings.append(f"{src.display}: cannot read ({exc}); check permissions")
    dropped = _forgotten(con, args, found, result)
    known = {r[0] for r in con.execute("SELECT fingerprint FROM files").fetchall()}
    jobs: list[tuple[_sources.Source, str, str]] = []
    seen: set[str] = set()
    readable = 0
    for src, fp, head in found:
        if fp in seen or fp in known:
            result.skipped_unchanged += 1
            readable += 1
            continue
        seen.add(fp)
        jobs.append((src, fp, _detect.detect(head)))
    return jobs, readable, bool(dropped)


def _runs(
    items: list[tuple[int, _sources.Source, str]],
) -> list[list[tuple[int, _sources.Source, str]]]:
    """Split items into runs of consecutive file ids (at most _PY_RUN): the Python path
    stores each run with one set of statements."""
    runs: list[list[tuple[int, _sources.Source, str]]] = []
    size = 0
    for item in items:
        grow = text_bytes(item[1])
        joins = runs and item[0] == runs[-1][-1][0] + 1 and len(runs[-1]) < _PY_RUN
        if joins and size + grow <= _PY_RUN_BYTES:
            runs[-1].append(item)
            size += grow
            continue
        runs.append([item])
        size = grow
    return runs


def _load_jobs(
    con: duckdb.DuckDBPyConnection,
    jobs: list[tuple[_sources.Source, str, str]],
    function: str | None,
    python_only: bool,
    bar: _Progress,
    track: bool,
) -> dict[int, FileLoad]:
    """Load every job: line formats in SQL batches, the rest (and refusals) in Python."""
    first = int(scalar(con, "SELECT coalesce(max(file_id), 0) + 1 FROM files"))
    items = [(first + i, src, fmt) for i, (src, _, fmt) in enumerate(jobs)]
    fast = [it for it in items if it[2] in LINE_FORMATS and not python_only]
    loads: dict[int, FileLoad] = {}
    lines = 0

    def done(got: dict[int, FileLoad]) -> None:
        nonlocal lines
        loads.update(got)
        lines += sum(f.lines for f in got.values())
        bar.update(len(loads), lines)

    for batch in batches(fast):
        got = load_batch(con, batch, function, track)
        if got is None and len(batch) > 1:
            got = {}
            for item in batch:  # find the file DuckDB refused; the others stay fast
                got.update(load_batch(con, [item], function, track) or {})
        done(got or {})
    for run in _runs([it for it in items if it[0] not in loads]):
        done(load_python(con, run, function, track))
    record_files(
        con,
        [file_row(con, fid, src, jobs[fid - first][1], fmt, loads[fid]) for fid, src, fmt in items],
    )
    return loads


def load_paths(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[str],
    *,
    function: str | None = None,
    progress: bool | None = None,
    engine: str = "auto",
) -> LoadResult:
    """Load every file named by `paths` ('-' = stdin) into the tables of `con`.

    `engine="python"` skips the DuckDB fast path (the differential tests use it)."""
    refused = mixing(con, "files")
    if refused:
        raise LoadError(refused)
    srcs, warnings = _sources.expand(list(paths))
    result = LoadResult(warnings=warnings)
    con.execute("CREATE OR REPLACE TEMP TABLE _affected (request_id VARCHAR)")
    had_invocations = bool(scalar(con, "SELECT count(*) > 0 FROM invocations"))
    bar = _Progress(len(srcs), progress)
    try:
        jobs, readable, forgot = _plan(con, paths, srcs, result)
        loads = _load_jobs(con, jobs, function, engine == "python", bar, had_invocations)
        for _, fl in sorted(loads.items()):
            result.files += 1
            result.lines += fl.lines
            result.events += fl.lines - fl.rejected
            result.rejected += fl.rejected
            result.warnings.extend(fl.warnings)
            readable += fl.status in ("ok", "truncated")
        if jobs or forgot:  # nothing new, changed or gone: the tables are already right
            bar.phase = "merging"
            merge(con, partial=had_invocations)
    finally:
        bar.close()
        for src in srcs:
            if src.temp:
                os.unlink(src.path)
    result.invocations = int(scalar(con, "SELECT count(*) FROM invocations"))
    if function is None and any(src.display == "<stdin>" for src in srcs):
        result.warnings.extend(_stdin_unnamed(con))
    if readable == 0:
        detail = "; ".join(result.warnings) or "no input given"
        raise LoadError(f"nothing could be loaded: {detail}")
    return result


def _stdin_unnamed(con: duckdb.DuckDBPyConnection) -> list[str]:
    """A hint when standard input named no function (no log group, no /aws/lambda/ path)."""
    n = scalar(
        con,
        "SELECT count(DISTINCT request_id) FROM events WHERE function = 'unknown' AND "
        "request_id IS NOT NULL AND file_id IN (SELECT file_id FROM files WHERE path = '<stdin>')",
    )
    if not n:
        return []
    return [
        f"<stdin>: {n} invocation(s) name no function (the lines carry no log group); "
        "they are called 'unknown' - pass --function NAME"
    ]
