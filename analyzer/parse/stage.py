"""The pure-Python path: raw events -> stage rows and evidence rows (same shape as the SQL
fast path's `_stage` table), with continuation / open-invocation inheritance per stream."""

from __future__ import annotations

import re
from typing import Any

from analyzer.parse.containers import RawEvent, Unwrapped
from analyzer.parse.message import (
    ENV_KINDS,
    EVIDENCE_FIELDS,
    EVIDENCE_KINDS,
    Parsed,
    classify_message,
)
from analyzer.parse.runtime_text import ERROR_DOC_FIELDS, doc_code, doc_field_kept

STAGE_COLUMNS = (
    ("line_no", "BIGINT"),
    ("reject", "VARCHAR"),
    ("cont", "BOOLEAN"),
    ("ts", "VARCHAR"),
    ("stream", "VARCHAR"),
    ("rid", "VARCHAR"),
    ("level", "VARCHAR"),
    ("kind", "VARCHAR"),
    ("msg", "VARCHAR"),
    ("fn", "VARCHAR"),
    ("env", "VARCHAR"),
    ("gfn", "VARCHAR"),
)
"""Columns (and DuckDB types) of the stage table both paths fill."""

EVIDENCE_TYPES = {
    "memory_mb": "INTEGER",
    "max_memory_mb": "INTEGER",
    "cold_start": "BOOLEAN",
    **{
        f: "DOUBLE"
        for f in (
            "duration_ms",
            "billed_ms",
            "init_ms",
            "restore_ms",
            "timeout_ms",
            "remaining_ms",
        )
    },
}
PYEV_COLUMNS = (
    ("line_no", "BIGINT"),
    *((f, EVIDENCE_TYPES.get(f, "VARCHAR")) for f in EVIDENCE_FIELDS),
)
"""Columns of the Python path's evidence rows (joined to the resolved rows by line_no)."""

_GROUP = re.compile(r"/aws/lambda/([^/]+)$")


def group_function(group: str | None) -> str | None:
    """The function a log group belongs to: `/aws/lambda/NAME` -> NAME."""
    if not group:
        return None
    m = _GROUP.search(group)
    return m.group(1) if m else None


def _row(ev: RawEvent, p: Parsed) -> list[Any]:
    kind = "continuation" if ev.cont and p.kind == "app" else p.kind
    return [
        ev.line_no,
        None,
        ev.cont,
        ev.ts or p.ts,
        ev.stream,
        p.request_id or None,
        p.level,
        kind,
        ev.message,
        p.function,
        p.env_id,
        group_function(ev.group),
    ]


def _closes(kind: str, msg: str) -> bool:
    """Does this row end its invocation for the open-invocation rule? END and REPORT, and the
    platform's timeout and `RequestId: ... Error:` lines, which follow the REPORT (the
    runtime is gone: the next crash lines belong to the next init)."""
    return kind in ("end", "report", "timeout") or (
        kind == "error" and msg.startswith("RequestId: ")
    )


def _demote_doc_fields(rows: list[list[Any]]) -> None:
    """An indented `  "errorType": "...` line not inside a runtime's error document (any app
    can print such JSON) is an app line (a continuation line in an export), not an error.
    Mirror of `analyzer.parse.sql.demote_doc_fields`."""
    n = len(rows)
    for i, r in enumerate(rows):
        if r[7] != "error" or r[5] is not None or not r[8].startswith(ERROR_DOC_FIELDS):
            continue
        before = "".join(doc_code(rows[j][8]) for j in range(i - 1, max(i - 4, -1), -1))
        after = "".join(doc_code(rows[j][8]) for j in range(i + 1, min(i + 3, n)))
        if not doc_field_kept(doc_code(r[8]), before, after):
            r[7] = "continuation" if r[2] else "app"
            r[6] = None


def _inherit(rows: list[list[Any]]) -> None:
    """Mirror of `analyzer.parse.sql.INHERIT`, in place: the open invocation per stream, the
    head line (and its stream) for continuation and XRAY lines."""
    _demote_doc_fields(rows)
    orid: dict[Any, str] = {}
    head: tuple[Any, Any, Any, Any] | None = None
    for r in rows:
        stream, kind, pre = r[4], r[7], r[5]
        if kind == "error" and pre is None:
            r[5] = orid.get(stream) or None
        if _closes(kind, r[8]):
            orid[stream] = ""
        elif pre is not None:
            orid[stream] = pre
        h = head
        if kind != "continuation":
            head = (r[3], r[5], r[6], r[4])
        if h is None:
            continue
        if kind == "continuation":
            r[3] = r[3] or h[0]
            r[5] = r[5] or h[1]
            r[6] = r[6] or h[2]
        if kind in ("continuation", "xray"):
            r[5] = r[5] or h[1]
            r[4] = r[4] or h[3]


def _is_evidence(kind: str, rid: str | None, msg: str) -> bool:
    """Mirror of the evidence SQL's WHERE: text REPORTs are parsed at merge time instead."""
    if kind == "report" and not msg.startswith("{"):
        return False
    return (
        (kind in EVIDENCE_KINDS and rid is not None)
        or kind in ENV_KINDS
        or (kind == "restore_start")
    )


def stage_rows(unwrapped: Unwrapped) -> tuple[list[list[Any]], list[list[Any]], int]:
    """Stage rows (events, then rejects), evidence rows and the number of duplicate ids."""
    rows: list[list[Any]] = []
    evidence: dict[int, dict[str, Any]] = {}
    seen_ids: set[str] = set()
    dupes = 0
    for ev in unwrapped.events:
        if ev.event_id is not None:
            if ev.event_id in seen_ids:
                dupes += 1
                continue
            seen_ids.add(ev.event_id)
        p = classify_message(ev.message)
        rows.append(_row(ev, p))
        evidence[ev.line_no] = p.evidence
    _inherit(rows)
    ev_rows = [
        [r[0], *(evidence[r[0]].get(f) for f in EVIDENCE_FIELDS)]
        for r in rows
        if _is_evidence(r[7], r[5], r[8])
    ]
    for rej in unwrapped.rejects:
        rows.append([rej.line_no, rej.reason, False, None, None, None, None, None, rej.raw])
        rows[-1].extend([None, None, None])
    return rows, ev_rows, dupes
