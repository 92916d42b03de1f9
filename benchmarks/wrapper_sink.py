"""A loopback OTLP/HTTP sink for the wrapper benchmark, run as its own process.

It reads each export request and answers 200 with an empty protobuf body, like a
collector extension on 127.0.0.1 would; it runs in a separate process so it does not
compete for the benchmark's GIL, and counts POSTs per path (GET /stats).
`python -m benchmarks.wrapper_sink` prints its port.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections import Counter

_counts: Counter[str] = Counter()
"""POSTs received per path."""

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"


class _Connection(asyncio.Protocol):
    """HTTP/1.1 keep-alive: parse just enough (request line, Content-Length), answer 200.

    A collector extension is native code answering in tens of µs; http.server's header
    parsing alone costs more than that, so the sink does the minimum in an event loop.
    """

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            self._answer(head.split(" ", 2))

    def _answer(self, request_line: list[str]) -> None:
        assert self.transport is not None
        method, path = request_line[0], request_line[1] if len(request_line) > 1 else "/"
        if method == "POST":
            _counts[path] += 1
            self.transport.write(_OK)
            return
        body = json.dumps(dict(_counts)).encode()
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )


async def _serve() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Connection, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def serve() -> None:
    """Serve until killed; the first stdout line is the port."""
    asyncio.run(_serve())


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
