"""A Logs Insights results endpoint on 127.0.0.1 for the queries moto cannot evaluate.

It speaks the real JSON 1.1 protocol (StartQuery / GetQueryResults) to real boto3 over
HTTP and answers with rows shaped like recorded GetQueryResults output (strings, UTC
`YYYY-MM-DD HH:MM:SS.mmm`, memory as MB x 1e6 in scientific notation), filtered by the
query's time range and capped like the service.

The time range is AWS's (aws/aws-sdk#280, the CloudWatch team's answer): startTime and
endTime are seconds converted to milliseconds, both inclusive, so a query over [s, e] sees
events from s x 1000 to e x 1000 ms and nothing of the rest of second e. A leading
`filter toMillis(@timestamp) >= A and toMillis(@timestamp) < B |` is applied as well.
"""

from __future__ import annotations

import json
import math
import re
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STREAM = "2025/08/15/[$LATEST]3893a1b2c3d4e5f60718293a4b5c6d7e"

_WINDOW = re.compile(
    r"^filter toMillis\(@timestamp\) >= (\d+) and toMillis\(@timestamp\) < (\d+) \| "
)


def report_row(
    ts_ms: int, rid: str, fn: str, *, duration: float, init: float | None, status: str | None,
    restore: float | None = None,
) -> dict[str, str]:  # fmt: skip
    """One row as GetQueryResults returns it for the invocations query."""
    ts = datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    row = {
        "@timestamp": ts,
        "@requestId": rid,
        "@log": f"123456789012:/aws/lambda/{fn}",
        "@logStream": STREAM,
        "@duration": f"{duration:g}",
        "@billedDuration": f"{float(int(duration) + 1)}",
        "@memorySize": "1.28E8",
        "@maxMemoryUsed": "6.7E7",
    }
    if init is not None:
        row["@initDuration"] = f"{init}"
    if restore is not None:  # SnapStart: Insights has no field for it; the query parses it
        row["restoreDuration"] = f"{restore}"
    if status:
        row["status"] = status
        if status == "error":
            row["errorType"] = "Runtime.ExitError"
    return row


