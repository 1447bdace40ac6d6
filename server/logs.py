"""Logging to stderr only: stdout is the MCP stdio channel and carries protocol frames alone."""

from __future__ import annotations

import logging
import sys

from server.settings import LogLevel

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: LogLevel) -> None:
    """Send every log record to stderr at ``level``; quiet the HTTP libraries.

    Called before the SDK's ``MCPServer`` is built: its ``logging.basicConfig`` then finds a
    handler on the root logger and adds none of its own.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    quiet_http_logs()


def quiet_http_logs() -> None:
    """httpx2 logs every request URL at INFO, and its transport logs headers at DEBUG:
    neither belongs in our logs, whatever the level."""
    for name in ("httpx2", "httpcore2", "hpack"):
        logging.getLogger(name).setLevel(logging.WARNING)
