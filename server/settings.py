"""Configuration, read once from the environment into one frozen object.

Nothing else in the package reads ``os.environ``: :func:`load_settings` is called by the
command line (or a test) and the result is passed down. Every check of the configuration is
made there, so a server that starts has settings it can run with. Secrets are ``SecretStr``
so they never show up in a ``repr``, a log line or a traceback.

:class:`Settings` holds the Memory API client's own :class:`ClientConfig` (its defaults are
written there, once) and an :class:`HttpSettings` block for the HTTP transport.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import SecretStr

from memory.config import DEFAULT_BASE_URL, ClientConfig, Credentials
from memory.ids import STORE_ID_PATTERN
from server import __version__
from server.env_names import unknown_variables_problem
from server.setting_values import SettingsError, is_loopback_host, items, url_setting, whole_number

if TYPE_CHECKING:
    from server.oauth.settings import OAuthSettings

__all__ = [
    "Credentials",
    "HttpSettings",
    "LogLevel",
    "Settings",
    "SettingsError",
    "check_exposure",
    "is_loopback_host",
    "load_settings",
]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
WriteConfirm = Literal["elicit", "host"]

USER_AGENT = f"twilio-memory-mcp/{__version__}"

logger = logging.getLogger("twilio_memory_mcp")

# Addresses that bind every interface: the Host headers clients send cannot be guessed.
WILDCARD_BINDS = ("0.0.0.0", "::", "")


@dataclass(frozen=True)
class HttpSettings:
    """The streamable HTTP transport's share (server/http/). Times are in seconds."""

    tokens: tuple[SecretStr, ...] = ()  # static bearer tokens (TWILIO_MEMORY_MCP_TOKEN)
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    max_request_bytes: int = 1_048_576
    shutdown_grace: float = 10.0
    # Connection bounds of `twilio-memory-mcp --transport http` (see server/http/connections.py).
    max_connections: int = 1000
    header_timeout: float = 10.0
    oauth: OAuthSettings | None = None  # OAuth access tokens (server/oauth/settings.py)
    # Keys sealing the 2026-07-28 requestState (a write's confirmation rides it between rounds),
    # shared by every worker and replica (TWILIO_MEMORY_REQUEST_STATE_SECRET); the first seals,
    # all unseal. None given: a key per process, so a round answered by another worker fails.
    request_state_secrets: tuple[SecretStr, ...] = ()

    @property
    def authenticated(self) -> bool:
        """Whether every request must carry a bearer token (static or OAuth)."""
        return bool(self.tokens) or self.oauth is not None


