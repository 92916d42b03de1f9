"""lambdascope's analyzer: CloudWatch Lambda logs into DuckDB, then answers."""

from __future__ import annotations

from functools import cache

__all__ = ["__version__", "version"]


@cache
def version() -> str:
    """The installed distribution's version, read without importing the runtime package.

    importlib.metadata costs ~30 ms to import, so it is read only when asked for.
    """
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("lambdascope")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
