"""Fault injection: rate limiting, forced server errors and added latency.

:class:`Faults` holds the settings; mutate its fields at run time (``app.state.emulator.faults``)
or replace it through :meth:`FaultInjector.replace` / ``PUT /_emulator/faults``, which also
re-seeds the random generator and refills the token bucket. Per request, in this order:

1. ``latency`` seconds of ``anyio.sleep`` (concurrent requests overlap; errors are delayed too);
2. ``rate_limit_next`` > 0: answer 429 and count down;
3. ``rate_limit_rps``: a token bucket (``rate_limit_burst`` tokens, refilled at that rate);
   empty → 429 with ``Retry-After`` the whole seconds until a token is back (at least 1);
4. ``error_next`` > 0: answer ``error_status`` (500 or 503) and count down;
5. ``error_rate``: answer ``error_status`` with that probability, from a ``random.Random``
   seeded with ``seed`` (``None``: unseeded).

A 429 carries ``Retry-After`` as digits (the spec's ``TooManyRequests`` header pattern
``^[0-9]+$``) and the spec's example body. The admin endpoint is never subject to faults.

Writes (issue 19) can be scripted one request at a time: ``write_faults`` maps an operation
(``CreateProfileObservation``, ``CreateProfileConversationSummary``, ``PatchProfileTraits``,
``CreateProfileIdentifier``, or ``*`` for any of them) to a list of faults, the next of which
each such request takes, after its body was received and checked:

- ``"timeout"``: the write is applied, then the answer is held ``write_hold`` seconds (the
  client gives up first: the case where it cannot know whether the write happened);
- ``"500"``: answered 500, nothing applied;
- ``"429"``: answered 429 with ``Retry-After: retry_after``, nothing applied;
- ``"ok"``: no fault (a placeholder, to fault a later request).
"""

from __future__ import annotations

import dataclasses
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from .errors import ApiError

WRITE_OPERATIONS = frozenset(
    {
        "*",
        "CreateProfileObservation",
        "CreateProfileConversationSummary",
        "PatchProfileTraits",
        "CreateProfileIdentifier",
    }
)
WRITE_FAULTS = ("timeout", "500", "429", "ok")


@dataclass
class Faults:
    latency: float = 0.0
    rate_limit_next: int = 0
    retry_after: int = 1
    rate_limit_rps: float | None = None
    rate_limit_burst: int | None = None  # None: max(1, ceil(rate_limit_rps))
    error_next: int = 0
    error_status: int = 503
    error_rate: float = 0.0
    seed: int | None = None
    write_faults: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    write_hold: float = 30.0

    def __post_init__(self) -> None:
        _check(self)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, body: Mapping[str, Any], base: Faults | None = None) -> Faults:
        """Build from a JSON object; fields it lacks come from ``base`` (or the defaults)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(body) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        values = dataclasses.asdict(base) if base is not None else {}
        return cls(**(values | dict(body)))


def _check(faults: Faults) -> None:
    def number(name: str, value: object, low: float, high: float = math.inf) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise ValueError(f"{name} must be a number from {low} to {high}")

    number("latency", faults.latency, 0.0, 60.0)
    number("write_hold", faults.write_hold, 0.0, 300.0)
    if not isinstance(faults.write_faults, dict) or not all(
        operation in WRITE_OPERATIONS
        and isinstance(script, list)
        and all(fault in WRITE_FAULTS for fault in script)
        for operation, script in faults.write_faults.items()
    ):
        raise ValueError(
            f"write_faults maps {', '.join(sorted(WRITE_OPERATIONS))} to lists of {', '.join(WRITE_FAULTS)}"
        )
    number("error_rate", faults.error_rate, 0.0, 1.0)
    for name in ("rate_limit_next", "retry_after", "error_next"):
        value = getattr(faults, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number >= 0")
    if faults.rate_limit_rps is not None:
        number("rate_limit_rps", faults.rate_limit_rps, 1e-6)
    if faults.rate_limit_burst is not None and (
        not isinstance(faults.rate_limit_burst, int) or faults.rate_limit_burst < 1
    ):
        raise ValueError("rate_limit_burst must be a whole number >= 1")
    if faults.error_status not in (500, 503):
        raise ValueError("error_status must be 500 or 503")
    if faults.seed is not None and (isinstance(faults.seed, bool) or not isinstance(faults.seed, int)):
        raise ValueError("seed must be an integer or null")


class FaultInjector:
    """Applies :class:`Faults` to requests; owns the random generator and the token bucket."""

    def __init__(self, faults: Faults, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.replace(faults)

    @property
    def faults(self) -> Faults:
        return self._faults

    def replace(self, faults: Faults) -> None:
        self._faults = faults
        self._random = random.Random(faults.seed)
        self._tokens: float | None = None  # a full bucket, sized when first needed
        self._refilled_at = self._clock()

    async def before_request(self) -> ApiError | None:
        """Sleep the latency, then return the error to answer with, if any."""
        faults = self._faults
        if faults.latency > 0:
            await anyio.sleep(faults.latency)
        if faults.rate_limit_next > 0:
            faults.rate_limit_next -= 1
            return _too_many(faults.retry_after)
        if faults.rate_limit_rps is not None:
            wait = self._take_token(faults.rate_limit_rps, faults.rate_limit_burst)
            if wait is not None:
                return _too_many(wait)
        if faults.error_next > 0:
            faults.error_next -= 1
            return ApiError(faults.error_status)
        if faults.error_rate > 0 and self._random.random() < faults.error_rate:
            return ApiError(faults.error_status)
        return None

    def write_fault(self, operation: str) -> str | None:
        """The scripted fault for the next request of ``operation``, taken off its script."""
        scripts = self._faults.write_faults
        for key in (operation, "*"):
            script = scripts.get(key)
            if script:
                fault = script.pop(0)
                return None if fault == "ok" else fault
        return None

    def _take_token(self, rate: float, burst: int | None) -> int | None:
        capacity = float(burst if burst is not None else max(1, math.ceil(rate)))
        now = self._clock()
        tokens = capacity if self._tokens is None else self._tokens
        tokens = min(capacity, tokens + (now - self._refilled_at) * rate)
        self._refilled_at = now
        if tokens >= 1:
            self._tokens = tokens - 1
            return None
        self._tokens = tokens
        return max(1, math.ceil((1 - tokens) / rate))


def _too_many(retry_after: int) -> ApiError:
    return ApiError(429, headers={"Retry-After": str(retry_after)})
