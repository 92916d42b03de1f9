"""`lambdascope demo`: not built yet."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    """Say honestly that this command does not exist yet."""
    print("lambdascope demo: not implemented yet in this version", file=sys.stderr)
    return 3
