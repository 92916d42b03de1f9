"""Merge invocation evidence into `invocations`, and rebuild `environments`/`init_failures`.

START/END facts come straight from `events` (kind start/end); everything else from
`load_evidence`. Built as joins of small per-kind aggregates: fast for millions of lines.
"""

from __future__ import annotations

import duckdb

from analyzer.parse import runtime_text as _rt
from analyzer.parse.sql_report import REPORTS

_AFF = "AND (NOT $partial OR request_id IN (SELECT request_id FROM _affected))"
_LS = "arg_max({c}, {{'t': ts, 'f': file_id, 'l': line_no}}) FILTER (WHERE kind = 'lambdascope')"
"""The value of column `c` in a request's last lambdascope record."""
_VERSION = (
    "CASE WHEN starts_with(message, '{') THEN CASE WHEN json_valid(message) THEN "
    "json_extract_string(message, '$.record.version') END "
    "WHEN contains(message, 'Version: ') THEN coalesce(nullif(regexp_extract(substr(message, "
    "strpos(message, 'Version: ') + 9), '^[^ \\t\\n\\r\\f]+'), ''), "
    "nullif(regexp_extract(message, 'Version: ([^ \\t\\n\\r\\f]+)', 1), '')) END"
)
"""The version of a START line or a lambdascope record. The anchored match right after the first
`Version: ` is the usual answer and much faster than the unanchored search it falls back to."""

OOM_TYPES = ("Runtime.OutOfMemory",)
"""Lambda's own out-of-memory error type (the language types match `runtime_text.OOM_TYPE`:
MemoryError and subclasses, java.lang.OutOfMemoryError, System.OutOfMemoryException,
NoMemoryError / Function<NoMemoryError>...)."""
_IS_OOM_TYPE = (
    "({x} IN (" + ", ".join(f"'{t}'" for t in OOM_TYPES) + ") OR (contains({x}, 'Memory') "
    f"AND regexp_matches({{x}}, '{_rt.OOM_TYPE}')))"
)
"""SQL: is the error type {x} an out-of-memory type (a cheap guard before the regex)."""
_OOM_ROW = (
    f"kind = 'error' AND ({_IS_OOM_TYPE.format(x='error_type')} "
    "OR (error_type IS NULL AND (starts_with(error_message, 'FATAL ERROR: ') "
    "OR starts_with(error_message, 'fatal error: ') "
    "OR starts_with(error_message, 'Exception in thread ')) "
    f"AND regexp_matches(error_message, '{_rt.OOM_CRASH}')))"
)
"""An error line of an out-of-memory type, or an untyped crash line that says out of memory
(Node's V8, Go, the JVM): an error message that merely mentions an OOM word, such as a
downstream system's `java.lang.OutOfMemoryError`, is not one. Aggregated in CTE `o`, which
reads the affected error rows anyway (no second scan of load_evidence)."""
_OOM = (
    f"outcome = 'error' AND ({_IS_OOM_TYPE.format(x='etype')} "
    "OR (killed AND max_memory_mb >= memory_mb) OR oom_row)"
)
"""An invocation that failed for lack of memory: Lambda says so (REPORT / platform record),
or its type is a language OOM type, or the runtime was killed at its memory size, or one of
its error lines is an OOM (`_OOM_ROW`), whatever type the REPORT gives."""
OOM_MESSAGE = "Runtime exited with error: signal: killed"
"""The runtime's text for a killed (out of memory) process: the message of every OOM invocation
whose logs carry none (a modern REPORT says only `Error Type: Runtime.OutOfMemory`), so one
cause is one error group whether the legacy `Runtime exited` line was written or not. A
language OOM without a message (Python's bare `MemoryError`) is not a killed process: its
message is the language's error type instead."""

