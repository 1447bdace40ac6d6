"""What every tool answers with: a pydantic model, and how it can be cut to fit a size budget.

A tool's structured result is an :class:`Answer`. Besides its own fields, an answer knows
its items (values, identifier types, traits, memories): how many it holds (for the audit),
how many may be left out, and how to leave out the last ``n`` of them, saying so in
``truncated``, ``omitted`` and ``hint``. :func:`tools.budget.fit` uses that to cut any
answer at item boundaries, in one place, for every tool (issue 10, "context budget").
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Self

from pydantic import BaseModel, Field

from memory.client import Located


def _unset(value: object) -> bool:
    return value is None or value is False or value == 0


class Answer(BaseModel):
    """Base of the tools' structured results.

    The three budget fields appear only in a cut answer, so an answer that fits reads exactly
    as the API's data; the output schema lists them as optional.
    """

    truncated: bool = Field(
        default=False,
        exclude_if=_unset,
        description="Present and true when items were left out to keep the result within the "
        "server's size budget; hint says how to get them.",
    )
    omitted: int = Field(
        default=0, exclude_if=_unset, description="How many items were left out to fit the size budget."
    )
    hint: str | None = Field(default=None, exclude_if=_unset, description="How to get what was left out.")

    def json_data(self) -> dict[str, Any]:
        """The answer as JSON data: what ``model_dump(mode="json")`` gives (the fields a
        field's ``exclude_if`` leaves out left out), without copying every item again (a
        25-memory recall's second walk, issue 17). An answer's fields hold JSON values as
        they are (strings, numbers, booleans, and lists, dicts and typed dicts of them), which
        validation kept so; tests/tools/test_answer_data.py holds every tool's answers to it."""
        data = dict(self.__dict__)
        for name, excluded in _exclusions(type(self)):
            if excluded(data[name]):
                del data[name]
        return data

    def canonical_profile_id(self) -> str | None:
        """The profile the answer belongs to, for the audit trail (None where there is none)."""
        return None

    def item_count(self) -> int:
        """How many items the answer holds (values, identifier types, traits, memories)."""
        return 0

    def droppable(self) -> int:
        """How many items may be left out: all of them unless the answer says otherwise (an
        answer that cannot be cut says 0)."""
        return self.item_count()

    def without(self, drop: int) -> Self:
        """A copy with ``drop`` items left out (the last ones, in the answer's own order),
        ``truncated``, ``omitted`` and ``hint`` set. ``1 <= drop <= droppable()``."""
        return self

    def cut(self, omitted: int, hint: str, **changes: Any) -> Self:
        """A copy with ``changes`` applied and the truncation said (for :meth:`without`).
        The hint is held to :data:`MAX_HINT` characters: it is the one part of a cut answer
        that grows with what was left out."""
        if cost(hint) > MAX_HINT:
            hint = within(hint, MAX_HINT - cost("…")) + "…"
        return self.model_copy(update={**changes, "truncated": True, "omitted": omitted, "hint": hint})


@functools.cache
def _exclusions(kind: type[Answer]) -> tuple[tuple[str, Callable[[Any], bool]], ...]:
    """The fields of ``kind`` that ``exclude_if`` leaves out of its dump, when they hold what it names."""
    return tuple((name, field.exclude_if) for name, field in kind.model_fields.items() if field.exclude_if)


class LocatedAnswer(Answer):
    """An answer read from one profile: which profile it is, and which was asked for.

    A merged profile answers with its canonical one (memory.merges): ``profile_id`` then
    differs from ``requested_profile_id``, and the audit trail records the canonical id.
    """

    store_id: str
    profile_id: str = Field(
        description="The profile the answer belongs to: the canonical one if the requested "
        "profile was merged."
    )
    requested_profile_id: str

    @classmethod
    def of(cls, found: Located[Any], **fields: Any) -> Self:
        """The answer for what the client ``found``, with the answer's own ``fields``."""
        return cls(
            store_id=found.store_id,
            profile_id=found.profile_id,
            requested_profile_id=found.requested_profile_id,
            **fields,
        )

    def canonical_profile_id(self) -> str | None:
        return self.profile_id


# A hint is never cut by the budget, so it has a bound of its own, in characters once
# written as JSON (:func:`cost`). The result carries it twice (the text is JSON inside a JSON
# string, escaped again: at most twice as long), so it spends at most a third of the smallest
# budget (10,000) however its names are spelled.
MAX_HINT = 1_000
# What a hint may spend on naming things (groups, identifier types): the rest is its advice.
MAX_NAMES = 500


def cost(text: str) -> int:
    """Characters ``text`` takes once written as a JSON string (escapes counted), at most."""
    return len(json.dumps(text)) - 2


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def within(text: str, limit: int) -> str:
    """The longest start of ``text`` whose :func:`cost` is at most ``limit``."""
    used = 0
    for index, char in enumerate(text):
        used += cost(char)
        if used > limit:
            return text[:index]
    return text


def named(names: list[str], limit: int = MAX_NAMES) -> str:
    """``names`` joined with commas, as many whole names as fit in ``limit`` (:func:`cost`), then
    "and N more": a hint that lists what was left out stays bounded however many there are."""
    shown: list[str] = []
    used = 0
    for name in names:
        used += cost(name) + 2
        if used > limit:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    if not rest:
        return ", ".join(shown)
    return f"{', '.join(shown)} and {rest} more" if shown else f"{rest} not named here"
