"""Fetched logs, loaded by the analyzer, give back exactly the invocations put into AWS."""

from __future__ import annotations

from pathlib import Path

import pytest
from _aws_logdata import Putted, put_invocations
from _support.moto_server import MotoServer

from analyzer import queries
from analyzer.cli import main
from analyzer.load import load_paths
from analyzer.store import open_db


def _put(moto: MotoServer) -> list[Putted]:
    logs = moto.client("logs")
    return [
        put_invocations(logs, "/aws/lambda/orders", streams=3, per_stream=30),
        put_invocations(logs, "/aws/lambda/billing", streams=2, per_stream=12),
    ]


def _fetch(moto: MotoServer, out: Path, *extra: str) -> None:
    groups = ["/aws/lambda/orders", "/aws/lambda/billing"]
    aws = ["--endpoint-url", moto.endpoint, "--region", "us-east-1"]
    argv = ["fetch", *groups, "--since", "3h", "--out", str(out), *aws, *extra]
    assert main(argv) == 0


def _report(out: Path) -> dict[str, dict[str, object]]:
    con = open_db(None)
    load_paths(con, [str(out)])
    return {f["function"]: f for f in queries.summary(con)["functions"]}


def _expected(putted: list[Putted]) -> dict[str, tuple[int, int, int, int]]:
    return {
        fn: (p.invocations[fn], p.errors[fn], p.timeouts[fn], p.cold[fn])
        for p in putted
        for fn in p.invocations
    }


@pytest.mark.parametrize("via", ["filter", "export"])
def test_report_of_fetched_logs_equals_what_was_put(moto: MotoServer, tmp_path: Path, via: str):
    """Per function: invocations, errors, timeouts and cold starts survive fetch + load."""
    putted = _put(moto)
    extra = ["--via", "export", "--bucket", "fetch-e2e"] if via == "export" else []
    if via == "export":
        moto.client("s3").create_bucket(Bucket="fetch-e2e")
    _fetch(moto, tmp_path / "logs", *extra)
    report = _report(tmp_path / "logs")
    got = {
        fn: (r["invocations"], r["errors"], r["timeouts"], r["cold_starts"])
        for fn, r in report.items()
    }
    assert got == _expected(putted)


def test_refetch_then_reload_changes_nothing(moto: MotoServer, tmp_path: Path):
    """Fetching twice into the same folder and loading gives the same report."""
    putted = _put(moto)
    _fetch(moto, tmp_path / "logs")
    _fetch(moto, tmp_path / "logs")
    report = _report(tmp_path / "logs")
    assert {fn: r["invocations"] for fn, r in report.items()} == {
        fn: v[0] for fn, v in _expected(putted).items()
    }
