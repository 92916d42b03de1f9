"""Every real-shaped fixture in tests/data/<shape>/logs loads to the counts in its expected.json,
through the DuckDB fast path and through the pure-Python parsers alike."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from analyzer import queries
from analyzer.load import LoadResult, load_paths
from analyzer.store import open_db

DATA = Path(__file__).resolve().parents[1] / "data"
SHAPES = sorted(p.parent.name for p in DATA.glob("*/expected.json"))


@functools.cache
def _load(shape: str, engine: str) -> tuple[duckdb.DuckDBPyConnection, LoadResult, Any]:
    expected = json.loads((DATA / shape / "expected.json").read_text())
    con = open_db(None)
    result = load_paths(
        con, [str(DATA / shape / "logs")], function=expected.get("function_arg"), engine=engine
    )
    return con, result, expected


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.sql(sql).fetchall()[0][0]


@pytest.mark.parametrize("engine", ["auto", "python"])
@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_counts(shape: str, engine: str) -> None:
    """Files, lines, events, rejects and invocation counts equal the fixture's expected.json."""
    con, result, exp = _load(shape, engine)
    got = {
        "files": result.files,
        "lines": result.lines,
        "events": result.events,
        "rejected": result.rejected,
        "invocations": result.invocations,
        "errors": _one(con, "SELECT count(*) FROM invocations WHERE outcome = 'error'"),
        "timeouts": _one(con, "SELECT count(*) FROM invocations WHERE outcome = 'timeout'"),
        "cold_starts": _one(con, "SELECT count(*) FROM invocations WHERE cold_start"),
        "init_failures": _one(con, "SELECT count(*) FROM init_failures"),
    }
    assert got == {k: exp[k] for k in got}
    functions = dict(con.sql("SELECT function, count(*) FROM invocations GROUP BY 1").fetchall())
    assert functions == exp["functions"]


@pytest.mark.parametrize("engine", ["auto", "python"])
@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_invocation_columns(shape: str, engine: str) -> None:
    """The invocations named in expected.json carry exactly the listed column values."""
    con, _, exp = _load(shape, engine)
    for rid, cols in exp["rows"].items():
        names = ", ".join(cols)
        rows = con.execute(
            f"SELECT {names} FROM invocations WHERE request_id = ?", [rid]
        ).fetchall()
        assert len(rows) == 1, rid
        assert dict(zip(cols, rows[0], strict=True)) == cols, rid


@pytest.mark.parametrize("engine", ["auto", "python"])
@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_report_totals(shape: str, engine: str) -> None:
    """The report's totals block (queries.summary) equals the fixture's expected totals."""
    con, _, exp = _load(shape, engine)
    # its own cursor: summary() leaves a result open on the connection it is given
    assert queries.summary(con.cursor())["totals"] == exp["totals"]


@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_accounting(shape: str) -> None:
    """Per file: lines read = lines parsed into events + lines rejected, and rejects are stored."""
    con, _, _ = _load(shape, "auto")
    bad = con.sql(
        "SELECT path FROM files f WHERE lines <> events + rejected OR rejected <> "
        "(SELECT count(*) FROM rejects r WHERE r.file_id = f.file_id)"
    ).fetchall()
    assert bad == []


@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_extras(shape: str) -> None:
    """Shape-specific facts: environments, stored events, kinds, per-invocation lines."""
    con, _, exp = _load(shape, "auto")
    if "environments" in exp:
        assert _one(con, "SELECT count(*) FROM environments") == exp["environments"]
    if "stored_events" in exp:
        assert _one(con, "SELECT count(*) FROM events") == exp["stored_events"]
    if "kinds" in exp:
        assert (
            dict(con.sql("SELECT kind, count(*) FROM events GROUP BY 1").fetchall()) == exp["kinds"]
        )
    for rid, n in exp.get("events_of", {}).items():
        got = con.execute("SELECT count(*) FROM events WHERE request_id = ?", [rid]).fetchall()
        assert got[0][0] == n, rid
    for rid, levels in exp.get("levels_of", {}).items():
        got = con.execute(
            "SELECT list(DISTINCT level ORDER BY level) FROM events WHERE request_id = ? "
            "AND level IS NOT NULL",
            [rid],
        ).fetchall()
        assert got[0][0] == levels, rid


@pytest.mark.parametrize("shape", SHAPES)
def test_fixture_formats(shape: str) -> None:
    """Each fixture file is detected as the format expected.json names."""
    con, _, exp = _load(shape, "auto")
    formats = {r[0] for r in con.sql("SELECT DISTINCT format FROM files").fetchall()}
    assert formats == {exp["format"]}
