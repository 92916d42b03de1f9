"""A loopback OTLP/HTTP sink for the wrapper benchmark, run as its own process.

It reads each export request and answers 200 with an empty protobuf body, like a
collector extension on 127.0.0.1 would; it runs in a separate process so it does not
compete for the benchmark's GIL. `python -m benchmarks.wrapper_sink` prints its port.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_counts: Counter[str] = Counter()
"""POSTs received per path."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        _counts[self.path] += 1
        self._answer(b"", "application/x-protobuf")

    def do_GET(self) -> None:
        """`/stats`: POST counts per path, as JSON."""
        self._answer(json.dumps(dict(_counts)).encode(), "application/json")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An exporter that gave up and reset the connection is not news."""


def serve() -> None:
    """Serve until killed; the first stdout line is the port."""
    server = _Server(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class Sink:
    """The sink subprocess; `endpoint` is the OTLP base URL."""

    def __enter__(self) -> Sink:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.wrapper_sink"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline())
        self.endpoint = f"http://127.0.0.1:{port}"
        return self

    def counts(self) -> dict[str, int]:
        """POSTs the sink received so far, per path."""
        with urllib.request.urlopen(self.endpoint + "/stats", timeout=10) as response:
            counts: dict[str, int] = json.loads(response.read())
        return counts

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


if __name__ == "__main__":
    serve()
