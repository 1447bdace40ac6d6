"""The errors the Memory API client raises, one short tree.

    MemoryApiError                  code, retryable, http_status, twilio_code, twilio_message
    ├── NotConfigured               not_configured: no usable credentials
    ├── ApiStatusError              an HTTP error status from the API (see error_for_status)
    │     invalid_argument (400), unauthenticated (401), permission_denied (403),
    │     not_found (404), rate_limited (429), upstream_unavailable (5xx);
    │     retryable for 429, 500, 502, 503 and 504 alone (memory.retries.retryable_status)
    ├── UpstreamTimeout             timeout: an attempt or the call's deadline ran out
    ├── ConnectionFailed            connection_failed: DNS, TCP or TLS failure
    ├── InvalidResponse             invalid_response: a body or status we cannot use
    ├── RedirectRefused             redirect_refused: another origin, a loop, or too many hops
    └── OutcomeUnknown              outcome_unknown: a write sent, then a timeout or 5xx

Messages are written for a person: they never carry a credential, a header, or a value.
"""

from __future__ import annotations

from typing import Literal

from memory.retries import retryable_status

ErrorCode = Literal[
    "invalid_argument",
    "not_configured",
    "unauthenticated",
    "permission_denied",
    "not_found",
    "rate_limited",
    "upstream_unavailable",
    "timeout",
    "connection_failed",
    "invalid_response",
    "redirect_refused",
    "outcome_unknown",
]


class MemoryApiError(Exception):
    """Base of every failure of a Memory API call.

    ``retryable`` is the one retry rule: :class:`memory.http.Exchange` retries exactly the
    errors that say so (while the deadline allows), and the tools tell the model the same.
    """

    code: ErrorCode = "invalid_response"
    retryable: bool = False
    # False only when the request provably never left (connection refused, or not opened in
    # time): then even a write may be sent again (memory.retries.retryable_status).
    sent: bool = True

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        twilio_code: int | None = None,
        twilio_message: str | None = None,
        retry_after_seconds: float | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sent = sent
        self.http_status = http_status
        self.twilio_code = twilio_code
        self.twilio_message = twilio_message
        self.retry_after_seconds = retry_after_seconds


class NotConfigured(MemoryApiError):
    code = "not_configured"


class ApiStatusError(MemoryApiError):
    """The API answered with an error status; ``code`` comes from :func:`error_for_status`."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        http_status: int,
        twilio_code: int | None = None,
        twilio_message: str | None = None,
        retry_after_seconds: float | None = None,
    ) -> None:
        super().__init__(
            message,
            http_status=http_status,
            twilio_code=twilio_code,
            twilio_message=twilio_message,
            retry_after_seconds=retry_after_seconds,
        )
        self.code = code
        self.retryable = retryable_status(http_status)


class UpstreamTimeout(MemoryApiError):
    code = "timeout"
    retryable = True


class ConnectionFailed(MemoryApiError):
    code = "connection_failed"
    retryable = True


class InvalidResponse(MemoryApiError):
    code = "invalid_response"


class RedirectRefused(MemoryApiError):
    code = "redirect_refused"


class OutcomeUnknown(MemoryApiError):
    """A write reached the API (or may have), then no answer or a 5xx came: it may or may not
    have been applied. Not retried, since the API has no idempotency key (issue 19)."""

    code = "outcome_unknown"


# Two flat tables from HTTP status to error code and a plain description (spec
# components/responses). Any other 4xx is the API refusing the request as asked; every 5xx
# is upstream_unavailable (retryable or not as memory.retries says).
_CLIENT_ERRORS: dict[int, tuple[ErrorCode, str]] = {
    400: ("invalid_argument", "the Memory API rejected the request as malformed"),
    401: ("unauthenticated", "the Memory API rejected the credentials"),
    403: ("permission_denied", "the credentials may not access this store or profile"),
    404: ("not_found", "the store, profile or identifier type was not found"),
    429: ("rate_limited", "the Memory API is rate limiting this account"),
}
_SERVER_ERRORS: dict[int, str] = {
    500: "the Memory API had an internal error",
    501: "the Memory API does not implement this request",
    502: "a gateway in front of the Memory API failed",
    503: "the Memory API is unavailable",
    504: "a gateway in front of the Memory API timed out",
    505: "the Memory API does not support the HTTP version used",
    507: "the Memory API has no storage left for this request",
}


def error_for_status(
    status: int,
    *,
    twilio_code: int | None = None,
    twilio_message: str | None = None,
    retry_after_seconds: float | None = None,
) -> ApiStatusError:
    """The error for an HTTP error status, keeping Twilio's code and (sanitized) message."""
    code: ErrorCode
    if status >= 500:
        code, text = "upstream_unavailable", _SERVER_ERRORS.get(status, "the Memory API failed")
    else:
        code, text = _CLIENT_ERRORS.get(status, ("invalid_argument", "the Memory API refused the request"))
    return ApiStatusError(
        code,
        f"{text} (HTTP {status})",
        http_status=status,
        twilio_code=twilio_code,
        twilio_message=twilio_message,
        retry_after_seconds=retry_after_seconds,
    )
