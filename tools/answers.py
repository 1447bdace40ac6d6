"""What every tool answers with: a pydantic model, and how it can be cut to fit a size budget.

A tool's structured result is an :class:`Answer`. Besides its own fields, an answer knows
its items (values, identifier types, traits, memories): how many it holds (for the audit),
how many may be left out, and how to leave out the last ``n`` of them, saying so in
``truncated``, ``omitted`` and ``hint``. :func:`tools.budget.fit` uses that to cut any
answer at item boundaries, in one place, for every tool (issue 10, "context budget").
"""

from __future__ import annotations

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
        """A copy with ``changes`` applied and the truncation said (for :meth:`without`)."""
        return self.model_copy(update={**changes, "truncated": True, "omitted": omitted, "hint": hint})


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


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
