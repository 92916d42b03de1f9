"""The fast path: DuckDB SQL that parses line-oriented text files (S3 export, plain text,
`aws logs tail`) straight into the stage table, mirroring `analyzer.parse.message`."""

from __future__ import annotations

TS = r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](?:\.[0-9]+)?"
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

READ_RAW = """
CREATE OR REPLACE TEMP TABLE _raw AS
SELECT line, file_index AS fx FROM read_csv($paths, columns={'line': 'VARCHAR'}, delim='\x01',
    quote='', escape='', header=false, auto_detect=false, max_line_size=16777216,
    compression=$compression)
"""
"""One VARCHAR row per physical line of every file of a batch; DuckDB raises on anything odd
(invalid UTF-8, stray carriage returns, a truncated gzip): then the Python path takes over."""

BASE = """
CREATE OR REPLACE TEMP TABLE _base AS
SELECT b.fx, b.base, b.n, f.f_id, f.f_gfn, f.f_env
FROM (SELECT fx, min(rowid) AS base, count(*) AS n FROM _raw GROUP BY fx) b
JOIN _files f USING (fx)
"""
"""Per file of the batch: its first rowid (for line numbers), line count, id and path hints."""

_TAIL = f"^({TS}[+-][0-9][0-9]:[0-9][0-9]) ([^ \\t\\n\\r\\f]*\\][^ \\t\\n\\r\\f]*) "
_PREFIX = {
    "export": f"regexp_extract(line, '^({TS}Z) ', 1) AS pts, NULL::VARCHAR AS stream",
    "tail": f"regexp_extract(line, '{_TAIL}', 1) AS pts, "
    f"regexp_extract(line, '{_TAIL}', 2) AS stream",
    "text": "'' AS pts, NULL::VARCHAR AS stream",
}

_KIND0 = """
CASE
  WHEN starts_with(msg, 'START RequestId: ') THEN 'start'
  WHEN starts_with(msg, 'END RequestId: ') THEN 'end'
  WHEN starts_with(msg, 'REPORT RequestId: ') THEN 'report'
  WHEN starts_with(msg, 'INIT_START ') THEN 'init_start'
  WHEN starts_with(msg, 'INIT_REPORT ') THEN 'init_report'
  WHEN starts_with(msg, 'RESTORE_START ') THEN 'restore_start'
  WHEN starts_with(msg, 'RESTORE_REPORT ') THEN 'restore_report'
  WHEN starts_with(msg, 'EXTENSION') THEN 'extension'
  WHEN starts_with(msg, 'XRAY TraceId: ') THEN 'xray'
  WHEN starts_with(msg, 'RequestId: ')
       AND regexp_matches(msg, '^RequestId: [^ \\t\\n\\r\\f]+ Error: ')
    THEN CASE WHEN regexp_matches(msg,
      '^RequestId: [^ \\t\\n\\r\\f]+ Error: [^\\n\\r]*Task timed out after [0-9.]+ seconds')
      THEN 'timeout' ELSE 'error' END
  WHEN starts_with(msg, '{') THEN 'json'
END
"""

_JSON_PATHS = (
    "['$.type', '$.level', '$.log_level', '$.requestId', '$.function_request_id', "
    "'$.timestamp', '$.time', '$.record.requestId', '$.request_id', '$.ts', '$.outcome', "
    "'$.function', '$.env_id', '$.record.functionName']"
)

_NS = "[^ \\t\\n\\r\\f]"
_NODE = f"^({TS}Z)\\t({_NS}+)\\t([A-Z]+)\\t([^\\n\\r]*)"
_PYAPP = f"^\\[([A-Z]+)\\][\\t ]+({TS}Z)[\\t ]+({_NS}+)"
_PYERR = "^\\[ERROR\\] ([A-Za-z_][A-Za-z0-9_.]*): ?"
_TIMEOUT = f"^({TS}Z) ({_NS}+) Task timed out after ([0-9.]+) seconds"

_LEVEL = "CASE {x} WHEN 'WARNING' THEN 'WARN' WHEN 'CRITICAL' THEN 'FATAL' ELSE {x} END"


def _uuid(x: str) -> str:
    return f"CASE WHEN regexp_full_match({x}, '{UUID}') THEN {x} END"


