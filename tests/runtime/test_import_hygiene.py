"""`import lambdascope` must stay light: it goes into users' Lambda bundles."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = ("analyzer", "duckdb", "textual", "boto3", "botocore", "requests")
"""Top-level modules a Lambda bundle using lambdascope must not load at import."""

# A Lambda bundle does not carry rich; structlog imports it whenever it is installed,
# so the bundle is modelled by blocking it before the import (design §1).
_PROBE = textwrap.dedent(
    """
    import json, sys, time
    sys.modules["rich"] = None
    t0 = time.perf_counter()
    import lambdascope
    elapsed = time.perf_counter() - t0
    top = sorted({name.split(".")[0] for name in sys.modules})
    print(json.dumps({"modules": top, "seconds": elapsed}))
    """
)


def _import_in_fresh_process(extra: str = "") -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", extra + _PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def test_import_loads_no_analyzer_or_heavy_modules() -> None:
    """Importing lambdascope loads none of analyzer, duckdb, textual, boto3, botocore, requests."""
    modules = _import_in_fresh_process()["modules"]
    assert isinstance(modules, list)
    loaded = sorted(set(FORBIDDEN) & set(modules))
    assert loaded == [], f"import lambdascope loaded {loaded}"


def test_probe_detects_a_forbidden_import() -> None:
    """The probe itself sees a forbidden module when one is loaded (so it can fail)."""
    modules = _import_in_fresh_process(extra="import duckdb\n")["modules"]
    assert isinstance(modules, list)
    assert "duckdb" in modules


def test_import_time_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    """Import time is measured and shown (reported, not asserted: see benchmarks)."""
    seconds = _import_in_fresh_process()["seconds"]
    assert isinstance(seconds, float) and seconds > 0
    with capsys.disabled():
        print(f"\n[import lambdascope: {seconds * 1000:.1f} ms]")


_FLUSH_PROBE = textwrap.dedent(
    """
    import json, os, sys
    sys.modules["rich"] = None
    for key in list(os.environ):
        if key.lower().endswith("_proxy"):
            del os.environ[key]
    os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9"
    from lambdascope import instrument
    from lambdascope.testing import capture_records, fake_context

    @instrument(flush="end", flush_budget_ms=20)
    def handler(event, context):
        return 1

    with capture_records():
        handler({}, fake_context())
    print(json.dumps(sorted(sys.modules)))
    """
)


def test_first_flush_to_plain_http_skips_the_stdlib_http_stack() -> None:
    """A cold flush on the lean transport loads neither urllib.request nor http.client (~5 ms)."""
    out = subprocess.run(
        [sys.executable, "-c", _FLUSH_PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    modules = set(json.loads(out.strip().splitlines()[-1]))
    assert "lambdascope._transport" in modules
    assert {"urllib.request", "http.client", "requests"} & modules == set()
