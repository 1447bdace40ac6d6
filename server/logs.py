"""Logging to stderr only: stdout is the MCP stdio channel and carries protocol frames alone.

Two rules hold for every line, whichever library wrote it (issue 9 items 3 and 4):

- No value: the libraries under the server log what passes through them at DEBUG (sse-starlette
  every event it streams, the SDK every message, uvicorn and httpcore2 their traffic). Below
  INFO only this server's own loggers (``twilio_memory_mcp.*``), which never log a value, get
  through; ``TWILIO_MEMORY_LOG_LEVEL=DEBUG`` is this server's detail, not its dependencies'.
- No credential: every line, tracebacks included, is scrubbed of the Twilio credentials and the
  HTTP bearer tokens in each form they can take (:mod:`memory.scrub`).

And no forged line (issue 16 item 5): a value a client chose (a token's ``client_id`` or
``sub``, a method name) may hold a line break, so a message is written on one line, its
control characters escaped, and every further line of a record (a traceback) is indented:
only a record's own first line starts at the margin. The SDK's INFO line for a failed
resource read quotes the URI, in which a model may have put an email where a profile id
belongs: URIs in the SDK's lines keep only their fixed words and well-formed ids.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

from memory.ids import PROFILE_ID_PATTERN, STORE_ID_PATTERN
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


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: each could end a
# line in some reader of the log. Tabs stay.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}
CONTINUATION = "    "  # what starts every line of a record after its first


def escape_controls(text: str) -> str:
    """``text`` on one line: each control character written as its escape (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda match: _NAMED.get(match[0]) or f"\\u{ord(match[0]):04x}", text)


class ScrubbingFormatter(logging.Formatter):
    """Formats as usual, a message on one line and further lines indented, then masks every
    form of the secrets in the whole record."""

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__(FORMAT)
        self._scrubber = scrubber

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        first, *rest = super().format(record).split("\n")  # the message is one line; a traceback is not
        if _from_sdk(record):
            rest = [masked_uris(line) for line in rest]
        text = "\n".join([first, *(CONTINUATION + escape_controls(line) for line in rest)])
        return self._scrubber.scrub(text)


# The words of this server's resource URIs (memory://stores/.../profiles/.../identifiers/...,
# ui://twilio-memory/customer-card.html); any other part of a URI is what a client sent.
_URI_WORDS = frozenset(
    {"memory:", "ui:", "", "stores", "profiles", "identifiers", "twilio-memory", "customer-card.html"}
)
# A URI runs to the end of the text it is found in: a client's URI may hold spaces and quotes.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://.*", re.S)
_KEPT_ID = re.compile(f"{STORE_ID_PATTERN[1:-1]}|{PROFILE_ID_PATTERN[1:-1]}")


def masked_uris(text: str) -> str:
    """``text`` with a URI in it (up to the end) masked: every part that is neither one of our
    URIs' words nor a well-formed store or profile id becomes ``…``, so what a model put in an
    id's place is not logged."""
    return _URI.sub(
        lambda match: "/".join(
            part if part in _URI_WORDS or _KEPT_ID.fullmatch(part) else "…" for part in match[0].split("/")
        ),
        text,
    )


# A part of an argument's path the SDK logs as it is: a parameter's name, an index, "[key]".
_PLAIN_FIELD = re.compile(r"[A-Za-z0-9_\[\]-]{1,64}")


def masked_fields(path: str) -> str:
    """A rejected argument's path ("traits.Contact.[key]"), or only its parameter's name then
    ``…`` when a part is not a plain name: a map's key is the caller's, and the SDK joins the
    parts with dots, so "traits.dana.smith@example.com.[key]" cannot be told apart from it."""
    name, _, rest = path.partition(".")
    if all(_PLAIN_FIELD.fullmatch(part) for part in path.split(".")):
        return path
    return f"{name}.…" if _PLAIN_FIELD.fullmatch(name) and rest else "…"


class SdkValues(logging.Filter):
    """The SDK's INFO lines that quote what a client sent, masked in every SDK record, always
    (whatever TWILIO_MEMORY_REDACT says):

    - a failed resource read names its URI, and its error may repeat it ("Resource
      'memory://stores/.../profiles/dana@example.com/...' failed: 'Unknown resource: ...'"):
      URIs are masked by :func:`masked_uris` (a traceback's lines by
      :class:`ScrubbingFormatter`);
    - a tool's rejected arguments are listed by their paths, which hold a map's keys
      ("Tool 'update_profile_traits' rejected arguments: ['traits.<key>.[key]']"): masked by
      :func:`masked_fields`.

    The SDK's other lines at INFO and above name tools, methods, request and session ids, or
    the Host and Origin headers (no value of ours), and pass the formatter's escaping."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _from_sdk(record) and isinstance(record.args, tuple):
            record.args = tuple(_masked(arg) for arg in record.args)
        return True


def _masked(arg: object) -> object:
    if isinstance(arg, str):
        return masked_uris(arg)
    if isinstance(arg, list) and all(isinstance(item, str) for item in arg):
        return [masked_fields(item) for item in arg]
    return arg


def _from_sdk(record: logging.LogRecord) -> bool:
    return record.name.split(".")[0] == "mcp"


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
    handler.addFilter(SdkValues())
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
