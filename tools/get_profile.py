"""get_profile: a profile's traits, by group (FetchProfile)."""

from __future__ import annotations

from typing import Annotated, Any, Self

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import Field

from memory.client import CallTrace, MemoryApiClient
from memory.models.profiles import TraitValue
from tools.answers import Answer, LocatedAnswer, named, plural
from tools.calls import Asked, ToolSpec, run_call
from tools.fields import ProfileId, StoreId, TraitGroups
from tools.redaction import Redactor
from tools.state import AppState

NAME = "get_profile"

DESCRIPTION = """\
\
Return a profile's traits: the lasting facts about the customer (name, location, \
preferences, plan, ...) by trait group, and when the profile was created. Give trait_groups \
to read only some groups."""


class ProfileAnswer(LocatedAnswer):
    created_at: str | None = Field(description="When the profile was created (RFC 3339).")
    traits: dict[str, dict[str, TraitValue]] = Field(
        description="Trait values by trait group, then trait name: strings, numbers, booleans or lists."
    )

    def item_count(self) -> int:
        return sum(len(group) for group in self.traits.values())

    def without(self, drop: int) -> Self:
        # Whole traits go, the last group's last ones first; the groups touched are named.
        keep = self.item_count() - drop
        kept: dict[str, dict[str, TraitValue]] = {}
        touched: list[str] = []
        for group, traits in self.traits.items():
            names = list(traits)
            taken = names[: max(keep, 0)]
            keep -= len(taken)
            if taken:
                kept[group] = {name: traits[name] for name in taken}
            if len(taken) < len(names):
                touched.append(group)
        hint = (
            f"{plural(drop, 'trait')} were left out to fit the result size budget, from the groups "
            f"{named(touched)}. Call get_profile again with trait_groups naming fewer groups "
            "at a time (for example just one of those)."
        )
        return self.cut(drop, hint, traits=kept)


async def get_profile(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    trait_groups: TraitGroups | None = None,
    ctx: Context[AppState, Any],
) -> Annotated[CallToolResult, ProfileAnswer]:
    async def call(api: MemoryApiClient, redactor: Redactor, trace: CallTrace) -> Answer:
        found = await api.fetch_profile(store_id, profile_id, trait_groups or (), trace=trace)
        return ProfileAnswer.of(
            found,
            created_at=found.body.created_at,
            traits={
                group: {name: redactor.trait(value) for name, value in traits.items()}
                for group, traits in found.body.traits.items()
            },
        )

    return await run_call(ctx, Asked(NAME, store_id, profile_id), call)


SPEC = ToolSpec(NAME, "Get profile traits", DESCRIPTION, get_profile)
