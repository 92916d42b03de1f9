"""The lean transport reads real HTTP/1.1 answers: chunked, interim 1xx, close, headers."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from lambdascope._transport import HttpClientTransport


class CannedServer:
    """A 127.0.0.1 socket server that answers each request with the next canned bytes."""

    def __init__(self, answers: list[bytes]) -> None:
        self.answers = answers
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1/traces"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            # OSError: the client dropped the connection; wait for the next one.
            with conn, contextlib.suppress(OSError):
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        while self.answers:
            if not conn.recv(65536):
                return
            answer = self.answers.pop(0)
            conn.sendall(answer)
            if b"Connection: close" in answer:
                return

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def serve() -> Iterator[type[CannedServer]]:
    """Start CannedServers; all closed after the test."""
    started: list[CannedServer] = []

    class Tracked(CannedServer):
        def __init__(self, answers: list[bytes]) -> None:
            super().__init__(answers)
            started.append(self)

    yield Tracked
    for server in started:
        server.close()


def _post(transport: HttpClientTransport, url: str) -> tuple[int | None, bytes]:
    result = transport.request("POST", url, timeout=2, data=b"x")
    assert result.error is None, result.error
    return result.status_code, result.content()


def test_chunked_body_is_decoded(serve: type[CannedServer]) -> None:
    """A chunked answer (with a trailer) gives the joined body and keeps the connection."""
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ]
    )
    transport = HttpClientTransport()
    assert _post(transport, server.url) == (200, b"abcde")
    assert _post(transport, server.url) == (200, b"ok")
    transport.close()
    assert server.connections == 1


def test_interim_100_continue_is_skipped(serve: type[CannedServer]) -> None:
    """A 100 Continue before the real answer is passed over."""
    server = serve(
        [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"]
    )
    transport = HttpClientTransport()
    assert _post(transport, server.url) == (202, b"")
    transport.close()


def test_connection_close_opens_a_new_connection(serve: type[CannedServer]) -> None:
    """After `Connection: close` the next request goes over a new connection."""
    server = serve(
        [
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ]
    )
    transport = HttpClientTransport()
    assert _post(transport, server.url) == (200, b"")
    assert _post(transport, server.url) == (200, b"")
    transport.close()
    assert server.connections == 2


def test_headers_are_case_insensitive(serve: type[CannedServer]) -> None:
    """The exporter's `headers().get("retry-after")` finds a `Retry-After` header."""
    server = serve([b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"])
    transport = HttpClientTransport()
    result = transport.request("POST", server.url, timeout=2, data=b"x")
    transport.close()
    assert (result.status_code, result.reason) == (503, "Busy")
    assert result.headers().get("retry-after") == "7" == result.headers()["RETRY-AFTER"]


def test_body_without_length_is_read_to_the_close(serve: type[CannedServer]) -> None:
    """No Content-Length and not chunked: the body runs until the server closes."""
    server = serve([b"HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nall of it"])
    transport = HttpClientTransport()
    assert _post(transport, server.url) == (200, b"all of it")
    transport.close()


def test_connection_closed_mid_answer_is_a_connection_error(serve: type[CannedServer]) -> None:
    """A server that closes inside the headers gives a retryable connection error."""
    server = serve([b"HTTP/1.1 200 OK\r\nContent-Le\r\nConnection: close"])
    transport = HttpClientTransport()
    result = transport.request("POST", server.url, timeout=2, data=b"x")
    transport.close()
    assert result.status_code is None and transport.is_connection_error(result.error)


def test_deferred_request_returns_at_once_and_collect_reads_the_answer(
    serve: type[CannedServer],
) -> None:
    """After defer_next the request comes back as sent (202); collect gives the real answer."""
    server = serve([b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"])
    transport = HttpClientTransport()
    transport.defer_next()
    sent = transport.request("POST", server.url, timeout=2, data=b"x")
    answer = transport.collect(2)
    transport.close()
    assert (sent.status_code, sent.reason) == (202, "deferred")
    assert answer is not None and answer.status_code == 503
    assert transport.collect(2) is None


def test_request_after_an_uncollected_deferred_one_uses_a_new_connection(
    serve: type[CannedServer],
) -> None:
    """An answer nobody collected is never taken for the next request's answer."""
    server = serve(
        [
            b"HTTP/1.1 500 Old\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ]
    )
    transport = HttpClientTransport()
    transport.defer_next()
    transport.request("POST", server.url, timeout=2, data=b"x")
    assert _post(transport, server.url) == (200, b"")
    transport.close()
    assert server.connections == 2


def test_deferral_applies_only_to_the_thread_that_asked(serve: type[CannedServer]) -> None:
    """defer_next in one thread leaves another thread's request answered the usual way."""
    server = serve([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    transport = HttpClientTransport()
    asker = threading.Thread(target=transport.defer_next)
    asker.start()
    asker.join()
    assert _post(transport, server.url) == (200, b"ok")
    transport.close()
