"""The synthetic log generator: reproducible bytes and a truth that matches what it wrote."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb
import pytest

from analyzer.generator import FUNCTIONS, Truth, generate, quantile_cont

COUNT_KEYS = ("invocations", "errors", "timeouts", "cold_starts", "init_failures")


def _files(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _text(path: Path) -> str:
    """A generated file's text (gunzipped when it is gzip, whatever its name)."""
    data = path.read_bytes()
    return (gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data).decode("utf-8")


def _json_docs(text: str) -> list[dict[str, object]]:
    """JSON objects written back to back (Firehose records) or one document."""
    decoder, docs, i = json.JSONDecoder(), [], 0
    while i < len(text):
        doc, i = decoder.raw_decode(text, i)
        docs.append(doc)
        while i < len(text) and text[i].isspace():
            i += 1
    return docs


def _messages(path: Path) -> list[str]:
    """The messages of one generated file, whatever its shape."""
    text = _text(path)
    if path.suffix == ".json":
        return [e["message"] for e in json.loads(text)["events"]]
    if text.startswith('{"messageType"'):
        docs = [d for d in _json_docs(text) if d["messageType"] == "DATA_MESSAGE"]
        return [e["message"] for d in docs for e in d["logEvents"]]  # type: ignore[attr-defined]
    return text.splitlines()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    """One generated data set of 2000 invocations."""
    out = tmp_path_factory.mktemp("gen")
    return out, generate(out, seed=7, invocations=2000)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    """Two runs with the same seed write byte-identical files."""
    generate(tmp_path / "a", seed=3, invocations=300)
    generate(tmp_path / "b", seed=3, invocations=300)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_other_seed_other_bytes(tmp_path: Path) -> None:
    """A different seed gives different logs."""
    generate(tmp_path / "a", seed=3, invocations=300)
    generate(tmp_path / "b", seed=4, invocations=300)
    assert _files(tmp_path / "a") != _files(tmp_path / "b")


def test_truth_file_equals_returned_truth(generated: tuple[Path, Truth]) -> None:
    """truth.json on disk holds exactly the returned Truth."""
    out, truth = generated
    assert Truth.load(out / "truth.json") == truth


def test_totals_are_sums_of_functions(generated: tuple[Path, Truth]) -> None:
    """Each total count is the sum over functions, and asked-for invocations were written."""
    _, truth = generated
    for key in COUNT_KEYS:
        assert truth.totals[key] == sum(f[key] for f in truth.report["functions"])
    assert truth.totals["invocations"] == 2000


def test_every_function_has_its_share(generated: tuple[Path, Truth]) -> None:
    """Every configured function appears with invocations, errors or timeouts and cold starts."""
    _, truth = generated
    names = [f["function"] for f in truth.report["functions"]]
    assert names == sorted(spec.name for spec in FUNCTIONS)
    assert all(f["cold_starts"] > 0 for f in truth.report["functions"])
    assert all(f["errors"] + f["timeouts"] > 0 for f in truth.report["functions"])


def test_ratios_follow_counts(generated: tuple[Path, Truth]) -> None:
    """error_rate and cold_start_ratio are the counts divided by invocations."""
    _, truth = generated
    for f in [truth.totals, *truth.report["functions"]]:
        assert f["error_rate"] == round(f["errors"] / f["invocations"], 6)
        assert f["cold_start_ratio"] == round(f["cold_starts"] / f["invocations"], 6)
        assert f["errors"] + f["timeouts"] <= f["invocations"]


def test_percentiles_equal_duckdb_quantile_cont(generated: tuple[Path, Truth]) -> None:
    """The truth's percentiles are what DuckDB's quantile_cont gives on the durations."""
    _, truth = generated
    con = duckdb.connect()
    for name, durations in truth.durations.items():
        got = con.execute(
            "select quantile_cont(d, [0.5, 0.9, 0.99]) from unnest(?::double[]) t(d)",
            [durations],
        ).fetchone()
        assert got is not None
        expected = truth.function(name)["duration_ms"]
        want = [expected["p50"], expected["p90"], expected["p99"]]
        assert [round(g, 3) for g in got[0]] == pytest.approx(want, abs=1e-9)
        assert len(durations) == truth.function(name)["invocations"]


