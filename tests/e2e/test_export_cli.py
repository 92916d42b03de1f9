"""`lambdascope export` as users run it: a bad collector URL is a usage error, not a crash."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / ".venv" / "bin" / "lambdascope"
LOGS = ROOT / "tests" / "data" / "text_python" / "logs"

pytestmark = pytest.mark.skipif(not EXE.exists(), reason="needs `make .venv/.dev-installed`")


def export(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `lambdascope export LOGS args` with no OTEL_* variables unless `env` sets them."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    return subprocess.run(
        [str(EXE), "export", str(LOGS), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**base, **(env or {})},
        timeout=60,
    )


@pytest.mark.parametrize(
    "endpoint", ["notaurl", "ftp://127.0.0.1:4318", "http://", "http://[::1", "http://h:99999"]
)
def test_endpoint_that_is_not_a_url_is_a_usage_error(endpoint: str) -> None:
    """--endpoint that is no http(s) URL with a host: exit 2, one line with an example."""
    proc = export("--endpoint", endpoint)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith(
        f"lambdascope export: --endpoint {endpoint!r} is not a collector URL: "
        "use one like http://127.0.0.1:4318"
    )


def test_endpoint_from_the_environment_is_named() -> None:
    """A bad OTEL_EXPORTER_OTLP_ENDPOINT is named, and 'http://' is suggested."""
    proc = export(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "127.0.0.1:4318"})
    assert proc.returncode == 2
    assert "OTEL_EXPORTER_OTLP_ENDPOINT '127.0.0.1:4318' is not a collector URL" in proc.stderr
    assert "did you mean 'http://127.0.0.1:4318'?" in proc.stderr


def test_endpoint_with_a_space_is_a_usage_error() -> None:
    """A URL with whitespace in it is refused before any request, with no traceback."""
    proc = export("--endpoint", "http://127.0.0.1 :4318")
    assert proc.stdout == ""
    assert proc.returncode == 2
    assert "no spaces or control characters" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_host_urllib_cannot_encode_is_one_clear_line() -> None:
    """A host with an empty label fails in urllib before any request: exit 1, no traceback."""
    proc = export("--endpoint", "http://ex..ample:4318")
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert line.startswith("lambdascope export: cannot send to http://ex..ample:4318/v1/metrics: ")
