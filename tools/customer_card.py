"""The customer card: an MCP Apps view (``io.modelcontextprotocol/ui``) of a profile.

Hosts that render MCP Apps show ``customer_card.html`` in a sandboxed frame beside the result
of each tool bound to it (``_meta.ui.resourceUri``); the frame gets that result from the host
and draws it (ids, the merge, identifiers by type, traits, recent memories). The tools' results
do not change: hosts without the extension read exactly what they read before.

The page is strictly offline. Its resource declares empty CSP domain lists (the host then
allows no network at all), and the page carries its own Content-Security-Policy too, which
lets only its one script run (by hash: no eval, no injected script) and fetch nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from importlib import resources
from typing import Any

from mcp.server.apps import Apps, ResourceCsp, ResourcePermissions

from tools import get_profile, list_profile_identifiers, recall_memories

URI = "ui://twilio-memory/customer-card.html"
NAME = "customer_card"

# The tools whose results the card draws: who the customer is, how to reach them, what is
# remembered. (get_profile_identifiers answers one type: the tool's text says all of it.)
TOOLS = frozenset({list_profile_identifiers.NAME, get_profile.NAME, recall_memories.NAME})

_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def tool_meta(tool: str) -> dict[str, Any] | None:
    """The ``_meta`` binding ``tool`` to the card, as the SDK's ``Apps.tool`` stamps it."""
    return {"ui": {"resourceUri": URI}} if tool in TOOLS else None


def extension(*, sandbox: bool, redact: bool) -> Apps:
    """The Apps extension serving the card; ``sandbox`` and ``redact`` set its badges."""
    apps = Apps()
    apps.add_html_resource(
        URI,
        html(sandbox=sandbox, redact=redact),
        name=NAME,
        title="Customer card",
        description="A view of a profile for hosts that render MCP Apps: ids and merge, "
        "identifiers by type, traits, recent memories. Holds no data of its own.",
        # Empty lists: no origin may be reached, loaded from or framed (SEP-1865, UI resources).
        csp=ResourceCsp(connect_domains=[], resource_domains=[], frame_domains=[], base_uri_domains=[]),
        permissions=ResourcePermissions(clipboard_write={}),  # the copy buttons
        prefers_border=True,
    )
    return apps


@cache
def html(*, sandbox: bool, redact: bool) -> str:
    """The page, with its badges set and its script's hash in its own CSP."""
    page = resources.files("tools").joinpath("customer_card.html").read_text(encoding="utf-8")
    match = _SCRIPT.search(page)
    if match is None:  # pragma: no cover - the page ships with its script
        raise RuntimeError("customer_card.html has no <script>")
    digest = base64.b64encode(hashlib.sha256(match.group(1).encode()).digest()).decode()
    return (
        page.replace("__SCRIPT_HASH__", f"sha256-{digest}")
        .replace("__SANDBOX__", "true" if sandbox else "false")
        .replace("__REDACT__", "true" if redact else "false")
    )
