"""`lambdascope analyze --insights` with stdout a pipe prints the report, never the UI."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _support.moto_server import FAKE_ENV, MotoServer, moto_server

ROOT = Path(__file__).resolve().parents[2]


def _fake_module() -> ModuleType:
    """tests/analyzer/aws/_aws_insights_fake.py, loaded by path (it is not a package)."""
    path = ROOT / "tests/analyzer/aws/_aws_insights_fake.py"
    spec = importlib.util.spec_from_file_location("_aws_insights_fake_e2e", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FAKE = _fake_module()


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The real CLI, stdin from /dev/null and stdout a pipe, fake AWS credentials."""
    env = os.environ | FAKE_ENV | {"XDG_CACHE_HOME": str(tmp_path), "AWS_MAX_ATTEMPTS": "1"}
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "analyzer.cli", "analyze", "--insights", *args,
         "--since", "1h", "--region", "us-east-1"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def _rows(n: int) -> list[dict[str, Any]]:
    """`n` REPORT rows of function `orders`, 10 s apart, ending a few minutes ago."""
    t0 = int(time.time() * 1000) - 10 * 60_000
    return [
        {**FAKE.report_row(t0 + i * 10_000, f"r{i}", "orders", duration=10.0 + i,
                           init=None, status=None), "_ms": t0 + i * 10_000}
        for i in range(n)
    ]  # fmt: skip


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """moto in server mode on 127.0.0.1 (no log groups)."""
    with moto_server() as server:
        yield server


def test_insights_into_a_pipe_prints_the_report(tmp_path: Path) -> None:
    """With stdout a pipe the Insights rows come out as the report table, no escape codes."""
    with FAKE.FakeInsights(_rows(12)) as fake:
        proc = _run(["/aws/lambda/orders", "--endpoint-url", fake.endpoint], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "\x1b[" not in proc.stdout
    row = next(line for line in proc.stdout.splitlines() if line.startswith("orders "))
    assert row.split()[1] == "12"


def test_insights_missing_group_is_one_stderr_line(moto: MotoServer, tmp_path: Path) -> None:
    """A log group that does not exist: one `lambdascope analyze:` line on stderr, exit 1."""
    proc = _run(["/aws/lambda/nope", "--endpoint-url", moto.endpoint], tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lambdascope analyze: "), proc.stderr
    assert "not found" in lines[0]
