"""A loopback OTLP/HTTP sink for the wrapper benchmark, run as its own process.

It reads each export request and answers 200 with an empty protobuf body, like a
collector extension on 127.0.0.1 would; it runs in a separate process so it does not
compete for the benchmark's GIL. `python -m benchmarks.wrapper_sink` prints its port.
"""

from __future__ import annotations

import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()


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

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


if __name__ == "__main__":
    serve()