def stage_sql(fmt: str) -> str:
    """A SELECT over `_raw` giving the stage rows (line_no, reject, cont, ts, stream, rid,
    level, kind, msg, fn, env, gfn) of one line-oriented format; rejects are left out."""
    cont = "pts = ''" if fmt in ("export", "tail") else "false"
    jl = "coalesce(nullif(jx[2], ''), jx[3])"
    jrid = _uuid("coalesce(nullif(jx[4], ''), jx[5])")
    return f"""
WITH l AS (
  SELECT r.rowid - b.base + 1 AS line_no, b.f_id, b.f_gfn, b.f_env,
         CASE WHEN r.rowid = b.base THEN ltrim(line, chr(65279)) ELSE line END AS line
  FROM _raw r JOIN _base b USING (fx)
), p AS (
  SELECT line_no, f_id, f_gfn, f_env, line, {_PREFIX[fmt]} FROM l
), m AS (
  SELECT line_no, f_id, f_gfn, f_env,
    CASE WHEN line IS NULL THEN NULL
         WHEN contains(line, chr(0)) THEN 'binary data (NUL bytes)'
         WHEN strlen(line) > 1048576 AND length(line) > 1048576
           THEN 'line longer than 1 MiB' END AS reject,
    CASE WHEN line IS NULL THEN true
         WHEN NOT (starts_with(line, ' ') OR starts_with(line, chr(9))) THEN false
         ELSE trim(line, ' ' || chr(9)) = '' END AS blank,
    {cont} AS cont,
    nullif(pts, '') AS cts,
    nullif(stream, '') AS stream,
    CASE WHEN pts <> '' THEN substr(line, length(pts) + length(coalesce(stream, '')) + 2
         + (stream IS NOT NULL AND stream <> '')::INT) ELSE line END AS msg
  FROM p
), k AS (
  SELECT *, {_KIND0} AS k0 FROM m WHERE reject IS NULL AND NOT blank
), j AS (
  SELECT *,
    CASE WHEN k0 = 'json' THEN CASE WHEN json_valid(msg) THEN CASE
         WHEN json_type(msg) = 'OBJECT' THEN json_extract_string(msg, {_JSON_PATHS}) END END
         END AS jx,
    CASE WHEN k0 = 'json' THEN CASE WHEN json_valid(msg) THEN CASE
         WHEN json_type(msg) = 'OBJECT' THEN [json_exists(msg, '$.lambdascope'),
           json_exists(msg, '$._aws'), json_exists(msg, '$.errorType')] END END END AS jf,
    CASE WHEN k0 IS NULL AND contains(msg, ' Task timed out after ')
         THEN regexp_extract(msg, '{_TIMEOUT}', ['ts', 'rid', 's']) END AS tmo,
    CASE WHEN k0 IS NULL AND substr(msg, 5, 1) = '-' AND contains(msg, chr(9))
         THEN regexp_extract(msg, '{_NODE}', ['ts', 'rid', 'lvl', 'rest']) END AS node,
    CASE WHEN k0 IS NULL AND starts_with(msg, '[')
         THEN regexp_extract(msg, '{_PYAPP}', ['lvl', 'ts', 'rid']) END AS py
  FROM k
), c AS (
  SELECT line_no, f_id, f_gfn, f_env, cont, cts, stream, msg,
    CASE
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN 'app'
        WHEN jf[1] THEN 'lambdascope'
        WHEN starts_with(jx[1], 'platform.') THEN CASE jx[1]
          WHEN 'platform.start' THEN 'start' WHEN 'platform.report' THEN 'report'
          WHEN 'platform.runtimeDone' THEN 'runtime_done'
          WHEN 'platform.initStart' THEN 'init_start'
          WHEN 'platform.initReport' THEN 'init_report'
          WHEN 'platform.initRuntimeDone' THEN 'init_runtime_done'
          WHEN 'platform.restoreStart' THEN 'restore_start'
          WHEN 'platform.restoreReport' THEN 'restore_report'
          WHEN 'platform.extension' THEN 'extension' ELSE 'platform' END
        WHEN jf[2] THEN 'metric'
        WHEN jx[3] = 'ERROR' AND jf[3] THEN 'error'
        ELSE 'app' END
      WHEN k0 IS NOT NULL THEN k0
      WHEN tmo.ts <> '' THEN 'timeout'
      WHEN node.ts <> '' THEN CASE WHEN node.lvl = 'ERROR' AND (starts_with(node.rest,
        'Invoke Error') OR starts_with(node.rest, 'Uncaught Exception')) THEN 'error'
        ELSE 'app' END
      WHEN py.ts <> '' THEN 'app'
      WHEN regexp_matches(msg, '{_PYERR}') OR starts_with(msg,
        'LAMBDA_WARNING: Unhandled exception') THEN 'error'
      ELSE 'app'
    END AS kind0,
    CASE
      WHEN k0 IN ('start', 'end', 'report') THEN
        regexp_extract(msg, '^(?:START|END|REPORT) RequestId: ({_NS}+)', 1)
      WHEN k0 IN ('error', 'timeout') THEN regexp_extract(msg, '^RequestId: ({_NS}+)', 1)
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN jx[9]
        WHEN starts_with(jx[1], 'platform.') THEN jx[8]
        WHEN jf[2] THEN NULL
        ELSE {jrid} END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN tmo.ts <> '' THEN tmo.rid
      WHEN node.ts <> '' THEN {_uuid("node.rid")}
      WHEN py.ts <> '' THEN {_uuid("py.rid")}
    END AS rid0,
    CASE
      WHEN k0 = 'error' THEN 'ERROR'
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN CASE WHEN jx[11] IN ('error', 'timeout') THEN 'ERROR' ELSE 'INFO' END
        WHEN starts_with(jx[1], 'platform.') OR jf[2] THEN NULL
        WHEN jx[3] = 'ERROR' AND jf[3] THEN 'ERROR'
        ELSE {_LEVEL.format(x=f"nullif(upper({jl}), '')")} END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN tmo.ts <> '' THEN NULL
      WHEN node.ts <> '' THEN node.lvl
      WHEN py.ts <> '' THEN {_LEVEL.format(x="py.lvl")}
      WHEN regexp_matches(msg, '{_PYERR}') OR starts_with(msg,
        'LAMBDA_WARNING: Unhandled exception') THEN 'ERROR'
    END AS level0,
    CASE
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN jx[10]
        WHEN starts_with(jx[1], 'platform.') THEN jx[7]
        WHEN jf[2] THEN NULL
        ELSE jx[6] END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN tmo.ts <> '' THEN tmo.ts
      WHEN node.ts <> '' THEN node.ts
      WHEN py.ts <> '' THEN py.ts
    END AS mts,
    CASE WHEN k0 = 'json' AND jf[1] THEN jx[12]
         WHEN k0 = 'json' AND jx[1] = 'platform.initStart' THEN jx[14] END AS fn,
    CASE WHEN k0 = 'json' AND jf[1] THEN jx[13] END AS env
  FROM j
)
SELECT line_no, f_id, f_gfn, f_env, NULL::VARCHAR AS reject, cont, coalesce(cts, mts) AS ts, stream,
  nullif(rid0, '') AS rid, level0 AS level,
  CASE WHEN cont AND kind0 = 'app' THEN 'continuation' ELSE kind0 END AS kind,
  msg, fn, env, NULL::VARCHAR AS gfn
FROM c
"""


