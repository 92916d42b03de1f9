"""Plain-text REPORT lines, parsed from `events` at merge time: string functions for the usual
tab-separated layout, the reference regexes (`analyzer.parse.message`) for anything else."""

from __future__ import annotations

from analyzer.parse.sql import NSP, WS, rx

_TAB_OK = (
    "len(l) >= 5 AND l[2] LIKE 'Duration: % ms' AND l[3] LIKE 'Billed Duration: % ms' "
    "AND l[4] LIKE 'Memory Size: % MB' AND l[5] LIKE 'Max Memory Used: % MB' "
    "AND strpos(substr(l[1], 19), ' ') = 0"
)
"""The usual tab-separated REPORT layout, read with string functions instead of regexes."""

SPLIT = f"""
CREATE OR REPLACE TEMP TABLE _ev_text AS
SELECT request_id, ts, env_id, function, tab_ok, v,
  CASE WHEN tab_ok THEN tail ELSE message END AS message
FROM (
  SELECT *, coalesce({_TAB_OK}, false) AS tab_ok,
    [substr(l[2], 11, length(l[2]) - 13), substr(l[3], 18, length(l[3]) - 20),
     substr(l[4], 14, length(l[4]) - 16), substr(l[5], 18, length(l[5]) - 20)] AS v,
    CASE WHEN len(l) > 5 THEN array_to_string(l[6:], chr(9)) ELSE '' END AS tail
  FROM (SELECT request_id, ts, env_id, function, message, string_split(message, chr(9)) AS l
        FROM events
        WHERE kind = 'report' AND request_id IS NOT NULL AND NOT starts_with(message, '{{')
          AND (NOT $partial OR request_id IN (SELECT request_id FROM _affected))))
"""
"""Text REPORT rows with their tab-separated fields split once (the optional tail kept)."""


def _opt(needle: str, pattern: str, cast: str = "") -> str:
    return f"CASE WHEN contains(message, '{needle}') THEN {rx(pattern, cast)} END"


def _field(i: int, fallback: str, cast: str) -> str:
    v = f"v[{i}]"
    if cast == "f":
        typed = (
            f"CASE WHEN {v} <> '' AND ltrim({v}, '0123456789.') = '' "
            f"THEN TRY_CAST({v} AS DOUBLE) END"
        )
    else:
        typed = (
            f"CASE WHEN length({v}) BETWEEN 1 AND 9 AND ltrim({v}, '0123456789') = '' "
            f"THEN TRY_CAST({v} AS INTEGER) END"
        )
    return f"CASE WHEN tab_ok THEN {typed} ELSE {rx(fallback, cast)} END"


REPORTS = f"""
CREATE OR REPLACE TEMP TABLE _rep AS
SELECT request_id, ts, env_id, function,
  {_field(1, f"RequestId: {NSP}+{WS}+Duration: ([0-9.]+) ms", "f")} AS duration_ms,
  {_field(2, "Billed Duration: ([0-9.]+) ms", "f")} AS billed_ms,
  {_field(3, "Memory Size: ([0-9]+) MB", "i")} AS memory_mb,
  {_field(4, "Max Memory Used: ([0-9]+) MB", "i")} AS max_memory_mb,
  {_opt("Init Duration: ", "Init Duration: ([0-9.]+) ms", "f")} AS init_ms,
  {_opt("Restore Duration: ", "Restore Duration: ([0-9.]+) ms", "f")} AS restore_ms,
  {_opt("Status: ", "Status: ([A-Za-z]+)")} AS status,
  {_opt("Error Type: ", f"Error Type: ({NSP}+)")} AS error_type,
  {_opt("TraceId: ", "TraceId: (1-[0-9a-fA-F]+-[0-9a-fA-F]+)")} AS trace_id
FROM _ev_text
"""
"""REPORT numbers of every text REPORT line (the merge joins them with JSON reports)."""
