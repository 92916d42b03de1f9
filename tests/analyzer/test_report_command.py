"""`lambdascope report` in-process over a stored --db: formats, filters, exit codes."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.store import open_db


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database file with 3 'orders' invocations (1 error) and 1 'billing' timeout."""
    path = tmp_path / "logs.duckdb"
    con = open_db(path)
    con.execute(
        "INSERT INTO invocations (function, request_id, start_ts, duration_ms, outcome, "
        "cold_start) VALUES "
        "('orders', 'r1', ?, 10, 'error', false), ('orders', 'r2', ?, 20, 'success', true), "
        "('orders', 'r3', ?, 30, 'success', false), ('billing', 'r4', ?, 3000, 'timeout', false)",
        [datetime(2026, 11, 24, 8, m) for m in range(4)],
    )
    con.close()
    return path


def test_db_without_paths_reports_what_is_stored(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report --db FILE` with no PATH summarises the database as it is."""
    assert main(["report", "--db", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totals"]["invocations"] == 4
    assert [f["function"] for f in doc["functions"]] == ["billing", "orders"]


def test_crossed_threshold_exits_1_and_says_which(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A crossed --fail-on prints the report, names the threshold on stderr, exits 1."""
    rc = main(["report", "--db", str(db), "--fail-on", "timeouts>0", "--fail-on", "errors>5"])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "orders" in out
    assert "threshold crossed: timeouts>0" in err
    assert "errors>5" not in err


def test_thresholds_not_crossed_exit_0(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Thresholds that hold leave the exit code at 0."""
    assert main(["report", "--db", str(db), "--fail-on", "error_rate>0.5"]) == 0
    assert capsys.readouterr().err == ""


def test_bad_threshold_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable --fail-on exits 2 with an example, before printing any report."""
    assert main(["report", "--db", str(db), "--fail-on", "errors>>1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "cannot read threshold" in err and "error_rate>0.01" in err


def test_bad_since_is_a_usage_error(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable --since exits 2 and says which forms work."""
    assert main(["report", "--db", str(db), "--since", "yesterday-ish"]) == 2
    assert "2h" in capsys.readouterr().err


def test_function_option_filters_the_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--function restricts functions and totals to that function."""
    assert main(["report", "--db", str(db), "--function", "orders", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [f["function"] for f in doc["functions"]] == ["orders"]
    assert doc["totals"]["errors"] == 1 and doc["totals"]["timeouts"] == 0


def test_time_window_filters_the_report(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--since/--until in ISO-8601 keep the invocations started in that window."""
    argv = ["report", "--db", str(db), "--format", "json"]
    assert main([*argv, "--since", "2026-11-24T08:01:00Z", "--until", "2026-11-24T08:03Z"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["invocations"] == 2


def test_csv_format_prints_a_total_row(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format csv prints the header, each function and the (total) row."""
    assert main(["report", "--db", str(db), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["function", "billing", "orders", "(total)"]


def test_time_window_warns_about_invocations_without_time(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invocations with no timestamp are left out by --since and a warning says how many."""
    con = open_db(db)
    con.execute("INSERT INTO invocations (function, request_id) VALUES ('orders', 'untimed')")
    con.close()
    assert main(["report", "--db", str(db), "--since", "2026-11-24T08:00:00Z"]) == 0
    assert "1 invocation(s) have no timestamp" in capsys.readouterr().err


def test_fail_on_unknown_function_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A --fail-on naming no function of the data exits 2, prints no report, lists the names."""
    assert main(["report", "--db", str(db), "--fail-on", "functions.order.errors>0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "no function 'order'" in err and "billing, orders" in err


def test_fail_on_function_outside_the_window_is_checked(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A function of the data with no invocation in --until's window counts zero, exit 0."""
    argv = ["report", "--db", str(db), "--until", "2026-11-24T08:00:30Z"]
    assert main([*argv, "--fail-on", "functions.billing.timeouts>0"]) == 0
    assert capsys.readouterr().err == ""


def test_fail_on_null_value_fails_with_a_warning(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A threshold whose value is null (no memory reported) exits 1 and says why."""
    assert main(["report", "--db", str(db), "--fail-on", "memory_size_mb>1024"]) == 1
    err = capsys.readouterr().err
    assert "warning: cannot check memory_size_mb>1024" in err and "for totals" in err


def test_unknown_function_filter_hints_at_the_names(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--function naming nothing in the data: empty report, exit 0, a hint with the names."""
    assert main(["report", "--db", str(db), "--function", "nosuch", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["totals"]["invocations"] == 0
    assert err == (
        "lambdascope report: no invocations for function 'nosuch'; "
        "functions in the data: billing, orders\n"
    )


def test_known_function_filter_gives_no_hint(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--function naming a function of the data prints nothing on stderr."""
    assert main(["report", "--db", str(db), "--function", "billing"]) == 0
    assert capsys.readouterr().err == ""


def test_empty_db_gives_no_function_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--function on a database without any invocation has nothing to hint at."""
    assert main(["report", "--db", str(tmp_path / "new.duckdb"), "--function", "x"]) == 0
    assert capsys.readouterr().err == ""


def test_unknown_function_filter_with_fail_on_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--function naming nothing plus --fail-on: the gate would check nothing, so exit 2."""
    assert main(["report", "--db", str(db), "--function", "ordres", "--fail-on", "errors>0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "functions in the data: billing, orders" in err and "--fail-on would check" in err
