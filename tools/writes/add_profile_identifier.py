"""add_profile_identifier: attach an identifier value to a profile (CreateProfileIdentifier).

"If the identifier already exists and points to another profile, resolution rules or merge
processes may apply" (spec): the value is looked up first (CreateProfilesLookup), and the form
and the answer say which other profiles hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.elicitation import ElicitationResult
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.resolve import Elicit, Resolve
from mcp.types import CallToolResult

from memory import writes
from memory.errors import MemoryApiError
from tools.answers import named
from tools.calls import Asked, ToolSpec
from tools.fields import IdType, ProfileId, StoreId
from tools.state import AppState
from tools.writes.common import masked_value, refuse_masks, write_annotations
from tools.writes.consent import Confirmation, NotAsked, Shown, decide
from tools.writes.fields import DryRun, IdentifierValue
from tools.writes.run import WriteAnswer, run_write

NAME = "add_profile_identifier"
TITLE = "Add a profile identifier"

DESCRIPTION = """\
Attach an identifier (e.g. a new email or phone number) to a profile. MAY MERGE PROFILES if \
another holds the value (looked up first, and said). The person confirms it unless dry_run."""


@dataclass(frozen=True)
class Holders:
    """Who holds the value now: other profiles' canonical ids, or why that is unknown."""

    others: tuple[str, ...] = ()
    unknown: str | None = None


async def _holders(
    ctx: Context[AppState, Any], store_id: str, profile_id: str, id_type: str, value: str
) -> Holders:
    state = ctx.request_context.lifespan_context
    try:
        found = await state.api.lookup_profiles(store_id, id_type, value)
    except MemoryApiError as error:
        return Holders(unknown=error.code)
    return Holders(tuple(p for p in found.profiles if p != profile_id))


def _shown(
    ctx: Context[AppState, Any], store_id: str, profile_id: str, id_type: str, value: str, held: Holders
) -> Shown:
    effects: tuple[str, ...]
    if held.others:
        # Up to 100 holders (a Lookup's bound): named as far as a hint names things, so the
        # form and the answer stay within the size budget (issue 16 item 3).
        effects = (f"merge this profile with {named(list(held.others))}, which already hold(s) this value",)
    elif held.unknown:
        effects = (f"merge profiles, if another holds this value (the lookup failed: {held.unknown})",)
    else:
        effects = ()
    data = {"idType": id_type, "value": masked_value(ctx, value)}
    return Shown(NAME, "CreateProfileIdentifier", store_id, profile_id, data, effects)


async def _consent(
    ctx: Context[AppState, Any],
    store_id: str,
    profile_id: str,
    id_type: str,
    value: str,
    dry_run: bool,
    held: Annotated[Holders, Resolve(_holders)],
) -> Elicit[Confirmation] | NotAsked:
    shown = _shown(ctx, store_id, profile_id, id_type, value, held)
    return decide(ctx, shown, dry_run=dry_run, refused=refuse_masks(ctx, value))


async def add_profile_identifier(
    *,
    store_id: StoreId,
    profile_id: ProfileId,
    id_type: IdType,
    value: IdentifierValue,
    dry_run: DryRun = False,
    ctx: Context[AppState, Any],
    held: Annotated[Holders, Resolve(_holders)],
    consent: Annotated[ElicitationResult[Confirmation], Resolve(_consent)],
) -> Annotated[CallToolResult, WriteAnswer]:
    shown = _shown(ctx, store_id, profile_id, id_type, value, held)

    def build() -> writes.WriteRequest:
        return writes.identifier(store_id, profile_id, id_type, value)

    def view(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "value": masked_value(ctx, body["value"])}

    asked = Asked(NAME, store_id, profile_id, id_type)
    hint = "list_profile_identifiers shows it; if it merged profiles, lookup_profiles gives the surviving id."
    return await run_write(ctx, asked, shown, build, consent, view=view, written_hint=hint)


SPEC = ToolSpec(NAME, TITLE, DESCRIPTION, add_profile_identifier, write_annotations(TITLE, destructive=True))
