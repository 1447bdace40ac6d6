"""Opt-in masking of personal data (TWILIO_MEMORY_REDACT=1).

A masked value keeps just enough shape for a person to recognise it (``j***@example.com``,
``+1******6789``) and ends in a short keyed fingerprint, so two different values stay
distinguishable and the same value masks the same way throughout the process. The key is
random per process and never leaves it, so a fingerprint cannot be reversed by hashing
every phone number.

Emails and phone numbers are fingerprinted in a normal form (emails lowercased without
spaces, phones in E.164, as the API stores identifiers), so ``(206) 555-0101`` in a memory's
text, ``206-555-0101`` in a trait and the identifier ``+12065550101`` all mask alike and
the model can still tell they are one person's number. Free text (memories, summaries,
messages) is masked in place: its emails, its phone numbers, and any identifier value the
call itself returned (:meth:`Redactor.text`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from memory.models.profiles import TraitValue

# Latin letters, accented ones included (josé@exámple.com; RFC 6531 allows them in addresses).
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_AT = "(?:@|%40)"  # "%40": an address inside a URL (mailto:, a query string)
EMAIL = rf"[{_LATIN}0-9._%+'-]+@[{_LATIN}0-9-]+(?:\.[{_LATIN}0-9-]+)*\.[{_LATIN}]{{2,}}"
# A phone-number candidate: an optional "+", digits in groups separated by at most two of
# space . - ( ); checked by _is_phone (10-15 digits, 8 with a "+"; not a date).
PHONE = r"\+?\(?\d(?:[ .()\-]{0,2}\d){6,17}"
_EMAIL = re.compile(EMAIL)
_PHONE = re.compile(PHONE)
# In free text a number glued to Latin letters, digits or "_" is part of an id (SM0000...,
# a TTID), not a phone number. Other scripts are not: Japanese, Chinese or Russian text
# writes "電話番号は+13175551234です" with no space, and Unicode's \w would count those
# letters as the number's neighbours. "%2B" is a "+" inside a URL; "x"/"ext" an extension.
_GLUED = rf"[{_LATIN}_\d]"
_IN_TEXT = re.compile(
    rf"(?P<email>{EMAIL.replace('@', _AT, 1)})"
    rf"|(?<![{_LATIN}_\d+])(?P<phone>(?:%2[Bb])?{PHONE})(?!(?!(?i:x|ext)){_GLUED})"
)
_DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


class Redactor:
    def __init__(self, enabled: bool, *, key: bytes | None = None) -> None:
        self.enabled = enabled
        self._key = key or secrets.token_bytes(32)

    def value(self, value: str) -> str:
        """The value itself, or its mask when redaction is on."""
        return self.mask(value) if self.enabled else value

    def values(self, values: tuple[str, ...] | list[str]) -> list[str]:
        return [self.value(value) for value in values]

    def trait(self, value: TraitValue) -> TraitValue:
        """A trait value, masked like an identifier value when redaction is on: numbers and
        booleans too (a number may be a phone number or an account), each item of a list."""
        if not self.enabled or value is None:
            return value
        if isinstance(value, list):
            return [self.mask(_text_of(item)) for item in value]
        return self.mask(_text_of(value))

    def text(self, text: str, known: Iterable[str] = ()) -> str:
        """Free text with its emails, phone numbers and ``known`` values masked in place."""
        if not self.enabled:
            return text
        pattern = _IN_TEXT
        # Known values are matched regardless of case, and masked as the value itself is.
        values = {value.casefold(): value for value in known if len(value) >= 3}
        if values:
            alternatives = "|".join(re.escape(value) for value in sorted(values, key=len, reverse=True))
            pattern = re.compile(rf"(?P<known>{alternatives})|{_IN_TEXT.pattern}", re.IGNORECASE)

        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            if match.lastgroup == "known":
                return self.mask(values.get(found.casefold(), found))
            if match.lastgroup == "phone":
                if found[:3].upper() == "%2B":
                    return self._phones_in("+" + found[3:])
                return self._phones_in(found)
            return self.mask(re.sub("%40", "@", found, count=1, flags=re.IGNORECASE))

        return pattern.sub(replace, text)

    def _phones_in(self, candidate: str) -> str:
        """A candidate run of digits masked whole if it is one phone number; otherwise split at
        its spaces, so "on 2025-01-15 206-555-0101" still masks the number after the date."""
        if _is_phone(candidate):
            return self.mask(candidate)
        words = candidate.split(" ")
        out: list[str] = []
        start = 0
        while start < len(words):
            for end in range(len(words), start, -1):
                part = " ".join(words[start:end])
                if end - start < len(words) and _is_phone(part):
                    out.append(self.mask(part))
                    start = end
                    break
            else:
                out.append(words[start])
                start += 1
        return " ".join(out)

    def mask(self, value: str) -> str:
        normal = normalize(value)
        digest = hmac.new(self._key, normal.encode(), hashlib.sha256).hexdigest()[:6]
        return f"{_shape(normal)}#{digest}"


def normalize(value: str) -> str:
    """Emails lowercased without spaces, phone numbers in E.164; anything else as it is.

    The same rules the API applies to identifiers (its ``email`` and ``phone``
    normalizations), so a value masks the same wherever it was found.
    """
    stripped = value.strip()
    if _EMAIL.fullmatch(stripped.replace(" ", "")):
        return stripped.replace(" ", "").lower()
    if _PHONE.fullmatch(stripped) and _is_phone(stripped):
        digits = re.sub(r"\D", "", stripped)
        if not stripped.startswith("+") and len(digits) == 10:
            return "+1" + digits  # a US number without its country code (the spec's rule)
        return "+" + digits
    return value


def _is_phone(candidate: str) -> bool:
    digits = sum(char.isdigit() for char in candidate)
    fewest = 8 if candidate.startswith("+") else 10
    return fewest <= digits <= 15 and not _DATE.match(candidate)


def _text_of(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
