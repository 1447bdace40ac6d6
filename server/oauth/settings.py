"""OAuth settings for the HTTP transport (MCP authorization, resource-server role; issue 11).

A deployment turns OAuth on with ``TWILIO_MEMORY_OAUTH_ISSUER`` and
``TWILIO_MEMORY_OAUTH_RESOURCE``; the server then accepts JWT access tokens its identity
provider issued for this resource, beside any static ``TWILIO_MEMORY_MCP_TOKEN`` tokens.
Everything is checked here, at start: a typo in a variable's name, a value that cannot
work, or a half-configured setup refuses to start with a message naming the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from server.setting_values import SettingsError, items, url_setting
from tools import WRITE

PREFIX = "TWILIO_MEMORY_OAUTH_"
ISSUER = PREFIX + "ISSUER"
RESOURCE = PREFIX + "RESOURCE"
AUDIENCE = PREFIX + "AUDIENCE"
JWKS_URL = PREFIX + "JWKS_URL"
REQUIRED_SCOPES = PREFIX + "REQUIRED_SCOPES"
TOOLSET_SCOPES = PREFIX + "TOOLSET_SCOPES"
KNOWN = (ISSUER, RESOURCE, AUDIENCE, JWKS_URL, REQUIRED_SCOPES, TOOLSET_SCOPES)

EXAMPLE_URL = "https://idp.example.com/realms/x"


def _url(name: str, raw: str) -> str:
    return url_setting(name, raw, EXAMPLE_URL)


# RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'. It also keeps a scope
# safe inside the quoted WWW-Authenticate parameters it is echoed in (RFC 6750 §3).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


@dataclass(frozen=True)
class OAuthSettings:
    """Where tokens come from and what they must say. URLs are kept exactly as configured:
    issuer and audience comparisons are exact string comparisons (RFC 8414 §3.3, RFC 7519 §4.1.3)."""

    issuer: str
    resource: str  # this server's MCP endpoint as clients reach it; RFC 9728 ``resource``
    audiences: tuple[str, ...]  # accepted ``aud`` values; by default the resource alone
    jwks_url: str | None = None  # None: discovered from the issuer's metadata
    required_scopes: tuple[str, ...] = ()
    # toolset -> the scope that grants it, every toolset listed (defaults filled in).
    toolset_scopes: tuple[tuple[str, str], ...] = ()


def default_scope(toolset: str) -> str:
    # The write toolset's scope says what it grants: memory.write (issue 19).
    return "memory.write" if toolset == WRITE else f"memory.{toolset}.read"


def load_oauth_settings(environ: Mapping[str, str], toolsets: tuple[str, ...]) -> OAuthSettings | None:
    """The OAuth settings in ``environ``, or None when OAuth is off. ``toolsets`` are the
    names a scope may grant (``tools.TOOLSETS``)."""
    unknown = sorted(name for name in environ if name.startswith(PREFIX) and name not in KNOWN)
    if unknown:
        raise SettingsError(f"unknown OAuth setting(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
    values = {name: environ.get(name, "").strip() for name in KNOWN}
    if not values[ISSUER]:
        stray = [name for name in KNOWN if values[name]]
        if stray:
            raise SettingsError(f"{', '.join(stray)} set without {ISSUER}: OAuth needs the issuer too")
        return None
    if not values[RESOURCE]:
        raise SettingsError(
            f"{ISSUER} needs {RESOURCE}: the URL clients use for this server's MCP endpoint, "
            "e.g. https://mcp.example.com/mcp (tokens must be issued for it)"
        )
    resource = _url(RESOURCE, values[RESOURCE])
    return OAuthSettings(
        issuer=_url(ISSUER, values[ISSUER]),
        resource=resource,
        audiences=tuple(items(values[AUDIENCE])) or (resource,),
        jwks_url=_url(JWKS_URL, values[JWKS_URL]) if values[JWKS_URL] else None,
        required_scopes=_scopes(REQUIRED_SCOPES, values[REQUIRED_SCOPES]),
        toolset_scopes=_toolset_scopes(values[TOOLSET_SCOPES], toolsets),
    )


def _scopes(name: str, raw: str) -> tuple[str, ...]:
    scopes = items(raw)
    bad = [scope for scope in scopes if not _SCOPE_TOKEN.fullmatch(scope)]
    if bad:
        raise SettingsError(f"{name}: {bad[0]!r} is not a valid scope (RFC 6749 §3.3)")
    return tuple(dict.fromkeys(scopes))


def _toolset_scopes(raw: str, toolsets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``identity=memory.identity.read,context=...``: toolsets not named keep the default
    ``memory.<toolset>.read``; several toolsets may share one scope."""
    chosen: dict[str, str] = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        toolset, equals, scope = (part.strip() for part in item.partition("="))
        if not equals or not toolset or not scope:
            raise SettingsError(f"{TOOLSET_SCOPES} takes toolset=scope pairs, got {item!r}")
        if toolset not in toolsets:
            raise SettingsError(
                f"{TOOLSET_SCOPES} names unknown toolset {toolset!r}; known: {', '.join(toolsets)}"
            )
        if toolset in chosen:
            raise SettingsError(f"{TOOLSET_SCOPES} names toolset {toolset!r} twice")
        scopes = _scopes(TOOLSET_SCOPES, scope)
        if len(scopes) != 1:
            raise SettingsError(f"{TOOLSET_SCOPES}: one scope per toolset, got {item!r}")
        chosen[toolset] = scopes[0]
    pairs = tuple((toolset, chosen.get(toolset) or default_scope(toolset)) for toolset in toolsets)
    # A write needs a grant of its own (issue 19): a scope that also grants reads would let
    # every reader write.
    write = dict(pairs).get(WRITE)
    shared = sorted(toolset for toolset, scope in pairs if scope == write and toolset != WRITE)
    if shared:
        raise SettingsError(
            f"{TOOLSET_SCOPES}: the write toolset's scope {write!r} also grants {', '.join(shared)}; "
            "writes need a scope of their own"
        )
    return pairs
