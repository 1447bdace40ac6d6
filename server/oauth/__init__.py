"""OAuth 2.1 for the HTTP transport, in the resource-server role (MCP authorization).

settings.py   TWILIO_MEMORY_OAUTH_*: issuer, resource, audience, keys, scopes
jwks.py       the identity provider's signing keys: fetched, cached, refreshed, bounded
verifier.py   access tokens (JWT) checked: signature, issuer, audience, times, algorithm
scopes.py     scopes -> toolsets: what each caller may list and call
metadata.py   Protected Resource Metadata (RFC 9728) at /.well-known/oauth-protected-resource
"""
