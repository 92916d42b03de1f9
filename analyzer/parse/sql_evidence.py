"""SQL for the loader's own evidence table: DDL and the extraction of evidence columns
(JSON platform records, lambdascope records, error and timeout lines) from stored events."""

from __future__ import annotations

from analyzer.parse import runtime_text as _rt
from analyzer.parse.message import PYERR
from analyzer.parse.sql import NSP, WS, rx


def _jf(i: int) -> str:
    return f"TRY_CAST(e[{i}] AS DOUBLE)"


def _ji(i: int) -> str:
    return (
        f"CASE WHEN abs(TRY_CAST(e[{i}] AS DOUBLE)) < 2147483648 "
        f"THEN trunc(TRY_CAST(e[{i}] AS DOUBLE))::INTEGER END"
    )


_ST = "CASE WHEN e[2] = 'failure' THEN 'error' ELSE e[2] END"
_ROOT = "nullif(regexp_extract(e[4], 'Root=(1-[0-9a-fA-F]+-[0-9a-fA-F]+)', 1), '')"
_TRACE = "nullif(regexp_extract(message, 'TraceId: (1-[0-9a-fA-F]+-[0-9a-fA-F]+)', 1), '')"
_PYERR_ANY = PYERR
_PY_ETYPE = (
    "coalesce("
    + ", ".join(f"nullif(regexp_extract(message, '{PYERR}', {g}), '')" for g in (1, 3, 4))
    + ")"
)
"""Type of a Python `[ERROR]` line: the first non-empty of PYERR's groups 1, 3, 4."""
_CRASH_TEXT = (
    " OR ".join(f"starts_with(message, '{p}')" for p in _rt.CRASH_PREFIXES)
    + " OR (starts_with(message, 'Exception in thread \"') "
    + f"AND regexp_matches(message, '{_rt.JVM_OOM}'))"
)
"""Node's, Go's and the JVM's fatal crash lines: no type, the line is the message."""
_RUBY_UNCAUGHT = _rt.RUBY_UNCAUGHT.replace("'", "''")
_DN_ERR = _rt.DOTNET_LOG + _rt.DOTNET_EXCEPTION.removeprefix("^")
"""A .NET unhandled exception line: groups 4 and 5 are its type and message."""
_DN_MATCH = f"contains(message, 'Exception') AND regexp_matches(message, '{_DN_ERR}')"

_V_VERSION = rx(f"^START RequestId: {NSP}+{WS}+Version: ({NSP}+)")
_V_DURATION = rx(f"RequestId: {NSP}+{WS}+Duration: ([0-9.]+) ms", "f")
_V_ETYPE = rx(f"Error Type: ({NSP}+)")
_V_JETYPE = rx(f'"errorType":{WS}*"([^"]*)"')
_V_JEMSG = rx(f'"errorMessage":{WS}*"([^"]*)"')
_V_RUNTIME = rx(f"Runtime Version: ({NSP}+)")
_V_RIDERR = f"regexp_extract(message, '^RequestId: {NSP}+ Error: ([^\\n\\r]*)', 1)"


_EV_PATHS = (
    "['$.record.version', '$.record.status', '$.record.errorType', '$.record.tracing.value', "
    "'$.record.metrics.durationMs', '$.record.metrics.billedDurationMs', "
    "'$.record.metrics.memorySizeMB', '$.record.metrics.maxMemoryUsedMB', "
    "'$.record.metrics.initDurationMs', '$.record.metrics.restoreDurationMs', "
    "'$.record.runtimeVersion', '$.record.functionVersion', '$.record.initializationType', "
    "'$.record.phase', '$.version', '$.duration_ms', '$.memory_mb', '$.init_ms', '$.outcome', "
    "'$.error_type', '$.error_message', '$.timeout_ms', '$.remaining_ms', '$.trigger', "
    "'$.trace_id', '$.cold_start', '$.init_type', '$.errorType', '$.errorMessage', "
    "'$.record.metrics.durationMs', '$.message.errorType', '$.message.errorMessage', "
    "'$.message']"
)
_NESTED = (
    "json_exists(message, '$.message.errorType') "
    "AND (json_exists(message, '$.level') OR json_exists(message, '$.log_level'))"
)
"""An error row whose `message` is the error object (Node's JSON-format Invoke Error): a level
key means the row was classified by its ERROR level, so the nested object is the error."""

