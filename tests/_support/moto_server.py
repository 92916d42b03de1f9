"""moto's server mode in a child process on 127.0.0.1, for real boto3-over-HTTP tests.

The server runs in its own interpreter so pytest's warning filters (errors) and the GIL of
the test process do not reach it. Fake credentials only: nothing can touch real AWS.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SERVER = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # runs until the parent closes our stdin
server.stop()
"""

FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
"""Environment that makes boto3 use fake credentials and never look for real ones."""


class MotoServer:
    """A running moto server: `.endpoint` is its base URL."""

    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self._proc = proc
        self.endpoint = f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        """Forget every resource created so far (moto's reset API)."""
        req = urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def client(self, service: str, **kwargs: Any) -> Any:
        """A real boto3 client for `service` pointed at this server."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=FAKE_ENV["AWS_DEFAULT_REGION"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            **kwargs,
        )


@contextmanager
def moto_server() -> Iterator[MotoServer]:
    """Start moto in a child process on a random port; stop it on exit."""
    env = {**os.environ, **FAKE_ENV}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # one access-log line per request otherwise
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError(f"moto server did not start (said {line!r})")
        yield MotoServer(proc, int(line))
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()
