"""Work done once per test run, however many pytest-xdist workers need it.

A session-scoped fixture runs once per worker. For the expensive ones (building the wheel and
a venv from it, gathering the customer card's results from real servers) the first worker to
ask does the work under a lock, in the run's temporary folder that every worker shares; the
others wait for it and reuse the result. Without xdist it is simply done once.

(xdist's own ``xdist_group`` would keep such tests on one worker, but pytest 9.2 no longer
lets xdist 3.8 rename the test ids it relies on, so the grouping silently does nothing.)
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The folder ``name``, filled by ``make(folder)`` the first time any worker asks."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's basetemp is a child of the run's
    folder = root / f"shared-{name}"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)  # a worker that failed half way
            folder.mkdir()
            make(folder)
            (folder / ".done").touch()
    return folder
