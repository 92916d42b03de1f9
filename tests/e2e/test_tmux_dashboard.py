"""The real program in a real terminal (tmux): numbers on screen, literal log text, clean quit."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.tmux,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
MARKUP = "[bold red]x[/] [link=http://x]click[/link] \x1b[31mred\x1b[0m"
"""An application log line that must show exactly as written."""

SLOW_ID = "22222222-2222-4222-8222-222222222222"


def _write_logs(folder: Path) -> Path:
    """Three invocations of function 'markup'; the slowest logs the markup line."""
    logs = folder / "logs" / "aws" / "lambda" / "markup"
    logs.mkdir(parents=True)
    lines: list[str] = []
    for rid, t, dur, msg in (
        ("11111111-1111-4111-8111-111111111111", 1, 120.5, "hello"),
        (SLOW_ID, 5, 987.25, MARKUP),
        ("33333333-3333-4333-8333-333333333333", 9, 45.0, "bye"),
    ):
        ts = f"2026-11-24T08:00:{t:02d}"
        lines += [
            f"{ts}.000Z START RequestId: {rid} Version: $LATEST",
            f"{ts}.100Z\t{rid}\tINFO\t{msg}",
            f"{ts}.900Z END RequestId: {rid}",
            f"{ts}.900Z REPORT RequestId: {rid}\tDuration: {dur:.2f} ms\t"
            f"Billed Duration: {int(dur) + 1} ms\tMemory Size: 512 MB\tMax Memory Used: 80 MB\t",
        ]
    (logs / "markup.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "logs"


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "dash").stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "dash", *keys)

    def alive(self) -> bool:
        return self.run("has-session", "-t", "dash").returncode == 0

    def wait(self, condition: Callable[[str], bool], timeout: float = 30.0) -> str:
        """Poll the screen until `condition(text)` holds; fail with the last screen."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen()
            if condition(text):
                return text
            time.sleep(0.1)
        raise AssertionError(f"screen never matched; last screen:\n{text}")


def _start(tmp_path: Path, after: str = "") -> Tmux:
    """`lambdascope analyze` on the markup logs in a 160x45 session, then shell `after`."""
    logs = _write_logs(tmp_path)
    tmux = Tmux(f"lambdascope-test-{os.getpid()}")
    cmd = (
        f"cd {shlex.quote(str(tmp_path))} && env -u COLUMNS -u LINES "
        f"XDG_CACHE_HOME={shlex.quote(str(tmp_path))} "
        f"{shlex.quote(sys.executable)} -m analyzer.cli analyze {shlex.quote(str(logs))}{after}"
    )
    started = tmux.run("new-session", "-d", "-s", "dash", "-x", "160", "-y", "45", cmd)
    assert started.returncode == 0, started.stderr
    return tmux


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[Tmux]:
    """The dashboard in tmux; the session ends when it does."""
    tmux = _start(tmp_path)
    try:
        yield tmux
    finally:
        tmux.run("kill-server")


@pytest.fixture
def dashboard_in_shell(tmp_path: Path) -> Iterator[Tmux]:
    """The dashboard in tmux; afterwards the pane stays, showing the exit status."""
    tmux = _start(tmp_path, '; echo "exited rc=$?"; sleep 60')
    try:
        yield tmux
    finally:
        tmux.run("kill-server")


def test_summary_numbers_drill_down_and_quit(dashboard: Tmux) -> None:
    """The summary shows 3 invocations and p99; the slow invocation's markup shows literally."""
    screen = dashboard.wait(lambda s: "3 invocations · 0 errors" in s and "987.2" in s)
    row = next(line for line in screen.splitlines() if line.strip().startswith("markup"))
    assert row.split()[1] == "3"  # invocations
    assert "33.33%" not in row and "0.00%" in row  # no errors, no cold starts recorded
    assert "987.2" in row  # warm max duration in ms
    dashboard.keys("Enter")
    dashboard.wait(lambda s: "Slowest invocations" in s and SLOW_ID in s)
    dashboard.keys("Enter")
    dashboard.wait(lambda s: "REPORT RequestId: " + SLOW_ID in s)
    dashboard.keys("Down")  # the application line, shown in full below the table
    screen = dashboard.wait(lambda s: "\\x1b[0m" in s)
    assert "[bold red]x[/] [link=http://x]click[/link] \\x1b[31mred\\x1b[0m" in screen
    dashboard.keys("q")
    deadline = time.monotonic() + 10
    while dashboard.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not dashboard.alive()


def test_quit_restores_the_terminal(dashboard_in_shell: Tmux) -> None:
    """After 'q' the terminal is back: main screen, no mouse reporting, cursor shown, rc 0."""
    tmux = dashboard_in_shell
    tmux.wait(lambda s: "3 invocations · 0 errors" in s)
    tmux.keys("q")
    screen = tmux.wait(lambda s: "exited rc=" in s, timeout=15)
    assert "exited rc=0" in screen and "invocations" not in screen
    shown = tmux.run(
        "display-message", "-p", "-t", "dash", "#{alternate_on} #{mouse_any_flag} #{cursor_flag}"
    ).stdout.split()
    assert shown == ["0", "0", "1"]  # alt screen off, mouse reporting off, cursor visible
