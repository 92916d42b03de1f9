"""Lines of the Ruby and .NET runtimes, and the crash lines runtimes print as they die.

Pure functions over one message, used by `analyzer.parse.message`; the patterns are plain
regular expressions that Python's `re` and DuckDB's RE2 read alike, so `analyzer.parse.sql`
and `analyzer.parse.sql_evidence` use the very same text for the fast path.
"""

from __future__ import annotations

import re
from typing import Any

TS_NOZONE = r"[0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9](?:\.[0-9]+)?"
"""An ISO time without zone (Ruby's Logger writes local time, UTC in Lambda)."""

RUBY_LOG = (
    r"^[DIWEFA], \[(" + TS_NOZONE + r") #[0-9]+\] +(DEBUG|INFO|WARN|ERROR|FATAL|ANY) +"
    r"(?:([^ \t\n\r\f]+) +)?-- "
)
"""Ruby's Logger line: `I, [2024-06-01T10:00:00.123456 #8]  INFO <request id> -- : text`
(the runtime's formatter adds the request id; a plain Logger has none)."""

DOTNET_LOG = r"^(" + TS_NOZONE + r"Z)\t([^ \t\n\r\f]*)\t(?:(trce|dbug|info|warn|fail|crit)\t)?"
"""The .NET runtime's prefix `<time>\\t<request id>\\t<level>\\t`: level labels as
Microsoft.Extensions.Logging writes them; no level for LambdaLogger.Log text; an empty id
during init."""

DOTNET_BRACKET = r"^\[(Trace|Debug|Information|Warning|Error|Critical)\] "
"""Amazon.Lambda.Logging.AspNetCore's `[Information] Category: text` (after the prefix, or raw)."""

DOTNET_CONSOLE = r"^(trce|dbug|info|warn|fail|crit): "
"""The .NET console logger's `fail: Category[0]` line (its text follows on the next line)."""

DOTNET_EXCEPTION = r"^([A-Za-z_][A-Za-z0-9_.`]*Exception): ?([^\n\r]*)"
"""`Exception.ToString()` as the runtime logs an unhandled exception at level `fail`."""

RUBY_UNCAUGHT = (
    r"^[^ \t\n\r\f]+:[0-9]+:in [`'][^'\n\r]*': ([^\n\r]*) \(([A-Z][A-Za-z0-9_:]*)\)(?:[\n\r]|$)"
)
"""Ruby's report of an exception that ended the process:
`/var/task/app.rb:5:in 'handler': failed to allocate memory (NoMemoryError)`."""

CRASH_PREFIXES = ("FATAL ERROR: ", "fatal error: ")
"""A fatal runtime error that ends the process: Node's V8 (`FATAL ERROR: ... JavaScript heap
out of memory`) and Go's runtime (`fatal error: runtime: out of memory`)."""

RUBY_HANDLER_ERRORS = ("Error raised from handler method", "Critical exception from handler")
"""The Ruby runtime's line before the error document of an invocation that raised."""

ERROR_DOC_FIELDS = ('  "errorType": "', '  "errorMessage": "')
"""Top-level fields of an error document printed indented over several lines (Ruby's
`JSON.pretty_unparse`, older .NET runtimes): in text files each is a line of its own. Such a
line is only a candidate: `runtime_doc_field` keeps it an error where a runtime writes it,
as any app can print an indented JSON payload with these keys."""

DOTNET_DOC_STACK = ('  "stackTrace": [', '    "at ')
"""The lines after errorType and errorMessage in a legacy .NET runtime's error document: its
stack trace, frames written as .NET writes them (`at Namespace.Type.Method(...)`)."""

JVM_OOM = r'^Exception in thread "[^"\n\r]*" java\.lang\.OutOfMemoryError'
"""The JVM's own report of an uncaught OutOfMemoryError on stderr (no error document)."""

OOM_TYPE = r"(^|[.<:])[A-Za-z0-9_]*(OutOfMemory(Error|Exception)|MemoryError)>?$"
"""An out-of-memory error type: Python MemoryError and its subclasses (numpy
_ArrayMemoryError, pyarrow ArrowMemoryError), java.lang.OutOfMemoryError,
System.OutOfMemoryException, Ruby NoMemoryError (also as `Function<NoMemoryError>`)."""

OOM_CRASH = (
    r"^(FATAL ERROR: [^\n\r]*JavaScript heap out of memory|fatal error: runtime: out of memory|"
    + JVM_OOM.removeprefix("^")
    + ")"
)
"""The untyped crash lines that say out of memory (Node's V8, Go's runtime, the JVM): the only
error messages read for OOM (a message that merely mentions one, say a downstream system's
`java.lang.OutOfMemoryError`, is not)."""

LEVELS = {
    "trce": "TRACE",
    "dbug": "DEBUG",
    "info": "INFO",
    "warn": "WARN",
    "fail": "ERROR",
    "crit": "FATAL",
    "Trace": "TRACE",
    "Debug": "DEBUG",
    "Information": "INFO",
    "Warning": "WARN",
    "Error": "ERROR",
    "Critical": "FATAL",
}
"""Ruby and .NET level names as the other runtimes' (INFO, WARN, ERROR...)."""

