"""`export`: OTLP headers, the signal-specific endpoint and refused credentials."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _support import otlp
from _support.otlp import OtlpReceiver

from analyzer import otlp_export
from analyzer.cli import main
from analyzer.store import open_db

T0 = datetime(2025, 3, 4, 10, 0, 0)
TOKEN = "s3cret-token"


class _Recording(otlp._Handler):
    """The receiver's handler, recording path and headers; answers 401 without the token."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    require_auth = False

    def do_POST(self) -> None:
        type(self).seen.append((self.path, dict(self.headers.items())))
        if self.require_auth and self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer(401, b"")
            return
        self.path = self.path.split("?", 1)[0]
        super().do_POST()


@pytest.fixture
def rx() -> Iterator[tuple[OtlpReceiver, type[_Recording]]]:
    """A real OTLP receiver whose requests' paths and headers are recorded."""
    handler: type[_Recording] = type("H", (_Recording,), {"seen": []})
    receiver = OtlpReceiver()
    receiver._server.RequestHandlerClass = handler
    with receiver:
        yield receiver, handler


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database with one invocation."""
    path = tmp_path / "x.duckdb"
    with open_db(str(path)) as c:
        c.execute(
            "INSERT INTO invocations (function, request_id, start_ts, end_ts, duration_ms,"
            " outcome) VALUES ('f', 'r', ?, ?, 5.0, 'success')",
            [T0, T0],
        )
    return str(path)


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("", "_METRICS"):
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP{var}_HEADERS", raising=False)
        monkeypatch.delenv(f"OTEL_EXPORTER_OTLP{var}_ENDPOINT", raising=False)


def test_headers_variable_reaches_the_collector(rx: Any, db: str, monkeypatch):
    """OTEL_EXPORTER_OTLP_HEADERS (URL-encoded) is sent as request headers."""
    receiver, handler = rx
    _clean_env(monkeypatch)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"Authorization=Bearer%20{TOKEN},X-Team=a")
    assert main(["export", "--db", db, "--endpoint", receiver.endpoint]) == 0
    headers = handler.seen[0][1]
    assert (headers["Authorization"], headers["X-Team"]) == (f"Bearer {TOKEN}", "a")


def test_metrics_headers_override_the_generic_ones(rx: Any, db: str, monkeypatch):
    """OTEL_EXPORTER_OTLP_METRICS_HEADERS wins over OTEL_EXPORTER_OTLP_HEADERS per key."""
    receiver, handler = rx
    _clean_env(monkeypatch)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "X-Team=a,X-Keep=k")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "X-Team=b")
    assert main(["export", "--db", db, "--endpoint", receiver.endpoint]) == 0
    headers = handler.seen[0][1]
    assert (headers["X-Team"], headers["X-Keep"]) == ("b", "k")


def test_metrics_endpoint_variable_is_used_verbatim(rx: Any, db: str, monkeypatch):
    """OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is the URL posted to, nothing appended."""
    receiver, handler = rx
    _clean_env(monkeypatch)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", receiver.endpoint + "/v1/metrics?t=a")
    assert main(["export", "--db", db]) == 0
    assert [path for path, _ in handler.seen] == ["/v1/metrics?t=a"]
    assert receiver.metrics()


def test_refused_credentials_name_the_headers_variable(rx: Any, db: str, monkeypatch, capsys):
    """A 401 exits 1 and points at OTEL_EXPORTER_OTLP_HEADERS, without printing the token."""
    receiver, handler = rx
    handler.require_auth = True
    _clean_env(monkeypatch)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20wrong-token")
    assert main(["export", "--db", db, "--endpoint", receiver.endpoint]) == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err and "OTEL_EXPORTER_OTLP_HEADERS" in err
    assert "wrong-token" not in err and "port 4318" not in err


def test_malformed_header_value_is_an_export_error(rx: Any):
    """A header value urllib refuses (a newline) is an ExportError, not a crash."""
    receiver, _ = rx
    request = otlp_export.build_request("f", [], 60_000)
    with pytest.raises(otlp_export.ExportError, match="malformed"):
        otlp_export.post(receiver.endpoint + "/v1/metrics", request, headers={"X-A": "a\nb"})
