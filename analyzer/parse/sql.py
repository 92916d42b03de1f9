"""The fast path: DuckDB SQL that parses line-oriented text files (S3 export, plain text,
`aws logs tail`) straight into the stage table, mirroring `analyzer.parse.message`."""

from __future__ import annotations

from analyzer.parse import runtime_text as _rt
from analyzer.parse.message import PYERR

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

READ_TEXTS = """
CREATE OR REPLACE TEMP TABLE _raw AS
SELECT nullif(CASE WHEN ends_with(line, chr(13)) THEN line[:-2] ELSE line END, '') AS line, fx
FROM (SELECT fx, unnest(parts) AS line, generate_subscripts(parts, 1) AS i
      FROM (SELECT fx, CASE WHEN t = '' THEN []::VARCHAR[]
                            WHEN ends_with(t, chr(10)) THEN string_split(t[:-2], chr(10))
                            ELSE string_split(t, chr(10)) END AS parts
            FROM (SELECT unnest($texts) AS t, generate_subscripts($texts, 1) - 1 AS fx)))
ORDER BY fx, i
"""
"""`_raw` from the files' decoded texts (split on \\n only, one trailing \\r dropped, as the
Python path does; an empty line is NULL, as the CSV reader gives it): for small batches
DuckDB's CSV reader refuses (a lone carriage return)."""

TEXTS_MAX_BYTES = 64 << 20
"""Largest batch (uncompressed bytes, about) handed to DuckDB as texts; bigger ones go by file."""

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
    "'$.function', '$.env_id', '$.record.functionName', '$.message']"
)

_GLUED = '{"lambdascope":'
"""A lambdascope record glued to a line printed without a newline (message.GLUED_RECORD)."""
_NS = "[^ \\t\\n\\r\\f]"
_NODE = f"^({TS}Z)\\t({_NS}+)\\t([A-Z]+)\\t"
"""Node's `ts<TAB>rid<TAB>LEVEL<TAB>text`; the text (after the match) is not captured."""
_NODE_TEXT = "substr(msg, length(node.ts) + length(node.rid) + length(node.lvl) + 4)"
_PYAPP = f"^\\[([A-Z]+)\\][\\t ]+({TS}Z)[\\t ]+({_NS}+)"
_JAVA = f"^({TS}Z) ({_NS}+) (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) "
_PYERR = "^" + PYERR
_TIMEOUT = f"^({TS}Z) ({_NS}+) Task timed out after ([0-9.]+) seconds"

_JERR = (
    "(jf[5] AND 'ERROR' IN (jx[2], jx[3])) OR (jf[3] AND (jx[3] = 'ERROR' OR jf[4])) "
    "OR (NOT jf[3] AND upper(jx[2]) = 'ERROR' "
    f"AND regexp_matches(jx[15], '{_rt.DOTNET_EXCEPTION}'))"
)
"""A JSON error document: Node's JSON-format `Invoke Error` (`message` is the error object,
level ERROR), Python's unhandled error (top-level errorType, log_level ERROR or no level), or
.NET's unhandled exception in JSON format (level `Error`, any case; `message` is
`Exception.ToString()`, no errorType key: jsonmsg._app)."""

_RID = "[^ \\t\\n\\r\\f\\\\]"
"""A request id character: no space and no backslash (double-escaped copies)."""
_LEVEL = (
    "CASE {x} WHEN 'WARNING' THEN 'WARN' WHEN 'CRITICAL' THEN 'FATAL' "
    "WHEN 'INFORMATION' THEN 'INFO' ELSE {x} END"
)

