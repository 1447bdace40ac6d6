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
messages) is masked in place: its emails, its phone numbers (found by
:mod:`tools.contact_patterns`, in time linear in the text), and any value the call itself
named (:class:`Known`, built once per call).

Each call works on its own :meth:`Redactor.for_call` copy, which remembers the masks it made:
a call's answer repeats the same few addresses many times. A large answer is built on a
worker thread (:meth:`Redactor.build`), so its masking never holds the event loop.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.util
import re
import secrets
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import TYPE_CHECKING, TypeAlias, TypeVar

import anyio.to_thread

from memory.models.profiles import TraitValue


def _on_first_use(name: str) -> ModuleType:
    """``name``, loaded when an attribute of it is first read (importlib's LazyLoader)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.loader is not None
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


if TYPE_CHECKING:
    from tools import contact_patterns
else:
    # Compiling its patterns took 60 ms of every cold start (bench/cold_start.py, issue 17),
    # and redaction is off by default: they are compiled at the first text redacted instead.
    contact_patterns = _on_first_use("tools.contact_patterns")

T = TypeVar("T")
_Node: TypeAlias = "dict[str, _Node]"  # a trie node: a character to the node after it

# Values named by one call that are looked for in its text: the most frequent this many. A
# Recall may name 100 messages x 101 participants; a conversation has a handful of people,
# so more distinct values than this is not a conversation but a list (or an attack).
MAX_KNOWN = 256
MAX_KNOWN_LENGTH = 64  # a longer "name" is masked in its own field, not looked for in text
# Characters of text in an answer from which it is built on a worker thread: below that the
# thread hop (some 100 microseconds) costs more than the masking it would move.
OFF_LOOP_CHARACTERS = 32_768


class Known:
    """Values one call named (its messages' participants), to be masked wherever its text
    repeats them, regardless of case: one pattern, built once per call.

    The values make a trie-shaped alternation (``Dana (?:Whitfield|Smith)``), so the regular
    expression engine reads each position of the text along one path of the trie, not once
    per value: 100 messages naming 100 recipients cost what a handful of names do."""

    def __init__(self, values: Iterable[str]) -> None:
        counted = Counter(value for value in values if 3 <= len(value) <= MAX_KNOWN_LENGTH)
        self.values: dict[str, str] = {}  # casefolded -> the value as given
        for value, _ in counted.most_common(MAX_KNOWN):
            self.values.setdefault(value.casefold(), value)
        # A value that starts with a letter or digit of a spaced script is looked for where a
        # word starts (not "ann Lee" in "Joann Lee"), which also spares the engine from
        # trying it at every letter of a long word.
        branches: list[str] = []
        if self.values:  # (no one: contact_patterns is not even loaded, see _on_first_use)
            spaced = re.compile(rf"[{contact_patterns.SPACED}]")
            # As given, one spelling per casefolded value: the engine's case-insensitive match
            # compares a character at a time, which lower() would not keep for every letter (İ).
            words = [value for value in self.values.values() if spaced.match(value)]
            others = [value for value in self.values.values() if not spaced.match(value)]
            branches = [rf"(?<![{contact_patterns.SPACED}])(?:{_trie(words)})"] if words else []
            branches += [_trie(others)] if others else []
        self._pattern = rf"(?P<known>(?i:{'|'.join(branches)}))" if branches else ""

    @functools.cached_property
    def finder(self) -> contact_patterns.Finder:
        return contact_patterns.Finder(self._pattern)


_NO_ONE = Known(())
Named = Known | Iterable[str]  # what Redactor.text masks besides emails and phone numbers


class Redactor:
    def __init__(self, enabled: bool, *, key: bytes | None = None) -> None:
        self.enabled = enabled
        self._key = key or secrets.token_bytes(32)
        self._masks: dict[str, str] | None = None  # set on a call's copy (for_call)

    def for_call(self) -> Redactor:
        """A copy for one call, with the same key, that remembers the masks it makes."""
        copy = Redactor(self.enabled, key=self._key)
        copy._masks = {}
        return copy

    async def build(self, make: Callable[[], T], characters: int) -> T:
        """``make()``, which masks an answer's text, run on a worker thread when redaction is
        on and the text is large: the event loop goes on serving other calls and /healthz.
        A cancelled call does not wait for the thread (which finishes on its own)."""
        if self.enabled and characters >= OFF_LOOP_CHARACTERS:
            return await anyio.to_thread.run_sync(make, abandon_on_cancel=True)
        return make()

    def known(self, values: Iterable[str]) -> Known:
        return Known(values) if self.enabled else _NO_ONE

    def value(self, value: str) -> str:
        """The value itself, or its mask when redaction is on."""
        return self.mask(value) if self.enabled else value

    def values(self, values: tuple[str, ...] | list[str]) -> list[str]:
        return [self.mask(value) for value in values] if self.enabled else list(values)

    def trait(self, value: TraitValue) -> TraitValue:
        """A trait value, masked like an identifier value when redaction is on: numbers and
        booleans too (a number may be a phone number or an account), each item of a list."""
        if not self.enabled or value is None:
            return value
        if isinstance(value, list):
            return [self.mask(_text_of(item)) for item in value]
        return self.mask(_text_of(value))

    def text(self, text: str, known: Named = _NO_ONE) -> str:
        """Free text with its emails, phone numbers and ``known`` values masked in place."""
        if not self.enabled or not text:
            return text
        finder = known if isinstance(known, Known) else Known(known)

        def replace(match: re.Match[str]) -> tuple[str, int]:
            if match.lastgroup == "known":
                found = match.group(0)
                return self.mask(finder.values.get(found.casefold(), found)), match.end()
            if match.lastgroup == "email":
                return self._email(match.group(0)), match.end()
            return self._phone_run(text, match)

        return contact_patterns.substitute(finder.finder, text, replace)

    def _email(self, found: str) -> str:
        address = contact_patterns.email(found)
        if address is None:  # no address after all (a numeric top level): digits may be a number
            return self._phones(found)
        offset, normal = address
        return self._phones(found[:offset]) + self._masked(normal)

    def _phones(self, text: str) -> str:
        """Phone numbers masked in a piece of text no email or known value is in."""
        if not any(char.isdigit() for char in text):
            return text
        return contact_patterns.substitute(
            contact_patterns.PHONES, text, lambda match: self._phone_run(text, match)
        )

    def _phone_run(self, text: str, match: re.Match[str]) -> tuple[str, int]:
        """A run of digits and separators with each phone number in it masked; and its end."""
        start = match.start()
        end = contact_patterns.run_end(text, match.end())
        spans = contact_patterns.phone_spans(text, start, end)
        if len(spans) == 1 and spans[0][:2] == (start, end):
            return self._masked(spans[0][2]), end  # the run is one number (the common case)
        out, done = [], start
        for number_start, number_end, normal in spans:
            out += [text[done:number_start], self._masked(normal)]
            done = number_end
        out.append(text[done:end])
        return "".join(out), end

    def mask(self, value: str) -> str:
        return self._masked(normalize(value))

    def _masked(self, normal: str) -> str:
        if self._masks is not None and (cached := self._masks.get(normal)) is not None:
            return cached
        digest = hmac.new(self._key, normal.encode(), hashlib.sha256).hexdigest()[:6]
        masked = f"{_shape(normal)}#{digest}"
        if self._masks is not None:
            self._masks[normal] = masked
        return masked


def normalize(value: str) -> str:
    """Emails lowercased without spaces, phone numbers in E.164; anything else as it is.

    The same rules the API applies to identifiers (its ``email`` and ``phone``
    normalizations), so a value masks the same wherever it was found.
    """
    stripped = value.strip()
    return contact_patterns.whole_email(stripped) or contact_patterns.whole_phone(stripped) or value


def _trie(values: Iterable[str]) -> str:
    """An alternation of ``values`` shaped as a trie: each branch point one group."""
    root: _Node = {}
    for value in values:
        node = root
        for char in value:
            node = node.setdefault(char, {})
        node[""] = {}  # a value ends here
    return _alternation(root)


def _alternation(node: _Node) -> str:
    ends = "" in node
    branches = [re.escape(char) + _alternation(child) for char, child in node.items() if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    # Greedy: where one value is the start of another ("Dana Whit", "Dana Whitfield"), the
    # longer is tried first.
    return f"(?:{body})?" if ends else body


def _text_of(value: str | bool | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shape(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if at and local and domain:
        return f"{local[0]}***@{domain}"
    if 9 <= len(value) <= 16 and value[0] == "+" and value[1:].isdigit():
        # E.164: keep the "+", the first digit (the country code's lead) and the last four.
        return value[:2] + "*" * (len(value) - 6) + value[-4:]
    if len(value) >= 8:
        return value[:2] + "***" + value[-2:]
    return "***"
