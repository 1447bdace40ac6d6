"""What is retried, and how long to wait: every retry constant and decision in one place.

One rule decides what is retried: an error's ``retryable`` (:mod:`memory.errors`), which for
an HTTP status is :func:`retryable_status`. The exchange retries exactly the errors that say
so, and the model reads the same flag, so what it is told matches what the client did.
"""

from __future__ import annotations

import random

# Statuses worth another attempt: 429 after its Retry-After, and the transient server
# errors (RFC 9110 §15.6: 500, 502, 503, 504). Every other 4xx is the request's own fault,
# and the other 5xx say the server cannot serve this request as sent (501 Not Implemented,
# 505 HTTP Version Not Supported, 507 Insufficient Storage, ...): each would fail the same
# way again.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

INITIAL_BACKOFF = 0.5  # seconds before the first retry of a 5xx, timeout or connection error
MAX_BACKOFF = 8.0
# A 429 without a usable Retry-After waits this long, like a first backoff would.
DEFAULT_RETRY_AFTER = 1.0


def parse_retry_after(raw: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header, or ``None`` when absent or unusable.

    The spec declares it as a string of digits (components/responses/TooManyRequests,
    pattern ``^[0-9]+$``); HTTP-dates (RFC 9110 §10.2.3) are not sent by this API and
    are treated as absent, so the caller falls back to its own backoff.
    """
    if raw is None:
        return None
    text = raw.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    return float(int(text))


def retryable_status(status: int | None, *, sent: bool = True, replayable: bool = True) -> bool:
    """Whether a failed attempt is worth another: the one retry rule, reads and writes alike.

    ``status`` is the HTTP status answered, ``None`` when none came (a timeout, a dropped
    connection: retryable, for a read). ``sent`` is False only when the request provably never
    left: the connection was refused, or did not open in time, before a byte was written.

    ``replayable`` is False for writes. The Memory API has no idempotency key, so a write the
    API may have applied, sent again, may be stored twice (issue 19). A write is retried only
    when the API proves it was not applied: a 429 (the rate limiter refused it, spec
    components/responses/TooManyRequests) or a request never sent. After a timeout or a 5xx
    it is not, and the caller is told the outcome is unknown (memory.errors.OutcomeUnknown).
    """
    if status == 429 or not sent:
        return True
    if not replayable:
        return False
    return status is None or status in RETRY_STATUSES


def backoff_delay(retry_number: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with equal jitter, for the n-th retry (1-based): a uniform draw
    between half and all of 0.5 s, 1 s, 2 s, ... (capped at 8 s), so a fleet of callers that
    failed together does not retry together.
    """
    step = min(MAX_BACKOFF, INITIAL_BACKOFF * 2.0 ** (retry_number - 1))
    draw = rng.random() if rng is not None else random.random()
    return step * (0.5 + 0.5 * draw)


def rate_limit_delay(
    retry_after: float | None, retry_number: int, *, rng: random.Random | None = None
) -> float:
    """How long to wait before the n-th retry (1-based) of a 429.

    ``Retry-After`` is honoured, but never below the backoff a 5xx would get: a
    ``Retry-After: 0`` (or 1 s, repeated) must not turn into a burst of retries that
    lands on a rate limiter which has just said no (issue 9 item 10). A missing or
    unusable header counts as :data:`DEFAULT_RETRY_AFTER`.
    """
    asked = DEFAULT_RETRY_AFTER if retry_after is None else retry_after
    return max(asked, backoff_delay(retry_number, rng=rng))