# Ruby and .NET lines, runtime crash lines (analyzer.parse.runtime_text, same patterns).
_RT_LEVEL = "CASE {x} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _rt.LEVELS.items()) + " END"
_DN_TEXT = (
    "substr(msg, length(dn.ts) + length(dn.rid) + 3 "
    "+ CASE WHEN dn.lvl <> '' THEN length(dn.lvl) + 1 ELSE 0 END)"
)
"""The text after a .NET line's time, request id and level label."""
_DN_LEVEL = _RT_LEVEL.format(
    x=f"CASE WHEN dn.lvl <> '' THEN dn.lvl "
    f"ELSE regexp_extract({_DN_TEXT}, '{_rt.DOTNET_BRACKET}', 1) END"
)
_DN_ERROR = f"dn.lvl = 'fail' AND regexp_matches({_DN_TEXT}, '{_rt.DOTNET_EXCEPTION}')"
"""A .NET unhandled exception: `Exception.ToString()` logged at level fail."""
_RUBY_UNCAUGHT = _rt.RUBY_UNCAUGHT.replace("'", "''")
_CRASH = (
    f"(starts_with(msg, '[ERROR] ') AND regexp_matches(msg, '{_PYERR}'))"
    " OR starts_with(msg, 'LAMBDA_WARNING: Unhandled exception')"
    + "".join(f" OR starts_with(msg, '{p}')" for p in (*_rt.CRASH_PREFIXES, *_rt.ERROR_DOC_FIELDS))
    + " OR msg IN ("
    + ", ".join(f"'{t}'" for t in _rt.RUBY_HANDLER_ERRORS)
    + f") OR (contains(msg, ':in ') AND regexp_matches(msg, '{_RUBY_UNCAUGHT}'))"
    + f" OR (starts_with(msg, 'Exception in thread \"') AND regexp_matches(msg, '{_rt.JVM_OOM}'))"
)
"""An unhandled-error or crash line without a request id (message.is_crash_line); each regex
behind a cheap test of the text it needs. Written twice in the statement (kind0, level0):
DuckDB evaluates it once (measured: a CTE computing it once was ~25 ms slower per 300 k raw
lines; the `contains(msg, ':in ')` guard is cheaper than any anchored regex or strpos test)."""


def _uuid(x: str) -> str:
    return f"CASE WHEN regexp_full_match({x}, '{UUID}') THEN {x} END"


_ONE_FILE = """
  SELECT rowid - $base + 1 AS line_no, $fid::INTEGER AS f_id, $gfn::VARCHAR AS f_gfn,
         $env::VARCHAR AS f_env, {line} AS line
  FROM _raw"""
_MANY_FILES = """
  SELECT r.rowid - b.base + 1 AS line_no, b.f_id, b.f_gfn, b.f_env, {line} AS line
  FROM _raw r JOIN _base b USING (fx)"""
_CSV = (
    "columns={'line': 'VARCHAR'}, delim='\x01', quote='', escape='', header=false, "
    "auto_detect=false, max_line_size=16777216, compression=$compression"
)
_STREAM_ONE = f"""
  SELECT NULL::BIGINT AS line_no, $fid::INTEGER AS f_id, $gfn::VARCHAR AS f_gfn,
         $env::VARCHAR AS f_env, line
  FROM read_csv($paths, {_CSV})"""
_STREAM_MANY = f"""
  SELECT NULL::BIGINT AS line_no, $fids[file_index::BIGINT + 1]::INTEGER AS f_id,
         $gfns[file_index::BIGINT + 1]::VARCHAR AS f_gfn,
         $envs[file_index::BIGINT + 1]::VARCHAR AS f_env, line
  FROM read_csv($paths, {_CSV})"""
"""The files of a batch read by DuckDB's CSV reader straight into the stage: no `_raw` copy.
Line numbers are given afterwards by `NUMBER_LINES` (the insert keeps the reader's order)."""

_BOM_LINE = {
    True: "CASE WHEN rowid = {base} THEN ltrim(line, chr(65279)) ELSE line END",
    False: "line",
}

HAS_BOM = """
SELECT count(*) > 0 FROM _raw
WHERE rowid IN (SELECT base FROM _base) AND starts_with(line, chr(65279))
"""
"""Does the first line of any file of the batch start with a byte order mark?"""


