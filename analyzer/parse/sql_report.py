"""Plain-text REPORT lines, parsed from `events` at merge time: one anchored regex for the
usual tab-separated layout, the reference regexes (`analyzer.parse.message`) for the rest."""

from __future__ import annotations

from analyzer.parse.sql import NSP, WS, rx

_CANON = (
    f"^REPORT RequestId: {NSP}+\\tDuration: ([0-9.]+) ms\\tBilled Duration: ([0-9.]+) ms ?"
    "\\tMemory Size: ([0-9]+) MB\\tMax Memory Used: ([0-9]+) MB"
)
"""The usual layout (tabs, the old trailing space after Billed Duration allowed)."""


def _opt(needle: str, pattern: str, cast: str = "") -> str:
    return f"CASE WHEN contains(message, '{needle}') THEN {rx(pattern, cast)} END"


def _field(name: str, fallback: str, cast: str) -> str:
    typ = "DOUBLE" if cast == "f" else "INTEGER"
    return (
        f"CASE WHEN c.{name} <> '' THEN TRY_CAST(c.{name} AS {typ}) ELSE {rx(fallback, cast)} END"
    )


REPORTS = f"""
CREATE OR REPLACE TEMP TABLE _rep AS
SELECT request_id, ts, env_id, function,
  {_field("d", f"RequestId: {NSP}+{WS}+Duration: ([0-9.]+) ms", "f")} AS duration_ms,
  {_field("b", "Billed Duration: ([0-9.]+) ms", "f")} AS billed_ms,
  {_field("m", "Memory Size: ([0-9]+) MB", "i")} AS memory_mb,
  {_field("x", "Max Memory Used: ([0-9]+) MB", "i")} AS max_memory_mb,
  {_opt("Init Duration: ", "Init Duration: ([0-9.]+) ms", "f")} AS init_ms,
  {_opt("Restore Duration: ", "Restore Duration: ([0-9.]+) ms", "f")} AS restore_ms,
  {_opt("Status: ", "Status: ([A-Za-z]+)")} AS status,
  {_opt("Error Type: ", f"Error Type: ({NSP}+)")} AS error_type,
  {_opt("TraceId: ", "TraceId: (1-[0-9a-fA-F]+-[0-9a-fA-F]+)")} AS trace_id
FROM (
  SELECT * REPLACE (CASE WHEN c.d = '' AND contains(message, '\\t')
                          THEN replace(message, '\\t', chr(9)) ELSE message END AS message)
  FROM (SELECT request_id, ts, env_id, function, message,
          regexp_extract(message, '{_CANON}', ['d', 'b', 'm', 'x']) AS c
        FROM events
  WHERE kind = 'report' AND request_id IS NOT NULL AND NOT starts_with(message, '{{')
          AND (NOT $partial OR request_id IN (SELECT request_id FROM _affected))))
"""
"""REPORT numbers of every text REPORT line (the merge joins them with JSON reports)."""