_DNJ = "NOT json_exists(message, '$.errorType') AND json_type(message, '$.message') = 'VARCHAR'"
"""An error row that is .NET's JSON-format unhandled exception: `message` is the exception's
text, type and message come from its first line (jsonmsg._app)."""

_UNGLUE = (
    "CASE WHEN kind = 'lambdascope' AND NOT starts_with(message, '{') "
    "THEN substr(message, strpos(message, '{\"lambdascope\":')) ELSE message END"
)
"""A lambdascope record's JSON, without the printed text it was glued to."""

EVIDENCE = f"""
INSERT INTO load_evidence
SELECT file_id, line_no, ts, function, env_id, request_id, kind,
  CASE WHEN js THEN CASE kind WHEN 'start' THEN e[1] WHEN 'init_start' THEN e[12]
                              WHEN 'lambdascope' THEN e[15] END
       WHEN kind = 'start' THEN {_V_VERSION}
  END AS version,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(5)} WHEN 'lambdascope' THEN {_jf(16)} END
       WHEN kind = 'report' THEN
         {_V_DURATION}
  END AS duration_ms,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(6)} END
       WHEN kind = 'report' THEN {rx("Billed Duration: ([0-9.]+) ms", "f")} END AS billed_ms,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_ji(7)} WHEN 'lambdascope' THEN {_ji(17)} END
       WHEN kind = 'report' THEN {rx("Memory Size: ([0-9]+) MB", "i")} END AS memory_mb,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_ji(8)} END
       WHEN kind = 'report' THEN {rx("Max Memory Used: ([0-9]+) MB", "i")} END AS max_memory_mb,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(9)} WHEN 'init_report' THEN {_jf(30)}
                              WHEN 'lambdascope' THEN {_jf(18)} END
       WHEN kind IN ('report', 'init_report') THEN {rx("Init Duration: ([0-9.]+) ms", "f")}
  END AS init_ms,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(10)} WHEN 'restore_report' THEN {_jf(30)} END
       WHEN kind IN ('report', 'restore_report') THEN {rx("Restore Duration: ([0-9.]+) ms", "f")}
  END AS restore_ms,
  CASE WHEN js THEN CASE WHEN kind IN ('report', 'runtime_done', 'init_report') THEN {_ST}
                         WHEN kind = 'lambdascope' THEN e[19]
                         WHEN kind = 'error' AND NOT nested THEN 'error' END
       WHEN kind IN ('report', 'init_report') THEN {rx("Status: ([A-Za-z]+)")}
       WHEN kind = 'timeout' THEN 'timeout' WHEN kind = 'error' THEN 'error'
  END AS status,
  CASE WHEN js THEN CASE WHEN kind IN ('report', 'runtime_done', 'init_report') THEN e[3]
                         WHEN kind = 'lambdascope' THEN e[20]
                         WHEN kind = 'error' THEN CASE WHEN nested THEN e[31]
                           WHEN dnj THEN regexp_extract(e[33], '{_rt.DOTNET_EXCEPTION}', 1)
                           ELSE e[28] END END
       WHEN kind IN ('report', 'init_report') THEN {_V_ETYPE}
       WHEN kind = 'error' AND starts_with(message, 'RequestId: ') THEN
         CASE WHEN contains(message, 'Runtime exited') THEN 'Runtime.ExitError' END
       WHEN kind = 'error' THEN CASE WHEN {_CRASH_TEXT} THEN NULL
         WHEN regexp_matches(message, '{_RUBY_UNCAUGHT}')
           THEN regexp_extract(message, '{_RUBY_UNCAUGHT}', 2)
         WHEN {_DN_MATCH} THEN regexp_extract(message, '{_DN_ERR}', 4)
         ELSE coalesce({_PY_ETYPE}, {_V_JETYPE}) END
  END AS error_type,
  CASE WHEN js THEN CASE kind WHEN 'lambdascope' THEN e[21]
                              WHEN 'error' THEN CASE WHEN nested THEN e[32]
                                WHEN dnj THEN regexp_extract(e[33], '{_rt.DOTNET_EXCEPTION}', 2)
                                ELSE e[29] END END
       WHEN kind = 'error' AND starts_with(message, 'RequestId: ') THEN
         {_V_RIDERR}
       WHEN kind = 'error' THEN CASE WHEN {_CRASH_TEXT}
           THEN regexp_extract(message, '^[^\\n\\r]*')
         WHEN regexp_matches(message, '{_RUBY_UNCAUGHT}')
           THEN regexp_extract(message, '{_RUBY_UNCAUGHT}', 1)
         WHEN {_DN_MATCH} THEN regexp_extract(message, '{_DN_ERR}', 5)
         WHEN regexp_matches(message, '{_PYERR_ANY}')
           THEN nullif(regexp_extract(message, '{_PYERR_ANY}', 2), '')
         ELSE {_V_JEMSG} END
  END AS error_message,
  CASE WHEN js THEN CASE kind WHEN 'lambdascope' THEN {_jf(22)} END
       WHEN kind = 'timeout' THEN 1000 * {rx("Task timed out after ([0-9.]+) seconds", "f")}
  END AS timeout_ms,
  CASE WHEN js AND kind = 'lambdascope' THEN {_jf(23)} END AS remaining_ms,
  CASE WHEN js AND kind = 'lambdascope' THEN e[24] END AS trigger,
  CASE WHEN js THEN CASE WHEN kind IN ('start', 'report', 'runtime_done') THEN {_ROOT}
                         WHEN kind = 'lambdascope' THEN e[25] END
       WHEN kind IN ('report', 'xray') THEN {_TRACE} END AS trace_id,
  CASE WHEN js AND kind = 'lambdascope' THEN CASE
       WHEN json_type(message, '$.cold_start') = 'BOOLEAN' THEN e[26] = 'true' END END
    AS cold_start,
  CASE WHEN js THEN CASE kind WHEN 'init_start' THEN e[11] END
       WHEN kind IN ('init_start', 'restore_start') THEN {_V_RUNTIME}
  END AS runtime_version,
  CASE WHEN js THEN CASE kind WHEN 'init_report' THEN e[14] END
       WHEN kind = 'init_report' THEN {rx("Phase: ([A-Za-z]+)")} END AS phase,
  CASE WHEN js THEN CASE WHEN kind IN ('init_start', 'init_report') THEN e[13]
                         WHEN kind = 'lambdascope' THEN e[27] END END AS init_type
FROM (
  SELECT *, js AND json_valid(message) AS js,
    CASE WHEN js THEN CASE WHEN json_valid(message) THEN
      json_extract_string(message, {_EV_PATHS}) END END AS e,
    CASE WHEN kind = 'error' AND js THEN CASE WHEN json_valid(message) THEN {_NESTED} END END
      AS nested,
    CASE WHEN kind = 'error' AND js THEN CASE WHEN json_valid(message) THEN {_DNJ} END END
      AS dnj
  FROM (SELECT * REPLACE ({_UNGLUE} AS message), starts_with({_UNGLUE}, '{{') AS js
        FROM events WHERE file_id BETWEEN $lo AND $hi)
  WHERE ((kind IN ('report', 'runtime_done', 'timeout', 'error', 'lambdascope', 'xray')
           AND request_id IS NOT NULL)
     OR kind IN ('init_start', 'init_report', 'restore_report', 'restore_start'))
    AND NOT (kind = 'report' AND NOT js)
)
"""
"""Evidence of a batch's rows except plain-text START/END/REPORT (see merge, sql_report)."""