def stage_sql(fmt: str, *, one_file: bool = False, bom: bool = True, streamed: bool = False) -> str:
    """A SELECT over `_raw` giving the stage rows (line_no, reject, cont, ts, stream, rid,
    level, kind, msg, fn, env, gfn) of one line-oriented format; rejects are left out.

    `one_file` takes the file's id, path hints and first rowid as parameters ($fid, $gfn,
    $env, $base) instead of joining `_base` (the common single-file case, a little faster).
    `bom=False` (no file of the batch starts with a byte order mark) skips stripping it.

    `streamed` reads the files $paths (with $compression) itself instead of `_raw`, taking
    $fid/$gfn/$env (one file) or the lists $fids/$gfns/$envs (by file index), and keeps every
    line, line_no NULL: blank lines as kind `_blank`, rejected ones as kind `_reject` (level =
    reason, msg = the bounded raw line); `NUMBER_LINES` and `SETTLE_STREAMED` finish them."""
    cont = "pts = ''" if fmt in ("export", "tail") else "false"
    jl = "coalesce(nullif(jx[2], ''), jx[3])"
    keep = "true" if streamed else "reject IS NULL AND NOT blank"
    k0 = (
        f"CASE WHEN reject IS NOT NULL THEN '_reject' WHEN blank THEN '_blank' ELSE {_KIND0} END"
        if streamed
        else _KIND0
    )
    raw_msg = "WHEN reject IS NOT NULL THEN " + _REJECT_RAW if streamed else ""
    if streamed:
        lines = _STREAM_ONE if one_file else _STREAM_MANY
    elif one_file:
        lines = _ONE_FILE.format(line=_BOM_LINE[bom].format(base="$base"))
    else:
        lines = _MANY_FILES.format(line=_BOM_LINE[bom].format(base="b.base"))
    jrid = _uuid("coalesce(nullif(jx[4], ''), jx[5])")
    return f"""
WITH l AS ({lines}
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
    CASE {raw_msg} WHEN pts <> '' THEN substr(line, length(pts) + length(coalesce(stream, '')) + 2
         + (stream IS NOT NULL AND stream <> '')::INT) ELSE line END AS msg
  FROM p
), k AS (
  SELECT *, {k0} AS k0 FROM m WHERE {keep}
), j AS (
  SELECT *,
    CASE WHEN k0 = 'json' THEN CASE WHEN json_valid(msg) THEN CASE
         WHEN json_type(msg) = 'OBJECT' THEN json_extract_string(msg, {_JSON_PATHS}) END END
         END AS jx,
    CASE WHEN k0 = 'json' THEN CASE WHEN json_valid(msg) THEN CASE
         WHEN json_type(msg) = 'OBJECT' THEN [json_exists(msg, '$.lambdascope'),
           json_exists(msg, '$._aws'), json_exists(msg, '$.errorType'),
           json_exists(msg, '$.errorMessage') AND NOT json_exists(msg, '$.level')
           AND NOT json_exists(msg, '$.log_level'),
           json_exists(msg, '$.message.errorType')] END END END AS jf,
    CASE WHEN k0 IS NULL AND contains(msg, '{_GLUED}') THEN CASE
         WHEN json_valid(substr(msg, strpos(msg, '{_GLUED}')))
         THEN json_extract_string(substr(msg, strpos(msg, '{_GLUED}')), {_JSON_PATHS}) END
         END AS gx,
    CASE WHEN k0 IS NULL AND contains(msg, ' Task timed out after ')
         THEN regexp_extract(msg, '{_TIMEOUT}', ['ts', 'rid', 's']) END AS tmo,
    CASE WHEN k0 IS NULL AND substr(msg, 5, 1) = '-' AND contains(msg, chr(9))
         THEN regexp_extract(msg, '{_NODE}', ['ts', 'rid', 'lvl']) END AS node,
    CASE WHEN k0 IS NULL AND starts_with(msg, '[')
         THEN regexp_extract(msg, '{_PYAPP}', ['lvl', 'ts', 'rid']) END AS py,
    CASE WHEN k0 IS NULL AND substr(msg, 5, 1) = '-' AND contains(msg, 'Z ')
         THEN regexp_extract(msg, '{_JAVA}', ['ts', 'rid', 'lvl']) END AS java
  FROM k
), x AS (
  SELECT *,
    CASE WHEN k0 IS NULL AND coalesce(node.ts, '') = '' AND substr(msg, 5, 1) = '-'
         AND contains(msg, chr(9))
         THEN regexp_extract(msg, '{_rt.DOTNET_LOG}', ['ts', 'rid', 'lvl']) END AS dn,
    CASE WHEN k0 IS NULL AND substr(msg, 2, 3) = ', ['
         THEN regexp_extract(msg, '{_rt.RUBY_LOG}', ['ts', 'lvl', 'rid']) END AS rb,
    CASE WHEN k0 IS NULL AND starts_with(msg, '[') AND coalesce(py.ts, '') = ''
         THEN nullif(regexp_extract(msg, '{_rt.DOTNET_BRACKET}', 1), '')
         WHEN k0 IS NULL AND substr(msg, 5, 2) = ': '
         THEN nullif(regexp_extract(msg, '{_rt.DOTNET_CONSOLE}', 1), '') END AS bl
  FROM j
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
        WHEN {_JERR} THEN 'error'
        ELSE 'app' END
      WHEN k0 IS NOT NULL THEN k0
      WHEN gx IS NOT NULL THEN 'lambdascope'
      WHEN tmo.ts <> '' THEN 'timeout'
      WHEN node.ts <> '' THEN CASE WHEN node.lvl <> 'ERROR' THEN 'app'
        WHEN starts_with({_NODE_TEXT}, 'Invoke Error')
          OR starts_with({_NODE_TEXT}, 'Uncaught Exception') THEN 'error'
        ELSE 'app' END
      WHEN py.ts <> '' THEN 'app'
      WHEN java.ts <> '' THEN 'app'
      WHEN dn.ts <> '' THEN CASE WHEN {_DN_ERROR} THEN 'error' ELSE 'app' END
      WHEN rb.ts <> '' OR bl IS NOT NULL THEN 'app'
      WHEN {_CRASH} THEN 'error'
      ELSE 'app'
    END AS kind0,
    CASE
      WHEN k0 IN ('start', 'end', 'report') THEN
        regexp_extract(msg, '^(?:START|END|REPORT) RequestId: ({_RID}+)', 1)
      WHEN k0 IN ('error', 'timeout') THEN regexp_extract(msg, '^RequestId: ({_NS}+)', 1)
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN jx[9]
        WHEN starts_with(jx[1], 'platform.') THEN jx[8]
        WHEN jf[2] THEN NULL
        ELSE {jrid} END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN gx IS NOT NULL THEN gx[9]
      WHEN tmo.ts <> '' THEN tmo.rid
      WHEN node.ts <> '' THEN {_uuid("node.rid")}
      WHEN py.ts <> '' THEN {_uuid("py.rid")}
      WHEN java.ts <> '' THEN {_uuid("java.rid")}
      WHEN dn.ts <> '' THEN {_uuid("dn.rid")}
      WHEN rb.ts <> '' THEN {_uuid("rb.rid")}
    END AS rid0,
    CASE
      WHEN k0 = '_reject' THEN reject
      WHEN k0 = 'error' THEN 'ERROR'
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN CASE WHEN jx[11] IN ('error', 'timeout') THEN 'ERROR' ELSE 'INFO' END
        WHEN starts_with(jx[1], 'platform.') OR jf[2] THEN NULL
        WHEN {_JERR} THEN 'ERROR'
        ELSE {_LEVEL.format(x=f"nullif(upper({jl}), '')")} END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN gx IS NOT NULL THEN CASE WHEN gx[11] IN ('error', 'timeout') THEN 'ERROR' ELSE 'INFO' END
      WHEN tmo.ts <> '' THEN NULL
      WHEN node.ts <> '' THEN node.lvl
      WHEN py.ts <> '' THEN {_LEVEL.format(x="py.lvl")}
      WHEN java.ts <> '' THEN java.lvl
      WHEN dn.ts <> '' THEN {_DN_LEVEL}
      WHEN rb.ts <> '' THEN rb.lvl
      WHEN bl IS NOT NULL THEN {_RT_LEVEL.format(x="bl")}
      WHEN {_CRASH} THEN 'ERROR'
    END AS level0,
    CASE
      WHEN k0 = 'json' THEN CASE
        WHEN jx IS NULL THEN NULL
        WHEN jf[1] THEN jx[10]
        WHEN starts_with(jx[1], 'platform.') THEN jx[7]
        WHEN jf[2] THEN NULL
        ELSE jx[6] END
      WHEN k0 IS NOT NULL THEN NULL
      WHEN gx IS NOT NULL THEN gx[10]
      WHEN tmo.ts <> '' THEN tmo.ts
      WHEN node.ts <> '' THEN node.ts
      WHEN py.ts <> '' THEN py.ts
      WHEN java.ts <> '' THEN java.ts
      WHEN dn.ts <> '' THEN dn.ts
      WHEN rb.ts <> '' THEN rb.ts
    END AS mts,
    CASE WHEN k0 = 'json' AND jf[1] THEN jx[12]
         WHEN k0 = 'json' AND jx[1] = 'platform.initStart' THEN jx[14]
         WHEN gx IS NOT NULL THEN gx[12] END AS fn,
    CASE WHEN k0 = 'json' AND jf[1] THEN jx[13] WHEN gx IS NOT NULL THEN gx[13] END AS env
  FROM x
)
SELECT line_no, f_id, f_gfn, f_env, NULL::VARCHAR AS reject, cont, coalesce(cts, mts) AS ts, stream,
  nullif(rid0, '') AS rid, level0 AS level,
  CASE WHEN cont AND kind0 = 'app' THEN 'continuation' ELSE kind0 END AS kind,
  msg, fn, env, NULL::VARCHAR AS gfn
FROM c
"""


