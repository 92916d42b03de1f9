"""`lambdascope fetch`: download Lambda logs from CloudWatch into files `analyze` reads."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from analyzer._timeparse import TimeArgError, parse_when
from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.commands._common import say


def run(args: argparse.Namespace) -> int:
    """Fetch the log groups via FilterLogEvents or an S3 export; 0 on success."""
    from analyzer.aws import AwsError  # boto3 lives behind this import
    from analyzer.aws._client import AwsTarget, make_client
    from analyzer.aws._paths import UnsafePathError
    from analyzer.aws._progress import Progress

    try:
        now = datetime.now(UTC)
        since = parse_when(args.since, now=now)
        until = parse_when(args.until, now=now) if args.until else now
    except TimeArgError as exc:
        say("fetch", str(exc))
        return EXIT_USAGE
    if since >= until:
        say("fetch", "--since must be before --until")
        return EXIT_USAGE
    if args.via == "export" and not args.bucket:
        say("fetch", "--via export needs --bucket BUCKET")
        return EXIT_USAGE
    out = Path(args.out)
    target = AwsTarget(region=args.region, profile=args.profile, endpoint_url=args.endpoint_url)
    progress = Progress()
    try:
        logs = make_client("logs", target)  # before any folder: no credentials, no folders
        s3 = make_client("s3", target) if args.via == "export" else None
        out.mkdir(parents=True, exist_ok=True)
        if s3 is not None:
            from analyzer.aws.export_task import fetch_export

            exported = fetch_export(
                logs, s3, args.log_groups, since, until, out,
                bucket=args.bucket, prefix=args.prefix, progress=progress,
            )  # fmt: skip
            summary = (
                f"{len(exported.files)} files downloaded, {exported.skipped} already there, "
                f"{exported.covered} log groups already exported for this range"
            )
        else:
            from analyzer.aws.fetch import fetch_filter

            result = fetch_filter(logs, args.log_groups, since, until, out, progress=progress)
            summary = (
                f"{result.events:,} events in {len(result.files)} files, "
                f"{result.skipped} windows already complete"
            )
    except AwsError as exc:
        progress.done()
        say("fetch", exc.message)
        return EXIT_FAILURE
    except (OSError, UnsafePathError) as exc:
        progress.done()
        say("fetch", f"cannot write under {out}: {exc}")
        return EXIT_FAILURE
    say("fetch", f"{summary} under {out}")
    return EXIT_OK
