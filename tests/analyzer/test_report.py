"""`analyzer.report`: table, json, csv and markdown output, and --fail-on thresholds."""

from __future__ import annotations

import csv
import io
import itertools
import json
from datetime import datetime
from typing import Any

import duckdb
import pytest

from analyzer.queries import summary
from analyzer.report import (
    METRICS,
    TOTAL_LABEL,
    ThresholdError,
    UnknownFunctionError,
    check_thresholds,
    parse_threshold,
    render,
    render_rows,
)
from analyzer.store import open_db

_IDS = itertools.count()


def add(con: duckdb.DuckDBPyConnection, function: str | None, **cols: Any) -> None:
    """Insert one invocation of `function` (a warm success of 100 ms unless told)."""
    row: dict[str, Any] = {
        "function": function,
        "request_id": f"r{next(_IDS)}",
        "start_ts": datetime(2026, 11, 24, 8, 0),
        "cold_start": False,
        "duration_ms": 100.0,
        "memory_mb": 128,
        "max_memory_mb": 70,
        "outcome": "success",
    }
    row.update(cols)
    marks = ", ".join("?" for _ in row)
    con.execute(f"INSERT INTO invocations ({', '.join(row)}) VALUES ({marks})", list(row.values()))


@pytest.fixture
def doc() -> dict[str, Any]:
    """A summary of two functions: orders (1 error in 4, one cold) and billing (1 timeout)."""
    con = open_db()
    con.execute(
        "INSERT INTO files (file_id, path, fingerprint, lines, events, rejected) "
        "VALUES (1, 'a.log', 'f', 40, 37, 3)"
    )
    add(con, "orders", outcome="error")
    add(con, "orders", cold_start=True, init_ms=250.0, duration_ms=400.0)
    add(con, "orders")
    add(con, "orders")
    add(con, "billing", outcome="timeout", duration_ms=3000.0)
    return summary(con)


@pytest.fixture
def empty() -> dict[str, Any]:
    """The summary of an empty database."""
    return summary(open_db())


def test_json_is_the_summary_itself(doc: dict[str, Any]) -> None:
    """--format json parses back to exactly the summary dict."""
    assert json.loads(render(doc, "json")) == doc


def test_json_writes_null_for_unknown_values(empty: dict[str, Any]) -> None:
    """Unknown values are JSON null, not 0."""
    text = render(empty, "json")
    assert json.loads(text)["totals"]["error_rate"] is None
    assert '"error_rate": null' in text


def test_csv_has_a_row_per_function_and_a_total_row(doc: dict[str, Any]) -> None:
    """CSV: header of dotted metrics, one row per function, then the totals row."""
    rows = list(csv.reader(io.StringIO(render(doc, "csv"))))
    assert rows[0] == ["function", *METRICS]
    assert [r[0] for r in rows[1:]] == ["billing", "orders", TOTAL_LABEL]
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert (total["invocations"], total["errors"], total["timeouts"]) == ("5", "1", "1")
    assert total["duration_ms.max"] == "3000.0"


def test_csv_writes_unknown_values_as_empty_fields(doc: dict[str, Any]) -> None:
    """A null value is an empty CSV field."""
    rows = list(csv.DictReader(io.StringIO(render(doc, "csv"))))
    billing = rows[0]
    assert billing["function"] == "billing"
    assert billing["init_ms.p50"] == ""


def test_table_has_a_row_per_function_total_and_ingest_line(doc: dict[str, Any]) -> None:
    """The table lists each function, the total, and the lines/events/rejected counts."""
    text = render(doc, "table")
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["function", "invocations", "errors"]
    firsts = [line.split()[0] for line in lines[2:5]]
    assert firsts == ["billing", "orders", TOTAL_LABEL]
    assert "1 file(s): 40 lines, 37 events, 3 rejected" in text
    assert "25.00%" in lines[3]  # orders: 1 error in 4