@dataclass(frozen=True)
class Settings:
    """Everything the server needs, validated."""

    memory: ClientConfig = field(default_factory=lambda: ClientConfig(user_agent=USER_AGENT))
    default_store_id: str | None = None
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
    http: HttpSettings = field(default_factory=HttpSettings)
    sandbox: bool = False

    def __post_init__(self) -> None:
        # Here rather than in load_settings alone, so that settings made in code are held
        # to it too: a server never starts with a tool selection naming nothing it has.
        _check_tools(self.enabled_tools, self.enabled_toolsets)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build :class:`Settings` from an environment mapping, or raise :class:`SettingsError`.

    A variable that is unset or empty keeps the default its dataclass declares.
    """
    unknown = unknown_variables_problem(environ)  # first: a typo explains what follows
    if unknown is not None:
        raise SettingsError(unknown)
    credentials, problem = _credentials(environ)
    base_url = environ.get("TWILIO_MEMORY_BASE_URL", "").strip() or DEFAULT_BASE_URL
    memory = ClientConfig(
        credentials=credentials,
        credentials_problem=problem,
        base_url=url_setting("TWILIO_MEMORY_BASE_URL", base_url, DEFAULT_BASE_URL).rstrip("/"),
        user_agent=USER_AGENT,
        **_given(
            connect_timeout=_seconds(environ, "TWILIO_MEMORY_CONNECT_TIMEOUT"),
            attempt_timeout=_seconds(environ, "TWILIO_MEMORY_ATTEMPT_TIMEOUT"),
            deadline=_seconds(environ, "TWILIO_MEMORY_DEADLINE"),
            max_retries=_integer(environ, "TWILIO_MEMORY_MAX_RETRIES", low=0, high=10),
            max_concurrency=_integer(environ, "TWILIO_MEMORY_MAX_CONCURRENCY", low=1, high=1000),
        ),
    )
    http = HttpSettings(
        tokens=_tokens(environ.get("TWILIO_MEMORY_MCP_TOKEN", "")),
        allowed_hosts=_allowed("TWILIO_MEMORY_ALLOWED_HOSTS", environ),
        allowed_origins=_allowed("TWILIO_MEMORY_ALLOWED_ORIGINS", environ),
        oauth=_oauth(environ),
        request_state_secrets=_request_state_secrets(environ.get("TWILIO_MEMORY_REQUEST_STATE_SECRET", "")),
        **_given(
            max_request_bytes=_integer(environ, "TWILIO_MEMORY_MAX_REQUEST_BYTES", low=1024, high=4_194_304),
            shutdown_grace=_seconds(environ, "TWILIO_MEMORY_SHUTDOWN_GRACE"),
            max_connections=_integer(environ, "TWILIO_MEMORY_MAX_CONNECTIONS", low=1, high=1_000_000),
            header_timeout=_seconds(environ, "TWILIO_MEMORY_HEADER_TIMEOUT"),
        ),
    )
    return Settings(
        memory=memory,
        default_store_id=_store_id(environ.get("TWILIO_MEMORY_STORE_ID", "").strip()),
        log_level=_log_level(environ.get("TWILIO_MEMORY_LOG_LEVEL", "INFO")),
        enabled_tools=_names(environ.get("TWILIO_MEMORY_TOOLS", "")),
        enabled_toolsets=_names(environ.get("TWILIO_MEMORY_TOOLSETS", "")),
        redact=_flag(environ, "TWILIO_MEMORY_REDACT"),
        write_confirm=_write_confirm(environ.get("TWILIO_MEMORY_WRITE_CONFIRM", "")),
        audit_log=_audit_target(environ.get("TWILIO_MEMORY_AUDIT_LOG", "").strip()),
        http=http,
        **_given(
            result_budget=_integer(environ, "TWILIO_MEMORY_RESULT_BUDGET", low=10_000, high=100_000_000),
        ),
    )


def check_exposure(settings: Settings, host: str | None) -> None:
    """The HTTP transport's exposure rule, checked at start by every way of serving it.

    ``host`` is the address being bound, None when it cannot be known (the ASGI factory: the
    ASGI server binds). Serving anything but loopback without authentication is refused:
    anyone who can reach the port could read customer data with the server's Twilio
    credentials. It takes the bound address, which is a command-line flag, not a variable.
    """
    http = settings.http
    if not http.authenticated and (host is None or not is_loopback_host(host)):
        where = (
            f"on {host}" if host is not None else "from the ASGI app factory (the bound address is unknown)"
        )
        raise SettingsError(
            f"refusing to serve {where} without authentication: set TWILIO_MEMORY_MCP_TOKEN "
            "to one or more bearer tokens (comma-separated), or configure OAuth "
            "(TWILIO_MEMORY_OAUTH_ISSUER and TWILIO_MEMORY_OAUTH_RESOURCE), or bind 127.0.0.1"
        )
    if (host is None or host in WILDCARD_BINDS) and not http.allowed_hosts:
        logger.warning(
            "TWILIO_MEMORY_ALLOWED_HOSTS is empty: requests whose Host header is not a loopback "
            "name will be refused (421); list the names clients use to reach this server"
        )


def _given(**values: Any) -> dict[str, Any]:
    """The values set in the environment: the others keep their dataclass's default."""
    return {name: value for name, value in values.items() if value is not None}


def _store_id(raw: str) -> str | None:
    if raw and not re.fullmatch(STORE_ID_PATTERN, raw):
        raise SettingsError(
            "TWILIO_MEMORY_STORE_ID must look like mem_store_01kpttrksqe08rhv122gzq52ax "
            f"(pattern {STORE_ID_PATTERN})"
        )
    return raw or None