_REJECT_RAW = (
    "CASE WHEN contains(line, chr(0)) THEN replace(left(line, 1024), chr(0), '\\0') "
    "ELSE left(line, 1024) END"
)
"""The bounded text the rejects table keeps of a rejected line (NUL bytes, over 1 MiB)."""

NUMBER_LINES = """
UPDATE events SET line_no = events.rowid - b.base + 1
FROM (SELECT file_id, min(rowid) AS base FROM events
      WHERE file_id BETWEEN $lo AND $hi GROUP BY file_id) b
WHERE events.file_id = b.file_id
"""
"""Line numbers of a streamed batch: its rows were appended in the reader's order, file by file,
so a row's place among its file's rows is its line number."""

LINE_COUNTS = "SELECT file_id, count(*) FROM events WHERE file_id BETWEEN $lo AND $hi GROUP BY 1"
"""Lines per file of a streamed batch (blank and rejected lines are still there)."""

SETTLE_STREAMED = (
    "INSERT INTO rejects SELECT file_id, line_no, level, message FROM events "
    "WHERE file_id BETWEEN $lo AND $hi AND kind = '_reject'",
    "DELETE FROM events WHERE file_id BETWEEN $lo AND $hi AND kind IN ('_reject', '_blank')",
)
"""A streamed batch's rejected lines into rejects, its blank lines gone (as `_raw` batches)."""

