"""Redaction costs time linear in the text, whatever the text (issue 16 item 1).

Every bound here is a ratio, never a speed: one text 8 times as long may take at most about
as long as 8 texts of the short size (4 times as long allowed, for a noisy shared machine; a
quadratic pattern takes 8 times as long). Comparing against 8 separate texts, rather than one
text timed 8 times, keeps the memory touched the same on both sides. Each shape attacks one
pattern: a word of letters with no "@" (the email pattern's old quadratic case), runs of "@"
and of percent escapes, runs of digit groups and of separators, the names a call knows.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tools import contact_patterns
from tools.redaction import Known, Redactor

SMALL = 65_536
GROWTH = 8
SLACK = 4.0  # allowed ratio of one long text to GROWTH short ones: linear is 1, quadratic 8


def seconds(work: Callable[[], object], repeats: int = 3) -> float:
    """CPU seconds of this thread (the redaction runs on it): time spent waiting for a core
    on a busy machine is not counted, so the ratio is the work's, not the machine's load."""
    best = float("inf")
    for _ in range(repeats):
        started = time.thread_time()
        work()
        best = min(best, time.thread_time() - started)
    return best


def growth(make: Callable[[int], str], known: Known | None = None, repeats: int = 5) -> float:
    """How much longer one text GROWTH times the size takes than GROWTH texts of the size
    (each side's best of ``repeats``, measured in turn so that the machine's load falls on both)."""
    redactor = Redactor(True)  # no call's cache of masks: both sides mask every value
    named = known if known is not None else redactor.known(())
    parts, whole = [make(SMALL) for _ in range(GROWTH)], make(SMALL * GROWTH)
    redactor.text(parts[0], named)  # warm: patterns compiled, caches filled
    long = short = float("inf")
    for _ in range(repeats):
        long = min(long, seconds(lambda: redactor.text(whole, named), repeats=1))
        short = min(short, seconds(lambda: [redactor.text(part, named) for part in parts], repeats=1))
    return long / short


def repeat(unit: str) -> Callable[[int], str]:
    return lambda size: (unit * (size // len(unit) + 1))[:size]  # a new string each time


SHAPES = {
    "letters without a space": repeat("a"),
    "dotted letters": repeat("a."),
    "letters and at signs": repeat("a@"),
    "at signs then letters": repeat("@a"),
    "percent-encoded at signs": repeat("a%40"),
    "a domain without end": lambda size: "dana@" + repeat("b.")(size),
    "digits": repeat("7"),
    "digit groups": repeat("7 "),
    "dashed digit pairs": repeat("12-"),
    "plus signs and digits": repeat("+1"),
    "escapes and digits": repeat("%201"),
    "unspaced letters and digits": repeat("電話3"),
    "phone numbers": repeat("206-555-0115 "),
}


@pytest.mark.parametrize("make", SHAPES.values(), ids=SHAPES.keys())
def test_redaction_time_grows_linearly_with_the_text(make: Callable[[int], str]) -> None:
    assert growth(make) <= SLACK


def names(count: int) -> list[str]:
    return [f"Person{n} Surname{n}" for n in range(count)] + [f"+1206555{n:04d}" for n in range(count)]


def test_the_names_a_call_knows_cost_time_linear_in_the_text() -> None:
    # A name the text keeps almost matching: "aaaa...b" against a text of "a".
    known = Known(["a" * 100 + "b", "Person One", "a" * 50 + " a"])
    assert growth(repeat("a"), known) <= SLACK
    assert growth(repeat("Person On "), known) <= SLACK


def test_a_hundred_messages_naming_a_hundred_people_cost_about_what_a_few_names_do() -> None:
    # Recall's worst case: 100 messages x 101 participants, every one a different person. The
    # text is searched for a bounded number of them (the most frequent) with one pattern built
    # once per call, so its cost does not grow with the people named (it grew with each).
    redactor = Redactor(True).for_call()
    messages = [f"Message {n}: Person{n} Surname{n} asked to be called back tomorrow." for n in range(100)]
    many, few = redactor.known(names(100 * 101)), redactor.known(names(2))

    def recall(known: Known) -> Callable[[], object]:
        return lambda: [redactor.text(message, known) for message in messages]

    ratio = seconds(recall(many), repeats=5) / seconds(recall(few), repeats=5)
    assert ratio <= SLACK


@pytest.mark.parametrize("window", [1_100, 1_500, 4_096])
def test_windowed_search_finds_what_one_search_finds(monkeypatch: pytest.MonkeyPatch, window: int) -> None:
    # Matches straddle window edges at every offset: units of odd lengths, a long digit run, a
    # long local part, known names; windows just over the reach make edges many.
    units = [
        "dana.whitfield@example.com, ",
        "call (206) 555-0115 ",
        "+1 206 555 0116/206-555-0117 ",
        "Dana Whitfield wrote ",
        "x" * 200 + "@example.org ",
        "7 " * 150,
        "на почту дана@пример.рф ",
    ]
    text = "".join(unit * 7 for unit in units) * 9
    known = Known(["Dana Whitfield", "+12065550199"])
    redactor = Redactor(True)
    monkeypatch.setattr(contact_patterns, "WINDOW", 1 << 30)
    whole = redactor.text(text, known)
    monkeypatch.setattr(contact_patterns, "WINDOW", window)
    assert redactor.text(text, known) == whole
    assert "555-0115" not in whole and "dana.whitfield@" not in whole and "Dana Whitfield" not in whole
