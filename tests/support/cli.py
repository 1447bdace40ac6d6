"""The command line in this process: ``server.cli.main(argv)`` as the console script runs it.

For what is decided before a server starts (usage and configuration errors, ``--version``,
warnings at start), a child process per case adds a second or more and nothing else. Where
``main`` would go on to serve, a stand-in records which transport instead, so a test that
expects a refusal fails plainly rather than hanging. One real-process smoke test per promise
stays with the tests that need the process (tests/support/processes.py).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any
from unittest import mock

from server.cli import main
from server.logs import DEPENDENCIES
from tests.support.console import clean_environment


@dataclass(frozen=True)
class Ran:
    """How ``main`` ended: its exit status (None: it went on to serve ``served``) and output."""

    code: int | None
    stdout: str
    stderr: str
    served: str | None = None


class _Served(Exception):
    def __init__(self, transport: str) -> None:
        self.transport = transport


async def _instead_of_stdio(*args: Any, **kwargs: Any) -> None:
    raise _Served("stdio")


def _instead_of_http(*args: Any, **kwargs: Any) -> None:
    raise _Served("http")


@contextmanager
def _logging_restored() -> Iterator[None]:
    """``main`` configures the root logger for a process; give the test process its own back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = (*DEPENDENCIES, "httpx2", "httpcore2", "hpack")
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


def run_main(argv: list[str], env: Mapping[str, str] | None = None) -> Ran:
    """``main(argv)`` with this process's environment minus every ``TWILIO_`` setting, plus ``env``."""
    out, err = io.StringIO(), io.StringIO()
    code: int | None = 0
    served = None
    with (
        _logging_restored(),
        mock.patch.dict(os.environ, clean_environment(env), clear=True),
        mock.patch("server.stdio.serve_stdio", _instead_of_stdio),
        mock.patch("server.http.app.serve_http", _instead_of_http),
        # main freezes what a start made for the collector, a choice for a process of its
        # own (server/cli.py): the test process keeps its collection as it was.
        mock.patch("server.cli.built_then_frozen", contextlib.nullcontext),
        redirect_stdout(out),
        redirect_stderr(err),
    ):
        try:
            main(argv)
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        except _Served as serving:
            code, served = None, serving.transport
    return Ran(code, out.getvalue(), err.getvalue(), served)