def _allowed(name: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    values = tuple(items(environ.get(name, "")))
    if any(value.startswith("*") for value in values):
        raise SettingsError(
            f"{name} must list names (host, host:port or host:*), not a wildcard: "
            "that would turn DNS-rebinding protection off"
        )
    return values


def _check_tools(selected: frozenset[str] | None, toolsets: frozenset[str] | None) -> None:
    if selected is None and toolsets is None:
        return
    # Imported here: the tools' names are only needed when a selection is configured.
    from tools import ToolSelectionError, enabled_tools

    try:
        enabled_tools(selected, toolsets)
    except ToolSelectionError as error:
        raise SettingsError(str(error)) from None


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


MIN_TOKEN_LENGTH = 16


def _tokens(raw: str) -> tuple[SecretStr, ...]:
    tokens = items(raw)
    short = [str(i) for i, token in enumerate(tokens, 1) if len(token) < MIN_TOKEN_LENGTH]
    if short:  # name the position, never the token
        raise SettingsError(
            f"TWILIO_MEMORY_MCP_TOKEN: token {', '.join(short)} is shorter than {MIN_TOKEN_LENGTH} "
            "characters; use a random one, e.g. from `openssl rand -hex 32`"
        )
    return tuple(SecretStr(token) for token in tokens)


# The SDK's AES-GCM codec derives its key from at least 32 bytes of secret randomness.
MIN_REQUEST_STATE_SECRET = 32


def _request_state_secrets(raw: str) -> tuple[SecretStr, ...]:
    secrets = items(raw)
    short = [str(i) for i, secret in enumerate(secrets, 1) if len(secret.encode()) < MIN_REQUEST_STATE_SECRET]
    if short:  # name the position, never the secret
        raise SettingsError(
            f"TWILIO_MEMORY_REQUEST_STATE_SECRET: secret {', '.join(short)} is shorter than "
            f"{MIN_REQUEST_STATE_SECRET} bytes; use a random one, e.g. from `openssl rand -hex 32`"
        )
    return tuple(SecretStr(secret) for secret in secrets)


def _oauth(environ: Mapping[str, str]) -> OAuthSettings | None:
    # Imported here: server.oauth.settings uses this module's SettingsError, and the tools (for the
    # toolset names a scope may grant) are only loaded when OAuth is being configured.
    from server.oauth.settings import PREFIX, load_oauth_settings

    if not any(name.startswith(PREFIX) for name in environ):
        return None
    from tools import TOOLSETS

    return load_oauth_settings(environ, tuple(TOOLSETS))


def _shown(raw: str) -> str:
    """A rejected value as a refusal quotes it: cut to a few dozen characters, so that a value of
    thousands of digits (or a secret pasted into the wrong variable) is not written out whole."""
    return repr(raw) if len(raw) <= _SHOWN else repr(raw[:_SHOWN]) + f"... ({len(raw)} characters)"


_SHOWN = 24

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


def _seconds(environ: Mapping[str, str], name: str) -> float | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    if not _DECIMAL.fullmatch(raw):
        raise SettingsError(f"{name} must be a number of seconds, got {_shown(raw)}")
    value = float(raw)
    if not 0 < value <= 600:
        raise SettingsError(f"{name} must be between 0 and 600 seconds, got {_shown(raw)}")
    return value


def _integer(environ: Mapping[str, str], name: str, *, low: int, high: int) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    value = whole_number(raw)
    if value is None or not low <= value <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {_shown(raw)}")
    return value


# ASCII digits only, as whole_number: float() also takes "²", "٣" and "1_000".
_DECIMAL = re.compile(r"[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18}")


_LOG_LEVELS: dict[str, LogLevel] = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "WARN": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
}
_WRITE_CONFIRMS: dict[str, WriteConfirm] = {"elicit": "elicit", "host": "host"}


def _log_level(raw: str) -> LogLevel:
    level = _LOG_LEVELS.get(raw.strip().upper() or "INFO")
    if level is None:
        raise SettingsError(
            f"TWILIO_MEMORY_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {_shown(raw)}"
        )
    return level


def _write_confirm(raw: str) -> WriteConfirm:
    mode = _WRITE_CONFIRMS.get(raw.strip().lower() or "elicit")
    if mode is None:
        raise SettingsError(
            f"TWILIO_MEMORY_WRITE_CONFIRM must be elicit (ask the person) or host (the host's own "
            f"approval of each call), got {_shown(raw)}; there is no setting that skips confirmation"
        )
    return mode


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise SettingsError(f"{name} must be 1 or 0, got {_shown(raw)}")


def _names(raw: str) -> frozenset[str] | None:
    names = items(raw)
    return frozenset(names) if names else None
