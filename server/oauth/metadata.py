"""OAuth 2.0 Protected Resource Metadata (RFC 9728) for the HTTP transport.

A client that gets a 401 follows ``resource_metadata`` in ``WWW-Authenticate`` (or tries the
well-known locations itself, MCP authorization spec 2025-11-25 "Protected Resource Metadata
Discovery") to this document, which names the authorization server to sign in at and the
scopes to ask for. It is served at ``/.well-known/oauth-protected-resource`` followed by the
resource's path (RFC 9728 §3.1: ``.../oauth-protected-resource/mcp``), at the bare well-known
path, and at ``.../oauth-protected-resource/mcp`` whatever the resource's path (a proxy may
put one in front). It is public, so it needs no token and any origin may read it (CORS).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.routes import cors_middleware
from mcp.shared.auth import ProtectedResourceMetadata
from starlette.routing import Route

from server.oauth.settings import OAuthSettings

WELL_KNOWN = "/.well-known/oauth-protected-resource"
RESOURCE_NAME = "Twilio Conversation Memory (twilio-memory-mcp)"


def resource_metadata_url(oauth: OAuthSettings) -> str:
    """Where the metadata for ``oauth.resource`` is, per RFC 9728 §3.1."""
    parts = urlsplit(oauth.resource)
    return f"{parts.scheme}://{parts.netloc}{WELL_KNOWN}{parts.path.rstrip('/')}"


def metadata_routes(oauth: OAuthSettings, scopes_supported: list[str], mcp_path: str) -> list[Route]:
    # Validated from strings, so the model's url_preserve_empty_path keeps the URLs as
    # configured: a client compares the issuer exactly (RFC 8414 §3.3).
    metadata = ProtectedResourceMetadata.model_validate(
        {
            "resource": oauth.resource,
            "authorization_servers": [oauth.issuer],
            "scopes_supported": scopes_supported,
            "bearer_methods_supported": ["header"],  # RFC 6750 §2.1 only: never in a body or URL
            "resource_name": RESOURCE_NAME,
        }
    )
    endpoint = cors_middleware(ProtectedResourceMetadataHandler(metadata).handle, ["GET", "OPTIONS"])
    paths = dict.fromkeys(
        [WELL_KNOWN + urlsplit(oauth.resource).path.rstrip("/"), WELL_KNOWN + mcp_path, WELL_KNOWN]
    )
    return [Route(path, endpoint=endpoint, methods=["GET", "OPTIONS"]) for path in paths]
