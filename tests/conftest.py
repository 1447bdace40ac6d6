"""Fixtures for every test: a clean environment, fake time, and a routed MockTransport.

The helpers behind them (and every other shared helper) live in :mod:`tests.support`; tests
import from there, never from a conftest (pytest's advice: conftest modules are not for importing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

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


# --- the real clients' matrix (tests/clients), gathered from every worker's reports ---------

_MATRIX: dict[str, dict[str, object]] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, value in report.user_properties:
        if name == "client_matrix":
            row = json.loads(str(value))
            _MATRIX[row["id"]] = row


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The matrix as it ran (CI logs keep it); CLIENT_MATRIX_JSON: a file to keep outcomes in."""
    if not _MATRIX:
        return
    terminalreporter.write_sep("-", "real clients: client x protocol x transport")
    for _run_id, row in sorted(_MATRIX.items()):
        terminalreporter.write_line(str(row["row"]))
    keep = os.environ.get("CLIENT_MATRIX_JSON")
    if keep:
        outcomes = {
            run_id: {"verdict": row["verdict"], "groups": row["groups"]} for run_id, row in _MATRIX.items()
        }
        Path(keep).write_text(json.dumps(outcomes, indent=1))
