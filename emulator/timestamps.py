"""RFC 3339 timestamps (the spec's ``format: date-time``), read strictly and written in UTC.

The spec's date-time fields (``createdAfter``, ``beginDate``, ``occurredAt``, ...) are OpenAPI
``date-time``, i.e. RFC 3339 §5.6 ``date-time``: a full date, ``T``, a full time with seconds,
an optional fraction, and ``Z`` or a numeric offset. Anything else (a bare date, a missing
offset, a space for ``T``) is refused: the API would answer 400, and so does the emulator.
Answers always carry UTC with ``Z``, the form of every example in the spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

# RFC 3339 §5.6; "T" and "Z" may be lowercase (§5.6, NOTE). Leap seconds (":60") are not
# representable in Python and are refused.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


class InvalidTimestamp(ValueError):
    """Not an RFC 3339 date-time."""


def parse_timestamp(text: str) -> datetime:
    """An aware UTC datetime for an RFC 3339 date-time, or :class:`InvalidTimestamp`."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise InvalidTimestamp(f"{text!r} is not an RFC 3339 date-time (e.g. 2025-01-15T10:30:00Z)")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
        if sign == "-":
            offset = -offset
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, timezone(offset)
        )
    except ValueError:
        raise InvalidTimestamp(f"{text!r} is not a valid date-time") from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC, 9999-12-31T23:59:59-01:00 in 10000
        raise InvalidTimestamp(f"{text!r} is outside years 1 to 9999 in UTC") from None


def read_timestamp(
    value: object,
    where: str,
    refuse: Callable[[str], Exception],
    missing: str = "must be an RFC 3339 date-time string",
) -> datetime:
    """``value`` read as :func:`parse_timestamp`, or ``refuse``'s exception naming ``where``:
    every body field that takes a date-time is read and refused alike."""
    if not isinstance(value, str):
        raise refuse(f"{where} {missing}")
    try:
        return parse_timestamp(value)
    except InvalidTimestamp as error:
        raise refuse(f"{where}: {error}") from None


def format_timestamp(moment: datetime) -> str:
    """``2025-01-15T10:30:45Z`` (with a fraction only when there is one)."""
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch: an exact integer sort key (floats would round)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
