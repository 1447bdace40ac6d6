"""update_profile_traits: set or delete traits on a profile (PatchProfileTraits)."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import CallToolResult

from memory import writes
from tools.calls import Asked, ToolSpec
from tools.fields import ProfileId, StoreId
from tools.state import AppState
from tools.writes.common import redactor_of, refuse_masks, write_annotations
from tools.writes.consent import Confirmation, NotAsked, Shown, decide
from tools.writes.fields import DryRun, TraitPatch
from tools.writes.run import WriteAnswer, run_write

NAME = "update_profile_traits"
TITLE = "Update profile traits"

DESCRIPTION = """\
Set traits on a profile (e.g. a preferred channel); others stay. A null value DELETES that \
trait. Only groups configured in the store. The person confirms it unless dry_run."""

Traits = dict[str, dict[str, Any]]


def _shown(ctx: Context[AppState, Any], store_id: str, profile_id: str, traits: Traits) -> Shown:
    deleted = [
        f"{group}.{name}"
        for group, values in traits.items()
        for name, value in values.items()
        if value is None
    ]
    effects = (f"delete trait(s) {', '.join(deleted)}",) if deleted else ()
    return Shown(NAME, "PatchProfileTraits", store_id, profile_id, {"traits": _view(ctx, traits)}, effects)


def _view(ctx: Context[AppState, Any], traits: Traits) -> Traits:
    redactor = redactor_of(ctx)
    return {
        group: {name: redactor.trait(value) for name, value in values.items()}
        for group, values in traits.items()
    }


def _texts(traits: Traits) -> list[str]:
    found: list[str] = []
    for values in traits.values():
        for value in values.values():
            items = value if isinstance(value, list) else [value]
            found += [item for item in items if isinstance(item, str)]
    return found


async def _consent(
    ctx: Context[AppState, Any], store_id: str, profile_id: str, traits: Traits, dry_run: bool
) -> Elicit[Confirmation] | NotAsked:
    shown = _shown(ctx, store_id, profile_id, traits)
    return decide(ctx, shown, dry_run=dry_run, refused=refuse_masks(ctx, *_texts(traits)))


async def update_profile_traits(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    traits: TraitPatch,
    dry_run: DryRun = False,
    ctx: Context[AppState, Any],
    consent: Annotated[ElicitationResult[Confirmation], Resolve(_consent)],
) -> Annotated[CallToolResult, WriteAnswer]:
    shown = _shown(ctx, store_id, profile_id, traits)

    def build() -> writes.WriteRequest:
        return writes.trait_patch(store_id, profile_id, traits)

    def view(body: dict[str, Any]) -> dict[str, Any]:
        return {"traits": _view(ctx, body["traits"])}

    asked = Asked(NAME, store_id, profile_id)
    return await run_write(
        ctx, asked, shown, build, consent, view=view, written_hint="get_profile shows them."
    )


# Destructive (a null deletes a trait); idempotent (the same patch twice leaves what once did).
SPEC = ToolSpec(
    NAME,
    TITLE,
    DESCRIPTION,
    update_profile_traits,
    write_annotations(TITLE, destructive=True, idempotent=True),
)