_RUBY_LOG = re.compile(RUBY_LOG)
_DOTNET_LOG = re.compile(DOTNET_LOG)
_DOTNET_BRACKET = re.compile(DOTNET_BRACKET)
_DOTNET_CONSOLE = re.compile(DOTNET_CONSOLE)
_DOTNET_EXCEPTION = re.compile(DOTNET_EXCEPTION)
_RUBY_UNCAUGHT = re.compile(RUBY_UNCAUGHT)
_FIRST_LINE = re.compile(r"[^\n\r]*")
_JVM_OOM = re.compile(JVM_OOM)

Line = tuple[str, str | None, str | None, str | None, dict[str, Any]]
"""(kind, request id, level, time, evidence) of a recognised line."""


def is_crash_line(msg: str) -> bool:
    """A runtime's unhandled-error or fatal-crash line without a request id of its own (an
    error document's field line is only a candidate, see `runtime_doc_field`)."""
    return (
        msg.startswith(CRASH_PREFIXES)
        or msg.startswith(ERROR_DOC_FIELDS)
        or msg in RUBY_HANDLER_ERRORS
        or _RUBY_UNCAUGHT.match(msg) is not None
        or (msg.startswith('Exception in thread "') and _JVM_OOM.match(msg) is not None)
    )


def doc_code(msg: str) -> str:
    """One letter for a line that can be part of a runtime's indented error document (what
    `doc_field_kept` looks at around a candidate): R a Ruby marker line, { the document's
    opening line, T/M its errorType/errorMessage line, S/A a .NET stackTrace line / frame;
    '.' any other line. Mirrored in SQL by `analyzer.parse.sql.DOC_CODE`."""
    if msg == "{":
        return "{"
    if msg in RUBY_HANDLER_ERRORS:
        return "R"
    if msg.startswith(ERROR_DOC_FIELDS[0]):
        return "T"
    if msg.startswith(ERROR_DOC_FIELDS[1]):
        return "M"
    if msg.startswith(DOTNET_DOC_STACK[0]):
        return "S"
    if msg.startswith(DOTNET_DOC_STACK[1]):
        return "A"
    return "."


DOC_KEPT = {
    "M": ("{R", "T{", "SA"),
    "T": ("M{R", "{", "MS"),
}
"""When a field line (T errorType, M errorMessage) is a runtime's error document: (codes of
the lines before it, nearest first, for Ruby; before and after it for legacy .NET). Ruby
writes `Error raised from handler method` / `Critical exception from handler`, `{`,
errorMessage, errorType; legacy .NET `{`, errorType, errorMessage, `"stackTrace": [`, frames."""


def doc_field_kept(code: str, before: str, after: str) -> bool:
    """Is the candidate field line with `code` part of a runtime's error document, given the
    codes of up to three lines before it (nearest first) and two after it? Any app can print
    an indented JSON payload with these keys: elsewhere the line is an app line."""
    ruby, dn_before, dn_after = DOC_KEPT[code]
    return before.startswith(ruby) or (before.startswith(dn_before) and after.startswith(dn_after))


def crash_evidence(msg: str) -> dict[str, Any] | None:
    """Type and message of a crash line whose shape says them (None: the generic rules)."""
    if msg.startswith(CRASH_PREFIXES) or (
        msg.startswith('Exception in thread "') and _JVM_OOM.match(msg)
    ):
        m = _FIRST_LINE.match(msg)
        return {"status": "error", "error_type": None, "error_message": m and m.group(0)}
    m = _RUBY_UNCAUGHT.match(msg)
    if m:
        return {"status": "error", "error_type": m.group(2), "error_message": m.group(1)}
    return None


def runtime_line(msg: str, uuid: re.Pattern[str]) -> Line | None:
    """A Ruby or .NET application line (an unhandled .NET exception is an error), else None."""
    m = _DOTNET_LOG.match(msg)
    if m:
        rid = m.group(2) if uuid.fullmatch(m.group(2)) else None
        text = msg[m.end() :]
        label = m.group(3)
        if label is None:
            b = _DOTNET_BRACKET.match(text)
            label = b.group(1) if b else None
        level = LEVELS.get(label) if label else None
        exc = _DOTNET_EXCEPTION.match(text) if m.group(3) == "fail" else None
        if exc:
            ev = {"status": "error", "error_type": exc.group(1), "error_message": exc.group(2)}
            return "error", rid, level, m.group(1), ev
        return "app", rid, level, m.group(1), {}
    m = _RUBY_LOG.match(msg)
    if m:
        rid = m.group(3) if m.group(3) and uuid.fullmatch(m.group(3)) else None
        return "app", rid, m.group(2), m.group(1), {}
    m = _DOTNET_BRACKET.match(msg) or _DOTNET_CONSOLE.match(msg)
    if m:
        return "app", None, LEVELS[m.group(1)], None, {}
    return None
