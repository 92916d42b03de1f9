"""lambdascope's analyzer: CloudWatch Lambda logs into DuckDB, then answers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lambdascope")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
"""The installed distribution's version (read without importing the runtime package)."""

__all__ = ["__version__"]
