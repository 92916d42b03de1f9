"""`lambdascope report` and `query` as users run them: real process, real files, pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from analyzer import store

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / ".venv" / "bin" / "lambdascope"

pytestmark = pytest.mark.skipif(not EXE.exists(), reason="needs `make .venv/.dev-installed`")

T = "\t"


def _invocation(n: int, ts: str, duration: float, extra: str = "", app: str = "") -> list[str]:
    """S3-export lines of one invocation: START, an app line, END, REPORT (tab separated)."""
    rid = f"4ce9340a-b765-490f-ad8a-02ab3415e2{n:02d}"
    lines = [f"{ts}Z START RequestId: {rid} Version: $LATEST", ""]
    if app:
        lines += [f"{ts}Z {ts}Z{T}{rid}{T}INFO{T}{app}", ""]
    lines += [f"{ts}Z END RequestId: {rid}", ""]
    report = (
        f"{ts}Z REPORT RequestId: {rid}{T}Duration: {duration:.2f} ms{T}"
        f"Billed Duration: {int(duration) + 1} ms{T}Memory Size: 128 MB{T}Max Memory Used: 70 MB"
        f"{T}{extra}"
    )
    return [*lines, report, ""]


DURATIONS = [12.5, 40.0, 3000.0, 7.25]
"""Durations of the four invocations in `export_lines` (the third timed out)."""


def export_lines() -> list[str]:
    """Four invocations in S3-export text shape: 1 cold, 1 error (OOM), 1 timeout, 1 plain."""
    return [
        *_invocation(1, "2026-11-24T08:00:00.100", 12.5, f"Init Duration: 150.00 ms{T}", "hi"),
        *_invocation(
            2, "2026-11-24T08:01:00.100", 40.0, f"Status: error{T}Error Type: Runtime.OutOfMemory"
        ),
        *_invocation(3, "2026-11-24T08:02:00.100", 3000.0, "Status: timeout"),
        *_invocation(4, "2026-11-24T08:03:00.100", 7.25),
    ]


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """An S3-export-shaped text file of four invocations."""
    path = tmp_path / "export" / "000000"
    path.parent.mkdir()
    path.write_text("\n".join(export_lines()) + "\n", encoding="utf-8")
    return path


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `lambdascope` with `args`; stdin from `stdin` or /dev/null."""
    return subprocess.run(
        [str(EXE), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd or ROOT,
        timeout=60,
    )


def qcont(values: list[float], q: float) -> float:
    """DuckDB quantile_cont of `values`, rounded to 3 places like the report."""
    row = duckdb.execute("SELECT quantile_cont(v, ?) FROM unnest(?) t(v)", [q, values]).fetchone()
    assert row is not None
    return round(float(row[0]), 3)


def test_json_report_counts_a_real_export(logs: Path) -> None:
    """report --format json on an export file gives the contract numbers, exit 0."""
    proc = run("report", str(logs), "--function", "orders", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    t = doc["totals"]
    assert (t["invocations"], t["errors"], t["timeouts"], t["cold_starts"]) == (4, 1, 1, 1)
    assert (t["error_rate"], t["cold_start_ratio"]) == (0.25, 0.25)
    assert t["duration_ms"]["p50"] == qcont(DURATIONS, 0.5)
    assert t["duration_ms"]["p99"] == qcont(DURATIONS, 0.99)
    assert t["duration_ms"]["max"] == 3000.0
    assert t["init_ms"] == {"p50": 150.0, "p99": 150.0, "max": 150.0}
    assert (t["memory_size_mb"], t["max_memory_used_mb"]) == (128, 70)
    assert [f["function"] for f in doc["functions"]] == ["orders"]


def test_ingest_accounts_for_every_line(logs: Path) -> None:
    """ingest: one file, and its lines are all either parsed or rejected."""
    proc = run("report", str(logs), "--function", "orders", "--format", "json")
    ingest = json.loads(proc.stdout)["ingest"]
    assert ingest["files"] == 1
    assert ingest["lines"] == ingest["events"] + ingest["rejected"]
    assert ingest["events"] > 0


def test_stdin_is_read_when_no_path_is_given(logs: Path) -> None:
    """Piped logs without a PATH are read from stdin with the same result."""
    proc = run("report", "--function", "orders", "--format", "json", stdin=logs.read_text())
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["totals"]["invocations"] == 4


def test_table_to_a_pipe_is_plain_text(logs: Path) -> None:
    """The default table, written to a pipe, has no colours or progress output."""
    proc = run("report", str(logs), "--function", "orders")
    assert proc.returncode == 0, proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[2].split()[:2] == ["orders", "4"]
    assert proc.stderr == ""


def test_crossed_threshold_exits_1(logs: Path) -> None:
    """--fail-on 'timeouts>0' on logs with a timeout exits 1 and says so on stderr."""
    proc = run("report", str(logs), "--function", "orders", "--fail-on", "timeouts>0")
    assert proc.returncode == 1
    assert "threshold crossed: timeouts>0" in proc.stderr


def test_db_reused_across_runs_adds_only_new_files(logs: Path, tmp_path: Path) -> None:
    """With --db, loading the same file twice adds nothing; a new file adds its invocations."""
    db = tmp_path / "state.duckdb"
    argv = ("--db", str(db), "--function", "orders", "--format", "json")
    first = json.loads(run("report", str(logs), *argv).stdout)
    again = json.loads(run("report", str(logs), *argv).stdout)
    assert again["totals"] == first["totals"]
    assert again["ingest"]["files"] == 1
    other = tmp_path / "other.log"
    other.write_text("\n".join(_invocation(9, "2026-11-24T09:00:00.000", 5.0)) + "\n")
    grown = json.loads(run("report", str(other), *argv).stdout)
    assert grown["totals"]["invocations"] == 5
    stored = json.loads(run("report", "--db", str(db), "--format", "json").stdout)
    assert stored["totals"]["invocations"] == 5


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    """A path that does not exist: non-zero exit, the path named, no traceback."""
    missing = tmp_path / "nope.log"
    proc = run("report", str(missing))
    assert proc.returncode != 0
    assert "nope.log" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_input_on_a_terminal_is_a_usage_error() -> None:
    """Without PATH, --db or piped stdin (a terminal), report exits 2 and says what to give."""
    primary, secondary = os.openpty()
    try:
        proc = subprocess.run(
            [str(EXE), "report"],
            stdin=secondary,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert proc.returncode == 2
    assert "no input" in proc.stderr


def test_query_runs_sql_over_loaded_files(logs: Path) -> None:
    """query SQL PATH loads the file and prints the SQL's rows."""
    sql = "select outcome, count(*) as n from invocations group by 1 order by 1"
    proc = run("query", sql, str(logs), "--function", "orders", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["outcome"]: r["n"] for r in json.loads(proc.stdout)}
    assert rows == {"error": 1, "success": 2, "timeout": 1}


def test_query_sql_error_has_no_traceback(logs: Path) -> None:
    """A bad SQL statement exits 1 with one clear message."""
    proc = run("query", "selec 1", str(logs), "--function", "orders")
    assert proc.returncode == 1
    assert "SQL error" in proc.stderr and "Traceback" not in proc.stderr


def test_closed_pipe_is_not_an_error(tmp_path: Path) -> None:
    """`lambdascope query ... | head -1` ends quietly: exit 0, nothing on stderr."""
    db = tmp_path / "x.duckdb"
    store.open_db(db).close()  # an (empty) database: no note about a missing one on stderr
    script = f"'{EXE}' query 'select * from range(300000)' --db '{db}' | head -1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", script],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.strip() == "range"


def test_python_dash_m_entry_matches(logs: Path) -> None:
    """`python -m analyzer.cli report` behaves like the console script."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer.cli",
            "report",
            str(logs),
            "--function",
            "orders",
            "--format",
            "csv",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("(total),4,1,1,1,")


def test_logs_without_invocations_are_not_an_error(tmp_path: Path) -> None:
    """A readable file holding no invocation: zero counts, a sentence, exit 0."""
    path = tmp_path / "app-only.log"
    path.write_text(f"2026-11-24T08:00:00.000Z 2026-11-24T08:00:00.000Z{T}abc{T}INFO{T}hi\n")
    proc = run("report", str(path), "--function", "orders")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("no invocations found")


def test_empty_stdin_is_a_clear_error() -> None:
    """Nothing on stdin: exit 1 with a message, no traceback."""
    proc = run("report", stdin="")
    assert proc.returncode == 1
    assert proc.stderr.startswith("lambdascope report: ") and "stdin" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fail_on_typo_in_function_is_a_usage_error(logs: Path) -> None:
    """--fail-on 'functions.order.…' on logs of 'orders': exit 2, no report, the right name."""
    proc = run(
        "report", str(logs), "--function", "orders", "--fail-on", "functions.order.error_rate>0.01"
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "did you mean 'orders'?" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_fail_on_unknowable_value_fails(tmp_path: Path) -> None:
    """Logs without REPORT lines: 'errors>0' cannot be checked, so it fails with a warning."""
    lines = [line for line in export_lines() if " REPORT " not in line]
    path = tmp_path / "no-report.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run("report", str(path), "--function", "orders", "--fail-on", "errors>0")
    assert proc.returncode == 1
    assert "warning: cannot check errors>0: errors is unknown (null) for totals" in proc.stderr


def test_function_filter_matching_nothing_hints(logs: Path, tmp_path: Path) -> None:
    """--function with a name the stored data lacks: exit 0, and a hint naming 'orders'."""
    db = tmp_path / "state.duckdb"
    assert run("report", str(logs), "--db", str(db), "--function", "orders").returncode == 0
    proc = run("report", "--db", str(db), "--function", "order")
    assert proc.returncode == 0
    assert proc.stdout.startswith("no invocations found")
    assert proc.stderr == (
        "lambdascope report: no invocations for function 'order'; functions in the data: orders\n"
    )
