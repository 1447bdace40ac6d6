"""What the Memory API client needs to know, handed in by whoever builds it.

The client reads no environment and knows nothing of the MCP server: the server's settings
(``server/settings.py``) build a :class:`ClientConfig` and pass it down.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

DEFAULT_BASE_URL = "https://memory.twilio.com"


@dataclass(frozen=True)
class Credentials:
    """HTTP Basic credentials for the Memory API, and which variables they came from."""

    username: str
    password: SecretStr
    source: str  # e.g. "TWILIO_API_KEY/TWILIO_API_SECRET", for messages; never the values


@dataclass(frozen=True)
class ClientConfig:
    """The client's settings, validated by the caller. Times are in seconds."""

    credentials: Credentials | None = None
    # Why credentials are missing or incomplete, for the not_configured error.
    credentials_problem: str | None = None
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 5.0
    attempt_timeout: float = 10.0  # one HTTP attempt, connect included
    deadline: float = 30.0  # per call, retries and redirects included
    max_retries: int = 3
    # Concurrent upstream requests per process; more calls queue. 32 is about what one process
    # can drive at ~100 ms upstream latency (bench/http_throughput.py); a fleet's total is
    # replicas x workers x this, to be kept under the account's Twilio rate limit.
    max_concurrency: int = 32
    user_agent: str = "twilio-memory-mcp"
