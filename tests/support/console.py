"""Where the things a test runs as a child process are, and the environment it gets.

- :data:`SCRIPT`: the installed ``twilio-memory-mcp`` console script (the one beside this
  Python, else the one on PATH).
- :data:`GUNICORN`: gunicorn beside this Python, for the README's multi-worker command.
- :data:`TEE`: tests/support/stdio_tee.py, which copies a child's stdout to a file.
- :func:`clean_environment`: this process's environment without any ``TWILIO_`` setting.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD = 60.0  # seconds: a guard against a hung test, never a performance assertion


def _console_script() -> str:
    beside_python = Path(sys.executable).with_name("twilio-memory-mcp")
    if beside_python.exists():
        return str(beside_python)
    # Not installed: the path beside Python, so the FileNotFoundError names where it was looked for.
    return shutil.which("twilio-memory-mcp") or str(beside_python)


SCRIPT = _console_script()
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
TEE = str(Path(__file__).with_name("stdio_tee.py"))


def clean_environment(settings: Mapping[str, str] | None = None, /, **more: str) -> dict[str, str]:
    """The process environment without any ``TWILIO_`` setting, plus ``settings`` and ``more``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return env | dict(settings or {}) | more
