"""Identifier value normalization, per ``IdentifierConfig.normalization`` in the spec.

The spec's four rules, and how the emulator reads each:

- ``phone``: E.164. Allowed input is digits with spaces, ``-``, ``.``, ``(`` and ``)`` as
  separators and an optional leading ``+``; anything else (letters, extensions) is invalid.
  Per the spec's note, US numbers are 10 digits with area code, with or without the ``+1``
  prefix; non-US numbers carry a 1-3 digit country code (``+`` optional). So, counting digits:
  10 → ``+1`` + digits; 11-15 → ``+`` + digits, where a leading ``1`` (the North American
  plan) demands exactly 11; with an explicit ``+``, 8-15 digits are accepted (E.164 allows
  short numbers for some countries). Fewer or more digits are invalid. The spec's worked
  example holds: ``"1-317-555-6789"`` → ``"+13175556789"`` (CreateProfilesLookup). Never a
  number that is not E.164 (issue 8): no country code starts with ``0`` (ITU-T E.164 §6), so a
  national number such as ``"020 7946 0958"`` or a ``00`` international prefix is invalid rather
  than ``+0…``; and a North American area code starts with 2-9 (NANP), so ``+1`` followed by
  ``0`` or ``1`` is invalid too.
- ``email``: lowercase and remove spaces. We remove every whitespace character, not only
  U+0020; no plus-tag or dot folding (the spec names none).
- ``trim``: remove whitespace from both ends.
- ``none``: the value as sent.

An invalid value raises :class:`InvalidValue`; the API answers 400 (the status is not in the
spec, 400 is the only request-error status it declares for these operations). A value that
normalizes to the empty string is invalid too.
"""

from __future__ import annotations

import re
from typing import Literal

Normalization = Literal["phone", "email", "trim", "none"]

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")


class InvalidValue(ValueError):
    """The value cannot be normalized under the identifier's rule."""


def normalize(value: str, rule: Normalization) -> str:
    if rule == "phone":
        normalized = _phone(value)
    elif rule == "email":
        normalized = "".join(value.split()).lower()
    elif rule == "trim":
        normalized = value.strip()
    else:
        normalized = value
    if not normalized:
        raise InvalidValue("the identifier value is empty")
    return normalized


def _phone(value: str) -> str:
    text = value.strip()
    if not _PHONE_CHARS.fullmatch(text):
        raise InvalidValue(f"{value!r} is not a valid phone number")
    digits = re.sub(r"[^0-9]", "", text)
    explicit_plus = text.startswith("+")
    count = len(digits)
    if not explicit_plus and count == 10:
        digits = "1" + digits
    elif not (8 if explicit_plus else 11) <= count <= 15 or (digits.startswith("1") and count != 11):
        digits = ""
    if digits and digits[0] != "0" and (digits[0] != "1" or digits[1] not in "01"):
        return "+" + digits
    raise InvalidValue(
        f"{value!r} is not a valid phone number: use 10 digits with area code for US numbers, "
        "or a country code and number (E.164)"
    )
