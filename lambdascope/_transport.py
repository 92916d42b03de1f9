"""A lean HTTP transport for the OTLP exporters when the collector is a plain http:// endpoint.

The exporters' own transports go through urllib3 (and requests), which send the headers and
the body in two writes: on loopback to a collector extension that wakes the collector twice
per export, and urllib3's pool bookkeeping adds its own cost (~100 µs per export together).
Here a kept-alive socket carries each request in one write, and the response is read by
`_Response` (status line, headers, a Content-Length or chunked body): `http.client`'s
parser goes through the `email` package and cost a third of a flush's CPU time. TLS,
proxies and credentials stay with the exporters' default transport (see `_export._build`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from opentelemetry.exporter.http.transport._base import BaseHTTPResult, BaseHTTPTransport

_CONNECTION_ERRORS = (ConnectionError, TimeoutError, OSError)


@dataclass(frozen=True, slots=True)
class HttpClientResult(BaseHTTPResult):
    """Outcome of one request: status and body, or the error."""

    body: bytes = b""
    header_map: Any = field(default_factory=dict)
    """The response headers (`_Headers`: lookups ignore case)."""

    def content(self) -> bytes:
        """The response body."""
        return self.body

    def headers(self) -> Mapping[str, str]:
        """The response headers (case-insensitive lookups)."""
        headers: Mapping[str, str] = self.header_map
        return headers


class HttpClientTransport(BaseHTTPTransport):
    """One kept-alive connection per exporter; each request is one write; never outlives
    `timeout`."""

    def __init__(self) -> None:
        self._sock: socket.socket | None = None
        self._target: tuple[str, int] | None = None
        self._lock = threading.Lock()
        self._urls: dict[str, tuple[str, int, str]] = {}
        self._defer: int | None = None
        """Thread whose next request is deferred (`defer_next`)."""
        self._pending = False
        """A request was sent with `defer_next` and its answer not read yet."""

    def defer_next(self) -> None:
        """Let this thread's next request return once it is sent (status 202, "deferred"),
        so the caller can do other work while the collector answers; `collect` reads the
        answer."""
        self._defer = threading.get_ident()

    def collect(self, timeout: float) -> BaseHTTPResult | None:
        """The answer to the deferred request (None when there is none), within `timeout`."""
        with self._lock:
            self._defer = None
            if not self._pending or self._sock is None:
                self._pending = False
                return None
            self._pending = False
            try:
                self._sock.settimeout(max(timeout, 0.001))
                return self._answer(self._sock)
            except Exception as error:
                self._drop()
                return HttpClientResult(error=error)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        data: bytes | None = None,
    ) -> BaseHTTPResult:
        """Send one request; errors come back in the result, never raised."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            return HttpClientResult(error=TimeoutError("transport busy"))
        try:
            return self._request(method, url, headers or {}, deadline, data or b"")
        except Exception as error:
            self._drop()
            return HttpClientResult(error=error)
        finally:
            self._lock.release()

    def _connect(self, host: str, port: int, deadline: float | None) -> socket.socket:
        if self._sock is None or self._target != (host, port):
            self._drop()
            sock = socket.create_connection((host, port), timeout=_left(deadline))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock, self._target = sock, (host, port)
        return self._sock

    def _request(
        self, method: str, url: str, headers: dict[str, str], deadline: float | None, data: bytes
    ) -> BaseHTTPResult:
        if self._pending:  # a deferred answer nobody collected: start on a fresh connection
            self._pending = False
            self._drop()
        host, port, path = self._urls.get(url) or self._parse(url)
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {host}:{port}",
            f"Content-Length: {len(data)}",
        ]
        lines += [f"{key}: {value}" for key, value in headers.items() if "\n" not in key + value]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock = self._connect(host, port, deadline)
        sock.settimeout(_left(deadline))
        sock.sendall(head + data)
        if self._defer == threading.get_ident():
            self._defer, self._pending = None, True
            return HttpClientResult(status_code=202, reason="deferred")
        return self._answer(sock)

    def _parse(self, url: str) -> tuple[str, int, str]:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain http URL: {url}")
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        if len(self._urls) < 16:
            self._urls[url] = (parts.hostname, parts.port or 80, path)
        return parts.hostname, parts.port or 80, path

    def _answer(self, sock: socket.socket) -> HttpClientResult:
        response = _Response(sock)
        if response.will_close:
            self._drop()
        return HttpClientResult(
            status_code=response.status,
            reason=response.reason,
            body=response.body,
            header_map=response.headers,
        )

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def is_connection_error(self, exception: Exception | None) -> bool:
        """Errors worth one immediate retry: refused, reset, a stale kept-alive connection."""
        return isinstance(exception, _CONNECTION_ERRORS) and not isinstance(exception, TimeoutError)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()


MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""A collector's answer is a few bytes; more than this is not an OTLP response."""


class _Headers(dict[str, str]):
    """Response headers with lower-case names; lookups ignore case."""

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


class _Response:
    """One HTTP/1.1 response read from `sock`: status, reason, headers, body, will_close."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock, self._buf = sock, b""
        while True:  # skip interim 1xx answers
            status_line, *lines = self._head().split("\r\n")
            version, _, rest = status_line.partition(" ")
            code, _, self.reason = rest.partition(" ")
            self.status = int(code)
            self.headers = _Headers()
            for line in lines:
                name, sep, value = line.partition(":")
                if sep:
                    self.headers[name.strip().lower()] = value.strip()
            if not 100 <= self.status < 200:
                break
        connection = self.headers.get("connection", "").lower()
        self.will_close = connection == "close" or (
            version == "HTTP/1.0" and connection != "keep-alive"
        )
        self.body = self._body()
        if self._buf:
            self.will_close = True  # bytes we cannot place: start afresh next time

    def _body(self) -> bytes:
        if self.status in (204, 304):
            return b""
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            parts = []
            while size := int(self._line().partition(";")[0], 16):
                parts.append(self._take(size + 2)[:-2])
            while self._line():
                pass  # trailers
            return b"".join(parts)
        length = self.headers.get("content-length")
        if length is not None:
            return self._take(int(length))
        self.will_close = True
        while self._fill():
            pass
        body, self._buf = self._buf, b""
        return body

    def _fill(self) -> bool:
        chunk = self._sock.recv(65536)
        self._buf += chunk
        if len(self._buf) > MAX_RESPONSE_BYTES:
            raise ValueError("response too large")
        return bool(chunk)

    def _head(self) -> str:
        """Status line and headers, up to the blank line (one search, one decode)."""
        return self._until(b"\r\n\r\n", "connection closed in the response head")

    def _line(self) -> str:
        return self._until(b"\r\n", "connection closed in the response")

    def _until(self, separator: bytes, closed: str) -> str:
        """The text before `separator` (which is consumed); ConnectionError(`closed`) at EOF."""
        end = self._buf.find(separator)
        while end < 0:
            if not self._fill():
                raise ConnectionError(closed)
            end = self._buf.find(separator)
        text, self._buf = self._buf[:end], self._buf[end + len(separator) :]
        return text.decode("latin-1")

    def _take(self, size: int) -> bytes:
        if size > MAX_RESPONSE_BYTES:
            raise ValueError("response too large")
        while len(self._buf) < size:
            if not self._fill():
                raise ConnectionError("connection closed in the response body")
        data, self._buf = self._buf[:size], self._buf[size:]
        return data


def _left(deadline: float | None) -> Any:
    """Seconds to the deadline for a socket timeout (None: no limit; never 0 = non-blocking)."""
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)
