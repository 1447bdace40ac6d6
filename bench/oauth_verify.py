"""What OAuth costs a request: JWT verification with warm keys, and the bearer gate end to end.

Two figures per signing algorithm (RS256 with a 2048-bit key, ES256 on P-256):

- "verify": :meth:`server.oauth.verifier.JwtVerifier.verify` alone, keys already fetched:
  "first" for tokens it has not seen (header parse, key lookup, signature, claims), "again" for
  a token that passed before (remembered while its key and its time hold);
- "gate": a tools/list POST through the real app in-process (``httpx2.ASGITransport``), OAuth
  token vs static token, so the difference is what OAuth adds per request.

    .venv/bin/python bench/oauth_verify.py [--rounds 2000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from typing import Any

import anyio
import httpx2
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import SecretStr

from server.http.app import build_http_app
from server.oauth.jwks import SigningKeys
from server.oauth.settings import OAuthSettings
from server.oauth.verifier import JwtVerifier
from server.settings import HttpSettings, Settings

ISSUER = "https://idp.example.com/realms/bench"
RESOURCE = "http://127.0.0.1/mcp"
JWKS = "https://idp.example.com/realms/bench/certs"
STATIC = "static-bench-token-0123456789abcdef"
LIST_TOOLS = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


def keys() -> dict[str, tuple[Any, dict[str, Any]]]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "RS256": (
            rsa_key,
            RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True) | {"kid": "rs", "alg": "RS256"},
        ),
        "ES256": (
            ec_key,
            ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True) | {"kid": "es", "alg": "ES256"},
        ),
    }


def mint(private: Any, alg: str, kid: str, subject: str = "bench") -> str:
    claims = {"iss": ISSUER, "aud": RESOURCE, "sub": subject, "exp": int(time.time()) + 3600}
    return jwt.encode(
        claims | {"scope": "memory.identity.read"}, private, algorithm=alg, headers={"kid": kid}
    )


def micros(samples: list[float]) -> str:
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1e6
    p95 = ordered[int(len(ordered) * 0.95)] * 1e6
    return f"median {median:7.0f} us   p95 {p95:7.0f} us"


async def main(rounds: int) -> None:
    logging.disable(logging.INFO)
    pairs = keys()
    jwks = {"keys": [jwk for _, jwk in pairs.values()]}
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, json=jwks))
    oauth = OAuthSettings(
        issuer=ISSUER,
        resource=RESOURCE,
        audiences=(RESOURCE,),
        jwks_url=JWKS,
        toolset_scopes=(("identity", "memory.identity.read"),),
    )
    verifier = JwtVerifier(oauth, SigningKeys(ISSUER, JWKS, transport=transport))
    settings = Settings(http=HttpSettings(oauth=oauth, tokens=(SecretStr(STATIC),)))
    app = build_http_app(settings, host="127.0.0.1")
    print(f"{rounds} rounds each")
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1") as http,
    ):
        # The app's own key cache fetches from the network: prime it through the verifier's.
        gate_keys = SigningKeys(ISSUER, JWKS, transport=transport)
        _patch_keys(app, gate_keys)
        for alg, (private, jwk) in pairs.items():
            token = mint(private, alg, jwk["kid"])
            await verifier.verify(token)  # fetch the keys once
            fresh = [mint(private, alg, jwk["kid"], f"bench-{n}") for n in range(rounds)]
            for label, tokens in (("first", fresh), ("again", [token] * rounds)):
                samples = []
                for each in tokens:
                    started = time.perf_counter()
                    await verifier.verify(each)
                    samples.append(time.perf_counter() - started)
                print(f"verify  {alg} {label}: {micros(samples)}")
        for label, bearer in (("static", STATIC), ("RS256", mint(*_rs(pairs))), ("ES256", mint(*_es(pairs)))):
            samples = []
            for n in range(rounds // 4 + 1):
                started = time.perf_counter()
                response = await http.post(
                    "/mcp", json=LIST_TOOLS, headers=HEADERS | {"Authorization": f"Bearer {bearer}"}
                )
                if n:  # the first fetches keys
                    samples.append(time.perf_counter() - started)
                assert response.status_code == 200, response.text
            print(f"gate    {label:6}: tools/list {micros(samples)}")


def _rs(pairs: dict[str, tuple[Any, dict[str, Any]]]) -> tuple[Any, str, str]:
    return pairs["RS256"][0], "RS256", "rs"


def _es(pairs: dict[str, tuple[Any, dict[str, Any]]]) -> tuple[Any, str, str]:
    return pairs["ES256"][0], "ES256", "es"


def _patch_keys(app: Any, keys: SigningKeys) -> None:
    """Point the app's verifier at an in-process JWKS (the bench has no identity provider)."""
    for route in app.routes:
        gate = getattr(route, "app", None)
        verifier = getattr(gate, "_oauth", None)
        if isinstance(verifier, JwtVerifier):
            verifier._keys = keys


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    anyio.run(main, parser.parse_args().rounds)