RAW_REJECTS = f"""
INSERT INTO rejects
SELECT f_id, line_no, reason, {_REJECT_RAW}
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
SELECT count(*) FILTER (WHERE kind IN ('continuation', 'xray')
                          OR (kind = 'error' AND request_id IS NULL)),
  count(*) FILTER (WHERE kind = 'error' AND request_id IS NULL
                     AND starts_with(message, '  "error'))
FROM events
WHERE file_id BETWEEN $lo AND $hi
  AND (kind IN ('continuation', 'xray') OR (kind = 'error' AND request_id IS NULL))
"""
"""Rows for INHERIT, and candidate error-document field lines for DEMOTE_DOC_FIELDS."""

DOC_CODE = (
    "CASE WHEN message = '{' THEN '{' WHEN message IN ("
    + ", ".join(f"'{t}'" for t in _rt.RUBY_HANDLER_ERRORS)
    + ") THEN 'R'"
    + "".join(
        f" WHEN starts_with(message, '{prefix}') THEN '{code}'"
        for prefix, code in zip((*_rt.ERROR_DOC_FIELDS, *_rt.DOTNET_DOC_STACK), "TMSA", strict=True)
    )
    + " ELSE '.' END"
)
"""runtime_text.doc_code in SQL."""

_DOC_KEPT = (
    "CASE dc "
    + " ".join(
        f"WHEN '{code}' THEN starts_with(bef, '{ruby}') "
        f"OR (starts_with(bef, '{dnb}') AND starts_with(aft, '{dna}'))"
        for code, (ruby, dnb, dna) in _rt.DOC_KEPT.items()
    )
    + " END"
)
"""runtime_text.doc_field_kept in SQL."""

