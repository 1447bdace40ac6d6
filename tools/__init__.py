"""The MCP tools, resource and prompt: thin adapters over the Memory API client.

The arrows run one way: ``server/`` (the composition root) builds these; they use the
run-time pieces kept here (state, redaction, audit) and the client in ``memory/``; nothing
here imports ``server/``.
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool

from tools import (
    get_profile_identifiers,
    identifiers_resource,
    investigate_prompt,
    list_profile_identifiers,
    lookup_profiles,
)
from tools.state import AppState

SPECS = {
    spec.name: spec
    for spec in (lookup_profiles.SPEC, list_profile_identifiers.SPEC, get_profile_identifiers.SPEC)
}


# Named groups of tools a deployment (or an OAuth scope) can select as a whole.
TOOLSETS: dict[str, tuple[str, ...]] = {
    "identity": (lookup_profiles.NAME, list_profile_identifiers.NAME, get_profile_identifiers.NAME),
}


class ToolSelectionError(ValueError):
    """A tool selection names tools that do not exist."""


def enabled_tools(selected: frozenset[str] | None) -> frozenset[str]:
    """The tools a deployment exposes: ``selected`` (TWILIO_MEMORY_TOOLS), default all."""
    chosen = selected or frozenset(SPECS)
    unknown = sorted(chosen - SPECS.keys())
    if unknown:
        raise ToolSelectionError(f"TWILIO_MEMORY_TOOLS names unknown tools {unknown}; known: {sorted(SPECS)}")
    return chosen


def build_tools(enabled: frozenset[str], default_store_id: str | None) -> list[Tool]:
    return [spec.build(default_store_id, enabled) for name, spec in SPECS.items() if name in enabled]


def register_extras(server: MCPServer[AppState], enabled: frozenset[str]) -> None:
    """The resource template and the prompt, each only beside the tools it stands for."""
    if get_profile_identifiers.NAME in enabled:
        identifiers_resource.register(server)
    if lookup_profiles.NAME in enabled:
        investigate_prompt.register(server, enabled)