RAW_REJECTS = """
INSERT INTO rejects
SELECT f_id, line_no, reason,
  CASE WHEN contains(line, chr(0)) THEN replace(left(line, 1024), chr(0), '\\0')
       ELSE left(line, 1024) END
FROM (SELECT b.f_id, r.rowid - b.base + 1 AS line_no, line,
        CASE WHEN contains(line, chr(0)) THEN 'binary data (NUL bytes)'
             WHEN strlen(line) > 1048576 AND length(line) > 1048576
               THEN 'line longer than 1 MiB' END AS reason
      FROM _raw r JOIN _base b USING (fx))
WHERE reason IS NOT NULL
"""
"""Lines the fast path cannot store: NUL bytes (binary data) and lines over 1 MiB."""

_STREAM_FN = "nullif(regexp_extract(stream, '^[0-9]{4}/[0-9]{2}/[0-9]{2}/([^\\[]+)\\[', 1), '')"
_STREAM_ENV = "nullif(regexp_extract(stream, '\\]([0-9A-Za-z]+)$', 1), '')"


def events_insert(source: str) -> str:
    """INSERT of the stage rows in `source` into events, function and environment resolved:
    log group > stream name > path > content > --function > 'unknown'."""
    return f"""
INSERT INTO events
SELECT f_id, line_no, TRY_CAST(ts AS TIMESTAMP),
  coalesce(gfn, {_STREAM_FN}, f_gfn, fn, $cfn, 'unknown'),
  coalesce({_STREAM_ENV}, f_env, env), rid, level, kind, msg
FROM ({source}) s WHERE reject IS NULL
"""