MERGE = f"""
INSERT INTO invocations
WITH s AS (
  SELECT request_id, min(ts) FILTER (WHERE kind = 'start') AS start_line_ts,
    min(ts) AS se_first, max(ts) AS se_last, max(env_id) AS env_id,
    max(function) FILTER (WHERE function <> 'unknown') AS fn, any_value(function) AS fn_any,
    any_value({_VERSION}) FILTER (WHERE kind = 'start') AS start_version,
    max(CASE WHEN kind = 'start' AND starts_with(message, '{{') THEN CASE
        WHEN json_valid(message) THEN nullif(regexp_extract(
          json_extract_string(message, '$.record.tracing.value'),
          'Root=(1-[0-9a-fA-F]+-[0-9a-fA-F]+)', 1), '') END END) AS trace_id,
    bool_or(kind = 'start') AS has_start
  FROM events
  WHERE kind IN ('start', 'end') AND request_id IS NOT NULL {_AFF}
  GROUP BY request_id
), r AS (
  SELECT request_id, max(ts) AS report_ts, max(env_id) AS env_id,
    max(function) FILTER (WHERE function <> 'unknown') AS fn, any_value(function) AS fn_any,
    max(init_ms) AS init_ms, max(restore_ms) AS restore_ms, max(duration_ms) AS duration_ms,
    max(billed_ms) AS billed_ms, max(memory_mb) AS memory_mb,
    max(max_memory_mb) AS max_memory_mb, bool_or(status = 'timeout') AS timeout,
    bool_or(status = 'error') AS error, max(error_type) AS error_type,
    max(trace_id) AS trace_id
  FROM (SELECT request_id, ts, env_id, function, init_ms, restore_ms, duration_ms, billed_ms,
          memory_mb, max_memory_mb, status, error_type, trace_id FROM _rep
        UNION ALL
        SELECT request_id, ts, env_id, function, init_ms, restore_ms, duration_ms, billed_ms,
          memory_mb, max_memory_mb, status, error_type, trace_id
        FROM load_evidence WHERE kind = 'report' {_AFF})
  GROUP BY request_id
), o AS (
  SELECT request_id, min(ts) AS first_ts, max(ts) AS last_ts, max(env_id) AS env_id,
    max(function) FILTER (WHERE function <> 'unknown') AS fn, any_value(function) AS fn_any,
    bool_or(status = 'timeout' AND kind IN ('runtime_done', 'timeout')) AS timeout,
    bool_or(status = 'error' AND kind IN ('runtime_done', 'error')) AS error,
    max(error_type) FILTER (WHERE kind = 'runtime_done') AS rd_etype,
    max(error_type) FILTER (WHERE kind = 'error') AS e_etype,
    max(error_message) FILTER (WHERE kind = 'error') AS e_msg,
    bool_or(kind = 'error' AND error_message LIKE '%signal: killed%') AS killed,
    bool_or({_OOM_ROW}) AS oom_row,
    max(error_type) FILTER (WHERE {_OOM_ROW}) AS oom_type,
    max(timeout_ms) FILTER (WHERE kind = 'timeout') AS t_timeout,
    max(trace_id) FILTER (WHERE kind <> 'lambdascope') AS trace_id,
    bool_or(kind = 'lambdascope') AS has_ls, bool_or(kind = 'runtime_done') AS has_rd,
    {_LS.format(c="status")} AS ls_status,
    {_LS.format(c="cold_start")} AS ls_cold,
    {_LS.format(c="init_ms")} AS ls_init,
    {_LS.format(c="duration_ms")} AS ls_duration,
    {_LS.format(c="memory_mb")} AS ls_memory,
    {_LS.format(c="version")} AS ls_version,
    {_LS.format(c="error_type")} AS ls_etype,
    {_LS.format(c="error_message")} AS ls_emsg,
    {_LS.format(c="timeout_ms")} AS ls_timeout,
    {_LS.format(c="remaining_ms")} AS remaining_ms,
    {_LS.format(c="trigger")} AS trigger,
    {_LS.format(c="trace_id")} AS ls_trace
  FROM load_evidence
  WHERE kind IN ('runtime_done', 'timeout', 'error', 'lambdascope', 'xray')
    AND request_id IS NOT NULL {_AFF}
  GROUP BY request_id
), m AS (
  SELECT request_id,
    coalesce(r.fn, s.fn, o.fn, r.fn_any, s.fn_any, o.fn_any) AS function,
    coalesce(r.env_id, s.env_id, o.env_id) AS env_id,
    s.start_line_ts, s.start_version, r.report_ts, least(s.se_first, o.first_ts) AS first_ts,
    greatest(s.se_last, o.last_ts) AS last_ts,
    r.request_id IS NOT NULL AS has_report, coalesce(s.has_start, false) AS has_start,
    coalesce(o.has_ls, false) AS has_ls, coalesce(o.has_rd, false) AS has_rd,
    r.init_ms AS r_init, r.restore_ms AS r_restore,
    coalesce(r.duration_ms, o.ls_duration) AS duration_ms, r.billed_ms,
    coalesce(r.memory_mb, o.ls_memory) AS memory_mb, r.max_memory_mb,
    CASE WHEN coalesce(r.timeout, false) OR coalesce(o.timeout, false)
              OR o.ls_status = 'timeout' THEN 'timeout'
         WHEN coalesce(r.error, false) OR coalesce(o.error, false)
              OR o.ls_status = 'error' THEN 'error'
         WHEN r.request_id IS NOT NULL OR o.ls_status = 'success' THEN 'success' END AS outcome,
    coalesce(r.error_type, o.rd_etype, o.e_etype, o.ls_etype) AS etype,
    coalesce(o.e_msg, o.ls_emsg) AS emsg, coalesce(o.killed, false) AS killed,
    coalesce(o.oom_row, false) AS oom_row, o.oom_type,
    coalesce(o.t_timeout, o.ls_timeout) AS timeout_ms, r.duration_ms AS r_duration,
    o.ls_cold, o.ls_init, o.ls_version, o.remaining_ms, o.trigger,
    coalesce(r.trace_id, o.trace_id, s.trace_id, o.ls_trace) AS trace_id
  FROM s FULL JOIN r USING (request_id) FULL JOIN o USING (request_id)
), g AS (
  SELECT * EXCLUDE (oom_row), {_OOM} AS is_oom FROM m
)
SELECT function, coalesce(start_version, ls_version) AS version,
  request_id, env_id,
  coalesce(start_line_ts,
           report_ts - to_microseconds(CAST(duration_ms * 1000 AS BIGINT)), first_ts),
  coalesce(report_ts, last_ts),
  CASE WHEN r_init IS NOT NULL OR r_restore IS NOT NULL THEN true
       WHEN ls_cold IS NOT NULL THEN ls_cold
       WHEN has_report THEN false END,
  coalesce(r_init, ls_init), r_restore, duration_ms, billed_ms, memory_mb, max_memory_mb,
  outcome,
  CASE WHEN is_oom THEN 'Runtime.OutOfMemory'
       WHEN outcome IN ('error', 'timeout') THEN etype END,
  CASE WHEN is_oom THEN coalesce(emsg, oom_type,
         CASE WHEN etype <> 'Runtime.OutOfMemory' AND {_IS_OOM_TYPE.format(x="etype")}
              THEN etype END,
         '{OOM_MESSAGE}')
       WHEN outcome IN ('error', 'timeout') THEN emsg END,
  coalesce(timeout_ms, CASE WHEN outcome = 'timeout' THEN r_duration END),
  remaining_ms, trigger, trace_id, env.runtime_version,
  CASE WHEN has_report THEN 'report' WHEN has_ls THEN 'lambdascope'
       WHEN has_start OR has_rd THEN 'start' ELSE 'error' END
FROM g LEFT JOIN (
  SELECT env_id, max(runtime_version) AS runtime_version FROM load_evidence
  WHERE kind IN ('init_start', 'restore_start') AND env_id IS NOT NULL GROUP BY env_id
) env USING (env_id)
"""
"""One invocations row per request id (design §3): REPORT beats platform records beats the
last lambdascope record; a timeout anywhere beats an error beats success."""

