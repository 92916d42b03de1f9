"""`lambdascope demo` and `analyze` without a terminal print the report and exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(
    args: list[str], tmp_path: Path, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess with no terminal and a private cache dir."""
    env = os.environ | {"XDG_CACHE_HOME": str(tmp_path / "cache")} | (extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "analyzer.cli", *args],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small seeded demo folder, generated once."""
    from analyzer.generator import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=3, invocations=400)
    return out / "logs"


def test_demo_without_terminal_prints_report(tmp_path: Path) -> None:
    """`demo` with no TTY prints the summary whose total equals the generator's truth, exit 0."""
    from analyzer.generator import generate

    proc = _run(["demo", "--invocations", "300", "--seed", "5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    truth = generate(tmp_path / "truth", seed=5, invocations=300)
    assert _total_invocations(proc.stdout) == truth.report["totals"]["invocations"]


def test_demo_removes_its_temporary_folder(tmp_path: Path) -> None:
    """`demo` without --out generates into a temporary folder that is gone afterwards."""
    proc = _run(["demo", "--invocations", "100", "--seed", "5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = Path(proc.stderr.split(") in ", 1)[1].split()[0])
    assert folder.name.startswith("lambdascope-demo-") and not folder.exists()


def test_demo_keeps_logs_with_out(tmp_path: Path) -> None:
    """`demo --out DIR` leaves the generated logs in DIR."""
    out = tmp_path / "kept"
    proc = _run(["demo", "--invocations", "200", "--out", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert any((out / "logs").rglob("*"))


def test_analyze_without_terminal_caches_the_database(demo_logs: Path, tmp_path: Path) -> None:
    """`analyze` keeps its database under XDG_CACHE_HOME/lambdascope and prints the report."""
    first = _run(["analyze", str(demo_logs)], tmp_path)
    second = _run(["analyze", str(demo_logs)], tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout and "(total)" in first.stdout
    assert list((tmp_path / "cache" / "lambdascope").glob("analyze-*.duckdb"))


def test_analyze_missing_path_exits_1(tmp_path: Path) -> None:
    """A path that does not exist is an error the user reads, exit 1."""
    proc = _run(["analyze", str(tmp_path / "nope")], tmp_path)
    assert proc.returncode == 1 and "lambdascope analyze" in proc.stderr


def test_insights_unreachable_into_a_pipe_is_one_error_line(tmp_path: Path) -> None:
    """`analyze --insights` into a pipe with AWS unreachable: no UI, one stderr line, exit 1."""
    args = ["analyze", "--insights", "/aws/lambda/x", "--endpoint-url", "http://127.0.0.1:9"]
    proc = _run([*args, "--region", "us-east-1"], tmp_path, {"AWS_MAX_ATTEMPTS": "1"})
    assert proc.returncode == 1
    assert proc.stdout == ""  # the Textual UI would have drawn escape codes here
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lambdascope analyze: "), proc.stderr


def _one_invocation_log(path: Path, rid: str) -> None:
    """A log file holding one complete invocation of function 'f'."""
    path.write_text(
        f"2026-11-24T08:00:00.000Z START RequestId: {rid} Version: $LATEST\n"
        f"2026-11-24T08:00:00.900Z END RequestId: {rid}\n"
        f"2026-11-24T08:00:00.900Z REPORT RequestId: {rid}\tDuration: 10.00 ms\t"
        "Billed Duration: 11 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t\n",
        encoding="utf-8",
    )


def _total_invocations(stdout: str) -> int:
    """The invocations column of the report's (total) row."""
    row = next(line for line in stdout.splitlines() if line.startswith("(total)"))
    return int(row.split()[1])


def test_analyze_cache_forgets_a_deleted_file(tmp_path: Path) -> None:
    """After a log file is deleted, `analyze` on the same folder no longer counts it."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _one_invocation_log(logs / "a.log", "11111111-1111-4111-8111-111111111111")
    _one_invocation_log(logs / "b.log", "22222222-2222-4222-8222-222222222222")
    first = _run(["analyze", str(logs), "--function", "f"], tmp_path)
    (logs / "b.log").unlink()
    second = _run(["analyze", str(logs), "--function", "f"], tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert (_total_invocations(first.stdout), _total_invocations(second.stdout)) == (2, 1)


def _truth_total(folder: Path) -> int:
    """The invocation count the generator's truth.json states for the whole demo."""
    import json

    report = json.loads((folder / "truth.json").read_text())["report"]
    return int(report["totals"]["invocations"])


def test_demo_out_run_twice_shows_only_the_second_run(tmp_path: Path) -> None:
    """A second `demo --out DIR` with another seed replaces the first run's logs."""
    out = tmp_path / "kept"
    first = _run(["demo", "--invocations", "200", "--seed", "1", "--out", str(out)], tmp_path)
    second = _run(["demo", "--invocations", "200", "--seed", "2", "--out", str(out)], tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert _total_invocations(second.stdout) == _truth_total(out)


def test_demo_out_refuses_a_folder_with_other_files(tmp_path: Path) -> None:
    """`demo --out DIR` on a folder holding other files exits 2 and leaves them alone."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    proc = _run(["demo", "--invocations", "100", "--out", str(out)], tmp_path)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_analyze_cache_is_per_function_option(tmp_path: Path) -> None:
    """A second `analyze` with `--function orders` names the cached unknown invocation orders."""
    logs = tmp_path / "logs"
    logs.mkdir()
    _one_invocation_log(logs / "a.log", "33333333-3333-4333-8333-333333333333")
    first = _run(["analyze", str(logs)], tmp_path)
    second = _run(["analyze", str(logs), "--function", "orders"], tmp_path)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert any(line.startswith("orders ") for line in second.stdout.splitlines()), second.stdout
    assert _total_invocations(second.stdout) == 1


def test_demo_in_a_temporary_folder_leaves_no_cache_file(tmp_path: Path) -> None:
    """`demo` without --out loads in memory: no cache database is left behind."""
    proc = _run(["demo", "--invocations", "100", "--seed", "5"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not list((tmp_path / "cache").rglob("analyze-*.duckdb"))
