"""Where emails and phone numbers are in free text, found in time linear in the text.

Every pattern here is linear (issue 16): a run of characters is consumed by a possessive
quantifier (Python 3.11+), so a failed match never backtracks into it, and an email's local
part can only start where a run of address characters starts (a look-behind), so a word of
60,000 letters is read once rather than once per letter. Matches are bounded in length, so
:func:`substitute` searches a long text a window at a time: no single regular-expression call
(which holds the GIL) lasts longer than a window's worth of work, and a worker thread doing
this leaves the event loop free.

Emails (RFC 5322 addresses, with RFC 6531's non-ASCII letters in the local part and domain)
are anchored on the ``@`` (or ``%40`` in a URL). Scripts written without spaces between words
(Chinese, Japanese, Korean, Thai, ...) and those written with spaces have separate character
classes, so ``メールはdana@example.com`` masks the address and not the Japanese before it,
while ``山田@例え.テスト`` is an address of its own.

Phone numbers are runs of digits joined by at most four separator characters (spaces of every
width, hyphens and dashes, dots, slashes, brackets, ``%20``); :func:`phone_spans` splits a run into
the numbers it holds (10-15 digits, or 8-15 after a ``+``), so two numbers side by side are
two numbers, and dates and ids glued to letters are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import islice

# Letters, digits and combining marks of scripts written with spaces between words: Latin
# (accented and extended), Greek, Cyrillic, Armenian, Hebrew, Arabic, the Indic scripts (not
# their danda), Georgian. Python's \w would leave out the combining marks Indic words need.
SPACED = (
    "0-9A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0300-\u036f"
    "\u0370-\u0373\u0376\u0377\u037b-\u037d\u0386\u0388-\u03ff\u0400-\u0482\u048a-\u052f"
    "\u0531-\u0556\u0561-\u0587\u05d0-\u05ea\u0620-\u0669\u066e-\u06d3\u06d5-\u06ff"
    "\u0900-\u0963\u0966-\u0dff\u10a0-\u10ff\u1e00-\u1fbc\u1fc2-\u1fcc\u1fd0-\u1fdb"
    "\u1fe0-\u1fec\u1ff2-\u1ffc\u200c\u200d"
)
# Scripts written without spaces between words: Thai, Lao, Myanmar, Khmer, Hangul, kana,
# CJK ideographs, full-width letters and digits.
UNSPACED = (
    "\u0e01-\u0e4e\u0e50-\u0e59\u0e81-\u0edf\u1000-\u1049\u1050-\u109f\u1780-\u17d3"
    "\u17e0-\u17e9\u1100-\u11ff\u3041-\u3096\u3099-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3131-\u318e\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\uf900-\ufaff"
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uff9f\U00020000-\U0003134f"
)

# RFC 5321 4.5.3.1: labels of at most 63 octets, a domain of at most 255; a local part of at
# most 64, taken up to 254 here (a whole address's limit, RFC 3696 errata) so a longer one in
# the wild is still masked. The bounds also keep every match short, which the windowed search
# relies on. A local part starts only where a run of its characters starts (its first
# character, then a look-behind at the one before it): inside a word the match fails at once,
# and at a word's start it reads at most 254 characters (a bounded backtrack to find the "@"),
# so a word of any length costs its length.
_LOCAL_SPACED = rf"[{SPACED}_.+'%\-]"
_LOCAL_UNSPACED = rf"[{UNSPACED}0-9_.+%\-]"
_LOCAL = (
    rf"(?:{_LOCAL_SPACED}(?<!{_LOCAL_SPACED}.){_LOCAL_SPACED}{{0,253}}"
    rf"|{_LOCAL_UNSPACED}(?<!{_LOCAL_UNSPACED}.){_LOCAL_UNSPACED}{{0,253}})"
)
_LABEL = rf"(?:[{SPACED}\-]{{1,63}}+|[{UNSPACED}0-9\-]{{1,63}}+)"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL}){{1,8}}+"
_AT = "(?:@|%40)"  # "%40": an address inside a URL (mailto:, a query string)
EMAIL = rf"(?P<email>{_LOCAL}{_AT}{_DOMAIN})"

# What people put between the digit groups of a phone number: spaces (no-break, narrow
# no-break, figure, thin, ideographic), hyphens and dashes (non-breaking hyphen, en and em
# dash, minus, full-width), dots, slashes, brackets, and "%20" (a space inside a tel: URI).
_SEP = (
    r"(?:%20|[ .()/\-\u00a0\u2007\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2212\u3000"
    r"\uff08\uff09\uff0d\uff0e\uff0f])"
)
_PLUS = r"(?:[+\uff0b]|%2[Bb])"  # "%2B": a "+" inside a URL
_GROUPS = rf"(?:{_SEP}{{0,4}}+\d)"
# The look-ahead turns most positions down in one step. A run never starts on a digit of a
# percent escape ("%20206..." is "%20" then "206..."), and holds 8 digits at least (no phone
# number has fewer): shorter runs, the most common by far, are turned down without a call
# back into Python.
PHONE = (
    rf"(?P<phone>(?=[\d+\uff0b%(\uff08])(?:{_PLUS}|(?<!%)(?<!%[0-9A-Fa-f]))"
    rf"[(\uff08]?\d{_GROUPS}{{7,64}}+)"
)
_RUN_TAIL = re.compile(rf"{_GROUPS}{{1,4096}}+")  # a run longer than PHONE takes, read on
_DIGITS = re.compile(r"(?<!%)(?<!%[0-9A-Fa-f])\d+")  # not the digits of a percent escape
_FIRST = rf"(?=[{SPACED}{UNSPACED}_.+'%\-\uff0b(\uff08])"  # what an email or a phone starts with

_EMAIL_WHOLE = re.compile(rf"(?:{_LOCAL_SPACED}{{1,254}}+|{_LOCAL_UNSPACED}{{1,254}}+)@{_DOMAIN}")
_PHONE_WHOLE = re.compile(rf"{_PLUS}?[(\uff08]?\d{_GROUPS}*+")


class Finder:
    """The patterns that find emails, phone numbers and (``known``: a pattern of its own, in
    a group named "known", tried first) values a call named. Two of them: a window of text
    with no "@" (most of them) is searched without the email branch, at a third of the cost."""

    def __init__(self, known: str = "") -> None:
        first = f"{known}|" if known else ""
        self.full = re.compile(rf"{first}{_FIRST}(?:{EMAIL}|{PHONE})")
        self.without_email = re.compile(first + PHONE)


PHONES = re.compile(PHONE)

# In free text a number glued to Latin letters, digits or "_" is part of an id (SM0000...,
# a TTID), not a phone number. Other scripts are not: Japanese, Chinese or Russian text
# writes "電話番号は+13175551234です" with no space. "x"/"ext" after it is an extension.
_GLUED = re.compile(r"[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f_\d]")
_EXTENSION = re.compile(r"x|ext", re.IGNORECASE)
_DATE_SEPARATORS = ("-", "/", ".")

MAX_GROUPS = 128  # digit groups in one run beyond which it is masked whole, not split
# Characters a window reaches past where a match may start: more than the longest bounded
# match (an email: 254 + 3 + 9 x 64) and any known value (tools.redaction caps them at 64).
REACH = 1024
WINDOW = 1 << 15

Handler = Callable[[re.Match[str]], tuple[str, int]]


def substitute(finder: Finder | re.Pattern[str], text: str, handle: Handler) -> str:
    """``text`` with each match of the finder replaced as ``handle`` says: it returns the
    replacement and where the search goes on (at or after the match's end).

    The same matches as ``pattern.sub`` would find, searched a window at a time. A match that
    ends near its window's edge is matched again with the whole text in view, in case the
    edge cut it short; otherwise a window's search sees all a match depends on (every
    pattern's matches are shorter than :data:`REACH`, but for phone runs, which any digit
    starts and ``handle`` reads on)."""
    out: list[str] = []
    done = pos = 0
    size = len(text)
    at_sign = at_escape = -1  # the next "@" and "%40" at or after pos, once looked for
    while pos < size:
        end = min(size, pos + WINDOW)
        if isinstance(finder, Finder):
            if at_sign < pos:
                at_sign = _next(text, "@", pos)
            if at_escape < pos:
                at_escape = _next(text, "%40", pos)
            # An email needs its "@" within reach of where it starts.
            pattern = finder.full if min(at_sign, at_escape) < end + REACH else finder.without_email
        else:
            pattern = finder
        for seen in pattern.finditer(text, pos, end):
            start, edge = seen.start(), end < size and seen.end() + REACH > end
            found = pattern.match(text, start) if edge else seen
            if found is None:
                pos = start + 1  # the edge made this match: there is none here
                break
            replacement, resume = handle(found)
            out += [text[done:start], replacement]
            done = pos = resume
            if edge or resume != found.end():
                break  # the handler read past the window's search: search on from there
        else:
            if end == size:
                break
            pos = max(pos, end - REACH)
    out.append(text[done:])
    return "".join(out)


def _next(text: str, needle: str, start: int) -> int:
    found = text.find(needle, start)
    return len(text) if found < 0 else found


def email(found: str) -> tuple[int, str] | None:
    """Where the address in an EMAIL match starts (it may follow punctuation the match took)
    and its normal form (lowercase, "@"); None if it is no address after all (a numeric TLD)."""
    at = found.find("@")
    if at < 0:
        at = found.find("%40")
        after = at + 3
    else:
        after = at + 1
    local = found[:at].lstrip(".'+-")
    domain = found[after:]
    if not local or not _top_level(domain):
        return None
    return at - len(local), f"{local}@{domain}".lower()


def whole_email(value: str) -> str | None:
    """The normal form of ``value`` if it is one email address (lowercase, no spaces)."""
    compact = value.replace(" ", "")
    if len(compact) > 320 or not _EMAIL_WHOLE.fullmatch(compact):
        return None
    local, _, domain = compact.partition("@")
    return compact.lower() if _top_level(domain) and local.strip(".'+-%") else None


def _top_level(domain: str) -> bool:
    top = domain.rsplit(".", 1)[-1]
    return len(top) >= 2 and len(domain) <= 255 and not top.replace("-", "").isdigit()


def run_end(text: str, end: int) -> int:
    """Where the phone run a PHONE match ended at ``end`` really ends (PHONE takes 64 groups
    at most, so that every match stays short)."""
    while (more := _RUN_TAIL.match(text, end)) is not None:
        end = more.end()
    return end


def phone_spans(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """The phone numbers in the run ``text[start:end]``: (start, end, E.164) for each.

    A run is split into digit groups; a phone number is consecutive groups holding 10-15
    digits (8-15 after a "+"). The split chosen masks the most digits, then makes the fewest
    numbers, then the most plausible ones (10 digits, or 11 starting with 1, or after a
    "+"): "206-555-0115 206-555-0116" is two numbers, not "206-555-0115 206" and the rest.
    Dates (2025-01-15, 15/01/2025) are never part of a number, nor a group glued to Latin
    letters or "_". A run of more than :data:`MAX_GROUPS` groups is no one's way of writing
    numbers: it is returned whole, its normal form itself, to be masked as one value.
    Linear: each group ends at most 15 candidate numbers."""
    run = text[start:end]
    plus = _PLUS_AT.match(run) is not None
    glued_left = not plus and start > 0 and run[0] not in "(\uff08" and _glued_left(text, start)
    glued_right = end < len(text) and _GLUED.match(text, end) and not _EXTENSION.match(text, end)
    if len(run) <= 48 and "%" not in run and not glued_left and not glued_right:
        # The common case, read without splitting: a run of 15 digits at most, no date in it,
        # is one number (or none) as a whole.
        number = _NOT_DIGITS.sub("", run)
        if len(number) <= 15 and not _DATE_IN.search(run):
            return [(start, end, _e164(number, plus))] if len(number) >= (8 if plus else 10) else []
    groups = [match.span() for match in islice(_DIGITS.finditer(text, start, end), MAX_GROUPS + 1)]
    if len(groups) > MAX_GROUPS:
        return [(start, end, text[start:end])]
    count = len(groups)
    digits = [group_end - group_start for group_start, group_end in groups]
    total = sum(digits)
    if total < 8:
        return []  # a count, a time, a short number: no number in it
    barred = [False] * count
    barred[0] = glued_left
    barred[-1] = barred[-1] or bool(glued_right)
    for i in range(count - 2):
        first = text[groups[i][1] : groups[i + 1][0]]
        if first in _DATE_SEPARATORS and first == text[groups[i + 1][1] : groups[i + 2][0]]:
            shape = (digits[i], digits[i + 1], digits[i + 2])
            if (shape[0] == 4 and max(shape[1:]) <= 2) or (max(shape[:2]) <= 2 and shape[2] == 4):
                barred[i] = barred[i + 1] = barred[i + 2] = True
    if total <= 15 and not any(barred):
        # At most one number, and the whole run is it if any part is.
        return [(start, end, _e164(_joined(text, groups), plus))] if total >= (8 if plus else 10) else []
    # best[i]: the best score of groups i.. (masked digits, then fewer numbers, then the
    # plausible ones), and step[i] where the number starting at group i ends (i: none).
    best = [0] * (count + 1)
    step = [0] * (count + 1)
    for i in range(count - 1, -1, -1):
        score, step[i] = best[i + 1], i
        if not barred[i]:
            fewest = 8 if i == 0 and plus else 10
            total = 0
            for j in range(i, count):
                total += digits[j]
                if barred[j] or total > 15:
                    break
                if total >= fewest:
                    candidate = total * 10_000 - 100 + best[j + 1]
                    if i == 0 and plus:
                        candidate += 2
                    if total == 10 or (total == 11 and int(text[groups[i][0]]) == 1):
                        candidate += 1
                    if candidate > score:
                        score, step[i] = candidate, j + 1
        best[i] = score
    spans = []
    i = 0
    while i < count:
        if step[i] == i:
            i += 1
            continue
        last = step[i] - 1
        normal = _e164(_joined(text, groups[i : last + 1]), plus and i == 0)
        spans.append((start if i == 0 else groups[i][0], groups[last][1], normal))
        i = last + 1
    return spans


def _joined(text: str, groups: list[tuple[int, int]]) -> str:
    return "".join([text[a:b] for a, b in groups])


def _e164(number: str, plus: bool) -> str:
    """``number`` (its digits) in E.164: a 10-digit number without a "+" is taken for a US one
    (the API's rule for phone identifiers)."""
    if not number.isascii():
        number = "".join(str(int(char)) for char in number)  # full-width and other digits
    return "+1" + number if len(number) == 10 and not plus else "+" + number


def whole_phone(value: str) -> str | None:
    """The E.164 form of ``value`` if it is one phone number, written any way that
    :func:`phone_spans` reads."""
    stripped = value.strip()
    if len(stripped) > 100 or not _PHONE_WHOLE.fullmatch(stripped):
        return None
    spans = phone_spans(stripped, 0, len(stripped))
    if len(spans) == 1 and spans[0][:2] == (0, len(stripped)) and spans[0][2].startswith("+"):
        return spans[0][2]
    return None


_PLUS_AT = re.compile(_PLUS)
_NOT_DIGITS = re.compile(r"\D+")
# A date in a run: 2025-01-15, 15/01/2025, 1.2.2025 (one separator, the same twice).
_DATE_IN = re.compile(r"(?<!\d)(?:\d{4}([-/.])\d{1,2}\1\d{1,2}|\d{1,2}([-/.])\d{1,2}\2\d{4})(?!\d)")
_ESCAPE_BEFORE = re.compile("%[0-9A-Fa-f]{2}")


def _glued_left(text: str, start: int) -> bool:
    if not _GLUED.match(text, start - 1):
        return False
    # The end of a percent escape ("=%3D206...") is a boundary, not a glued letter.
    return _ESCAPE_BEFORE.match(text, start - 3) is None if start >= 3 else True
