"""Tools from outside Python that some tests drive (node and the npm CLIs in tests/*/node_modules).

Where one is absent the test skips, saying why; under CI (``CI=true``) it fails instead, since
there ``./scripts/test`` installs everything the tests need (npm ci in every tests/** folder
with a package-lock.json).
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

import pytest

from tests.support.console import ROOT


def absent(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; under CI=true this is a failure: ./scripts/test must install it")
    pytest.skip(reason)


def npm_tool(folder: str, name: str) -> str:
    """The path of CLI ``name`` that npm ci installed in ``tests/<folder>``; node runs it."""
    if shutil.which("node") is None:
        absent(
            f"node is not on PATH: the tests driving npm tools (tests/{folder}) need Node 20+ and npm "
            "(apt-get install nodejs npm, or https://nodejs.org); then ./scripts/test runs npm ci"
        )
    binary = ROOT / "tests" / folder / "node_modules" / ".bin" / name
    if not binary.exists():
        absent(f"tests/{folder}/node_modules/.bin/{name} is missing: ./scripts/test installs it (npm ci)")
    return str(binary)