def test_table_columns_are_aligned(doc: dict[str, Any]) -> None:
    """Every row of the table has the same width as its header separator."""
    lines = render(doc, "table").splitlines()
    width = len(lines[1])
    assert all(len(line) == width for line in lines[2:5])


def test_table_has_no_terminal_escapes(doc: dict[str, Any]) -> None:
    """Plain text: no ANSI colour codes anywhere."""
    assert "\x1b" not in render(doc, "table")


def test_table_says_when_there_are_no_invocations(empty: dict[str, Any]) -> None:
    """An empty summary prints a sentence, not an empty table."""
    assert render(empty, "table").startswith("no invocations found")


def test_table_shows_unknown_values_as_dash(empty: dict[str, Any]) -> None:
    """Null statistics appear as '-' in human output."""
    con = open_db()
    add(con, "a", duration_ms=None, memory_mb=None, max_memory_mb=None)
    row = render(summary(con), "table").splitlines()[2]
    assert row.split()[-1] == "-"


def test_markdown_is_a_pipe_table(doc: dict[str, Any]) -> None:
    """Markdown: header, separator, one row per function plus total, then the ingest line."""
    lines = render(doc, "markdown").splitlines()
    assert lines[0].startswith("| function | invocations |")
    assert set(lines[1]) <= set("|-: ")
    assert [line.split("|")[1].strip() for line in lines[2:5]] == ["billing", "orders", "(total)"]
    assert lines[-1] == "read 1 file(s): 40 lines, 37 events, 3 rejected"


def test_markdown_escapes_pipes_in_names() -> None:
    """A pipe inside a function name does not break the table."""
    con = open_db()
    add(con, "a|b")
    row = render(summary(con), "markdown").splitlines()[2]
    assert row.startswith("| a\\|b |")


def test_unknown_format_is_refused(doc: dict[str, Any]) -> None:
    """render() names the accepted formats when given another."""
    with pytest.raises(ValueError, match="table, json, csv, markdown"):
        render(doc, "xml")


@pytest.mark.parametrize(
    ("expr", "crossed"),
    [
        ("error_rate>0.1", True),
        ("error_rate>0.5", False),
        ("timeouts>0", True),
        ("timeouts>=2", False),
        ("invocations<10", True),
        ("invocations<=4", False),
        ("errors==1", True),
        ("errors!=1", False),
        ("duration_ms.p99>=2800", True),
        ("duration_ms.max > 3000", False),
        ("init_ms.max>200", True),
    ],
)
def test_total_thresholds_use_each_operator(doc: dict[str, Any], expr: str, crossed: bool) -> None:
    """Totals thresholds compare with > >= < <= == != as written."""
    assert bool(check_thresholds(doc, [expr])) is crossed


def test_function_threshold_checks_only_that_function(doc: dict[str, Any]) -> None:
    """functions.NAME.METRIC looks at that function's entry."""
    assert check_thresholds(doc, ["functions.billing.error_rate>0"]) == []
    [message] = check_thresholds(doc, ["functions.orders.error_rate>0.2"])
    assert "orders" in message and "0.25" in message


def test_wildcard_threshold_reports_each_function(doc: dict[str, Any]) -> None:
    """functions.*.METRIC yields one violation per function that crosses it."""
    messages = check_thresholds(doc, ["functions.*.duration_ms.max>=400"])
    assert len(messages) == 2


def test_unknown_value_fails_and_says_why(empty: dict[str, Any]) -> None:
    """A null value cannot be checked: a failure naming the metric, the scope and the cause."""
    [message] = check_thresholds(empty, ["duration_ms.p99>0"])
    assert message.startswith("warning: cannot check duration_ms.p99>0")
    assert "duration_ms.p99 is unknown (null) for totals (no invocations selected)" in message
    assert message.endswith("counted as a failure")


def test_unknown_outcome_names_the_cause() -> None:
    """errors is null when no invocation has a known outcome, and the failure says so."""
    con = open_db()
    add(con, "orders", outcome=None)
    [message] = check_thresholds(summary(con), ["functions.orders.errors>0"])
    assert "errors is unknown (null) for function orders" in message
    assert "no invocation has a known outcome" in message