_WD = "WINDOW w AS (PARTITION BY file_id ORDER BY line_no)"


def demote_doc_fields(cont: bool) -> str:
    """UPDATE: an indented error-document field line outside a runtime's error document is an
    app line (a continuation line in an export or tail: one without its own time, as the
    demotion runs before INHERIT fills it), level NULL (stage._demote_doc_fields)."""
    kind = "CASE WHEN ts IS NULL THEN 'continuation' ELSE 'app' END" if cont else "'app'"
    return f"""
UPDATE events SET kind = {kind}, level = NULL
FROM (
  SELECT file_id, line_no FROM (
    SELECT file_id, line_no, kind, request_id, dc,
      concat(lag(dc, 1) OVER w, lag(dc, 2) OVER w, lag(dc, 3) OVER w) AS bef,
      concat(lead(dc, 1) OVER w, lead(dc, 2) OVER w) AS aft
    FROM (SELECT file_id, line_no, kind, request_id, {DOC_CODE} AS dc
          FROM events WHERE file_id BETWEEN $lo AND $hi)
    {_WD})
  WHERE kind = 'error' AND request_id IS NULL AND dc IN ('T', 'M') AND NOT {_DOC_KEPT}
) n
WHERE events.file_id = n.file_id AND events.line_no = n.line_no
"""


_CLOSES = (
    "kind IN ('end', 'report', 'timeout') "
    "OR (kind = 'error' AND starts_with(message, 'RequestId: '))"
)
"""stage._closes: the rows that end the open invocation (projected to a flag before the window,
so the window does not carry the message text: +30 % INHERIT time otherwise)."""


def inherit(by_env: bool) -> str:
    """The INHERIT UPDATE. The open invocation is kept per file, and per environment only when
    lines carry their stream (`aws logs tail`, `by_env`): the Python path keys it by stream,
    and an env_id taken from a lambdascope record must not split a file."""
    part = "file_id, env_id" if by_env else "file_id"
    return f"""
UPDATE events SET ts = n.ts, request_id = n.request_id, level = n.level, env_id = n.env_id,
  function = n.function
FROM (
  WITH a AS (
    SELECT * EXCLUDE (orid) REPLACE (CASE WHEN kind = 'error' AND request_id IS NULL
                                    THEN nullif(orid, '') ELSE request_id END AS request_id)
    FROM (SELECT file_id, line_no, kind, env_id, function, ts, level, request_id,
            last_value(CASE WHEN closes THEN '' ELSE request_id END
                       IGNORE NULLS) OVER w AS orid
          FROM (SELECT file_id, line_no, kind, env_id, function, ts, level, request_id,
                  {_CLOSES} AS closes
                FROM events WHERE file_id BETWEEN $lo AND $hi)
          WINDOW w AS (PARTITION BY {part} ORDER BY line_no
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))
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


INHERIT = inherit(by_env=True)
"""Continuation and XRAY lines take their head line's request id (and time, level); an
unhandled-error line without a request id takes the open invocation's (design §3)."""

NSP = "[^ \\t\\n\\r\\f]"
"""RE2 for a non-space character (as Python's \\S for log text)."""


def rx(pattern: str, cast: str = "") -> str:
    """SQL for group 1 of `pattern` in `message`, typed: f = DOUBLE, i = INTEGER."""
    expr = f"nullif(regexp_extract(message, '{pattern}', 1), '')"
    if cast == "f":
        return f"TRY_CAST({expr} AS DOUBLE)"
    if cast == "i":
        return f"TRY_CAST({expr} AS INTEGER)"
    return expr


WS = "[ \\t\\n\\r\\f]"
