"""The test Runtime API server speaks the protocol the real `awslambdaric` client expects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _support.runtime_api import RuntimeApi, ric_process

_PLAIN = textwrap.dedent(
    """
    def handler(event, context):
        if event.get("fail"):
            raise KeyError("missing")
        return {"echo": event, "remaining_positive": context.get_remaining_time_in_millis() > 0}
    """
)


@pytest.fixture
def plain_root(tmp_path: Path) -> Path:
    """A task root holding an uninstrumented handler module `app`."""
    (tmp_path / "app.py").write_text(_PLAIN)
    return tmp_path


def test_real_client_posts_return_value_and_error(plain_root: Path) -> None:
    """The real runtime client answers /next with /response, and a raise with /error."""
    with RuntimeApi() as api, ric_process(api, plain_root):
        ok = api.invoke({"n": 1})
        failed = api.invoke({"fail": True})
    assert (ok.kind, ok.json()) == ("response", {"echo": {"n": 1}, "remaining_positive": True})
    assert failed.kind == "error"
    assert failed.json()["errorType"] == "KeyError"