ENVIRONMENTS = """
DELETE FROM environments;
INSERT INTO environments
SELECT coalesce(max(function) FILTER (WHERE function <> 'unknown'), any_value(function)),
  env_id, min(start_ts), max(end_ts), count(*), max(runtime_version)
FROM invocations WHERE env_id IS NOT NULL GROUP BY env_id;
DELETE FROM init_failures;
INSERT INTO init_failures
SELECT DISTINCT function, env_id, ts, phase, status, error_type, init_ms
FROM load_evidence
WHERE kind = 'init_report' AND coalesce(status, 'error') <> 'success';
"""
"""Environments and init failures are small: rebuilt whole after every load."""

UNTIMED = f"""
SELECT EXISTS (SELECT 1 FROM invocations WHERE (start_ts IS NULL OR end_ts IS NULL) {_AFF})
"""
"""Does any (rebuilt) invocation lack a start or end time? Usually not: then TIMES is skipped."""

TIMES = f"""
UPDATE invocations SET start_ts = coalesce(invocations.start_ts, t.first_ts),
  end_ts = coalesce(invocations.end_ts, t.last_ts)
FROM (SELECT request_id, min(ts) AS first_ts, max(ts) AS last_ts FROM events
      WHERE ts IS NOT NULL AND request_id IN (
        SELECT request_id FROM invocations WHERE (start_ts IS NULL OR end_ts IS NULL) {_AFF})
      GROUP BY request_id) t
WHERE invocations.request_id = t.request_id
"""
"""START/REPORT without a time (message-only text): the request's first and last timestamped
lines (application lines carry an ISO time) stand in for them."""

