"""Configuration, read once from the environment into one frozen object.

Nothing else in the package reads ``os.environ``: :func:`load_settings` is called by the
command line (or a test) and the result is passed down. Secrets are ``SecretStr`` so they
never show up in a ``repr``, a log line or a traceback.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import SplitResult, urlsplit

from pydantic import SecretStr

from memory.config import DEFAULT_BASE_URL, ClientConfig, Credentials
from memory.ids import STORE_ID_PATTERN
from server import __version__
from server.env_names import unknown_variables_problem

if TYPE_CHECKING:
    from server.oauth.settings import OAuthSettings

__all__ = ["Credentials", "LogLevel", "Settings", "SettingsError", "is_loopback_host", "load_settings"]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
WriteConfirm = Literal["elicit", "host"]


class SettingsError(ValueError):
    """The environment holds a setting the server cannot start with."""


@dataclass(frozen=True)
class Settings:
    """Everything the server needs, validated. Times are in seconds."""

    credentials: Credentials | None = None
    # Why credentials are missing or incomplete, for the not_configured error.
    credentials_problem: str | None = None
    base_url: str = DEFAULT_BASE_URL
    default_store_id: str | None = None
    connect_timeout: float = 5.0
    attempt_timeout: float = 10.0  # one HTTP attempt, connect included
    deadline: float = 30.0  # per tool call, retries and redirects included
    max_retries: int = 3
    # Concurrent upstream requests per process; more calls queue. 32 is about what one process
    # can drive at ~100 ms upstream latency (bench/http_throughput.py); a fleet's total is
    # replicas x workers x this, to be kept under the account's Twilio rate limit.
    max_concurrency: int = 32
    log_level: LogLevel = "INFO"
    # Tools, privacy and result size (see tools/__init__.py, tools/redaction.py, tools/budget.py).
    enabled_tools: frozenset[str] | None = None  # TWILIO_MEMORY_TOOLS; None: not set
    enabled_toolsets: frozenset[str] | None = None  # TWILIO_MEMORY_TOOLSETS; None: not set
    redact: bool = False
    audit_log: str | None = None  # a file path, or "stderr"
    # How a write is confirmed: "elicit" (ask the person, MCP elicitation) or "host" (the
    # host's own per-call approval). There is no "never ask" (tools/writes/consent.py).
    write_confirm: WriteConfirm = "elicit"
    # Characters per tool result, text and structured content together (tools/budget.py:
    # text under Claude Code's 50,000-character and 25,000-token limits at ~2 chars/token).
    result_budget: int = 50_000
    # Streamable HTTP transport (see server/http/app.py).
    http_tokens: tuple[SecretStr, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_request_bytes: int = 1_048_576
    shutdown_grace: float = 10.0
    # Connection bounds of `twilio-memory-mcp --transport http` (see server/http/connections.py).
    max_connections: int = 1000
    header_timeout: float = 10.0
    oauth: OAuthSettings | None = None  # OAuth access tokens (server/oauth/settings.py)
    sandbox: bool = False

    def memory_config(self) -> ClientConfig:
        """The Memory API client's share of the settings."""
        return ClientConfig(
            credentials=self.credentials,
            credentials_problem=self.credentials_problem,
            base_url=self.base_url,
            connect_timeout=self.connect_timeout,
            attempt_timeout=self.attempt_timeout,
            deadline=self.deadline,
            max_retries=self.max_retries,
            max_concurrency=self.max_concurrency,
            user_agent=f"twilio-memory-mcp/{__version__}",
        )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build :class:`Settings` from an environment mapping, or raise :class:`SettingsError`."""
    unknown = unknown_variables_problem(environ)  # first: a typo explains what follows
    if unknown is not None:
        raise SettingsError(unknown)
    credentials, problem = _credentials(environ)
    base_url = _base_url(environ.get("TWILIO_MEMORY_BASE_URL", "").strip() or DEFAULT_BASE_URL)
    store_id = environ.get("TWILIO_MEMORY_STORE_ID", "").strip() or None
    if store_id is not None and not re.fullmatch(STORE_ID_PATTERN, store_id):
        raise SettingsError(
            "TWILIO_MEMORY_STORE_ID must look like mem_store_01kpttrksqe08rhv122gzq52ax "
            f"(pattern {STORE_ID_PATTERN})"
        )
    return Settings(
        credentials=credentials,
        credentials_problem=problem,
        base_url=base_url,
        default_store_id=store_id,
        connect_timeout=_seconds(environ, "TWILIO_MEMORY_CONNECT_TIMEOUT", 5.0),
        attempt_timeout=_seconds(environ, "TWILIO_MEMORY_ATTEMPT_TIMEOUT", 10.0),
        deadline=_seconds(environ, "TWILIO_MEMORY_DEADLINE", 30.0),
        max_retries=_integer(environ, "TWILIO_MEMORY_MAX_RETRIES", 3, low=0, high=10),
        max_concurrency=_integer(environ, "TWILIO_MEMORY_MAX_CONCURRENCY", 32, low=1, high=1000),
        log_level=_log_level(environ.get("TWILIO_MEMORY_LOG_LEVEL", "INFO")),
        enabled_tools=_names(environ.get("TWILIO_MEMORY_TOOLS", "")),
        enabled_toolsets=_names(environ.get("TWILIO_MEMORY_TOOLSETS", "")),
        redact=_flag(environ, "TWILIO_MEMORY_REDACT"),
        write_confirm=_write_confirm(environ.get("TWILIO_MEMORY_WRITE_CONFIRM", "")),
        audit_log=_audit_target(environ.get("TWILIO_MEMORY_AUDIT_LOG", "").strip()),
        result_budget=_integer(environ, "TWILIO_MEMORY_RESULT_BUDGET", 50_000, low=10_000, high=100_000_000),
        http_tokens=_tokens(environ.get("TWILIO_MEMORY_MCP_TOKEN", "")),
        allowed_hosts=tuple(_list(environ.get("TWILIO_MEMORY_ALLOWED_HOSTS", ""))),
        allowed_origins=tuple(_list(environ.get("TWILIO_MEMORY_ALLOWED_ORIGINS", ""))),
        max_request_bytes=_integer(
            environ, "TWILIO_MEMORY_MAX_REQUEST_BYTES", 1_048_576, low=1024, high=4_194_304
        ),
        shutdown_grace=_seconds(environ, "TWILIO_MEMORY_SHUTDOWN_GRACE", 10.0),
        max_connections=_integer(environ, "TWILIO_MEMORY_MAX_CONNECTIONS", 1000, low=1, high=1_000_000),
        header_timeout=_seconds(environ, "TWILIO_MEMORY_HEADER_TIMEOUT", 10.0),
        oauth=_oauth(environ),
    )


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (RFC 6761 reserves ``*.localhost``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _credentials(environ: Mapping[str, str]) -> tuple[Credentials | None, str | None]:
    # API key + secret is Twilio's recommendation; account SID + auth token is for local testing.
    pairs = (
        ("TWILIO_API_KEY", "TWILIO_API_SECRET"),
        ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"),
    )
    problems = []
    for user_var, secret_var in pairs:
        user = environ.get(user_var, "").strip()
        secret = environ.get(secret_var, "").strip()
        if user and secret:
            return Credentials(user, SecretStr(secret), f"{user_var}/{secret_var}"), None
        if user or secret:
            present, missing = (user_var, secret_var) if user else (secret_var, user_var)
            problems.append(f"{present} is set but {missing} is not")
    if problems:
        return None, "; ".join(problems)
    return None, (
        "no credentials: set TWILIO_API_KEY and TWILIO_API_SECRET "
        "(or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)"
    )


def split_url(name: str, raw: str) -> SplitResult:
    """``raw`` split into its parts, or :class:`SettingsError` naming the setting. A value
    urlsplit cannot parse (``https://[::1``) or whose port is out of range raises ValueError:
    turned into a refusal at start, not a traceback; the value itself is never echoed (it
    may hold a secret)."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        raise SettingsError(f"{name} is not a URL that can be parsed (check brackets and port)") from None
    return parts


def _base_url(raw: str) -> str:
    parts = split_url("TWILIO_MEMORY_BASE_URL", raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        # The value itself is not echoed: a mistyped one may still hold a secret.
        raise SettingsError(
            "TWILIO_MEMORY_BASE_URL must be an absolute http(s) URL, like https://memory.twilio.com"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SettingsError("TWILIO_MEMORY_BASE_URL must not carry credentials, a query or a fragment")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SettingsError(
            "TWILIO_MEMORY_BASE_URL must use https unless its host is loopback "
            f"(got host {parts.hostname!r}): credentials would travel in clear text"
        )
    return raw.rstrip("/")


MIN_TOKEN_LENGTH = 16


def _tokens(raw: str) -> tuple[SecretStr, ...]:
    tokens = _list(raw)
    short = [str(i) for i, token in enumerate(tokens, 1) if len(token) < MIN_TOKEN_LENGTH]
    if short:  # name the position, never the token
        raise SettingsError(
            f"TWILIO_MEMORY_MCP_TOKEN: token {', '.join(short)} is shorter than {MIN_TOKEN_LENGTH} "
            "characters; use a random one, e.g. from `openssl rand -hex 32`"
        )
    return tuple(SecretStr(token) for token in tokens)


def _oauth(environ: Mapping[str, str]) -> OAuthSettings | None:
    # Imported here: server.oauth.settings uses this module's SettingsError, and the tools (for the
    # toolset names a scope may grant) are only loaded when OAuth is being configured.
    from server.oauth.settings import PREFIX, load_oauth_settings

    if not any(name.startswith(PREFIX) for name in environ):
        return None
    from tools import TOOLSETS

    return load_oauth_settings(environ, tuple(TOOLSETS))


_NOT_A_FILE = {stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFBLK: "a block device"}


def _audit_target(raw: str) -> str | None:
    """A writable file for the audit log, or "stderr": checked now, not at the first call.

    A FIFO would block start-up until something reads it (issue 9 item 9), so only regular
    files and character devices (``/dev/null``, a terminal) are taken; ``/dev/stderr`` on a
    pipe is a FIFO too, and the message says to write ``stderr`` instead.
    """
    if not raw or raw == "stderr":
        return raw or None
    path = Path(raw).expanduser()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise SettingsError(f"TWILIO_MEMORY_AUDIT_LOG: cannot use {raw!r} ({error.strerror})") from None
    if mode is not None and stat.S_IFMT(mode) in _NOT_A_FILE:
        raise SettingsError(
            f"TWILIO_MEMORY_AUDIT_LOG: {raw!r} is {_NOT_A_FILE[stat.S_IFMT(mode)]}, not a regular file; "
            "give a file path, or stderr"
        )
    writable = os.access(path if mode is not None else path.parent, os.W_OK)
    if (mode is not None and stat.S_ISDIR(mode)) or not writable:
        raise SettingsError(f"TWILIO_MEMORY_AUDIT_LOG: cannot append to {raw!r} (a writable file, or stderr)")
    return str(path)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not _DECIMAL.fullmatch(raw):
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}")
    value = float(raw)
    if not 0 < value <= 600:
        raise SettingsError(f"{name} must be between 0 and 600 seconds, got {raw!r}")
    return value


def _integer(environ: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    value = whole_number(raw)
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return value


# ASCII digits only: str.isdigit(), int() and float() also take "²", "٣" and "1_000", and int()
# raises on more than 4,300 digits (sys.set_int_max_str_digits).
_DIGITS = re.compile(r"[0-9]{1,18}")
_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18}")


def whole_number(raw: str) -> int | None:
    """``raw`` as a whole number when it is 1 to 18 ASCII digits and nothing else, else None."""
    return int(raw) if _DIGITS.fullmatch(raw) else None


def _log_level(raw: str) -> LogLevel:
    level = raw.strip().upper() or "INFO"
    if level == "DEBUG":
        return "DEBUG"
    if level == "INFO":
        return "INFO"
    if level in ("WARNING", "WARN"):
        return "WARNING"
    if level == "ERROR":
        return "ERROR"
    if level == "CRITICAL":
        return "CRITICAL"
    raise SettingsError(f"TWILIO_MEMORY_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {raw!r}")


def _write_confirm(raw: str) -> WriteConfirm:
    mode = raw.strip().lower() or "elicit"
    if mode == "elicit":
        return "elicit"
    if mode == "host":
        return "host"
    raise SettingsError(
        f"TWILIO_MEMORY_WRITE_CONFIRM must be elicit (ask the person) or host (the host's own "
        f"approval of each call), got {raw!r}; there is no setting that skips confirmation"
    )


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {raw!r}")


def _list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def _names(raw: str) -> frozenset[str] | None:
    names = _list(raw)
    return frozenset(names) if names else None
