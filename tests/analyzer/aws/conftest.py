"""Fixtures for the AWS tests: one moto server per session, fake credentials per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _support.moto_server import FAKE_ENV, MotoServer, moto_server

if str(Path(__file__).parent) not in sys.path:  # our helper modules (_aws_*.py)
    sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def moto_session() -> Iterator[MotoServer]:
    """moto in server mode on 127.0.0.1, shared by the session."""
    with moto_server() as server:
        yield server


@pytest.fixture
def moto(moto_session: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A freshly reset moto server, with fake AWS credentials in the environment."""
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    moto_session.reset()
    return moto_session
