"""The MCP tools, resource and prompt: thin adapters over the Memory API client.

The arrows run one way: ``server/`` (the composition root) builds these; they use the
run-time pieces kept here (state, redaction, audit) and the client in ``memory/``; nothing
here imports ``server/``.

    lookup_profiles.py, list_profile_identifiers.py, get_profile_identifiers.py, get_profile.py,
    recall_memories.py, list_conversation_summaries.py, list_observations.py
                            one tool each: its arguments, its answer model and its call
    identifiers_resource.py the resource template beside get_profile_identifiers
    investigate_prompt.py   the investigate_customer prompt
    customer_card.py        the MCP Apps customer card (customer_card.html)
    calls.py                every call run, logged and audited in one place
    answers.py              the answer models' base: what a result holds, and how it is cut
    results.py              answers and errors as CallToolResults (the one error shape)
    budget.py               the result size budget
    fields.py               the argument types (id patterns, dates, limits)
    memories.py             memories as the tools answer with them
    paging.py               the paged tools' page tokens
    redaction.py            opt-in masking of personal data
    contact_patterns.py     emails and phone numbers found in free text, in linear time
    writes/                 the write toolset (its own map)
    audit.py                the opt-in audit trail
    in_flight.py            the calls running now, for a graceful shutdown
    state.py                what the tools hold for the server's lifetime
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from mcp.server.extension import Extension
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.tools import Tool

from tools import (
    customer_card,
    get_profile,
    get_profile_identifiers,
    identifiers_resource,
    investigate_prompt,
    list_conversation_summaries,
    list_observations,
    list_profile_identifiers,
    lookup_profiles,
    recall_memories,
    writes,
)
from tools.calls import ToolSpec
from tools.state import AppState

READ_SPECS = (
    lookup_profiles.SPEC,
    list_profile_identifiers.SPEC,
    get_profile_identifiers.SPEC,
    get_profile.SPEC,
    recall_memories.SPEC,
    list_conversation_summaries.SPEC,
    list_observations.SPEC,
)


class _Specs(Mapping[str, ToolSpec]):
    """Every tool's spec by name, in the order an investigation uses them (tools/list shows
    them so). The names are known without importing the write toolset; its specs are
    imported at the first look-up of one of them (a default deployment never does: issue 17,
    cold start)."""

    def __init__(self) -> None:
        self._names = (*(spec.name for spec in READ_SPECS), *writes.NAMES)
        self._specs: dict[str, ToolSpec] = {spec.name: spec for spec in READ_SPECS}

    def __getitem__(self, name: str) -> ToolSpec:
        if name not in self._specs and name in writes.NAMES:
            self._specs.update((spec.name, spec) for spec in writes.specs())
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names


SPECS: Mapping[str, ToolSpec] = _Specs()


WRITE = "write"

# Named groups of tools a deployment (TWILIO_MEMORY_TOOLSETS) or an OAuth scope can select
# as a whole. A plain dict of tuples: other modules read it as data.
TOOLSETS: dict[str, tuple[str, ...]] = {
    "identity": (lookup_profiles.NAME, list_profile_identifiers.NAME, get_profile_identifiers.NAME),
    "context": (
        get_profile.NAME,
        recall_memories.NAME,
        list_conversation_summaries.NAME,
        list_observations.NAME,
    ),
    # Off unless TWILIO_MEMORY_TOOLSETS names it (see enabled_tools); OAuth scope memory.write.
    WRITE: writes.NAMES,
}

# Toolsets a deployment must name in TWILIO_MEMORY_TOOLSETS itself: never on by default,
# never by naming one of their tools in TWILIO_MEMORY_TOOLS alone (issue 19).
OPT_IN = frozenset({WRITE})

# How the tools chain, in the order an investigation walks them: from a contact to identity,
# then to context (issue 10). Each stage names its tools and what they give; the server's
# instructions tell the stages exposed (tools/instructions.py).
CHAIN: tuple[tuple[tuple[str, ...], str], ...] = (
    ((lookup_profiles.NAME,), "a phone number or email -> profile ids"),
    ((list_profile_identifiers.NAME, get_profile_identifiers.NAME), "identifiers"),
    ((get_profile.NAME,), "traits"),
    ((recall_memories.NAME,), "memories for the conversation at hand"),
    ((list_conversation_summaries.NAME, list_observations.NAME), "page through all memories"),
)

# The tool each resource template and prompt stands for: offered only beside it (see
# build_prompts, register_resources) and, under OAuth, allowed only to callers allowed that tool.
RESOURCE_TOOLS: dict[str, str] = {identifiers_resource.URI_TEMPLATE: get_profile_identifiers.NAME}
PROMPT_TOOLS: dict[str, str] = {investigate_prompt.NAME: lookup_profiles.NAME}


class ToolSelectionError(ValueError):
    """A tool or toolset selection names tools or toolsets that do not exist."""


def enabled_tools(selected: frozenset[str] | None, toolsets: frozenset[str] | None = None) -> frozenset[str]:
    """The tools a deployment exposes.

    The union of every tool named in ``selected`` (TWILIO_MEMORY_TOOLS) and every tool of the
    sets named in ``toolsets`` (TWILIO_MEMORY_TOOLSETS); when neither names anything, every
    tool of every set but the opt-in ones (write). Union rather than intersection, so
    ``TOOLSETS=identity`` plus ``TOOLS=get_profile`` reads as it sounds: the identity tools and
    get_profile.
    """
    unknown_sets = sorted((toolsets or frozenset()) - TOOLSETS.keys())
    if unknown_sets:
        raise ToolSelectionError(
            f"TWILIO_MEMORY_TOOLSETS names unknown toolsets {unknown_sets}; known: {sorted(TOOLSETS)}"
        )
    unknown = sorted((selected or frozenset()) - SPECS.keys())
    if unknown:
        raise ToolSelectionError(f"TWILIO_MEMORY_TOOLS names unknown tools {unknown}; known: {sorted(SPECS)}")
    gated_tools = {tool for name in OPT_IN - (toolsets or frozenset()) for tool in TOOLSETS[name]}
    gated = sorted((selected or frozenset()) & gated_tools)
    if gated:
        raise ToolSelectionError(
            f"TWILIO_MEMORY_TOOLS names {gated}, which change customer data: they are exposed only "
            f"when TWILIO_MEMORY_TOOLSETS names their toolset ({WRITE}), e.g. identity,context,{WRITE}"
        )
    if not selected and not toolsets:
        return frozenset(tool for name, tools in TOOLSETS.items() if name not in OPT_IN for tool in tools)
    chosen = set(selected or ())
    for name in toolsets or ():
        chosen.update(TOOLSETS[name])
    return frozenset(chosen)


def build_tools(enabled: frozenset[str], default_store_id: str | None) -> list[Tool]:
    chosen = [name for name in SPECS if name in enabled]
    return [SPECS[name].build(default_store_id, customer_card.tool_meta(name)) for name in chosen]


def build_extensions(enabled: frozenset[str], *, sandbox: bool, redact: bool) -> list[Extension]:
    """The MCP Apps customer card, served where a tool it draws is exposed (issue 12)."""
    if not customer_card.TOOLS & enabled:
        return []
    return [customer_card.extension(sandbox=sandbox, redact=redact)]


def build_prompts(enabled: frozenset[str]) -> list[Prompt]:
    """The prompt, only beside the tool it stands for (PROMPT_TOOLS)."""
    return [investigate_prompt.prompt(enabled)] if lookup_profiles.NAME in enabled else []


def register_resources(server: MCPServer[AppState], enabled: frozenset[str]) -> None:
    """The resource template, only beside the tool it stands for (RESOURCE_TOOLS)."""
    if get_profile_identifiers.NAME in enabled:
        identifiers_resource.register(server)
