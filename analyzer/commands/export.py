"""`lambdascope export`: send metrics derived from the logs to an OTLP/HTTP collector."""

from __future__ import annotations

import argparse
import os
import re

from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.commands.report import filters_from, open_and_load, say

_SIZE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_SIZE_MS = {"s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}


def bucket_ms(text: str) -> int:
    """'1m' -> 60000; raises ValueError with a user message on anything else."""
    m = _SIZE.match(text)
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"--bucket-size {text!r}: use a duration like 30s, 1m, 5m or 1h")
    return int(m.group(1)) * _SIZE_MS[m.group(2)]


def endpoint_of(args: argparse.Namespace) -> str | None:
    """--endpoint, else OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT."""
    return (
        getattr(args, "endpoint", None)
        or os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    )


def run(args: argparse.Namespace) -> int:
    """Load the logs, bucket them per function, POST the metrics; 0 when all were accepted."""
    from analyzer import otlp_export

    endpoint = endpoint_of(args)
    if not endpoint:
        say("export", "no collector: pass --endpoint URL or set OTEL_EXPORTER_OTLP_ENDPOINT")
        return EXIT_USAGE
    try:
        size = bucket_ms(getattr(args, "bucket_size", "1m"))
    except ValueError as exc:
        say("export", str(exc))
        return EXIT_USAGE
    filters = filters_from(args, "export")
    if isinstance(filters, int):
        return filters
    con = open_and_load(args, "export")
    if isinstance(con, int):
        return con
    try:
        stats = otlp_export.export(con, endpoint, filters=filters, bucket_ms=size)
    except otlp_export.ExportError as exc:
        say("export", str(exc))
        return EXIT_FAILURE
    finally:
        con.close()
    if stats.untimed:
        where = ", ".join(f"{fn}: {n}" for fn, n in stats.untimed.items())
        say(
            "export",
            f"warning: {sum(stats.untimed.values())} invocations have no time at all "
            f"(no timestamp in their file) and were not sent ({where})",
        )
    say(
        "export",
        f"sent {stats.points:,} data points for {len(stats.functions)} functions "
        f"in {stats.requests} requests to {otlp_export.metrics_url(endpoint)}",
    )
    return EXIT_OK