NEIGHBOURS = f"""
UPDATE invocations SET start_ts = n.ts, end_ts = n.ts + to_microseconds(CASE
    WHEN invocations.duration_ms BETWEEN 0 AND 86400000
    THEN CAST(invocations.duration_ms * 1000 AS BIGINT) ELSE 0 END)
FROM (
  WITH v AS (
    SELECT request_id, p.f AS file_id, p.l AS line_no
    FROM (SELECT request_id, min({{'f': file_id, 'l': line_no}}) AS p FROM events
          WHERE request_id IN (SELECT request_id FROM invocations
                               WHERE start_ts IS NULL AND end_ts IS NULL {_AFF})
          GROUP BY request_id)
  ), t AS (
    SELECT file_id, line_no, ts FROM events
    WHERE ts IS NOT NULL AND file_id IN (SELECT file_id FROM v)
  )
  SELECT v.request_id, coalesce(b.ts, a.ts) AS ts
  FROM v ASOF LEFT JOIN t b ON v.file_id = b.file_id AND v.line_no >= b.line_no
  ASOF LEFT JOIN t a ON v.file_id = a.file_id AND v.line_no <= a.line_no
) n
WHERE invocations.request_id = n.request_id AND n.ts IS NOT NULL
"""
"""A request none of whose lines has a time: the nearest timestamped line before its first line
in the same file (after it, when none precedes) is the best known start; end = start + duration."""


def merge(con: duckdb.DuckDBPyConnection, *, partial: bool) -> None:
    """Rebuild the invocations of the request ids in `_affected` (all of them unless partial)."""
    if partial:
        con.execute(
            "DELETE FROM invocations WHERE request_id IN (SELECT request_id FROM _affected)"
        )
    else:
        con.execute("DELETE FROM invocations")
    con.execute(REPORTS, {"partial": partial})
    con.execute(MERGE, {"partial": partial})
    con.execute("DROP TABLE _rep")
    untimed = con.execute(UNTIMED, {"partial": partial}).fetchone()
    if untimed is not None and untimed[0]:
        con.execute(TIMES, {"partial": partial})
        con.execute(NEIGHBOURS, {"partial": partial})
    con.execute(ENVIRONMENTS)
