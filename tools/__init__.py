"""The MCP tools, resource and prompt: thin adapters over the Memory API client."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from server.settings import Settings, SettingsError
from server.state import AppState
from tools import (
    get_profile_identifiers,
    identifiers_resource,
    investigate_prompt,
    list_profile_identifiers,
    lookup_profiles,
)

SPECS = {
    spec.name: spec
    for spec in (lookup_profiles.SPEC, list_profile_identifiers.SPEC, get_profile_identifiers.SPEC)
}


def enabled_tools(settings: Settings) -> frozenset[str]:
    """The tools this deployment exposes (TWILIO_MEMORY_TOOLS selects; default: all)."""
    selected = settings.enabled_tools or frozenset(SPECS)
    unknown = sorted(selected - SPECS.keys())
    if unknown:
        raise SettingsError(f"TWILIO_MEMORY_TOOLS names unknown tools {unknown}; known: {sorted(SPECS)}")
    return selected


def build_tools(settings: Settings) -> list[Tool]:
    enabled = enabled_tools(settings)
    return [spec.build(settings.default_store_id, enabled) for name, spec in SPECS.items() if name in enabled]


def register_extras(server: MCPServer[AppState], settings: Settings) -> None:
    """The resource template and the prompt, each only beside the tools it stands for."""
    enabled = enabled_tools(settings)
    if get_profile_identifiers.NAME in enabled:
        identifiers_resource.register(server)
    if lookup_profiles.NAME in enabled:
        investigate_prompt.register(server, enabled)
