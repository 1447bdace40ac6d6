"""Every form a credential can take in text, found and masked (issue 9 item 3).

A gateway that quotes the request back in a 401 does not quote the secret as we hold it:
it quotes ``Authorization: Basic <base64 of key:secret>``, perhaps URL-encoded, perhaps cut
short. :class:`Scrubber` knows each secret's forms (raw; base64 of the ``user:secret``
pair and of each half, standard and URL-safe, padded or not; percent-encoded in upper and
lower case, ``+`` for spaces or not) and masks any of them, and any run of
:data:`PIECE` or more characters copied out of one, so a quote cut at an arbitrary place
still shows nothing usable; a piece that carries no secret (:data:`PIECE_DISTINCT`) is left.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "[redacted]"
PIECE = 12  # characters: a shorter run of a random secret is no more than a guess
# A piece with fewer distinct characters carries no secret: a run of one character (the
# emulator's public key, SK000...0e1, is mostly zeros, as are the sandbox's store ids) or its
# base64 (MDAwMDAw...). Masking those would cut ids apart in every sandbox error
# (mem_store_01jq8p[redacted]acme, issue 18 item 4). A 12-character piece of a random secret
# has fewer than 5 distinct characters about once in 10,000 windows, and then only that
# window is left: the whole forms, and the pieces around it, are still masked.
PIECE_DISTINCT = 5


def _encodings(value: str) -> set[str]:
    raw = value.encode("utf-8", "surrogatepass")
    forms = {value}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        text = encode(raw).decode("ascii")
        forms |= {text, text.rstrip("=")}
    return forms


def _url_forms(value: str) -> set[str]:
    forms = set()
    for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
        forms |= {encoded, re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), encoded)}
    return forms


class Scrubber:
    """Masks the forms of a fixed set of secrets in any text."""

    def __init__(self, secrets: Iterable[str] = (), pairs: Iterable[tuple[str, str]] = ()) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= _encodings(secret)
        for user, secret in pairs:  # HTTP Basic (RFC 7617 §2): base64 of "user:secret"
            if user and secret:
                forms |= _encodings(user) | _encodings(secret) | _encodings(f"{user}:{secret}")
        for form in list(forms):
            forms |= _url_forms(form)
        # Longest first, so a whole form is masked before any form it contains.
        self._forms = sorted((form for form in forms if form), key=len, reverse=True)
        self._pieces = {
            form[start : start + PIECE]
            for form in self._forms
            if len(form) >= PIECE
            for start in range(len(form) - PIECE + 1)
            if len(set(form[start : start + PIECE])) >= PIECE_DISTINCT
        }

    def scrub(self, text: str) -> str:
        if not self._forms:
            return text
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        if not self._pieces or len(text) < PIECE:
            return text
        # Mark every window of PIECE characters copied out of a form; mask the marked runs.
        marked = [False] * len(text)
        for start in range(len(text) - PIECE + 1):
            if text[start : start + PIECE] in self._pieces:
                marked[start : start + PIECE] = [True] * PIECE
        if not any(marked):
            return text
        out: list[str] = []
        for index, char in enumerate(text):
            if not marked[index]:
                out.append(char)
            elif index == 0 or not marked[index - 1]:
                out.append(MASK)
        return "".join(out)

    def __repr__(self) -> str:
        return f"Scrubber({len(self._forms)} forms)"