def line_row(ts_ms: int, message: str, *, stream: str = STREAM, rid: str = "") -> dict[str, Any]:
    """One row of the failure-lines query (no @requestId unless Insights found one)."""
    ts = datetime.fromtimestamp(ts_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    row: dict[str, Any] = {"_ms": ts_ms, "_kind": "line", "@timestamp": ts}
    row.update({"@log": "123456789012:/aws/lambda/orders", "@logStream": stream})
    if rid:
        row["@requestId"] = rid
    return {**row, "@message": message}


def _binned(rows: list[dict[str, Any]], width_ms: int, field: str) -> list[dict[str, Any]]:
    """Rows of `stats count(*) as invocations by bin(N)` as the service returns them."""
    counts: dict[int, int] = {}
    for r in rows:
        t = r["_ms"] // width_ms * width_ms
        counts[t] = counts.get(t, 0) + 1
    return [
        {
            "_ms": t,
            field: datetime.fromtimestamp(t / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.000"),
            "invocations": str(n),
        }
        for t, n in sorted(counts.items(), reverse=True)
    ]


def _bucket(value: float) -> int:
    """The duration bucket Logs Insights computes for STATS_QUERY / INIT_QUERY."""
    return math.floor(math.log(max(value, 0.01)) * 8 / math.log(2))


def _num(value: float) -> str:
    """A number as GetQueryResults renders it."""
    return f"{value:g}" if value == int(value) else repr(value)


def _stats(
    rows: list[dict[str, Any]], width_ms: int, label: str, init: bool, restore_cold: bool = False
) -> list[dict[str, Any]]:
    """Rows of the stats-by-bin query (or the init one) over REPORT rows, as the service;
    `restore_cold`: the query's cold flag also tests the message for "Restore Duration:"."""
    groups: dict[tuple[str, int, bool, int], list[dict[str, Any]]] = {}
    for r in rows:
        if init and "@initDuration" not in r:
            continue
        value = float(r["@initDuration"] if init else r["@duration"])
        cold = "@initDuration" in r or (restore_cold and "restoreDuration" in r)
        key = (r["@log"], r["_ms"] // width_ms * width_ms, cold, _bucket(value))
        groups.setdefault(key, []).append(r)
    out: list[dict[str, Any]] = []
    for (log, t, cold, bucket), found in groups.items():
        when = datetime.fromtimestamp(t / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.000")
        row: dict[str, Any] = {"_ms": t, "@log": log, label: when, "bucket": str(bucket)}
        if init:
            inits = [float(r["@initDuration"]) for r in found]
            row |= {"cold_starts": str(len(found)), "init_sum": _num(sum(inits)),
                    "init_min": _num(min(inits)), "init_max": _num(max(inits))}  # fmt: skip
        else:
            d = [float(r["@duration"]) for r in found]
            row |= {
                "cold": "1" if cold else "0", "invocations": str(len(found)),
                "errors": str(sum(r.get("status") == "error" for r in found)),
                "timeouts": str(sum(r.get("status") == "timeout" for r in found)),
                "durations": str(len(d)), "duration_sum": _num(sum(d)),
                "duration_min": _num(min(d)), "duration_max": _num(max(d)),
                "billed_sum": _num(sum(float(r["@billedDuration"]) for r in found)),
                "memory_size": max(r["@memorySize"] for r in found),
                "max_memory_used": max(r["@maxMemoryUsed"] for r in found),
            }  # fmt: skip
        out.append(row)
    return out


def json_row(ts_ms: int, record: dict[str, Any], *, fn: str = "orders") -> dict[str, Any]:
    """A line of Lambda's JSON log format (`{"time":…,"type":…,"record":…}`): only the
    events-per-group query sees it."""
    ts = datetime.fromtimestamp(ts_ms / 1000, UTC)
    message = json.dumps(
        {"time": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), **record}, separators=(",", ":")
    )
    return {"_ms": ts_ms, "_kind": "json", "@log": f"123456789012:/aws/lambda/{fn}",
            "@logStream": STREAM, "@message": message}  # fmt: skip


def _events(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of QUIET_QUERY: events and JSON platform.report lines per @log."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        row = out.setdefault(r["@log"], {"@log": r["@log"], "events": 0, "json_reports": 0})
        row["events"] += 1
        row["json_reports"] += '"type":"platform.report"' in r.get("@message", "")
    return [{**r, "events": str(r["events"]), "json_reports": str(r["json_reports"])}
            for r in out.values()]  # fmt: skip


def _with_message(row: dict[str, Any]) -> dict[str, Any]:
    """A REPORT row with the @message a query that asks for it gets."""
    status = f"\tStatus: {row['status']}" if row.get("status") else ""
    restore = (
        f"\tRestore Duration: {row['restoreDuration']} ms" if row.get("restoreDuration") else ""
    )
    return {**row, "@message": f"REPORT RequestId: {row['@requestId']}\tDuration: "
            f"{row['@duration']} ms{restore}{status}"}  # fmt: skip


_LIKE = re.compile(r"@message like /(\^.*?)/( \||$)")
"""The failure-lines regex of a query (it starts with `^`, and holds no `/`)."""


def _line_matches(query: str, row: dict[str, Any]) -> bool:
    """Whether a log line passes the query's `@message like /…/` failure-lines regex, as the
    service applies it (the regex is one Python reads alike)."""
    found = _LIKE.search(query)
    return found is None or re.search(found.group(1), row["@message"]) is not None


def _matches(query: str, row: dict[str, Any]) -> bool:
    """Whether a REPORT row passes the query's extra filter (Status, request ids, streams)."""
    if "/Status: (error|timeout)/" in query:
        return row.get("status") in {"error", "timeout"}
    for field in ("@requestId", "@logStream"):
        listed = re.search(re.escape(field) + r" in \[(.*?)\] \|", query)
        if listed:
            return row.get(field) in json.loads(f"[{listed.group(1)}]")
    return True


class FakeInsights:
    """Serves `rows` (each with '_ms') to StartQuery/GetQueryResults; context manager.

    Rows with `'_kind': 'line'` are other log lines: only the failure-lines queries get them,
    those their `@message like /…/` regex matches; every other query gets the REPORT rows.
    """

    def __init__(
        self, rows: list[dict[str, Any]], *, cap: int = 10_000, running_polls: int = 1,
        final_status: str = "Complete",
    ) -> None:  # fmt: skip
        self.rows, self.cap, self.running_polls = rows, cap, running_polls
        self.final_status = final_status
        self.fail_query: int | None = None
        """Index of the StartQuery that ends 'Failed' at its first poll (others as usual)."""
        self.stopped: list[str] = []
        """Query ids StopQuery named."""
        self.started: list[tuple[int, int]] = []
        self.queries: list[str] = []
        self.returned: list[int] = []
        """Rows each StartQuery matched (capped), in order."""
        self.served: list[tuple[str, list[dict[str, Any]]]] = []
        """(query, rows returned) of each StartQuery, in order."""
        self._queries: dict[str, dict[str, Any]] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                op = self.headers.get("X-Amz-Target", "").split(".")[-1]
                answer = fake.answer(op, body)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON answer of one API call."""
        if op == "StartQuery":
            qid = str(uuid.uuid4())
            lo, hi = body["startTime"] * 1000, body["endTime"] * 1000  # both inclusive
            self.started.append((body["startTime"], body["endTime"]))
            self.queries.append(body["queryString"])
            query = body["queryString"]
            window = _WINDOW.match(query)
            if window:
                lo, hi = max(lo, int(window.group(1))), min(hi, int(window.group(2)) - 1)
                query = query[window.end() :]
            lines = query.startswith("filter @message like")
            both = query.startswith("filter (@type")  # failed REPORTs or failure lines
            if query.startswith("stats count(*) as events"):  # events per group
                return self._start(qid, _events(
                    [r for r in self.rows if lo <= r["_ms"] <= hi and r["@log"] in
                     {f"123456789012:{g}" for g in body["logGroupNames"]}]
                ))  # fmt: skip
            hits = [
                r for r in self.rows
                if lo <= r["_ms"] <= hi and r.get("_kind") != "json"
                and (both or (r.get("_kind") == "line") == lines)
            ]  # fmt: skip
            hits = [
                r for r in hits if (_line_matches(query, r) if r.get("_kind") == "line"
                                    else lines or _matches(query, r))
            ]  # fmt: skip
            if both:
                hits = [r if r.get("_kind") == "line" else _with_message(r) for r in hits]
            binned = re.search(r"by bin\((\d+)([mhd])\)", query)
            agg = re.search(r"by @log, bin\((\d+)([mhd])\)", query)
            if agg:
                unit = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}[agg.group(2)]
                label = f"bin({agg.group(1)}{agg.group(2)})"
                restore = 'strcontains(@message, "Restore Duration:")' in query
                hits = _stats(
                    hits, int(agg.group(1)) * unit, label, "cold_starts" in query, restore
                )
            elif binned:
                unit = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}[binned.group(2)]
                hits = _binned(hits, int(binned.group(1)) * unit, binned.group(0)[3:])
            self.served.append((query, hits[: self.cap]))
            return self._start(qid, hits)
        if op == "StopQuery":
            self.stopped.append(body["queryId"])
            return {"success": True}
        q = self._queries[body["queryId"]]
        q["polls"] += 1
        if q["fail"]:
            return {"results": [], "status": "Failed"}
        if q["polls"] <= self.running_polls:
            return {"results": [], "status": "Running"}
        results = [
            [{"field": k, "value": v} for k, v in r.items() if k[0] != "_"] for r in q["rows"]
        ]
        stats = {"recordsMatched": float(len(results)), "recordsScanned": 1.0, "bytesScanned": 1.0}
        return {"results": results, "statistics": stats, "status": self.final_status}

    def _start(self, qid: str, hits: list[dict[str, Any]]) -> dict[str, Any]:
        """Register a started query answering `hits` (capped)."""
        failing = self.fail_query == len(self.started) - 1
        self._queries[qid] = {"rows": hits[: self.cap], "polls": 0, "fail": failing}
        self.returned.append(min(len(hits), self.cap))
        return {"queryId": qid}

    def __enter__(self) -> FakeInsights:
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
