"""lambdascope: one honest, compact record per AWS Lambda invocation."""

from __future__ import annotations

from lambdascope._context import LambdaContext
from lambdascope._decorator import instrument

__version__ = "0.1.0"

__all__ = ["LambdaContext", "__version__", "instrument"]
