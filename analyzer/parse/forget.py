"""Forget what earlier loads stored for files that changed or disappeared from an input folder.

A reused database (`--db`, the analyze cache) must give the numbers a fresh load of the same
paths gives: the rows of a deleted file go, and so do those of a replaced file (it is loaded
again). Files loaded later that had events dropped as copies of a forgotten file's are
forgotten too, and loaded again when they are still named.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Sequence

import duckdb

from analyzer.parse.store_file import AFFECTED

_LATER_DEDUPED = """
SELECT f.file_id FROM files f
LEFT JOIN (SELECT file_id, count(*) AS n FROM events GROUP BY 1) e USING (file_id)
WHERE f.file_id > list_min($ids) AND NOT list_contains($ids, f.file_id)
  AND coalesce(e.n, 0) < f.events
"""
"""Files loaded after one of `ids` that hold fewer events than they parsed: some of their
events were dropped as copies of events another file gave (maybe one of `ids`)."""


def _roots(args: Sequence[str]) -> list[tuple[str, str]]:
    """(kind, absolute root) of each argument that names a set of files rather than one."""
    roots: list[tuple[str, str]] = []
    for arg in args:
        if arg == "-":
            continue
        if os.path.isdir(arg):
            roots.append(("dir", os.path.join(os.path.abspath(arg), "")))
        elif glob.has_magic(arg):
            roots.append(("glob", os.path.abspath(arg)))
        elif not os.path.exists(arg):
            roots.append(("file", os.path.abspath(arg)))
    return roots


def _under(path: str, roots: list[tuple[str, str]]) -> bool:
    for kind, root in roots:
        if kind == "dir" and path.startswith(root):
            return True
        if kind == "file" and path == root:
            return True
        if kind == "glob" and fnmatch.fnmatchcase(path, root) and not os.path.exists(path):
            return True
    return False


def gone_files(stored: Iterable[tuple[int, str]], args: Sequence[str], seen: set[str]) -> list[int]:
    """Ids of stored files under a folder/glob argument (or a named missing file) not seen now."""
    roots = _roots(args)
    if not roots:
        return []
    return [fid for fid, path in stored if path not in seen and _under(path, roots)]


def later_overlaps(con: duckdb.DuckDBPyConnection, ids: list[int]) -> list[int]:
    """Files whose shared events may have been counted under one of `ids` (see module doc)."""
    if not ids:
        return []
    return sorted(r[0] for r in con.execute(_LATER_DEDUPED, {"ids": ids}).fetchall())


def forget(con: duckdb.DuckDBPyConnection, file_ids: Iterable[int]) -> None:
    """Remove the rows of `file_ids`; their request ids go to `_affected` to be merged again."""
    for fid in file_ids:
        con.execute(AFFECTED, {"lo": fid, "hi": fid})
        con.execute(
            "INSERT INTO _affected SELECT DISTINCT request_id FROM load_evidence "
            "WHERE file_id = ? AND request_id IS NOT NULL",
            [fid],
        )
        for table in ("events", "rejects", "load_evidence", "files"):
            con.execute(f"DELETE FROM {table} WHERE file_id = ?", [fid])
