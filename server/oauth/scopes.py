"""Which tools an OAuth caller may use: token scopes map to toolsets (issue 11).

Each toolset of ``tools.TOOLSETS`` is granted by one scope (``memory.identity.read`` by
default; ``TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES`` renames them). A caller may use a tool when
the deployment exposes it (``TWILIO_MEMORY_TOOLS``) *and* its token holds a scope granting
one of the tool's toolsets; the resource template and the prompt follow the tool they stand
for (``tools.RESOURCE_TOOLS``, ``tools.PROMPT_TOOLS``); the customer card, which holds no
data, is every caller's.

The decision is enforced twice. The HTTP layer (``server/http/auth.py``) reads the JSON-RPC
body and answers a request for something the token does not allow with 403
``insufficient_scope`` naming the scope: the MCP authorization spec's step-up signal, in
both protocol eras (the 2026-07-28 ``Mcp-Method``/``Mcp-Name`` headers are not needed: the
body says the same, and the SDK refuses a request whose headers and body disagree). Inside
MCP, :class:`ScopeFilter` shows each caller only what it may use in ``tools/list``,
``resources/templates/list`` and ``prompts/list``, and refuses what slipped past the first
check (a batch the HTTP layer could not read, say).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mcp import MCPError
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import INVALID_PARAMS
from pydantic import BaseModel

from server.oauth.settings import OAuthSettings
from tools import PROMPT_TOOLS, RESOURCE_TOOLS, TOOLSETS, customer_card
from tools.results import refusal


@dataclass(frozen=True)
class ScopePolicy:
    required: tuple[str, ...]  # every token must hold these
    grants: Mapping[str, tuple[str, ...]]  # exposed tool -> the scopes granting it, first preferred

    @classmethod
    def build(cls, oauth: OAuthSettings, enabled: Iterable[str]) -> ScopePolicy:
        exposed = frozenset(enabled)
        grants: dict[str, list[str]] = {}
        for toolset, scope in oauth.toolset_scopes:
            for tool in TOOLSETS[toolset]:
                if tool in exposed and scope not in grants.setdefault(tool, []):
                    grants[tool].append(scope)
        return cls(oauth.required_scopes, {tool: tuple(scopes) for tool, scopes in grants.items()})

    def scopes_supported(self) -> list[str]:
        """Every scope this server understands, for RFC 9728 ``scopes_supported``."""
        return list(dict.fromkeys([*self.required, *(s for scopes in self.grants.values() for s in scopes)]))

    def missing_required(self, granted: Iterable[str]) -> list[str]:
        held = set(granted)
        return [scope for scope in self.required if scope not in held]

    def allowed(self, granted: Iterable[str]) -> frozenset[str]:
        held = set(granted)
        return frozenset(tool for tool, scopes in self.grants.items() if held & set(scopes))

    def scope_for(self, tool: str) -> str:
        return self.grants[tool][0]

    def needs(self, method: Any, params: Any) -> str | None:
        """The exposed tool a JSON-RPC request uses, if any."""
        if not isinstance(params, Mapping):
            return None
        name, tool = params.get("name"), None
        if method == "tools/call":
            tool = name if isinstance(name, str) else None
        elif method == "prompts/get":
            tool = PROMPT_TOOLS.get(name) if isinstance(name, str) else None
        elif method == "resources/read":
            tool = _resource_tool(params.get("uri"))
        return tool if tool in self.grants else None

    def needs_in(self, decoded: object) -> list[str]:
        """The tools a POST body's JSON-RPC request(s) use, from the decoded body; [] when it
        could not be read (None: the SDK then answers the parse error, and
        :class:`ScopeFilter` still applies)."""
        messages = decoded if isinstance(decoded, list) else [decoded]
        needed = (self.needs(m.get("method"), m.get("params")) for m in messages if isinstance(m, dict))
        return [tool for tool in dict.fromkeys(needed) if tool is not None]


def _resource_tool(uri: Any) -> str | None:
    if not isinstance(uri, str):
        return None
    for template, tool in RESOURCE_TOOLS.items():
        if uri.startswith(template.split("{", 1)[0]):
            return tool
    return None


class ScopeFilter:
    """MCP middleware: each caller sees and uses only the tools its token allows. A request
    without a token (which the HTTP layer never lets through) is allowed nothing."""

    def __init__(self, policy: ScopePolicy) -> None:
        self._policy = policy

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        access = get_access_token()
        allowed = self._policy.allowed(access.scopes) if access is not None else frozenset()
        tool = self._policy.needs(ctx.method, ctx.params)
        if tool is not None and tool not in allowed:
            message = (
                f"{tool} needs the OAuth scope {self._policy.scope_for(tool)}, which this access "
                "token does not hold; sign in again asking for it"
            )
            if ctx.method == "tools/call":  # a tool error, in the shape of every other (tools.results)
                return refusal("insufficient_scope", message)
            raise MCPError(INVALID_PARAMS, message)
        result = await call_next(ctx)
        return _visible(ctx.method, result, allowed)


def _tool(name: Any) -> str | None:
    return name if isinstance(name, str) else None


# Listed items every caller sees whatever its token: the customer card (issue 12).
_EVERYONES = frozenset({customer_card.URI})

# list method -> (the list's key, each item's name key, the tool an item stands for)
_LISTS: dict[str, tuple[str, str, Callable[[Any], str | None]]] = {
    "tools/list": ("tools", "name", _tool),
    "prompts/list": ("prompts", "name", PROMPT_TOOLS.get),
    "resources/templates/list": ("resourceTemplates", "uriTemplate", RESOURCE_TOOLS.get),
    "resources/list": ("resources", "uri", _resource_tool),
}


def _visible(method: str, result: HandlerResult, allowed: frozenset[str]) -> HandlerResult:
    if method not in _LISTS or result is None:
        return result
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    key, name_key, stands_for = _LISTS[method]
    items = result.get(key)
    if not isinstance(items, list):
        return result
    # Every caller sees the MCP Apps customer card (a page holding no data: it draws results its
    # caller already got); anything else that stands for no tool is nobody's (fail closed).
    kept = [
        item
        for item in items
        if item.get(name_key) in _EVERYONES or stands_for(item.get(name_key)) in allowed
    ]
    # 2026-07-28 results carry cache hints: a list that depends on the caller is private.
    return {**result, key: kept} | ({"cacheScope": "private"} if "cacheScope" in result else {})
