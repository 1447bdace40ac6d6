"""A tiny identity provider for the OAuth tests, served on loopback by real uvicorn.

Key pairs are made here (cryptography); the provider publishes them as a JWKS, publishes its
metadata where Keycloak does (OpenID Connect Discovery appended to an issuer with a path:
``/realms/test/.well-known/openid-configuration``; nothing at the RFC 8414 location), mints
tokens on demand, and runs a client-credentials token endpoint (RFC 6749 §4.4, with the
RFC 8707 ``resource`` becoming the token's ``aud``) for the SDK's OAuth client.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from emulator import serve_in_background
from server.oauth.settings import OAuthSettings, default_scope
from server.settings import Settings
from tests.support.doubles import make_settings
from tests.support.in_process import Served, serving
from tests.support.raw_client import POST_HEADERS
from tools import OPT_IN, TOOLSETS

REALM = "/realms/test"
JWKS_PATH = REALM + "/protocol/openid-connect/certs"
TOKEN_PATH = REALM + "/protocol/openid-connect/token"
CLIENT_ID = "fleet-copilot"
CLIENT_SECRET = "fleet-copilot-secret-0123456789"


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any  # an RSA or EC private key

    @classmethod
    def rsa(cls, kid: str, alg: str = "RS256") -> SigningKey:
        return cls(kid, alg, rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict[str, Any]:
        algorithm = RSAAlgorithm if self.alg[0] in "RP" else ECAlgorithm
        public: dict[str, Any] = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return public | {"kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        return bytes(
            self.private.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


@dataclass
class IdentityProvider:
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.rsa("rsa-1"), SigningKey.ec("ec-1")])
    base_url: str = ""  # set once served
    jwks_status: int = 200  # anything else: the JWKS endpoint fails with it
    jwks_hits: int = 0
    token_requests: list[dict[str, str]] = field(default_factory=list)
    grantable: tuple[str, ...] = (
        "memory.lookup.read",
        "mcp.access",
        *(default_scope(name) for name in TOOLSETS),
    )

    @property
    def issuer(self) -> str:
        return self.base_url + REALM

    def mint(
        self,
        audience: str | list[str],
        scope: str | None = "memory.identity.read",
        *,
        key: SigningKey | None = None,
        header: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        **claims: Any,
    ) -> str:
        """A token signed by ``key`` (default: the first), valid for 5 minutes unless told."""
        key = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "sub": "user-7f3a",
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "client_id": CLIENT_ID,
            "scope": scope,
        } | claims
        payload = {name: value for name, value in payload.items() if name not in drop and value is not None}
        headers = {
            name: value for name, value in ({"kid": key.kid} | (header or {})).items() if value is not None
        }
        return jwt.encode(payload, key.private, algorithm=key.alg, headers=headers)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(REALM + "/.well-known/openid-configuration", self._metadata),
                Route(JWKS_PATH, self._jwks),
                Route(TOKEN_PATH, self._token, methods=["POST"]),
            ]
        )

    async def _metadata(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.issuer,
                "authorization_endpoint": self.issuer + "/protocol/openid-connect/auth",
                "token_endpoint": self.base_url + TOKEN_PATH,
                "jwks_uri": self.base_url + JWKS_PATH,
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "scopes_supported": list(self.grantable),
            }
        )

    async def _jwks(self, request: Request) -> Response:
        self.jwks_hits += 1
        if self.jwks_status != 200:
            return JSONResponse({"error": "down"}, status_code=self.jwks_status)
        return JSONResponse({"keys": [key.jwk() for key in self.keys]})

    async def _token(self, request: Request) -> Response:
        form = {name: str(value) for name, value in (await request.form()).items()}
        self.token_requests.append(form)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if form.get("grant_type") != "client_credentials" or "resource" not in form:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        granted = " ".join(s for s in form.get("scope", "").split() if s in self.grantable)
        token = self.mint(form["resource"], granted, sub=f"service-account-{CLIENT_ID}")
        return JSONResponse(
            {"access_token": token, "token_type": "Bearer", "expires_in": 300, "scope": granted}
        )


@contextlib.asynccontextmanager
async def serving_idp(idp: IdentityProvider | None = None) -> AsyncIterator[IdentityProvider]:
    idp = idp or IdentityProvider()
    async with serve_in_background(idp.app()) as base_url:
        idp.base_url = base_url
        yield idp


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any], kid: str) -> str:
    """``alg: none`` (RFC 7519 §6): no signature at all."""
    header = {"alg": "none", "typ": "JWT", "kid": kid}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}."


def hmac_signed_with(secret: bytes, payload: dict[str, Any], kid: str) -> str:
    """HS256 keyed with ``secret`` (the algorithm-confusion attack when it is a public key:
    RFC 8725 §2.1). Built by hand: PyJWT rightly refuses a PEM key as an HMAC secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def claims_of(token: str) -> dict[str, Any]:
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def every_default_scope() -> str:
    """The scopes a client is told to ask for by default: one per toolset a default deployment
    exposes (not the opt-in write set), in toolset order."""
    return " ".join(default_scope(name) for name in TOOLSETS if name not in OPT_IN)


# --- the MCP server under test -----------------------------------------------------------


def oauth_settings(idp: IdentityProvider, resource: str, **overrides: Any) -> OAuthSettings:
    values: dict[str, Any] = {
        "issuer": idp.issuer,
        "resource": resource,
        "audiences": (resource,),
        "toolset_scopes": tuple((name, default_scope(name)) for name in TOOLSETS),
    }
    return OAuthSettings(**(values | overrides))


@contextlib.asynccontextmanager
async def serving_mcp(
    idp: IdentityProvider,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    oauth: dict[str, Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[Served]:
    """The real app (build_http_app) under uvicorn as serve_http configures it, OAuth on. The
    resource URL, which tokens are issued for, names the server's own port."""

    def settings(url: str) -> Settings:
        return make_settings(oauth=oauth_settings(idp, url + "/mcp", **(oauth or {})), **overrides)

    async with serving(settings, transport) as served:
        yield served


def rpc(method: str, params: dict[str, Any] | None = None, *, modern: bool = False) -> dict[str, Any]:
    """A JSON-RPC request body; ``modern`` adds the 2026-07-28 per-request envelope."""
    params = dict(params or {})
    if modern:
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
        }
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


def rpc_headers(body: dict[str, Any], token: str | None, *, modern: bool = False) -> dict[str, str]:
    headers = dict(POST_HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if modern:  # what a 2026-07-28 client sends beside the body (SEP-2243)
        headers["MCP-Protocol-Version"] = "2026-07-28"
        headers["Mcp-Method"] = body["method"]
        name = body["params"].get("name") or body["params"].get("uri")
        if name:
            headers["Mcp-Name"] = name
    else:
        headers["MCP-Protocol-Version"] = "2025-11-25"
    return headers
