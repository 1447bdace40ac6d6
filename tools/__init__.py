"""The MCP tools, each a thin adapter: validate, call the Memory API client, shape the result."""

from __future__ import annotations

from mcp.server.mcpserver.tools import Tool

from server.settings import Settings, SettingsError
from tools import profile_identifiers

BUILDERS = {
    profile_identifiers.NAME: profile_identifiers.build,
}


def build_tools(settings: Settings) -> list[Tool]:
    """The tools this deployment exposes (TWILIO_MEMORY_TOOLS selects; default: all)."""
    selected = settings.enabled_tools or frozenset(BUILDERS)
    unknown = sorted(selected - BUILDERS.keys())
    if unknown:
        raise SettingsError(f"TWILIO_MEMORY_TOOLS names unknown tools {unknown}; known: {sorted(BUILDERS)}")
    return [build(settings.default_store_id) for name, build in BUILDERS.items() if name in selected]
