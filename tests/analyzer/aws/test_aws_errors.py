"""AWS failures become one clear message and a non-zero exit, never a traceback or a secret."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _support.moto_server import MotoServer

from analyzer.aws._client import explain_client_error
from analyzer.cli import main


class _Throttler(BaseHTTPRequestHandler):
    """Answers every CloudWatch Logs call with a ThrottlingException, as AWS does when busy."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    """An HTTP endpoint on 127.0.0.1 that throttles every request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _fetch(tmp_path: Path, endpoint: str, *extra: str) -> int:
    return main(
        ["fetch", "/aws/lambda/orders", "--since", "1h", "--out", str(tmp_path / "out"),
         "--endpoint-url", endpoint, "--region", "us-east-1", *extra]
    )  # fmt: skip


def test_no_credentials_says_how_to_configure(moto, tmp_path, monkeypatch, capsys):
    """Without credentials the command exits 1 and says how to provide them."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    assert _fetch(tmp_path, moto.endpoint) == 1
    err = capsys.readouterr().err
    assert "no AWS credentials" in err and "--profile" in err and "Traceback" not in err


def test_unknown_profile_is_named_as_the_problem(moto: MotoServer, tmp_path, capsys):
    """A --profile that does not exist exits 1 and points at the profile."""
    assert _fetch(tmp_path, moto.endpoint, "--profile", "nope") == 1
    assert "profile" in capsys.readouterr().err


def test_throttling_exhausted_says_try_later(moto, throttling_endpoint, tmp_path, capsys):
    """Throttling that outlasts the retries exits 1 with advice, not a traceback."""
    assert _fetch(tmp_path, throttling_endpoint) == 1
    err = capsys.readouterr().err
    assert "throttling FilterLogEvents" in err and "Traceback" not in err
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


def test_unreachable_endpoint_says_check_network(moto: MotoServer, tmp_path, capsys):
    """A closed port exits 1 with a message about reaching the endpoint."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert _fetch(tmp_path, f"http://127.0.0.1:{port}") == 1
    assert "cannot reach the AWS endpoint" in capsys.readouterr().err


def test_access_denied_names_operation_and_remedy():
    """An AccessDenied response is explained with the operation and what to do."""
    response = {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}
    text = explain_client_error(response, "FilterLogEvents")
    assert "access denied for FilterLogEvents" in text and "--profile" in text


def test_credentials_never_printed(moto: MotoServer, tmp_path, monkeypatch, capsys):
    """The secret key appears neither in output nor in any written file."""
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "S3CR3T-do-not-print")
    _fetch(tmp_path, moto.endpoint)
    captured = capsys.readouterr()
    assert "S3CR3T" not in captured.out + captured.err
    for path in tmp_path.rglob("*"):
        assert path.is_dir() or b"S3CR3T" not in path.read_bytes()


def test_export_without_bucket_is_a_usage_error(tmp_path, capsys):
    """--via export without --bucket exits 2 and names the missing option."""
    rc = main(["fetch", "g", "--since", "1h", "--out", str(tmp_path), "--via", "export"])
    assert rc == 2 and "--bucket" in capsys.readouterr().err


def test_console_script_missing_group_exits_1_without_traceback(moto: MotoServer, tmp_path):
    """The installed `lambdascope fetch` process exits 1 with one message line for a bad group."""
    import os
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("lambdascope")
    proc = subprocess.run(
        [str(exe), "fetch", "/aws/lambda/ghost", "--since", "1h", "--out", str(tmp_path),
         "--endpoint-url", moto.endpoint, "--region", "us-east-1"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("lambdascope fetch: log group /aws/lambda/ghost: not found")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


class _Denier(BaseHTTPRequestHandler):
    """Answers every CloudWatch Logs call with AccessDeniedException, as IAM does."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"__type": "AccessDeniedException", "message": "not authorized"})
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_access_denied_over_http_names_operation_and_remedy(moto, tmp_path, capsys):
    """An AccessDeniedException from the endpoint exits 1 naming the call and what to do."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Denier)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        rc = _fetch(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
    err = capsys.readouterr().err
    assert rc == 1 and "access denied for FilterLogEvents" in err and "--profile" in err


def test_malformed_region_is_named(moto: MotoServer, tmp_path, capsys):
    """`--region 'us east'` exits 1 saying it is not a region name, with an example."""
    rc = main(["fetch", "/aws/lambda/orders", "--since", "1h", "--out", str(tmp_path / "o"),
               "--region", "us east"])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 1 and "'us east' is not an AWS region name" in err


def test_export_to_bucket_without_policy_says_fix_the_policy():
    """CreateExportTask's immediate InvalidParameterException points at the bucket policy."""
    response = {"Error": {"Code": "InvalidParameterException",
                          "Message": "GetBucketAcl call on the given bucket failed."}}  # fmt: skip
    message = explain_client_error(response, "CreateExportTask")
    assert "logs.amazonaws.com" in message and "region" in message


def test_no_credentials_leaves_no_folders(moto, tmp_path, monkeypatch, capsys):
    """Without credentials fetch fails before creating the output folder."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    assert _fetch(tmp_path, moto.endpoint) == 1
    assert not (tmp_path / "out").exists()
