"""`lambdascope demo`: generate seeded sample logs, then analyze them like `analyze` does."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from analyzer.commands.report import say


def run(args: argparse.Namespace) -> int:
    """Generate into `--out` (or a temporary folder, removed afterwards) and analyze it."""
    if args.out:
        return _generate_and_analyze(Path(args.out), args, cache=True)
    with tempfile.TemporaryDirectory(prefix="lambdascope-demo-") as tmp:
        return _generate_and_analyze(Path(tmp), args, cache=False)


def _generate_and_analyze(out: Path, args: argparse.Namespace, *, cache: bool) -> int:
    """Write the sample logs under `out`, then run `analyze` on `out/logs`."""
    from analyzer.commands import analyze
    from analyzer.generator import generate

    print(
        f"lambdascope demo: generating about {args.invocations:,} invocations "
        f"(seed {args.seed}) in {out}",
        file=sys.stderr,
    )
    try:
        generate(out, seed=args.seed, invocations=args.invocations)
    except OSError as exc:
        say("demo", f"cannot write the sample logs to {out}: {exc}")
        return 1
    analyze_args = argparse.Namespace(
        paths=[str(out / "logs")],
        db=None,
        no_cache=not cache,  # a temporary folder: nothing worth caching
        function=None,
        since=None,
        until=None,
        insights=None,
    )
    return analyze.run(analyze_args)
