"""`lambdascope export`: send metrics derived from the logs to an OTLP/HTTP collector.

Exit codes: 0 all data points accepted, 1 nothing could be read or the collector failed,
2 a usage error (no endpoint, an endpoint that is not an http(s) URL, a bad
`--bucket-size`, `--since` or `--until`). The endpoint is checked before any loading.

As the OpenTelemetry SDKs do: OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is the metrics URL used as
given, OTEL_EXPORTER_OTLP_ENDPOINT (and --endpoint) a base that gets `/v1/metrics`; headers
(e.g. Authorization) come from OTEL_EXPORTER_OTLP_HEADERS and
OTEL_EXPORTER_OTLP_METRICS_HEADERS (`k=v,k2=v2`, URL-encoded values; the metrics variable wins
per key) and are never printed.
"""

from __future__ import annotations

import argparse
import os
import re
from urllib.parse import unquote, urlsplit

from analyzer.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
from analyzer.commands._common import loaded, say

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


def otlp_headers(env: dict[str, str] | None = None) -> dict[str, str]:
    """Headers from OTEL_EXPORTER_OTLP_HEADERS, then OTEL_EXPORTER_OTLP_METRICS_HEADERS.

    `key=value` pairs separated by ',', URL-decoded; entries without '=' or a key are skipped.
    """
    env = dict(os.environ) if env is None else env
    headers: dict[str, str] = {}
    for var in ("OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_METRICS_HEADERS"):
        for entry in env.get(var, "").split(","):
            key, sep, value = entry.partition("=")
            if sep and unquote(key).strip():
                headers[unquote(key).strip()] = unquote(value).strip()
    return headers


def metrics_target(args: argparse.Namespace) -> tuple[str, bool]:
    """(URL, verbatim): the signal-specific variable is the metrics URL as given."""
    endpoint = endpoint_of(args) or ""
    return endpoint, endpoint_source(args) == "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"


def check_endpoint(endpoint: str, source: str) -> None:
    """Raise ValueError with a user message unless `endpoint` is an http(s) URL with a host."""
    hint = f"{source} {endpoint!r} is not a collector URL: use one like http://127.0.0.1:4318"
    try:
        parts = urlsplit(endpoint)
        _ = parts.port  # raises ValueError on a port that is not a number in range
    except ValueError:
        raise ValueError(hint) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        if "://" not in endpoint:
            hint += f" (did you mean 'http://{endpoint}'?)"
        raise ValueError(hint)
    if any(ch.isspace() or not ch.isprintable() for ch in endpoint):
        raise ValueError(hint + " (no spaces or control characters)")


def endpoint_source(args: argparse.Namespace) -> str:
    """Where `endpoint_of` found the endpoint, as the user would name it."""
    if getattr(args, "endpoint", None):
        return "--endpoint"
    if os.environ.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"):
        return "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
    return "OTEL_EXPORTER_OTLP_ENDPOINT"


def run(args: argparse.Namespace) -> int:
    """Load the logs, bucket them per function, POST the metrics; 0 when all were accepted."""
    from analyzer import otlp_export

    endpoint = endpoint_of(args)
    if not endpoint:
        say("export", "no collector: pass --endpoint URL or set OTEL_EXPORTER_OTLP_ENDPOINT")
        return EXIT_USAGE
    try:
        check_endpoint(endpoint, endpoint_source(args))
        size = bucket_ms(getattr(args, "bucket_size", "1m"))
    except ValueError as exc:
        say("export", str(exc))
        return EXIT_USAGE
    endpoint, verbatim = metrics_target(args)
    url = endpoint if verbatim else otlp_export.metrics_url(endpoint)
    got = loaded(args, "export")
    if isinstance(got, int):
        return got
    try:
        stats = otlp_export.export(
            got.con, url, filters=got.filters, bucket_ms=size, headers=otlp_headers(),
            verbatim=True,
        )  # fmt: skip
    except otlp_export.ExportError as exc:
        say("export", str(exc))
        return EXIT_FAILURE
    except ValueError as exc:  # urllib's word on a URL check_endpoint let through
        say("export", f"cannot send to {url}: {exc}")
        return EXIT_FAILURE
    finally:
        got.con.close()
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
        f"in {stats.requests} requests to {url}",
    )
    return EXIT_OK
