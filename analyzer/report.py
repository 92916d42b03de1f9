"""Render the summary (table, json, csv, markdown) and check `--fail-on` thresholds.

Thresholds read `[functions.NAME.]METRIC OP NUMBER`: METRIC is a key of the summary entry
(`error_rate`, `timeouts`, `invocations`, ...) or a statistic (`duration_ms.p99`,
`init_ms.max`); OP is one of `>= <= == != > <`. Without `functions.` the totals are checked;
`functions.*.METRIC` checks every function.

A threshold never passes by checking nothing: a `null` value (unknowable, e.g. no REPORT
line) or a wildcard that selects no function fails with a warning saying why, and a
`functions.NAME.` that names no function of the data is a usage error listing the names.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import math
import operator
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

FORMATS = ("table", "json", "csv", "markdown")
"""Output formats of `report` and `query`."""

TOTAL_LABEL = "(total)"
"""Function column of the totals row in table, csv and markdown output (never a real name)."""

UNKNOWN_FUNCTION = "(unknown)"
"""Function column for invocations whose function nothing named."""

METRICS = (
    "invocations",
    "errors",
    "timeouts",
    "cold_starts",
    "error_rate",
    "cold_start_ratio",
    "duration_ms.p50",
    "duration_ms.p90",
    "duration_ms.p99",
    "duration_ms.max",
    "duration_ms.mean",
    "init_ms.p50",
    "init_ms.p99",
    "init_ms.max",
    "memory_size_mb",
    "max_memory_used_mb",
    "init_failures",
)
"""Every value of a summary entry, as dotted paths: csv columns and threshold metrics."""

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
}
_EXPR = re.compile(r"^\s*(?P<path>[^<>=!\s]+)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<num>[^\s]+)\s*$")


class ThresholdError(ValueError):
    """A `--fail-on` expression that cannot be read; the message says how to write one."""


@dataclass(frozen=True)
class Threshold:
    """One parsed `--fail-on` expression."""

    text: str
    function: str | None  # None: totals; "*": every function
    metric: str
    op: str
    limit: float


def value_at(entry: dict[str, Any], metric: str) -> Any:
    """The value of a dotted `metric` (e.g. 'duration_ms.p99') in a summary entry."""
    value: Any = entry
    for part in metric.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def parse_threshold(text: str) -> Threshold:
    """Read one expression like 'functions.orders.error_rate>0.05'; ThresholdError if bad."""
    m = _EXPR.match(text)
    hint = (
        f"cannot read threshold {text!r}: write METRIC OP NUMBER, e.g. 'error_rate>0.01', "
        "'timeouts>0', 'duration_ms.p99>=3000' or 'functions.orders.error_rate>0.05'"
    )
    if not m:
        raise ThresholdError(hint)
    path, op = m.group("path"), m.group("op")
    try:
        limit = float(m.group("num"))
    except ValueError:
        raise ThresholdError(hint) from None
    if not math.isfinite(limit):
        raise ThresholdError(hint)
    function: str | None = None
    if path.startswith("functions."):
        rest = path.removeprefix("functions.")
        metric = next((mt for mt in METRICS if rest.endswith("." + mt)), "")
        function = rest[: -len(metric) - 1] if metric else ""
        if not function:
            raise ThresholdError(hint)
        path = metric
    if path not in METRICS:
        raise ThresholdError(f"{hint}; known metrics: {', '.join(METRICS)}")
    return Threshold(text.strip(), function, path, op, limit)


NAMES_SHOWN = 20
"""How many function names a message lists before it says how many more there are."""


def name_list(names: Sequence[str]) -> str:
    """'a, b, c' of the first NAMES_SHOWN names (printable), then how many more; or '(none)'."""
    if not names:
        return "(none)"
    shown = ", ".join(_printable(n) for n in names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


class UnknownFunctionError(ThresholdError):
    """A `functions.NAME.` threshold naming a function the data does not hold (a typo)."""


_UNKNOWN_WHY = {
    "errors": "no invocation has a known outcome",
    "timeouts": "no invocation has a known outcome",
    "error_rate": "no invocation has a known outcome",
    "cold_starts": "no line says whether an invocation was cold",
    "cold_start_ratio": "no line says whether an invocation was cold",
    "init_ms": "no cold start reported an Init Duration",
    "init_failures": "an aggregated --insights load does not read INIT_REPORT lines",
}
"""Why a metric can be null although there are invocations (else: no REPORT line gave it)."""


def _unknown(t: Threshold, label: str, entry: dict[str, Any]) -> str:
    """The failure message of a threshold whose value is null, saying why it is."""
    if not entry.get("invocations"):
        why = "no invocations selected"
    else:
        why = _UNKNOWN_WHY.get(t.metric, _UNKNOWN_WHY.get(t.metric.split(".")[0], ""))
        why = why or "no REPORT line gave it"
    return (
        f"warning: cannot check {t.text}: {t.metric} is unknown (null) for {label} ({why}); "
        "counted as a failure"
    )


def _targets(
    t: Threshold, summary: dict[str, Any], functions: Collection[str]
) -> list[tuple[str, dict[str, Any]]]:
    """(label, entry) pairs a threshold looks at; UnknownFunctionError for a name not in data."""
    if t.function is None:
        return [("totals", summary["totals"])]
    entries = {f["function"]: f for f in summary["functions"]}
    if t.function == "*":
        return [(f"function {_label(fn)}", e) for fn, e in entries.items()]
    if t.function in entries:
        return [(f"function {t.function}", entries[t.function])]
    if t.function in functions:  # in the data, but no invocation passes the filters
        from analyzer.queries import empty_entry

        return [(f"function {t.function}", {"function": t.function, **empty_entry()})]
    names = sorted({*functions, *(fn for fn in entries if fn is not None)})
    close = difflib.get_close_matches(t.function, names, n=1)
    maybe = f"; did you mean {close[0]!r}?" if close else ""
    raise UnknownFunctionError(
        f"--fail-on {t.text!r}: no function {t.function!r} in the data{maybe} "
        f"(functions in the data: {name_list(names)})"
    )


def check_thresholds(
    summary: dict[str, Any], exprs: Sequence[str], *, functions: Collection[str] = ()
) -> list[str]:
    """One message per failed threshold (empty: all fine).

    A threshold fails when its value crosses the limit, and also when it checks nothing: a
    `null` value, or `functions.*.` with no function selected. `functions` names every
    function of the data before filters (a named function there but not in the summary is
    checked as having no invocations). Raises ThresholdError on a bad expression and
    UnknownFunctionError on a `functions.NAME.` that is neither in `functions` nor the summary.
    """
    violations: list[str] = []
    for t in [parse_threshold(e) for e in exprs]:
        targets = _targets(t, summary, functions)
        if not targets:
            violations.append(
                f"warning: cannot check {t.text}: no function selected; counted as a failure"
            )
        for label, entry in targets:
            value = value_at(entry, t.metric)
            if value is None:
                violations.append(_unknown(t, label, entry))
            elif _OPS[t.op](float(value), t.limit):
                violations.append(f"threshold crossed: {t.text} ({label}: {t.metric} = {value})")
    return violations


# -- rendering -------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _num(value: float | None, decimals: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{decimals}f}"


_HUMAN_COLUMNS: tuple[tuple[str, str, Callable[[Any], str]], ...] = (
    ("invocations", "invocations", _num),
    ("errors", "errors", _num),
    ("err %", "error_rate", _pct),
    ("timeouts", "timeouts", _num),
    ("cold", "cold_starts", _num),
    ("cold %", "cold_start_ratio", _pct),
    ("p50 ms", "duration_ms.p50", _num),
    ("p90 ms", "duration_ms.p90", _num),
    ("p99 ms", "duration_ms.p99", _num),
    ("max ms", "duration_ms.max", _num),
    ("init p50", "init_ms.p50", _num),
    ("init max", "init_ms.max", _num),
    ("mem MB", "memory_size_mb", _num),
    ("used MB", "max_memory_used_mb", _num),
)
"""Header, metric and formatter of each human column (table and markdown)."""


def _label(fn: str | None) -> str:
    return UNKNOWN_FUNCTION if fn is None else _printable(fn)


def _human_rows(summary: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and formatted cells of the per-function rows plus the totals row."""
    columns = list(_HUMAN_COLUMNS)
    entries = [*summary["functions"], {"function": None, **summary["totals"]}]
    if any(e.get("init_failures") for e in entries):
        columns.append(("init fail", "init_failures", _num))
    header = ["function"] + [c[0] for c in columns]
    rows = [
        [_label(e["function"]) if e is not entries[-1] else TOTAL_LABEL]
        + [fmt(value_at(e, metric)) for _, metric, fmt in columns]
        for e in entries
    ]
    return header, rows


