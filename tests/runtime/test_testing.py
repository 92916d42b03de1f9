"""lambdascope.testing: a fake context and captured records for users' own tests."""

from __future__ import annotations

import time
from typing import Any

import pytest

from lambdascope import instrument
from lambdascope.testing import capture_records, fake_context

pytest_plugins = ["pytester"]


def test_fake_context_has_lambda_attributes() -> None:
    """The fake context carries what awslambdaric's LambdaContext carries."""
    ctx = fake_context(function_name="orders", memory_mb=512, request_id="req-1")
    assert (ctx.function_name, ctx.function_version, ctx.aws_request_id) == (
        "orders", "$LATEST", "req-1",
    )  # fmt: skip
    assert ctx.memory_limit_in_mb == 512
    assert ctx.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert ctx.log_group_name == "/aws/lambda/orders" and "]" in ctx.log_stream_name


def test_remaining_time_runs_down() -> None:
    """get_remaining_time_in_millis starts at the timeout and decreases."""
    ctx = fake_context(timeout_s=2.0)
    first = ctx.get_remaining_time_in_millis()
    time.sleep(0.02)
    assert 2000 >= first > ctx.get_remaining_time_in_millis()


def test_capture_records_collects_and_then_releases_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Inside the block records go to the list; after it they go to stdout again."""

    @instrument(otel=False)
    def handler(event: Any, context: Any) -> int:
        return 1

    with capture_records() as records:
        handler({}, fake_context())
    assert len(records) == 1 and capsys.readouterr().out == ""
    handler({}, fake_context())
    assert '"lambdascope":1' in capsys.readouterr().out


def test_pytest_fixtures_for_users(pytester: pytest.Pytester) -> None:
    """`pytest_plugins = ["lambdascope.testing"]` gives lambdascope_records and lambda_context."""
    pytester.makeconftest('pytest_plugins = ["lambdascope.testing"]')
    pytester.makepyfile(
        """
        from lambdascope import instrument

        @instrument(otel=False)
        def handler(event, context):
            return {"ok": True}

        def test_user(lambdascope_records, lambda_context):
            assert handler({}, lambda_context) == {"ok": True}
            assert lambdascope_records[0]["outcome"] == "success"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
