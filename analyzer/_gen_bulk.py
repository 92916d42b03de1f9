"""Fast writers of large S3-export shaped Lambda logs for benchmarks (stdlib only)."""

from __future__ import annotations

import gzip
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BULK_FUNCTION = "bench-api"
"""Function name the bulk data stands for (the files do not say; pass `--function`)."""

BULK_START_S = 1_795_500_000
"""2026-11-24T06:00:00Z, first second of the bulk traffic."""

MEMORY_MB = 512
TIMEOUT_MS = 10_000
P_NEW_ENV = 0.05
"""Chance an invocation lands on a fresh execution environment (a cold start)."""
P_ERROR = 0.01
P_TIMEOUT = 0.002
_MU = math.log(40.0)
"""Log of the median warm duration in ms."""
CHUNK_LINES = 20_000
"""Lines built in memory before each write."""

_MESSAGES = (
    "Processing message 1 of 1 from orders-queue",
    "fetched customer profile from cache",
    "wrote order to DynamoDB table orders-prod",
    "validated payload against schema v3",
    "published OrderCreated event to EventBridge",
    "cache miss for sku, loading from S3",
    "calling payments API /v2/charges",
    "batch complete: 25 records, 0 failures",
)
"""Application messages; about 40 characters, like typical app logs."""

_ERROR_DOC = (
    '{"errorType":"Error","errorMessage":"upstream returned 503","stack":["Error: upstream '
    'returned 503","    at Runtime.handler (file:///var/task/index.mjs:23:11)"]}'
)


@dataclass(frozen=True)
class BulkTruth:
    """What a bulk writer wrote."""

    lines: int
    invocations: int
    cold_starts: int
    errors: int
    timeouts: int
    bytes: int
    files: int
    function: str = BULK_FUNCTION


class _Bulk:
    """Builds whole invocations as text: env blocks of START / app / END / REPORT lines."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.secs: dict[int, str] = {}
        self.lines = self.invocations = self.cold = self.errors = self.timeouts = 0
        self.t_ms = BULK_START_S * 1000
        self.env_open = False
        self.mem = 80

    def _ts(self, t_ms: int) -> str:
        """ISO timestamp with ms, cached per second."""
        s = t_ms // 1000
        head = self.secs.get(s)
        if head is None:
            head = datetime.fromtimestamp(s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.")
            self.secs[s] = head
        return f"{head}{t_ms % 1000:03d}Z"

    def _cold(self, t: int, add: Callable[[str], None]) -> tuple[str, int]:
        """A fresh environment: writes INIT_START; the REPORT's Init Duration field, start time."""
        rng = self.rng
        self.env_open, self.mem = True, 70 + int(rng.random() * 30)
        arn = f"{rng.getrandbits(256):064x}"
        add(
            f"{self._ts(t)} INIT_START Runtime Version: nodejs:20.v31\t"
            f"Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:{arn}\n"
        )
        init_ms = round(rng.lognormvariate(_MU + 1.9, 0.3), 2)
        self.cold += 1
        self.lines += 1
        return f"Init Duration: {init_ms:.2f} ms\t", t + math.ceil(init_ms)

    def _app_lines(
        self, rid: str, t: int, dur: float, error: bool, add: Callable[[str], None]
    ) -> int:
        """One or two application lines (the first is `Invoke Error` on a failure); how many."""
        rand = self.rng.random
        n_app = 1 + (rand() < 0.5)
        for i in range(n_app):
            tsa = self._ts(t + int(dur * (i + 1) / 3))
            if error and i == 0:
                add(f"{tsa} {tsa}\t{rid}\tERROR\tInvoke Error \t{_ERROR_DOC}\n")
            else:
                add(f"{tsa} {tsa}\t{rid}\tINFO\t{_MESSAGES[int(rand() * len(_MESSAGES))]}\n")
        return n_app

    def chunk(self, max_lines: int) -> str:
        """Text of whole invocations, at least `max_lines` lines (or a few more)."""
        rng = self.rng
        rand, lognorm = rng.random, rng.lognormvariate
        out: list[str] = []
        add = out.append
        start_lines = self.lines
        while self.lines - start_lines < max_lines:
            t = self.t_ms = self.t_ms + int(rand() * 400) + 1
            init = ""
            if not self.env_open or rand() < P_NEW_ENV:
                init, t = self._cold(t, add)
            h = rng.randbytes(16).hex()
            rid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
            r = rand()
            if r < P_TIMEOUT:
                kind, dur = "timeout", float(TIMEOUT_MS)
            else:
                kind = "error" if r < P_TIMEOUT + P_ERROR else "ok"
                dur = round(min(lognorm(_MU, 0.6) * (1.6 if init else 1.0), TIMEOUT_MS - 1), 2)
            add(f"{self._ts(t)} START RequestId: {rid} Version: $LATEST\n")
            n_app = self._app_lines(rid, t, dur, kind == "error", add)
            end = t + math.ceil(dur)
            tse = self._ts(end)
            if rand() < 0.2:
                self.mem = min(MEMORY_MB, self.mem + 1)
            tail = "Status: timeout\n" if kind == "timeout" else "\n"
            add(
                f"{tse} END RequestId: {rid}\n{tse} REPORT RequestId: {rid}\tDuration: {dur:.2f} ms"
                f"\tBilled Duration: {math.ceil(dur)} ms\tMemory Size: {MEMORY_MB} MB"
                f"\tMax Memory Used: {self.mem} MB\t{init}{tail}"
            )
            self.lines += 3 + n_app
            self.invocations += 1
            self.errors += kind == "error"
            self.timeouts += kind == "timeout"
            self.env_open = kind != "timeout"
            self.t_ms = end
        return "".join(out)

    def truth(self, size: int, files: int) -> BulkTruth:
        """The counts so far."""
        return BulkTruth(
            self.lines, self.invocations, self.cold, self.errors, self.timeouts, size, files
        )


def generate_export_text(path: Path, lines: int = 1_000_000, seed: int = 42) -> BulkTruth:
    """One S3-export text file (`<ts> <message>` lines) of about `lines` lines."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    bulk = _Bulk(seed)
    size = 0
    with path.open("wb") as f:
        while bulk.lines < lines:
            data = bulk.chunk(min(CHUNK_LINES, lines - bulk.lines)).encode("utf-8")
            size += f.write(data)
    return bulk.truth(size, 1)


def generate_export_parts(
    out_dir: Path, lines: int = 1_000_000, parts: int = 50, seed: int = 42
) -> BulkTruth:
    """The same data as `parts` gzip objects in the CreateExportTask layout under `out_dir`."""
    out_dir = Path(out_dir)
    bulk = _Bulk(seed)
    rng = random.Random(f"{seed}:parts")
    task = out_dir / "exportedlogs" / f"{rng.getrandbits(128):032x}"
    size = 0
    for k in range(parts):
        want = (lines * (k + 1)) // parts
        folder = task / f"2026-11-24-[$LATEST]{rng.getrandbits(128):032x}"
        folder.mkdir(parents=True, exist_ok=True)
        with (
            (folder / "000000.gz").open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz,
        ):
            while bulk.lines < want:
                data = bulk.chunk(min(CHUNK_LINES, want - bulk.lines)).encode("utf-8")
                size += len(data)
                gz.write(data)
    return bulk.truth(size, parts)
