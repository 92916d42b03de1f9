"""`lambdascope demo`: generate seeded sample logs, then analyze them like `analyze` does."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from analyzer.cli import EXIT_USAGE
from analyzer.commands.report import say

GENERATED = frozenset({"logs", "truth.json"})
"""What the generator writes into its folder; an earlier demo's folder holds nothing else."""


def clear_earlier_demo(out: Path) -> str | None:
    """Remove an earlier demo's logs from `out`; return why not when `out` holds other files."""
    if not out.exists():
        return None
    if not out.is_dir():
        return f"{out} is not a folder"
    names = {p.name for p in out.iterdir()}
    if not names:
        return None
    if not names <= GENERATED or "truth.json" not in names:
        return (
            f"{out} is not empty and not an earlier demo's folder; "
            "choose an empty or new folder for --out"
        )
    shutil.rmtree(out / "logs", ignore_errors=True)  # new stream names: old files would add up
    (out / "truth.json").unlink()
    return None


def run(args: argparse.Namespace) -> int:
    """Generate into `--out` (or a temporary folder, removed afterwards) and analyze it."""
    if args.out:
        out = Path(args.out)
        problem = clear_earlier_demo(out)
        if problem is not None:
            say("demo", problem)
            return EXIT_USAGE
        return _generate_and_analyze(out, args, cache=True)
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
