"""Fixtures for the runtime tests: captured records, a fresh process state, a clean env."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from lambdascope import _report
from lambdascope.testing import FakeContext, capture_records, fake_context, reset_process

_ENV_PREFIXES = ("LAMBDASCOPE_", "OTEL_", "AWS_LAMBDA_", "_X_AMZN_TRACE_ID")


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts as a new execution environment with no lambdascope/OTel env vars."""
    for key in list(os.environ):
        if key.startswith(_ENV_PREFIXES):
            monkeypatch.delenv(key)
    reset_process()
    _report.reset()
    yield
    otel = sys.modules.get("lambdascope._otel")
    if otel is not None:
        otel.reset()


@pytest.fixture
def records() -> Iterator[list[dict[str, Any]]]:
    """The records written during the test, parsed."""
    with capture_records() as captured:
        yield captured


@pytest.fixture
def context() -> FakeContext:
    """A fake Lambda context with a 3 s timeout."""
    return fake_context(function_name="orders", memory_mb=256, timeout_s=3.0)