def _ingest_line(summary: dict[str, Any]) -> str:
    i = summary["ingest"]
    return (
        f"read {i['files']} file(s): {i['lines']} lines, {i['events']} events, "
        f"{i['rejected']} rejected"
    )


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    """Plain aligned columns, those in `right` (numbers) right-aligned; no colours."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _markdown(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub pipe table; pipes and newlines inside cells are escaped."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(cell(h) for h in header) + " |"]
    out.append("|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(header))) + "|")
    out.extend("| " + " | ".join(cell(v) for v in r) + " |" for r in rows)
    return "\n".join(out)


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in r] for r in rows])
    return buf.getvalue().rstrip("\n")


def render(summary: dict[str, Any], fmt: str) -> str:
    """The summary as text in `fmt` (one of FORMATS), without a trailing newline."""
    if fmt == "json":
        return json.dumps(summary, indent=2)
    if fmt == "csv":
        entries = [*summary["functions"], {"function": TOTAL_LABEL, **summary["totals"]}]
        rows = [[_label(e["function"])] + [value_at(e, m) for m in METRICS] for e in entries]
        return _csv(["function", *METRICS], rows)
    header, rows = _human_rows(summary)
    if fmt == "table":
        if not summary["functions"] and not summary["totals"]["invocations"]:
            return f"no invocations found\n{_ingest_line(summary)}"
        table = _aligned(header, rows, right=set(range(1, len(header))))
        return f"{table}\n\n{_ingest_line(summary)}"
    if fmt == "markdown":
        return f"{_markdown(header, rows)}\n\n{_ingest_line(summary)}"
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


# -- query results ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a DuckDB value (times as ISO-8601, the rest as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def render_rows(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> str:
    """A query result (column names and rows) as text in `fmt`."""
    plain = [[_plain(v) for v in r] for r in rows]
    if fmt == "json":
        return json.dumps([dict(zip(columns, r, strict=True)) for r in plain], indent=2)
    if fmt == "csv":
        text = [[json.dumps(v) if isinstance(v, list | dict) else v for v in r] for r in plain]
        return _csv(columns, text)
    if fmt == "markdown":
        return _markdown(columns, plain)
    if fmt == "table":
        cells = [["NULL" if v is None else _printable(str(v)) for v in r] for r in plain]
        right = {
            i
            for i in range(len(columns))
            if plain and all(isinstance(r[i], int | float) or r[i] is None for r in plain)
        }
        table = _aligned([_printable(c) for c in columns], cells, right)
        return f"{table}\n({len(rows)} row{'' if len(rows) == 1 else 's'})"
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def _printable(text: str) -> str:
    """One line without terminal control characters (log text is shown, never obeyed)."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
