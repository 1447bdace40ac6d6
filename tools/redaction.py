"""Opt-in masking of identifier values (TWILIO_MEMORY_REDACT=1).

A masked value keeps just enough shape for a person to recognise it (``j***@example.com``,
``+1******6789``) and ends in a short keyed fingerprint, so two different values stay
distinguishable and the same value masks the same way throughout the process. The key is
random per process and never leaves it, so a fingerprint cannot be reversed by hashing
every phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


class Redactor:
    def __init__(self, enabled: bool, *, key: bytes | None = None) -> None:
        self.enabled = enabled
        self._key = key or secrets.token_bytes(32)

    def value(self, value: str) -> str:
        """The value itself, or its mask when redaction is on."""
        return self.mask(value) if self.enabled else value

    def values(self, values: tuple[str, ...] | list[str]) -> list[str]:
        return [self.value(value) for value in values]

    def mask(self, value: str) -> str:
        digest = hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:6]
        return f"{_shape(value)}#{digest}"


def _shape(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if at and local and domain:
        return f"{local[0]}***@{domain}"
    digits = sum(char.isdigit() for char in value)
    if value.startswith("+") and digits >= 8:
        # E.164: keep the "+", the first digit (the country code's lead) and the last four.
        return value[:2] + "*" * (len(value) - 6) + value[-4:]
    if len(value) >= 8:
        return value[:2] + "***" + value[-2:]
    return "***"
