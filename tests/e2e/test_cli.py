"""The `lambdascope` command line: help, version, and the missing-extra message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from analyzer.cli import INSTALL_HINT, build_parser, main

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = ("analyze", "report", "query", "demo", "fetch", "export")


def test_version_prints_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`--version` prints the package version and exits 0."""
    from lambdascope import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"lambdascope {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_has_an_example(command: str) -> None:
    """Each command's --help ends with a runnable example of that command."""
    sub = build_parser()._subparsers
    assert sub is not None
    parser = sub._group_actions[0].choices[command]  # type: ignore[attr-defined]
    text = parser.format_help()
    assert f"example:\n  lambdascope {command}" in text


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Running without a command shows the overview and exits with a usage error."""
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in COMMANDS:
        assert command in out


def test_missing_extra_prints_install_command() -> None:
    """Without the analyzer extra the CLI prints the exact pip command and exits 2."""
    code = textwrap.dedent(
        """
        import sys
        for name in ("duckdb", "textual", "boto3"):
            sys.modules[name] = None  # as if the extra were not installed
        from analyzer.cli import main
        sys.exit(main(["report", "x"]))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert INSTALL_HINT in proc.stderr
    assert "pip install 'lambdascope[analyzer]'" in proc.stderr


def _broken_run(args: object) -> int:
    raise RuntimeError("boom in a command")


def test_unexpected_error_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug inside a command exits 1 with one 'internal error' message, no traceback."""
    import analyzer.commands.query as query

    monkeypatch.delenv("LAMBDASCOPE_DEBUG", raising=False)
    monkeypatch.setattr(query, "run", _broken_run)
    assert main(["query", "select 1"]) == 1
    err = capsys.readouterr().err
    assert "lambdascope query: internal error: RuntimeError: boom in a command" in err
    assert "LAMBDASCOPE_DEBUG=1" in err
    assert "Traceback" not in err


def test_debug_variable_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """With LAMBDASCOPE_DEBUG set the original exception propagates for a traceback."""
    import analyzer.commands.query as query

    monkeypatch.setenv("LAMBDASCOPE_DEBUG", "1")
    monkeypatch.setattr(query, "run", _broken_run)
    with pytest.raises(RuntimeError, match="boom in a command"):
        main(["query", "select 1"])
