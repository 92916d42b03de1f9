"""lambdascope's analyzer: CloudWatch Lambda logs into DuckDB, then answers."""

from __future__ import annotations

from lambdascope import __version__

__all__ = ["__version__"]
