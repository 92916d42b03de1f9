"""Tell the user about lambdascope's own problems on stderr, once per kind, never raising."""

from __future__ import annotations

import sys

_seen: set[str] = set()
"""Keys already reported. No lock: this also runs inside the SIGALRM handler."""


def report_once(key: str, message: str) -> None:
    """Write `lambdascope: <message>` to stderr the first time `key` is seen."""
    if key in _seen:
        return
    _seen.add(key)
    try:
        stream = sys.__stderr__ if sys.stderr is None else sys.stderr
        if stream is not None:
            stream.write(f"lambdascope: {message}\n")
            stream.flush()
    except Exception:
        pass


def report_exception(key: str, what: str, exc: BaseException) -> None:
    """Report a failure of lambdascope itself (once per key) with the exception's type."""
    try:
        detail = f"{type(exc).__name__}: {exc}"
    except Exception:
        detail = type(exc).__name__
    report_once(key, f"{what} failed ({detail[:300]}); the handler is not affected")


def reset() -> None:
    """Forget what was reported (tests)."""
    _seen.clear()
