"""The resource template serving what get_profile_identifiers returns, addressable by URI."""

from __future__ import annotations

import re
from typing import cast

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError

from memory.errors import MemoryApiError
from memory.ids import ID_TYPE_PATTERN, PROFILE_ID_PATTERN, STORE_ID_PATTERN
from tools.calls import Asked, record_refusal, recording
from tools.get_profile_identifiers import fetch
from tools.results import answer_text, hint_for
from tools.state import AppState

URI_TEMPLATE = "memory://stores/{store_id}/profiles/{profile_id}/identifiers/{id_type}"
NAME = "profile_identifiers"


def register(server: MCPServer[AppState]) -> None:
    @server.resource(
        URI_TEMPLATE,
        name=NAME,
        title="Profile identifiers",
        description="Every stored value of one identifier type on a profile, as JSON: the same "
        "data as the get_profile_identifiers tool (merged profiles answer with their canonical id).",
        mime_type="application/json",
    )
    async def profile_identifiers(store_id: str, profile_id: str, id_type: str, ctx: Context) -> str:
        state = cast(AppState, ctx.request_context.lifespan_context)  # resources get a bare Context
        # Template variables match any text, empty included: hold them to the tool's patterns.
        # A refused read is audited too, with only its well-formed ids (issue 16 item 4).
        given = {"store_id": store_id, "profile_id": profile_id, "id_type": id_type}
        for name, value, pattern in (
            ("store_id", store_id, STORE_ID_PATTERN),
            ("profile_id", profile_id, PROFILE_ID_PATTERN),
            ("id_type", id_type, ID_TYPE_PATTERN),
        ):
            if not re.fullmatch(pattern, value):  # fullmatch: "$" would let a final \n through
                record_refusal(state, Asked.of_refused(f"resource:{NAME}", given), "invalid_argument")
                raise ResourceNotFoundError(f"{name} must match {pattern}")

        # No size budget: a client reads a resource on purpose, and the hints point at it.
        call = fetch(store_id, profile_id, id_type)
        try:
            with recording(state, Asked(f"resource:{NAME}", store_id, profile_id, id_type)) as record:
                answer = await call(state.api, state.redactor, record.trace)
                text = answer_text(answer)
                record.sent(answer)
        except MemoryApiError as error:
            # The SDK logs a resource error's message at INFO: our own words only, never Twilio's
            # text, which may quote a value back (issue 9 item 4). The tools keep it in their results.
            twilio = f" (Twilio code {error.twilio_code})" if error.twilio_code else ""
            message = f"Error ({error.code}): {error.message}{twilio}. What to do: {hint_for(error)}"
            if error.code == "not_found":
                raise ResourceNotFoundError(message) from None
            raise ResourceError(message) from None
        return text
