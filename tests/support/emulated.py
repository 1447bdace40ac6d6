"""The emulator as the server's upstream, in process (httpx2's ASGITransport, no socket).

- :func:`emulator_settings`: settings for the emulator's documented credentials and store.
- :func:`connect`: an in-memory MCP client of a server over a fresh emulator.
- :func:`seeded_values`: every identifier value the default seed holds (for redaction checks).
- :func:`exercise_everything`: every tool and the resource on every seeded profile.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
from mcp import Client
from mcp.client import advertise
from pydantic import SecretStr

from emulator import EmulatorState, create_app, default_examples
from emulator.seed import read_seed
from server.mcp_server import build_server
from server.settings import Credentials, Settings
from tests.support.doubles import settings_of

IDS = default_examples()
ASGI_BASE = "http://emulator.localhost"
# The MCP Apps extension as a client that can show the customer card negotiates it.
APPS = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})


def emulator_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "credentials": Credentials(IDS.api_key, SecretStr(IDS.api_secret), "test"),
        "base_url": ASGI_BASE,
        "default_store_id": IDS.store_id,
    }
    return settings_of(**(values | overrides))


def connect(settings: Settings | None = None, *, apps: bool = True) -> Client:
    """An in-memory client of a server over the emulator; ``apps``: the client negotiates MCP Apps."""
    server = build_server(settings or emulator_settings(), transport=httpx2.ASGITransport(app=create_app()))
    return Client(server, extensions=[APPS] if apps else None)


def resource_uri(profile_id: str, id_type: str, store_id: str = IDS.store_id) -> str:
    return f"memory://stores/{store_id}/profiles/{profile_id}/identifiers/{id_type}"


def seeded_values() -> set[str]:
    """Every identifier value in the default seed, raw and as the emulator stores it."""
    values: set[str] = set()
    for store in read_seed()["stores"]:
        for profile in store.get("profiles", []):
            values.update(item["value"] for item in profile["identifiers"])
    state = EmulatorState.from_config(create_app().state.emulator.config)
    for store in state.world.stores.values():
        for profile in store.profiles.values():
            for id_type in profile.identifiers:
                values.update(profile.values(id_type))
    values.update(value.strip() for value in list(values))
    return {value for value in values if len(value) >= 6}


async def exercise_everything(client: Client) -> list[str]:
    """Call every tool and the resource on every seeded profile; return all the text seen."""
    seen = []
    store = read_seed()["stores"][0]
    for profile in store["profiles"]:
        listed = await client.call_tool("list_profile_identifiers", {"profile_id": profile["id"]})
        seen.append(json.dumps(listed.model_dump(mode="json")))
        for id_type in ("email", "phone", "whatsapp", "externalId"):
            got = await client.call_tool(
                "get_profile_identifiers", {"profile_id": profile["id"], "id_type": id_type}
            )
            seen.append(json.dumps(got.model_dump(mode="json")))
        for item in profile["identifiers"][:3]:
            found = await client.call_tool(
                "lookup_profiles", {"id_type": item["idType"], "value": item["value"]}
            )
            seen.append(json.dumps(found.model_dump(mode="json")))
    read = await client.read_resource(resource_uri(IDS.profile_id, "email"))
    seen.append(json.dumps(read.model_dump(mode="json")))
    return seen