def test_absent_function_is_an_unknown_function_error(doc: dict[str, Any]) -> None:
    """A threshold on a function the data does not hold raises, listing the functions there."""
    with pytest.raises(UnknownFunctionError, match=r"no function 'nope'.*billing, orders"):
        check_thresholds(doc, ["functions.nope.errors>=0"])


def test_unknown_function_suggests_the_close_name(doc: dict[str, Any]) -> None:
    """A typo in the function name gets a 'did you mean' with the nearest name."""
    with pytest.raises(UnknownFunctionError, match="did you mean 'orders'"):
        check_thresholds(doc, ["functions.order.error_rate>0.01"])


def test_filtered_out_function_has_zero_counts(doc: dict[str, Any]) -> None:
    """A function of the data that the filters leave out is checked as zero invocations."""
    assert check_thresholds(doc, ["functions.inventory.errors>0"], functions=["inventory"]) == []


def test_filtered_out_function_ratio_fails(doc: dict[str, Any]) -> None:
    """The null error_rate of a filtered-out function fails with 'no invocations selected'."""
    [message] = check_thresholds(
        doc, ["functions.inventory.error_rate>0.1"], functions=["inventory"]
    )
    assert "function inventory (no invocations selected)" in message


def test_wildcard_without_functions_fails(empty: dict[str, Any]) -> None:
    """functions.*.METRIC when no function is selected is a failure, not a silent pass."""
    [message] = check_thresholds(empty, ["functions.*.errors>0"])
    assert message == (
        "warning: cannot check functions.*.errors>0: no function selected; counted as a failure"
    )


@pytest.mark.parametrize(
    "expr",
    [
        "error_rate",
        "error_rate>>1",
        "error_rate>abc",
        "error_rate>nan",
        "bogus>1",
        "functions.error_rate>1",
        "",
    ],
)
def test_bad_threshold_raises_with_an_example(expr: str) -> None:
    """An unreadable expression raises ThresholdError that shows how to write one."""
    with pytest.raises(ThresholdError, match=r"error_rate>0\.01"):
        parse_threshold(expr)


def test_threshold_parses_function_name_and_metric() -> None:
    """functions.NAME.METRIC splits into the function and a dotted metric."""
    t = parse_threshold("functions.my-fn_2.duration_ms.p99 >= 3000")
    assert (t.function, t.metric, t.op, t.limit) == ("my-fn_2", "duration_ms.p99", ">=", 3000.0)


def test_rows_as_json_use_iso_times() -> None:
    """Query rows render as a JSON list of objects, timestamps as ISO-8601."""
    text = render_rows(["n", "ts"], [(1, datetime(2026, 1, 2, 3, 4, 5))], "json")
    assert json.loads(text) == [{"n": 1, "ts": "2026-01-02T03:04:05"}]


def test_rows_as_table_show_null_and_count() -> None:
    """Query rows render as aligned text with NULL for missing values and a row count."""
    text = render_rows(["a", "b"], [("x", None), ("yy", 2)], "table")
    lines = text.splitlines()
    assert lines[2].split() == ["x", "NULL"]
    assert lines[-1] == "(2 rows)"


def test_rows_as_table_escape_control_characters() -> None:
    """Log text with escapes or newlines is shown inert, on one line."""
    text = render_rows(["m"], [("\x1b[31mred\nline",)], "table")
    assert "\x1b" not in text
    assert "\\x1b[31mred\\nline" in text


def test_rows_as_csv_and_markdown() -> None:
    """Query rows render as CSV with a header and as a markdown pipe table."""
    rows = [("a", 1), ("b", None)]
    assert render_rows(["k", "v"], rows, "csv") == "k,v\na,1\nb,"
    assert render_rows(["k", "v"], rows, "markdown").splitlines()[3] == "| b |  |"
