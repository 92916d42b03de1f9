"""Fire a callback shortly before Lambda's deadline: SIGALRM in the main thread, a Timer elsewhere.

Arming costs one `setitimer`, disarming another: our SIGALRM handler (`_on_alarm`) stays
installed between invocations when it displaced only the default or ignore disposition, and
does nothing when no watchdog is armed. A handler of the user's own, installed before or
between invocations, is noticed at the next arm (one `getsignal`, ~15 ns) and put back when
that watchdog is disarmed, as is any interval timer that was running, so code using
`signal.alarm` or `setitimer` itself keeps working.
"""

from __future__ import annotations

import importlib
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

_SIGALRM: int | None = getattr(signal, "SIGALRM", None)
_ITIMER_REAL: int = getattr(signal, "ITIMER_REAL", 0)
_MAIN_IDENT = threading.main_thread().ident
_get_ident = threading.get_ident
_setitimer = getattr(signal, "setitimer", None)
_ON_SIGNAL = _SIGALRM is not None and _setitimer is not None
"""SIGALRM and setitimer exist (not on Windows): the main thread's watchdog uses them."""
_ALRM: int = _SIGALRM or 0
_itimer: Callable[..., tuple[float, float]] = _setitimer or (lambda *args: (0.0, 0.0))

# signal.signal wraps the C function with enum conversions (~3 µs); the C one costs ~0.3 µs.
_c_signal = importlib.import_module("_signal")
_raw_signal: Callable[[int, Any], Any] = _c_signal.signal
_getsignal: Callable[[int], Any] = _c_signal.getsignal
_SIG_DFL: Any = _c_signal.SIG_DFL
_KEEP = (None, _c_signal.SIG_DFL, _c_signal.SIG_IGN)
"""Dispositions our handler may replace for good (it ignores alarms it did not arm)."""

_armed: list[Watchdog] = []
"""The watchdog whose SIGALRM is pending (main thread only; at most one)."""


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    """Our SIGALRM handler: run the armed watchdog's callback; otherwise ignore the alarm
    (a late one of ours that arrived just after the disarm)."""
    if _armed:
        _armed.pop()._fire()


class Watchdog:
    """One timer per invocation; `disarm` restores what was there before.

    `fired_event` is set once a callback that ran in a Timer thread has finished, so the
    disarming thread can wait for it; a SIGALRM callback runs to its end before the
    interrupted main thread continues, so nothing needs waiting there.
    """

    __slots__ = (
        "_armed_at",
        "_callback",
        "_on_signal",
        "_prev_handler",
        "_prev_timer",
        "_timer",
        "fired_event",
    )

    def __init__(self) -> None:
        self._callback: Callable[[], None] | None = None
        self._timer: threading.Timer | None = None
        self._on_signal = False
        self.fired_event: threading.Event | None = None
        self._prev_handler: Any = None
        # _prev_timer and _armed_at are set by arm() when they are needed.

    def arm(self, delay_s: float, callback: Callable[[], None]) -> None:
        """Call `callback` after `delay_s` seconds unless disarmed first."""
        self._callback = callback
        if _ON_SIGNAL and _get_ident() == _MAIN_IDENT:
            current = _getsignal(_ALRM)
            if current is not _on_alarm:
                _raw_signal(_ALRM, _on_alarm)
                if current not in _KEEP:
                    self._prev_handler = current  # the user's: back at disarm
            self._on_signal = True
            _armed[:] = (self,)
            prev = self._prev_timer = _itimer(_ITIMER_REAL, delay_s if delay_s > 1e-6 else 1e-6)
            if prev[0]:
                self._armed_at = time.monotonic()
            return
        self.fired_event = threading.Event()
        timer = threading.Timer(max(delay_s, 0.0), self._on_timer)
        timer.daemon = True
        self._timer = timer
        timer.start()

    def disarm(self) -> None:
        """Cancel the timer; put back the user's SIGALRM handler and itimer if there were."""
        self._callback = None
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
            return
        if not self._on_signal:
            return
        self._on_signal = False
        _itimer(_ITIMER_REAL, 0)
        if _armed and _armed[0] is self:
            _armed.clear()
        prev = self._prev_handler
        if prev is not None:
            self._prev_handler = None
            _raw_signal(_ALRM, prev)
        delay, interval = self._prev_timer
        if delay:
            left = delay - (time.monotonic() - self._armed_at)
            _itimer(_ITIMER_REAL, max(left, 1e-6), interval)
            self._prev_timer = (0.0, 0.0)

    def _fire(self) -> None:
        callback, self._callback = self._callback, None
        if callback is not None:
            callback()

    def _on_timer(self) -> None:
        try:
            self._fire()
        finally:
            if self.fired_event is not None:
                self.fired_event.set()
