"""Fixtures for every test: a clean environment, fake time, and a routed MockTransport.

The helpers behind them (and every other shared helper) live in :mod:`tests.support`; tests
import from there, never from a conftest (pytest's advice: conftest modules are not for importing).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.doubles import FakeTime, Upstream


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's Twilio settings, nor leaks its own into the next."""
    for name in list(os.environ):
        if name.startswith("TWILIO_") and name != "TWILIO_MEMORY_OPENAPI_SPEC":  # a test input
            monkeypatch.delenv(name)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    yield Upstream()
