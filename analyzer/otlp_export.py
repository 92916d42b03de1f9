"""Metrics derived from loaded invocations, sent to an OTLP/HTTP collector with their own times.

Per function and time bucket: `faas.invocations` (as in the semantic conventions and the
runtime: invocations that neither failed nor timed out, so invocations + errors + timeouts =
the report's invocations), `faas.errors`, `faas.timeouts`, `faas.coldstarts` (delta sums)
and the histograms `faas.invoke_duration`, `faas.init_duration` (seconds) and
`faas.mem_usage` (bytes, per-invocation Max Memory Used; a point's `max` is the bucket's),
`lambdascope.remaining_time` (seconds left before the timeout, from lambdascope records).
Names come from `lambdascope._names`.

Why protobuf by hand rather than the SDK's MeterProvider: an SDK reader stamps every point
with the time it collects, so a bucket from last Tuesday would arrive as "now". We build the
`ExportMetricsServiceRequest` with opentelemetry-proto (a dependency of the OTLP exporter the
runtime already uses), set each point's start and time to its bucket's bounds (delta
temporality: each point stands alone, so sums over points give the report's totals),
and POST it to `<endpoint>/v1/metrics` as the OTLP/HTTP exporter would.
"""

from __future__ import annotations

import gzip
import time
import urllib.error
import urllib.request
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import duckdb
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2 as pb
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from analyzer.filters import Filters
from lambdascope import __version__, _names

DURATION_BOUNDS_S = _names.SECONDS_BOUNDS
"""Histogram bucket bounds (seconds) for durations: the runtime's, so Grafana sees one `le` set."""

MEMORY_BOUNDS_BYTES = _names.BYTES_BOUNDS
"""Histogram bucket bounds (bytes) for per-invocation max memory used: the runtime's."""

MIB = 1024 * 1024
POST_TIMEOUT_S = 10.0
"""How long one POST may take before the collector counts as unreachable."""
RETRY_FIRST_S = 0.5
"""First pause before re-sending after HTTP 429/502/503/504 (then doubled, three retries)."""
BUCKETS_PER_REQUEST = 500
"""Time buckets per HTTP request (a few hundred KB of protobuf at most)."""

_DELTA = pb.AGGREGATION_TEMPORALITY_DELTA

EXPORTED = {
    _names.METRIC_INVOCATIONS: ("counter", "{invocation}"),
    _names.METRIC_ERRORS: ("counter", "{error}"),
    _names.METRIC_TIMEOUTS: ("counter", "{timeout}"),
    _names.METRIC_COLDSTARTS: ("counter", "{coldstart}"),
    _names.METRIC_INVOKE_DURATION: ("histogram", "s"),
    _names.METRIC_INIT_DURATION: ("histogram", "s"),
    _names.METRIC_MEM_USAGE: ("histogram", "By"),
    _names.METRIC_REMAINING_TIME: ("histogram", "s"),
}
"""Every metric `lambdascope export` sends: kind and OTel unit (which fixes Prometheus names)."""


class ExportError(Exception):
    """The collector could not be reached or refused the data: the message says what to do."""


@dataclass
class Bucket:
    """Everything exported for one function in one time bucket."""

    function: str
    start_ms: int
    invocations: int
    """Invocations that neither failed nor timed out (semconv `faas.invocations`)."""
    errors: int
    timeouts: int
    cold_starts: int
    durations_ms: list[float] = field(default_factory=list)
    inits_ms: list[float] = field(default_factory=list)
    memory_mb: list[float] = field(default_factory=list)
    remaining_ms: list[float] = field(default_factory=list)


@dataclass
class ExportStats:
    """What was sent: requests, points, functions, and per function invocations left out."""

    requests: int = 0
    points: int = 0
    functions: set[str] = field(default_factory=set)
    untimed: dict[str, int] = field(default_factory=dict)


