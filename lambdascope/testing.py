"""Helpers for testing your own instrumented handlers: a fake context and captured records.

```python
from lambdascope.testing import capture_records, fake_context

def test_orders_handler_succeeds():
    with capture_records() as records:
        handler({"rawPath": "/orders"}, fake_context(function_name="orders"))
    assert records[0]["outcome"] == "success"
```

With pytest, `pytest_plugins = ["lambdascope.testing"]` in a conftest.py adds the fixtures
`lambdascope_records` (a list of the records written during the test) and `lambda_context`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from lambdascope import _invocation, _output

__all__ = ["FakeContext", "capture_records", "fake_context", "reset_process"]


@dataclass
class FakeContext:
    """Stand-in for Lambda's context object, with a running deadline."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    timeout_s: float
    deadline: float = field(default=0.0)
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left until the deadline (never negative)."""
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def fake_context(
    function_name: str = "fn",
    memory_mb: int = 128,
    timeout_s: float = 3.0,
    request_id: str | None = None,
    *,
    function_version: str = "$LATEST",
    region: str = "us-east-1",
    account_id: str = "123456789012",
    log_stream_name: str | None = None,
) -> FakeContext:
    """A context whose deadline starts now and ends `timeout_s` later."""
    stream = log_stream_name or "2026/01/01/[$LATEST]" + uuid.uuid4().hex
    return FakeContext(
        function_name=function_name,
        function_version=function_version,
        invoked_function_arn=f"arn:aws:lambda:{region}:{account_id}:function:{function_name}",
        memory_limit_in_mb=memory_mb,
        aws_request_id=request_id or str(uuid.uuid4()),
        log_group_name=f"/aws/lambda/{function_name}",
        log_stream_name=stream,
        timeout_s=timeout_s,
        deadline=time.monotonic() + timeout_s,
    )


@contextmanager
def capture_records() -> Iterator[list[dict[str, Any]]]:
    """Collect the records written inside the block (parsed) instead of printing them."""
    records: list[dict[str, Any]] = []

    def sink(line: str) -> None:
        records.append(json.loads(line))

    _output.push_sink(sink)
    try:
        yield records
    finally:
        _output.pop_sink(sink)


def reset_process() -> None:
    """Start over as a fresh execution environment: next call is cold with seq 1.

    Re-reads AWS_LAMBDA_INITIALIZATION_TYPE and AWS_LAMBDA_LOG_STREAM_NAME.
    """
    _invocation.PROCESS.__init__()  # type: ignore[misc]


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixtures
    pass
else:

    @pytest.fixture
    def lambdascope_records() -> Iterator[list[dict[str, Any]]]:
        """The records written during the test."""
        with capture_records() as records:
            yield records

    @pytest.fixture
    def lambda_context() -> FakeContext:
        """A fresh fake Lambda context (3 s timeout, 128 MB)."""
        return fake_context()