NEEDS_INHERIT = """
SELECT count(*) FROM events
WHERE file_id BETWEEN $lo AND $hi
  AND (kind IN ('continuation', 'xray') OR (kind = 'error' AND request_id IS NULL))
"""

_W = """WINDOW w AS (PARTITION BY file_id, env_id ORDER BY line_no
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"""

INHERIT = f"""
UPDATE events SET ts = n.ts, request_id = n.request_id, level = n.level, env_id = n.env_id,
  function = n.function
FROM (
  WITH a AS (
    SELECT * EXCLUDE (orid) REPLACE (CASE WHEN kind = 'error' AND request_id IS NULL
                                    THEN nullif(orid, '') ELSE request_id END AS request_id)
    FROM (SELECT file_id, line_no, kind, env_id, function, ts, level, request_id,
            last_value(CASE WHEN kind IN ('end', 'report') THEN '' ELSE request_id END
                       IGNORE NULLS) OVER w AS orid
          FROM events WHERE file_id BETWEEN $lo AND $hi {_W})
  ), b AS (
    SELECT *, last_value(CASE WHEN kind <> 'continuation'
        THEN {{'ts': ts, 'rid': request_id, 'level': level, 'env': env_id, 'fn': function}}
        END IGNORE NULLS) OVER (PARTITION BY file_id ORDER BY line_no
          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS hd
    FROM a
  )
  SELECT file_id, line_no,
    CASE WHEN kind = 'continuation' THEN coalesce(ts, hd.ts) ELSE ts END AS ts,
    CASE WHEN kind IN ('continuation', 'xray') THEN coalesce(request_id, hd.rid)
         ELSE request_id END AS request_id,
    CASE WHEN kind = 'continuation' THEN coalesce(level, hd.level) ELSE level END AS level,
    CASE WHEN kind IN ('continuation', 'xray') AND env_id IS NULL THEN hd.env
         ELSE env_id END AS env_id,
    CASE WHEN kind IN ('continuation', 'xray') AND env_id IS NULL AND hd.env IS NOT NULL
         THEN hd.fn ELSE function END AS function
  FROM b WHERE kind IN ('continuation', 'xray', 'error')
) n
WHERE events.file_id = n.file_id AND events.line_no = n.line_no
"""
"""Continuation and XRAY lines take their head line's request id (and time, level); an
unhandled-error line without a request id takes the open invocation's (design §3)."""

EVIDENCE_DDL = """
CREATE TABLE IF NOT EXISTS load_evidence (
    file_id INTEGER, line_no BIGINT, ts TIMESTAMP, function VARCHAR, env_id VARCHAR,
    request_id VARCHAR, kind VARCHAR, version VARCHAR, duration_ms DOUBLE, billed_ms DOUBLE,
    memory_mb INTEGER, max_memory_mb INTEGER, init_ms DOUBLE, restore_ms DOUBLE,
    status VARCHAR, error_type VARCHAR, error_message VARCHAR, timeout_ms DOUBLE,
    remaining_ms DOUBLE, trigger VARCHAR, trace_id VARCHAR, cold_start BOOLEAN,
    runtime_version VARCHAR, phase VARCHAR, init_type VARCHAR
)
"""
"""Every line that is evidence about an invocation or an environment, parsed; the loader's
own table (the invocations table is merged from it, so reloads stay exact)."""

_EV_PATHS = (
    "['$.record.version', '$.record.status', '$.record.errorType', '$.record.tracing.value', "
    "'$.record.metrics.durationMs', '$.record.metrics.billedDurationMs', "
    "'$.record.metrics.memorySizeMB', '$.record.metrics.maxMemoryUsedMB', "
    "'$.record.metrics.initDurationMs', '$.record.metrics.restoreDurationMs', "
    "'$.record.runtimeVersion', '$.record.functionVersion', '$.record.initializationType', "
    "'$.record.phase', '$.version', '$.duration_ms', '$.memory_mb', '$.init_ms', '$.outcome', "
    "'$.error_type', '$.error_message', '$.timeout_ms', '$.remaining_ms', '$.trigger', "
    "'$.trace_id', '$.cold_start', '$.init_type', '$.errorType', '$.errorMessage', "
    "'$.record.metrics.durationMs']"
)
_NSP = "[^ \\t\\n\\r\\f]"