_TIMED = """
WITH untimed AS (
    SELECT request_id FROM invocations WHERE start_ts IS NULL AND end_ts IS NULL
), own AS (
    SELECT file_id, line_no, request_id, ts FROM events
    WHERE request_id IN (SELECT request_id FROM untimed)
), stamped AS (
    SELECT file_id, line_no, ts FROM events WHERE ts IS NOT NULL
), before AS (
    SELECT o.request_id, o.ts AS own_ts, s.ts AS near_ts FROM own o
    ASOF LEFT JOIN stamped s ON o.file_id = s.file_id AND o.line_no >= s.line_no
), after AS (
    SELECT o.request_id, s.ts AS near_ts FROM own o
    ASOF LEFT JOIN stamped s ON o.file_id = s.file_id AND o.line_no <= s.line_no
), seen AS (
    SELECT request_id, coalesce(min(own_ts), min(near_ts)) AS ts FROM before GROUP BY 1
), later AS (
    SELECT request_id, min(near_ts) AS ts FROM after GROUP BY 1
), timed AS (
    SELECT i.*, coalesce(i.start_ts, i.end_ts, seen.ts, later.ts) AS t
    FROM invocations i
    LEFT JOIN seen ON i.request_id = seen.request_id
    LEFT JOIN later ON i.request_id = later.request_id
)
"""
"""Invocations with their best known time: START, else REPORT, else their own first dated
log line, else the nearest dated line before (or after) theirs in the same file (a stream's
lines are in time order; console copies of text logs carry no time on START/REPORT)."""

_BUCKETS_SQL = (
    _TIMED
    + """
SELECT coalesce(function, 'unknown') AS fn,
       (epoch_ms(t) // ?) * ? AS bucket,
       count(*) FILTER (WHERE outcome IS DISTINCT FROM 'error'
                        AND outcome IS DISTINCT FROM 'timeout'),
       count(*) FILTER (WHERE outcome = 'error'),
       count(*) FILTER (WHERE outcome = 'timeout'),
       count(*) FILTER (WHERE cold_start),
       list(duration_ms) FILTER (WHERE duration_ms IS NOT NULL),
       list(init_ms) FILTER (WHERE init_ms IS NOT NULL),
       list(max_memory_mb) FILTER (WHERE max_memory_mb IS NOT NULL),
       list(remaining_ms) FILTER (WHERE remaining_ms IS NOT NULL)
FROM timed
WHERE t IS NOT NULL AND ({where})
GROUP BY 1, 2 ORDER BY 1, 2
"""
)


def buckets(con: duckdb.DuckDBPyConnection, filters: Filters, size_ms: int) -> Iterator[Bucket]:
    """The loaded invocations grouped per function and `size_ms` bucket, in time order."""
    where, params = filters.where(ts_column="t")
    cur = con.execute(_BUCKETS_SQL.format(where=where), [size_ms, size_ms, *params])
    while rows := cur.fetchmany(1000):
        for fn, start, n, err, tmo, cold, durs, inits, mems, left in rows:
            yield Bucket(
                fn, int(start), n, err, tmo, cold, durs or [], inits or [], mems or [], left or []
            )


