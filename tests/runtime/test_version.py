"""`lambdascope.__version__` (in span and metric scopes) is the package's version."""

from __future__ import annotations

import tomllib
from pathlib import Path

import lambdascope

ROOT = Path(__file__).resolve().parents[2]


def test_version_matches_pyproject() -> None:
    """The version string kept in the package equals pyproject.toml's (no drift)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert lambdascope.__version__ == project["version"]