def _rx(pattern: str, cast: str = "") -> str:
    expr = f"nullif(regexp_extract(message, '{pattern}', 1), '')"
    if cast == "f":
        return f"TRY_CAST({expr} AS DOUBLE)"
    if cast == "i":
        return f"CASE WHEN length({expr}) < 10 THEN TRY_CAST({expr} AS INTEGER) END"
    return expr


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
_PYERR_ANY = "\\[ERROR\\] ([A-Za-z_][A-Za-z0-9_.]*): ?([^\\n\\r]*)"

_WS = "[ \\t\\n\\r\\f]"
_V_VERSION = _rx(f"^START RequestId: {_NSP}+{_WS}+Version: ({_NSP}+)")
_V_DURATION = _rx(f"RequestId: {_NSP}+{_WS}+Duration: ([0-9.]+) ms", "f")
_V_ETYPE = _rx(f"Error Type: ({_NSP}+)")
_V_JETYPE = _rx(f'"errorType":{_WS}*"([^"]*)"')
_V_JEMSG = _rx(f'"errorMessage":{_WS}*"([^"]*)"')
_V_RUNTIME = _rx(f"Runtime Version: ({_NSP}+)")
_V_RIDERR = f"regexp_extract(message, '^RequestId: {_NSP}+ Error: ([^\\n\\r]*)', 1)"

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
       WHEN kind = 'report' THEN {_rx("Billed Duration: ([0-9.]+) ms", "f")} END AS billed_ms,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_ji(7)} WHEN 'lambdascope' THEN {_ji(17)} END
       WHEN kind = 'report' THEN {_rx("Memory Size: ([0-9]+) MB", "i")} END AS memory_mb,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_ji(8)} END
       WHEN kind = 'report' THEN {_rx("Max Memory Used: ([0-9]+) MB", "i")} END AS max_memory_mb,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(9)} WHEN 'init_report' THEN {_jf(30)}
                              WHEN 'lambdascope' THEN {_jf(18)} END
       WHEN kind IN ('report', 'init_report') THEN {_rx("Init Duration: ([0-9.]+) ms", "f")}
  END AS init_ms,
  CASE WHEN js THEN CASE kind WHEN 'report' THEN {_jf(10)} WHEN 'restore_report' THEN {_jf(30)} END
       WHEN kind IN ('report', 'restore_report') THEN {_rx("Restore Duration: ([0-9.]+) ms", "f")}
  END AS restore_ms,
  CASE WHEN js THEN CASE WHEN kind IN ('report', 'runtime_done', 'init_report') THEN {_ST}
                         WHEN kind = 'lambdascope' THEN e[19] WHEN kind = 'error' THEN 'error' END
       WHEN kind IN ('report', 'init_report') THEN {_rx("Status: ([A-Za-z]+)")}
       WHEN kind = 'timeout' THEN 'timeout' WHEN kind = 'error' THEN 'error'
  END AS status,
  CASE WHEN js THEN CASE WHEN kind IN ('report', 'runtime_done', 'init_report') THEN e[3]
                         WHEN kind = 'lambdascope' THEN e[20] WHEN kind = 'error' THEN e[28] END
       WHEN kind IN ('report', 'init_report') THEN {_V_ETYPE}
       WHEN kind = 'error' AND starts_with(message, 'RequestId: ') THEN
         CASE WHEN contains(message, 'Runtime exited') THEN 'Runtime.ExitError' END
       WHEN kind = 'error' THEN coalesce({_rx(_PYERR_ANY)},
         {_V_JETYPE})
  END AS error_type,
  CASE WHEN js THEN CASE kind WHEN 'lambdascope' THEN e[21] WHEN 'error' THEN e[29] END
       WHEN kind = 'error' AND starts_with(message, 'RequestId: ') THEN
         {_V_RIDERR}
       WHEN kind = 'error' THEN CASE WHEN regexp_matches(message, '{_PYERR_ANY}')
         THEN regexp_extract(message, '{_PYERR_ANY}', 2)
         ELSE {_V_JEMSG} END
  END AS error_message,
  CASE WHEN js THEN CASE kind WHEN 'lambdascope' THEN {_jf(22)} END
       WHEN kind = 'timeout' THEN 1000 * {_rx("Task timed out after ([0-9.]+) seconds", "f")}
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
       WHEN kind = 'init_report' THEN {_rx("Phase: ([A-Za-z]+)")} END AS phase,
  CASE WHEN js THEN CASE WHEN kind IN ('init_start', 'init_report') THEN e[13]
                         WHEN kind = 'lambdascope' THEN e[27] END END AS init_type