def test_quantile_cont_interpolates() -> None:
    """quantile_cont interpolates linearly between ranks and is None on no data."""
    assert quantile_cont([1.0, 3.0], 0.5) == 2.0
    assert quantile_cont([5.0, 1.0, 3.0], 0.99) == pytest.approx(4.96)
    assert quantile_cont([], 0.5) is None


REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


def _reports(out: Path, rel: str) -> dict[str, str]:
    """REPORT / platform.report messages under a folder, by request id (duplicates once)."""
    messages = [m for p in (out / rel).rglob("*") if p.is_file() for m in _messages(p)]
    reports = [m for m in messages if re.search(r'REPORT RequestId|"platform\.report"', m)]
    return {REQUEST_ID.findall(m)[0]: m for m in reports}


def test_one_report_per_invocation_on_disk(generated: tuple[Path, Truth]) -> None:
    """Distinct request ids of REPORT / platform.report messages are the truth's invocations."""
    out, truth = generated
    for name, rel in truth.paths.items():
        assert len(_reports(out, rel)) == truth.function(name)["invocations"], name


def test_overlapping_export_repeats_events(generated: tuple[Path, Truth]) -> None:
    """The S3 export holds some REPORTs twice (an overlapping second export task)."""
    out, truth = generated
    folder = out / truth.paths["orders-api"]
    messages = [m for p in folder.rglob("*.gz") for m in _messages(p)]
    reports = [m for m in messages if " REPORT RequestId" in m]
    assert len(reports) > truth.function("orders-api")["invocations"]


def test_cold_starts_on_disk(generated: tuple[Path, Truth]) -> None:
    """Reports with an init or restore duration are exactly the truth's cold starts."""
    out, truth = generated
    for name, rel in truth.paths.items():
        cold = [
            m
            for m in _reports(out, rel).values()
            if re.search(r"Init Duration|Restore Duration", m) or '"initDurationMs"' in m
        ]
        assert len(cold) == truth.function(name)["cold_starts"], name


def test_lambdascope_records_follow_schema(generated: tuple[Path, Truth]) -> None:
    """orders-api carries one lambdascope v1 record per invocation, keys in contract order."""
    out, truth = generated
    folder = out / truth.paths["orders-api"]
    by_id = {
        r["request_id"]: r
        for p in folder.rglob("*.gz")
        for line in _text(p).splitlines()
        if '{"lambdascope":1' in line
        for r in [json.loads(line.split(" ", 1)[1])]
    }
    records = list(by_id.values())
    assert len(records) == truth.function("orders-api")["invocations"]
    order = ["lambdascope", "ts", "function", "version", "request_id", "cold_start", "init_type"]
    assert all(list(r)[:7] == order for r in records)
    assert sum(r["cold_start"] for r in records) == truth.function("orders-api")["cold_starts"]


def test_python_tracebacks_use_nbsp(generated: tuple[Path, Truth]) -> None:
    """Python unhandled-exception events indent frames with NO-BREAK SPACE."""
    out, truth = generated
    folder = out / truth.paths["image-resize"]
    text = "".join(_text(p) for p in folder.rglob("*.log"))
    assert "Traceback (most recent call last):\n\u00a0\u00a0File" in text


STREAM_RE = re.compile(r"^(\d{4}/\d{2}/\d{2})/(?:[^\[]+)?\[(\$LATEST|\d+)\]([0-9a-f]{32})$")
"""Lambda's log stream names, as in lambda-log-formats.md §1."""


def test_filter_events_name_real_streams(generated: tuple[Path, Truth]) -> None:
    """filter-log-events pages carry Lambda-shaped stream names on every event."""
    out, truth = generated
    pages = sorted((out / truth.paths["report-cron"]).glob("filter-log-events.*.json"))
    events = [e for p in pages for e in json.loads(p.read_text(encoding="utf-8"))["events"]]
    assert events and all(STREAM_RE.match(e["logStreamName"]) for e in events)
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)


def test_export_folders_are_stream_names(generated: tuple[Path, Truth]) -> None:
    """S3 export folders are stream names with '/' as '-', and each event starts with its time."""
    out, truth = generated
    parts = list((out / truth.paths["orders-api"]).glob("*/*/000000.gz"))
    assert parts
    for part in parts:
        assert STREAM_RE.match(part.parent.name.replace("-", "/", 3))
        first = _text(part).splitlines()[0]
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \S", first)
