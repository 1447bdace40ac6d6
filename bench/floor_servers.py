"""The SDK floor for bench/tool_call.py: one-tool MCPServers doing each tool's upstream call.

Each floor tool makes the same request as ours (an httpx2.AsyncClient over the same
MockTransport, the same method, path and JSON body), parses the answer with json.loads and
returns a typed pydantic model of the same fields and size as our answer; the SDK does the rest
(argument validation, output validation, serialization). What it leaves out is what a naive
tool leaves out: id patterns, retries, merges, redaction, the budget, logging, the audit.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import httpx2
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

BASE = "https://memory.twilio.com/v1"


class Identifiers(BaseModel):
    store_id: str
    profile_id: str
    requested_profile_id: str
    id_type: str
    values: list[str]


class Observation(BaseModel):
    id: str
    content: str | None
    source: str | None
    occurred_at: str | None
    created_at: str
    conversation_ids: list[str]
    score: float | None


class Summary(BaseModel):
    id: str
    conversation_id: str
    content: str
    source: str | None
    occurred_at: str
    created_at: str
    score: float | None


class Recalled(BaseModel):
    store_id: str
    profile_id: str
    requested_profile_id: str
    ranked: bool
    observations: list[Observation]
    summaries: list[Summary]
    communications: list[dict[str, Any]]


def observation(item: dict[str, Any]) -> Observation:
    return Observation(
        id=item["id"],
        content=item.get("content"),
        source=item.get("source"),
        occurred_at=item.get("occurredAt"),
        created_at=item["createdAt"],
        conversation_ids=item.get("conversationIds", []),
        score=item.get("score"),
    )


def summary(item: dict[str, Any]) -> Summary:
    return Summary(
        id=item["id"],
        conversation_id=item["conversationId"],
        content=item["content"],
        source=item.get("source"),
        occurred_at=item["occurredAt"],
        created_at=item["createdAt"],
        score=item.get("score"),
    )


def floor_server(
    tool: str,
    transport: httpx2.AsyncBaseTransport | None = None,
    base: str = BASE,
    auth: tuple[str, str] = ("SKbench", "secret"),
) -> MCPServer:
    """The floor for ``tool``: over ``transport`` (None: the network) to ``base``."""
    server = MCPServer("floor")
    http = httpx2.AsyncClient(transport=transport, auth=auth)

    if tool == "get_profile_identifiers":

        @server.tool(name=tool)
        async def get_profile_identifiers(store_id: str, profile_id: str, id_type: str) -> Identifiers:
            response = await http.get(f"{base}/Stores/{store_id}/Profiles/{profile_id}/Identifiers/{id_type}")
            body = json.loads(response.content)
            return Identifiers(
                store_id=store_id,
                profile_id=profile_id,
                requested_profile_id=profile_id,
                id_type=body["idType"],
                values=body["values"],
            )

    elif tool == "recall_memories":

        @server.tool(name=tool)
        async def recall_memories(store_id: str, profile_id: str, query: str | None = None) -> Recalled:
            response = await http.post(
                f"{base}/Stores/{store_id}/Profiles/{profile_id}/Recall",
                content=json.dumps({"query": query, "observationsLimit": 20, "summariesLimit": 5}),
                headers={"Content-Type": "application/json"},
            )
            body = json.loads(response.content)
            return Recalled(
                store_id=store_id,
                profile_id=profile_id,
                requested_profile_id=profile_id,
                ranked=True,
                observations=[observation(item) for item in body["observations"]],
                summaries=[summary(item) for item in body["summaries"]],
                communications=body["communications"],
            )

    else:
        raise ValueError(f"no floor for {tool}")
    return server


FLOORS = ("get_profile_identifiers", "recall_memories")


if __name__ == "__main__":
    # python bench/floor_servers.py TOOL BASE_URL: the floor over stdio, for
    # bench/stdio_round_trip.py (TWILIO_API_KEY / TWILIO_API_SECRET set).
    floor = floor_server(
        sys.argv[1],
        base=sys.argv[2] + "/v1",
        auth=(os.environ["TWILIO_API_KEY"], os.environ["TWILIO_API_SECRET"]),
    )
    floor.run("stdio")
