"""`lambdascope export` on generated logs: the collector receives the report's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support.otlp import OtlpReceiver

from analyzer import otlp_export
from analyzer.cli import main
from analyzer.filters import Filters
from analyzer.generator import Truth, generate
from analyzer.store import open_db
from lambdascope import _names


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truth]:
    """Seeded realistic logs of every generated function, with their expected report."""
    out = tmp_path_factory.mktemp("gen")
    return out / "logs", generate(out, seed=7, invocations=600)


def _export(logs: Path, db: Path) -> tuple[dict[str, dict[str, float]], dict[str, int]]:
    """Run `lambdascope export`; per metric and function the summed values, and untimed."""
    with OtlpReceiver() as rx:
        argv = ["export", str(logs), "--db", str(db), "--endpoint", rx.endpoint]
        assert main([*argv, "--bucket-size", "5m"]) == 0
        sums: dict[str, dict[str, float]] = {}
        for p in rx.metrics():
            per_fn = sums.setdefault(p.name, {})
            fn = p.resource["faas.name"]
            per_fn[fn] = per_fn.get(fn, 0) + (p.value if p.value is not None else p.count or 0)
    with open_db(str(db)) as con:
        return sums, otlp_export.untimed(con, Filters())


Exported = tuple[dict[str, dict[str, float]], dict[str, int], Truth, Path]


@pytest.fixture(scope="module")
def exported(generated: tuple[Path, Truth], tmp_path_factory: pytest.TempPathFactory) -> Exported:
    """The generated logs exported once to a receiver: sums, untimed, truth."""
    logs, truth = generated
    db = tmp_path_factory.mktemp("db") / "db.duckdb"
    sums, untimed = _export(logs, db)
    return sums, untimed, truth, db


@pytest.mark.parametrize(
    ("metric", "key"),
    [
        (_names.METRIC_INVOCATIONS, "invocations"),
        (_names.METRIC_ERRORS, "errors"),
        (_names.METRIC_TIMEOUTS, "timeouts"),
        (_names.METRIC_COLDSTARTS, "cold_starts"),
    ],
)
def test_collector_totals_equal_truth(exported: Exported, metric: str, key: str):
    """For functions whose every invocation has a time, counter sums equal the truth."""
    sums, untimed, truth, _ = exported
    expected = {
        f["function"]: f[key] - (f["errors"] + f["timeouts"] if key == "invocations" else 0)
        for f in truth.report["functions"]
        if f[key] and f["function"] not in untimed
    }
    got = {fn: v for fn, v in sums[metric].items() if v and fn not in untimed}
    assert got == expected


def test_every_invocation_sent_or_reported_untimed(exported: Exported):
    """Per function, successes + errors + timeouts sent plus the untimed equal the truth."""
    sums, untimed, truth, _ = exported
    sent: dict[str, float] = {}
    for name in (_names.METRIC_INVOCATIONS, _names.METRIC_ERRORS, _names.METRIC_TIMEOUTS):
        for fn, v in sums[name].items():
            sent[fn] = sent.get(fn, 0) + v
    got = {fn: sent.get(fn, 0) + untimed.get(fn, 0) for fn in set(sent) | set(untimed)}
    assert got == {f["function"]: f["invocations"] for f in truth.report["functions"]}


def test_collector_down_exits_1(
    exported: Exported, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """With the receiver refusing (503), export exits 1 and says what happened."""
    monkeypatch.setattr(otlp_export, "RETRY_FIRST_S", 0.0)
    with OtlpReceiver(mode="refuse") as rx:
        rc = main(["export", "--db", str(exported[3]), "--endpoint", rx.endpoint])
    err = capsys.readouterr().err
    assert rc == 1 and "503" in err and "Traceback" not in err