def untimed(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[str, int]:
    """Per function, invocations with no time at all (they cannot be placed in a bucket)."""
    where, params = filters.where(ts_column="t")
    sql = _TIMED + (
        f"SELECT coalesce(function, 'unknown'), count(*) FROM timed WHERE t IS NULL AND {where}"
        " GROUP BY 1 ORDER BY 1"
    )
    return {str(fn): int(n) for fn, n in con.execute(sql, params).fetchall()}


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _counter(name: str, unit: str, desc: str, points: list[pb.NumberDataPoint]) -> pb.Metric:
    return pb.Metric(
        name=name,
        unit=unit,
        description=desc,
        sum=pb.Sum(data_points=points, aggregation_temporality=_DELTA, is_monotonic=True),
    )


def _hist_point(
    values: Sequence[float], bounds: Sequence[float], start_ns: int, end_ns: int
) -> pb.HistogramDataPoint:
    counts = [0] * (len(bounds) + 1)
    for v in values:
        counts[bisect_left(bounds, v)] += 1  # OTLP buckets are (prev, bound]
    return pb.HistogramDataPoint(
        start_time_unix_nano=start_ns,
        time_unix_nano=end_ns,
        count=len(values),
        sum=float(sum(values)),
        bucket_counts=counts,
        explicit_bounds=list(bounds),
        min=float(min(values)),
        max=float(max(values)),
    )


def _metrics(group: Sequence[Bucket], size_ms: int) -> list[pb.Metric]:
    """The seven metrics of one function over some of its buckets."""
    counts: dict[str, list[pb.NumberDataPoint]] = {k: [] for k in ("inv", "err", "tmo", "cold")}
    hists: dict[str, list[pb.HistogramDataPoint]] = {k: [] for k in ("dur", "init", "mem", "left")}
    for b in group:
        start_ns, end_ns = b.start_ms * 1_000_000, (b.start_ms + size_ms) * 1_000_000
        for key, value in (
            ("inv", b.invocations), ("err", b.errors), ("tmo", b.timeouts), ("cold", b.cold_starts)
        ):  # fmt: skip
            counts[key].append(
                pb.NumberDataPoint(
                    start_time_unix_nano=start_ns, time_unix_nano=end_ns, as_int=value
                )
            )
        for key, values, bounds in (
            ("dur", [d / 1000 for d in b.durations_ms], DURATION_BOUNDS_S),
            ("init", [d / 1000 for d in b.inits_ms], DURATION_BOUNDS_S),
            ("mem", [m * MIB for m in b.memory_mb], MEMORY_BOUNDS_BYTES),
            ("left", [r / 1000 for r in b.remaining_ms], DURATION_BOUNDS_S),
        ):
            if values:
                hists[key].append(_hist_point(values, bounds, start_ns, end_ns))
    n = _names
    out = [
        _counter(name, EXPORTED[name][1], desc, counts[key])
        for name, desc, key in (
            (n.METRIC_INVOCATIONS, "Invocations that neither failed nor timed out", "inv"),
            (n.METRIC_ERRORS, "Invocations that failed", "err"),
            (n.METRIC_TIMEOUTS, "Invocations that timed out", "tmo"),
            (n.METRIC_COLDSTARTS, "Cold starts", "cold"),
        )
    ]
    for name, desc, key in (
        (n.METRIC_INVOKE_DURATION, "Handler duration per invocation", "dur"),
        (n.METRIC_INIT_DURATION, "Init duration of cold starts", "init"),
        (n.METRIC_MEM_USAGE, "Max memory used per invocation", "mem"),
        (n.METRIC_REMAINING_TIME, "Time left before the timeout when the handler ended", "left"),
    ):
        unit = EXPORTED[name][1]
        if hists[key]:
            out.append(
                pb.Metric(
                    name=name,
                    unit=unit,
                    description=desc,
                    histogram=pb.Histogram(data_points=hists[key], aggregation_temporality=_DELTA),
                )
            )
    return out


def build_request(
    function: str, group: Sequence[Bucket], size_ms: int
) -> ExportMetricsServiceRequest:
    """One OTLP request for one function's buckets, its resource naming the function."""
    resource = Resource(
        attributes=[
            _kv("service.name", function),
            _kv("faas.name", function),
            _kv("cloud.provider", "aws"),
            _kv("cloud.platform", "aws_lambda"),
        ]
    )
    scope = InstrumentationScope(name="lambdascope.export", version=__version__)
    return ExportMetricsServiceRequest(
        resource_metrics=[
            pb.ResourceMetrics(
                resource=resource,
                scope_metrics=[pb.ScopeMetrics(scope=scope, metrics=_metrics(group, size_ms))],
            )
        ]
    )


def requests(
    all_buckets: Iterator[Bucket], size_ms: int, per_request: int = BUCKETS_PER_REQUEST
) -> Iterator[tuple[str, int, ExportMetricsServiceRequest]]:
    """(function, points, request) per function and chunk of `per_request` buckets."""
    chunk: list[Bucket] = []
    for b in all_buckets:
        if chunk and (b.function != chunk[0].function or len(chunk) >= per_request):
            yield (
                chunk[0].function,
                _points(chunk),
                build_request(chunk[0].function, chunk, size_ms),
            )
            chunk = []
        chunk.append(b)
    if chunk:
        yield chunk[0].function, _points(chunk), build_request(chunk[0].function, chunk, size_ms)


def _points(chunk: Sequence[Bucket]) -> int:
    hist = sum(
        bool(b.durations_ms) + bool(b.inits_ms) + bool(b.memory_mb) + bool(b.remaining_ms)
        for b in chunk
    )
    return 4 * len(chunk) + hist


def metrics_url(endpoint: str) -> str:
    """`<endpoint>/v1/metrics` unless the endpoint already names that path."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/metrics") else base + "/v1/metrics"


def post(
    url: str,
    request: ExportMetricsServiceRequest,
    *,
    timeout: float | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """POST one request (gzip protobuf, plus `headers`); retry 429/502/503/504 thrice,
    else ExportError (header values are never put in a message)."""
    body = gzip.compress(request.SerializeToString())
    sent = {**(headers or {}), "Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
    delay = RETRY_FIRST_S
    for attempt in range(4):
        try:
            req = urllib.request.Request(url, data=body, headers=sent, method="POST")
            with urllib.request.urlopen(req, timeout=timeout or POST_TIMEOUT_S) as resp:
                resp.read()
            return
        except urllib.error.HTTPError as exc:
            if exc.code in {401, 403}:
                raise ExportError(
                    f"the collector at {url} refused the credentials (HTTP {exc.code} "
                    f"{exc.reason}): set them in OTEL_EXPORTER_OTLP_HEADERS or "
                    "OTEL_EXPORTER_OTLP_METRICS_HEADERS, e.g. Authorization=Bearer%20TOKEN"
                ) from None
            if exc.code not in {429, 502, 503, 504} or attempt == 3:
                raise ExportError(
                    f"the collector at {url} answered HTTP {exc.code} {exc.reason}: check that "
                    "it has an OTLP/HTTP receiver (port 4318) and look at its logs"
                ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ExportError(
                f"cannot reach the collector at {url} ({reason}): is it running? Start it, "
                "or pass --endpoint (default $OTEL_EXPORTER_OTLP_ENDPOINT)"
            ) from None
        except ValueError:  # a URL or header value urllib/http.client refuses
            raise ExportError(
                f"cannot send to {url}: the URL or a header from OTEL_EXPORTER_OTLP_HEADERS "
                "is malformed"
            ) from None
        time.sleep(delay)
        delay *= 2


def export(
    con: duckdb.DuckDBPyConnection,
    endpoint: str,
    *,
    filters: Filters,
    bucket_ms: int,
    headers: dict[str, str] | None = None,
    verbatim: bool = False,
) -> ExportStats:
    """Send every loaded invocation, bucketed, to the collector at `endpoint` (a base URL;
    with `verbatim`, the full metrics URL as OTEL_EXPORTER_OTLP_METRICS_ENDPOINT gives it)."""
    url = endpoint if verbatim else metrics_url(endpoint)
    stats = ExportStats(untimed=untimed(con, filters))
    for function, points, request in requests(buckets(con, filters, bucket_ms), bucket_ms):
        try:
            post(url, request, headers=headers)
        except ExportError as exc:
            if stats.requests:
                raise ExportError(
                    f"{exc} ({stats.requests} requests were accepted before this; "
                    "re-running sends them again)"
                ) from None
            raise
        stats.requests += 1
        stats.points += points
        stats.functions.add(function)
    return stats