FROM (
  SELECT *, js AND json_valid(message) AS js,
    CASE WHEN js THEN CASE WHEN json_valid(message) THEN
      json_extract_string(message, {_EV_PATHS}) END END AS e
  FROM (SELECT *, starts_with(message, '{{') AS js FROM events
        WHERE file_id BETWEEN $lo AND $hi)
  WHERE ((kind IN ('report', 'runtime_done', 'timeout', 'error', 'lambdascope', 'xray')
           AND request_id IS NOT NULL)
     OR kind IN ('init_start', 'init_report', 'restore_report', 'restore_start'))
    AND NOT (kind = 'report' AND NOT js)
)
"""
"""Evidence of one file's rows except plain-text START/END/REPORT (see EVIDENCE_TEXT)."""

_TAB_OK = (
    "len(l) >= 5 AND l[2] LIKE 'Duration: % ms' AND l[3] LIKE 'Billed Duration: % ms' "
    "AND l[4] LIKE 'Memory Size: % MB' AND l[5] LIKE 'Max Memory Used: % MB' "
    "AND strpos(substr(l[1], 19), ' ') = 0"
)
"""The usual tab-separated REPORT layout, read with string functions instead of regexes."""


def _opt(needle: str, pattern: str, cast: str = "", kind: str = "report") -> str:
    return (
        f"CASE WHEN kind = '{kind}' AND contains(message, '{needle}') THEN {_rx(pattern, cast)} END"
    )


def _field(i: int, skip: int, fallback: str, cast: str) -> str:
    v = f"v[{i - 1}]"
    digits = "0123456789." if cast == "f" else "0123456789"
    if cast == "f":
        typed = (
            f"CASE WHEN {v} <> '' AND ltrim({v}, '{digits}') = '' THEN TRY_CAST({v} AS DOUBLE) END"
        )
    else:
        typed = (
            f"CASE WHEN length({v}) BETWEEN 1 AND 9 AND ltrim({v}, '{digits}') = '' "
            f"THEN TRY_CAST({v} AS INTEGER) END"
        )
    return (
        f"CASE WHEN kind <> 'report' THEN NULL WHEN tab_ok THEN {typed} "
        f"ELSE {_rx(fallback, cast)} END"
    )


EVIDENCE_TEXT = f"""
INSERT INTO load_evidence (file_id, line_no, ts, function, env_id, request_id, kind, version,
  duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms, restore_ms, status, error_type,
  trace_id)
SELECT file_id, line_no, ts, function, env_id, request_id, kind,
  NULL,
  {_field(2, len("Duration: "), f"RequestId: {_NSP}+{_WS}+Duration: ([0-9.]+) ms", "f")},
  {_field(3, len("Billed Duration: "), "Billed Duration: ([0-9.]+) ms", "f")},
  {_field(4, len("Memory Size: "), "Memory Size: ([0-9]+) MB", "i")},
  {_field(5, len("Max Memory Used: "), "Max Memory Used: ([0-9]+) MB", "i")},
  {_opt("Init Duration: ", "Init Duration: ([0-9.]+) ms", "f")},
  {_opt("Restore Duration: ", "Restore Duration: ([0-9.]+) ms", "f")},
  {_opt("Status: ", "Status: ([A-Za-z]+)")},
  {_opt("Error Type: ", f"Error Type: ({_NSP}+)")},
  {_opt("TraceId: ", "TraceId: (1-[0-9a-fA-F]+-[0-9a-fA-F]+)")}
FROM _ev_text
"""
"""Evidence of plain-text START/END/REPORT lines: string functions for the usual layout."""

EV_TEXT_ROWS = f"""
CREATE OR REPLACE TEMP TABLE _ev_text AS
  SELECT * EXCLUDE (l), coalesce({_TAB_OK}, false) AS tab_ok,
    CASE WHEN kind = 'report' THEN [
      substr(l[2], 11, length(l[2]) - 13), substr(l[3], 18, length(l[3]) - 20),
      substr(l[4], 14, length(l[4]) - 16), substr(l[5], 18, length(l[5]) - 20)] END AS v
  FROM (SELECT file_id, line_no, ts, function, env_id, request_id, kind, message,
          CASE WHEN kind = 'report' THEN string_split(message, chr(9)) END AS l
        FROM events
  WHERE file_id BETWEEN $lo AND $hi AND kind = 'report' AND request_id IS NOT NULL
    AND NOT starts_with(message, '{{'))
"""
"""The rows EVIDENCE_TEXT reads, with the REPORT's tab-separated fields split once."""
