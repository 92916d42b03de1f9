"""A small Lambda Runtime API server on 127.0.0.1 for driving the real runtime client.

It serves `GET /2018-06-01/runtime/invocation/next` from a queue of events and
collects what the client posts to `/invocation/{id}/response`, `/invocation/{id}/error`
and `/init/error`. The deadline header is computed when the invocation is handed out,
like Lambda does, so `get_remaining_time_in_millis()` in the client is real.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any

PREFIX = "/2018-06-01/runtime"
"""Path prefix of every Runtime API route."""

FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"
"""Invoked-function ARN handed to the client unless an invocation says otherwise."""

_POLL_S = 0.2
"""How often a blocked `next` request checks whether the server is closing."""


@dataclass
class Invocation:
    """One event queued for the runtime client, and what came back for it."""

    event: Any
    request_id: str
    timeout_s: float
    trace_id: str | None
    function_arn: str
    deadline_ms: int | None = None
    """Epoch ms deadline sent with the event; set when the client fetched it."""
    delivered_at: float | None = None
    """`time.monotonic()` when the client fetched the event."""
    kind: str | None = None
    """`response` or `error` once the client posted its outcome."""
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    fetched: threading.Event = field(default_factory=threading.Event)

    def json(self) -> Any:
        """The posted body decoded as JSON."""
        return json.loads(self.body)


class RuntimeApi:
    """Runtime API server; use as a context manager, `address` goes to AWS_LAMBDA_RUNTIME_API."""

    def __init__(self) -> None:
        self._pending: queue.Queue[Invocation] = queue.Queue()
        self._by_id: dict[str, Invocation] = {}
        self.init_errors: list[tuple[dict[str, str], bytes]] = []
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> str:
        """`host:port` as the runtime client expects it."""
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> RuntimeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def push(
        self,
        event: Any,
        *,
        timeout_s: float = 30.0,
        request_id: str | None = None,
        trace_id: str | None = None,
        function_arn: str = FUNCTION_ARN,
    ) -> Invocation:
        """Queue one event; the deadline is `timeout_s` after the client fetches it."""
        inv = Invocation(
            event=event,
            request_id=request_id or str(uuid.uuid4()),
            timeout_s=timeout_s,
            trace_id=trace_id,
            function_arn=function_arn,
        )
        self._by_id[inv.request_id] = inv
        self._pending.put(inv)
        return inv

    def invoke(self, event: Any, *, wait_s: float = 60.0, **kwargs: Any) -> Invocation:
        """Queue one event and wait until the client posted its response or error."""
        inv = self.push(event, **kwargs)
        if not inv.done.wait(wait_s):
            raise TimeoutError(f"no response for {inv.request_id} within {wait_s} s")
        return inv

    def next_invocation(self) -> Invocation | None:
        """Block until an event is available, or return None when the server closes."""
        while not self.closing.is_set():
            try:
                inv = self._pending.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            inv.deadline_ms = int((time.time() + inv.timeout_s) * 1000)
            inv.delivered_at = time.monotonic()
            inv.fetched.set()
            return inv
        return None

    def finish(self, request_id: str, kind: str, body: bytes, headers: dict[str, str]) -> bool:
        """Record the client's outcome for one invocation; False for an unknown id."""
        inv = self._by_id.get(request_id)
        if inv is None:
            return False
        inv.kind, inv.body, inv.headers = kind, body, headers
        inv.done.set()
        return True


def _handler_class(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._reply(404, b'{"errorType":"NotFound"}')
                return
            inv = api.next_invocation()
            if inv is None:
                self._reply(500, b'{"errorType":"ShuttingDown"}')
                return
            headers = {
                "Lambda-Runtime-Aws-Request-Id": inv.request_id,
                "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": inv.function_arn,
                "Content-Type": "application/json",
            }
            if inv.trace_id:
                headers["Lambda-Runtime-Trace-Id"] = inv.trace_id
            self._reply(200, json.dumps(inv.event).encode(), headers)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            parts = self.path.removeprefix(PREFIX).strip("/").split("/")
            if parts == ["init", "error"]:
                api.init_errors.append((headers, body))
                self._reply(202, b'{"status":"OK"}')
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                known = api.finish(parts[1], parts[2], body, headers)
                self._reply(202 if known else 400, b'{"status":"OK"}')
            else:
                self._reply(404, b'{"errorType":"NotFound"}')

        def _reply(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(code)
            for key, value in (headers or {"Content-Type": "application/json"}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return _Handler


@contextmanager
def runtime_api() -> Iterator[RuntimeApi]:
    """A started RuntimeApi, closed on exit."""
    with RuntimeApi() as api:
        yield api


def lambda_env(api: RuntimeApi, task_root: Path, handler: str, **extra: str) -> dict[str, str]:
    """The environment Lambda gives a Python 3.11 runtime process, pointed at `api`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAMBDASCOPE_", "OTEL_"))}
    env.update(
        AWS_LAMBDA_RUNTIME_API=api.address,
        LAMBDA_TASK_ROOT=str(task_root),
        LAMBDA_RUNTIME_DIR=str(task_root),
        PYTHONPATH=str(task_root),
        _HANDLER=handler,
        AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
        AWS_LAMBDA_FUNCTION_NAME="orders",
        AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
        AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/orders",
        AWS_LAMBDA_LOG_STREAM_NAME="2026/11/25/[$LATEST]0123456789abcdef0123456789abcdef",
        AWS_LAMBDA_INITIALIZATION_TYPE="on-demand",
        AWS_REGION="eu-west-1",
        AWS_DEFAULT_REGION="eu-west-1",
        LAMBDASCOPE_OTEL="off",
    )
    env.update(extra)
    return env


class RicProcess:
    """The real `awslambdaric` runtime client in a subprocess; stdout/stderr collected."""

    def __init__(self, env: dict[str, str], handler: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "awslambdaric", handler],
            env=env,
            cwd=env["LAMBDA_TASK_ROOT"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=_drain, args=(self.proc.stdout, self.stdout), daemon=True),
            threading.Thread(target=_drain, args=(self.proc.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def kill(self) -> int:
        """SIGKILL the process (as Lambda does at a deadline) and collect its output."""
        if self.proc.poll() is None:
            self.proc.kill()
        rc = self.proc.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        return rc

    def records(self) -> list[dict[str, Any]]:
        """Every lambdascope record the process wrote on stdout so far, in order."""
        found = []
        for line in list(self.stdout):
            text = line.strip()
            if text.startswith("{") and '"lambdascope"' in text:
                found.append(json.loads(text))
        return found

    def wait_records(self, count: int, timeout_s: float = 60.0) -> list[dict[str, Any]]:
        """Wait until at least `count` records were written (or the process ended)."""
        end = time.monotonic() + timeout_s
        while len(self.records()) < count and time.monotonic() < end:
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        return self.records()


def _drain(stream: IO[bytes] | None, into: list[str]) -> None:
    if stream is None:
        return
    for line in iter(stream.readline, b""):
        into.append(line.decode("utf-8", "replace"))
    stream.close()


@contextmanager
def ric_process(
    api: RuntimeApi, task_root: Path, handler: str = "app.handler", **extra_env: str
) -> Iterator[RicProcess]:
    """Run `python -m awslambdaric handler` against `api`; killed on exit."""
    proc = RicProcess(lambda_env(api, task_root, handler, **extra_env), handler)
    try:
        yield proc
    finally:
        proc.kill()
