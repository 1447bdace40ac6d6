"""Logging to stderr only: stdout is the MCP stdio channel and carries protocol frames alone.

Two rules hold for every line, whichever library wrote it (issue 9 items 3 and 4):

- No value: the libraries under the server log what passes through them at DEBUG (sse-starlette
  every event it streams, the SDK every message, uvicorn and httpcore2 their traffic). Below
  INFO only this server's own loggers (``twilio_memory_mcp.*``), which never log a value, get
  through; ``TWILIO_MEMORY_LOG_LEVEL=DEBUG`` is this server's detail, not its dependencies'.
- No credential: every line, tracebacks included, is scrubbed of the Twilio credentials and the
  HTTP bearer tokens in each form they can take (:mod:`memory.scrub`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

from memory.scrub import Scrubber
from server.settings import LogLevel, Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OWN_LOGGERS = "twilio_memory_mcp"
# Chatty at DEBUG, and worth not even building records for (sse-starlette formats every chunk).
DEPENDENCIES = ("sse_starlette", "mcp", "uvicorn", "starlette", "anyio", "asyncio", "multipart", "jwt")


class OwnDetailOnly(logging.Filter):
    """Below INFO, only this server's loggers: a dependency's debug line may quote a value."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO or record.name.split(".")[0] == OWN_LOGGERS


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual, then masks every form of the secrets in the whole line."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__(FORMAT)
        self._scrubber = scrubber

    def format(self, record: logging.LogRecord) -> str:
        return self._scrubber.scrub(super().format(record))


def secrets_of(settings: Settings) -> Scrubber:
    """Every secret the server holds: the Twilio credentials and the bearer tokens."""
    pairs: list[tuple[str, str]] = []
    if settings.memory.credentials is not None:
        pairs.append(
            (settings.memory.credentials.username, settings.memory.credentials.password.get_secret_value())
        )
    tokens: Iterable[str] = (token.get_secret_value() for token in settings.http.tokens)
    return Scrubber(secrets=tokens, pairs=pairs)


def configure_logging(level: LogLevel, scrubber: Scrubber | None = None) -> None:
    """Send every log record to stderr at ``level``; keep values and secrets out of it.

    Called before the SDK's ``MCPServer`` is built: its ``logging.basicConfig`` then finds a
    handler on the root logger and adds none of its own.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter(scrubber or Scrubber()))
    handler.addFilter(OwnDetailOnly())
    root.addHandler(handler)
    root.setLevel(level)
    for name in DEPENDENCIES:
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
    quiet_http_logs()


def quiet_http_logs() -> None:
    """httpx2 logs every request URL at INFO, and its transport logs headers at DEBUG:
    neither belongs in our logs, whatever the level."""
    for name in ("httpx2", "httpcore2", "hpack"):
        logging.getLogger(name).setLevel(logging.WARNING)
