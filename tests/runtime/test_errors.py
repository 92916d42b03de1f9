"""A failing handler: same exception re-raised after its record, bounded error fields."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import pytest

from lambdascope import instrument
from lambdascope.testing import FakeContext


class PaymentDeclined(Exception):
    """A user-defined error."""


@instrument(otel=False)
def failing(event: dict[str, Any], context: Any) -> NoReturn:
    """Raise what the event asks for."""
    raise event["exc"]


def _call(exc: BaseException, context: FakeContext) -> BaseException:
    with pytest.raises(BaseException) as info:
        failing({"exc": exc}, context)
    return info.value


def test_same_exception_object_is_reraised_with_traceback(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """The caller gets the very exception the handler raised, its traceback reaching the raise."""
    exc = PaymentDeclined("card declined")
    caught = _call(exc, context)
    assert caught is exc
    frames = []
    tb = caught.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    assert frames[-1] == "failing"


def test_error_record_has_type_message_and_stack(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """The record says error, with class name, message and the handler's frame."""
    _call(PaymentDeclined("card declined"), context)
    rec = records[0]
    assert (rec["outcome"], rec["error_type"], rec["error_message"]) == (
        "error", "PaymentDeclined", "card declined",
    )  # fmt: skip
    assert "in failing" in rec["error_stack"]
    assert "in wrapper" not in rec["error_stack"]
    keys = list(rec)
    assert keys.index("outcome") + 1 == keys.index("error_type")


def test_huge_message_is_bounded_to_1_kib(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """A 1 MB message is cut to at most 1 KiB of UTF-8."""
    _call(ValueError("é" * 1_000_000), context)
    assert len(records[0]["error_message"].encode()) <= 1024


def test_deep_stack_keeps_last_frames_within_4_kib(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """A RecursionError's stack is cut to <= 4 KiB, keeping the innermost frames."""

    @instrument(otel=False)
    def recurse(event: dict[str, Any], context: Any) -> int:
        def down(n: int) -> int:
            return down(n + 1) + 1

        return down(0)

    with pytest.raises(RecursionError):
        recurse({}, context)
    stack = records[0]["error_stack"]
    assert len(stack.encode()) <= 4096
    assert "in down" in stack and "return down(n + 1) + 1" in stack
    assert "in recurse" not in stack  # the outer frames were dropped, not the inner ones


def test_unprintable_exception_still_recorded(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """An exception whose __str__ raises yields a placeholder message, not a failure."""

    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    exc = Unprintable()
    assert _call(exc, context) is exc
    assert records[0]["error_message"] == "<unprintable Unprintable>"


@pytest.mark.parametrize("exc", [SystemExit(3), KeyboardInterrupt()])
def test_base_exceptions_reraised_untouched(
    exc: BaseException, records: list[dict[str, Any]], context: FakeContext
) -> None:
    """SystemExit and KeyboardInterrupt propagate as the same object; a record is still written."""
    assert _call(exc, context) is exc
    assert records[0]["error_type"] == type(exc).__name__


def test_capture_stack_off_omits_the_stack(
    records: list[dict[str, Any]], context: FakeContext
) -> None:
    """capture_stack=False leaves error_stack out."""

    @instrument(otel=False, capture_stack=False)
    def fails(event: Any, context: Any) -> None:
        raise KeyError("k")

    with pytest.raises(KeyError):
        fails({}, context)
    assert "error_stack" not in records[0]


def test_own_failure_reported_once_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], context: FakeContext
) -> None:
    """When stdout is broken the handler still returns; stderr says so once, not per call."""

    class BrokenStdout:
        def write(self, s: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    @instrument(otel=False)
    def fine(event: Any, context: Any) -> int:
        return 7

    monkeypatch.setattr(sys, "stdout", BrokenStdout())
    assert [fine({}, context) for _ in range(3)] == [7, 7, 7]
    monkeypatch.undo()
    assert capsys.readouterr().err.count("lambdascope:") == 1
