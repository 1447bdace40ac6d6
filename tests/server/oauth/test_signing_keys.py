"""The signing-key cache and the JWT checks on their own: a routed MockTransport plays the
identity provider and a fake clock plays time, so TTLs and cooldowns pass without waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
import jwt
import pytest

from server.oauth.jwks import (
    KEYS_TTL,
    MAX_DOCUMENT_BYTES,
    REFRESH_COOLDOWN,
    KeysUnavailable,
    SigningKeys,
    metadata_urls,
)
from server.oauth.settings import OAuthSettings
from server.oauth.verifier import LEEWAY, InvalidToken, JwtVerifier
from tests.support.oauth import SigningKey

pytestmark = pytest.mark.anyio

ISSUER = "https://idp.example.com/realms/support"
RESOURCE = "https://mcp.example.com/mcp"
JWKS = "https://idp.example.com/realms/support/certs"
RSA = SigningKey.rsa("rsa-1")
EC = SigningKey.ec("ec-1")


@dataclass
class Provider:
    """What the identity provider answers, per path; it records what was asked."""

    keys: list[dict[str, Any]] = field(default_factory=lambda: [RSA.jwk(), EC.jwk()])
    jwks_status: int = 200
    metadata_at: str | None = "/realms/support/.well-known/openid-configuration"
    metadata: dict[str, Any] = field(default_factory=lambda: {"issuer": ISSUER, "jwks_uri": JWKS})
    asked: list[str] = field(default_factory=list)
    now: float = 1000.0

    def transport(self) -> httpx2.MockTransport:
        def route(request: httpx2.Request) -> httpx2.Response:
            self.asked.append(request.url.path)
            if str(request.url) == JWKS:
                return httpx2.Response(self.jwks_status, json={"keys": self.keys})
            if request.url.path == self.metadata_at:
                return httpx2.Response(200, json=self.metadata)
            return httpx2.Response(404)

        return httpx2.MockTransport(route)

    def signing_keys(self, jwks_url: str | None = None) -> SigningKeys:
        return SigningKeys(ISSUER, jwks_url, transport=self.transport(), clock=lambda: self.now)

    @property
    def jwks_fetches(self) -> int:
        return self.asked.count("/realms/support/certs")


def test_metadata_locations_follow_rfc_8414_then_openid_connect() -> None:
    assert metadata_urls(ISSUER) == [
        "https://idp.example.com/.well-known/oauth-authorization-server/realms/support",
        "https://idp.example.com/.well-known/openid-configuration/realms/support",
        "https://idp.example.com/realms/support/.well-known/openid-configuration",
    ]
    assert metadata_urls("https://tenant.example.com/") == [
        "https://tenant.example.com/.well-known/oauth-authorization-server",
        "https://tenant.example.com/.well-known/openid-configuration",
    ]


async def test_discovery_tries_each_location_and_takes_the_jwks_uri() -> None:
    provider = Provider()
    assert await provider.signing_keys().key("rsa-1") == RSA.jwk()
    assert provider.asked == [
        "/.well-known/oauth-authorization-server/realms/support",
        "/.well-known/openid-configuration/realms/support",
        "/realms/support/.well-known/openid-configuration",
        "/realms/support/certs",
    ]


async def test_rfc_8414_metadata_is_found_first() -> None:
    provider = Provider(metadata_at="/.well-known/oauth-authorization-server/realms/support")
    assert await provider.signing_keys().key("ec-1") == EC.jwk()
    assert len(provider.asked) == 2


@pytest.mark.parametrize(
    "metadata",
    [
        {"issuer": "https://evil.example.com/realms/support", "jwks_uri": JWKS},  # RFC 8414 §3.3
        {"issuer": ISSUER + "/", "jwks_uri": JWKS},  # exact comparison: not the same issuer
        {"issuer": ISSUER, "jwks_uri": "http://idp.example.com/certs"},  # keys in clear text
        {"issuer": ISSUER},
    ],
)
async def test_metadata_that_is_not_for_this_issuer_or_unsafe_is_not_used(metadata: dict[str, Any]) -> None:
    provider = Provider(metadata=metadata)
    with pytest.raises(KeysUnavailable):
        await provider.signing_keys().key("rsa-1")
    assert provider.jwks_fetches == 0


async def test_known_keys_are_cached_until_the_ttl_then_refetched() -> None:
    provider = Provider()
    keys = provider.signing_keys(JWKS)
    for _ in range(3):
        assert await keys.key("rsa-1") is not None
    assert provider.jwks_fetches == 1
    provider.now += KEYS_TTL
    assert await keys.key("rsa-1") is not None
    assert provider.jwks_fetches == 2


async def test_stale_keys_serve_while_the_provider_is_down() -> None:
    provider = Provider()
    keys = provider.signing_keys(JWKS)
    await keys.key("rsa-1")
    provider.now += KEYS_TTL
    provider.jwks_status = 503
    assert await keys.key("rsa-1") == RSA.jwk()  # the refresh failed; the known key still works
    with pytest.raises(KeysUnavailable) as unavailable:
        await keys.key("rotated-in")  # but an unknown one cannot be judged
    assert unavailable.value.retry_after == REFRESH_COOLDOWN


async def test_unknown_kids_refresh_at_most_once_per_cooldown() -> None:
    provider = Provider()
    keys = provider.signing_keys(JWKS)
    assert await keys.key("nobody") is None  # fetched, then not there
    assert await keys.key("nobody-else") is None
    assert provider.jwks_fetches == 1
    provider.now += REFRESH_COOLDOWN - 1
    assert await keys.key("still-nobody") is None
    assert provider.jwks_fetches == 1
    provider.keys.append(SigningKey.ec("rotated").jwk())
    provider.now += 1
    assert await keys.key("rotated") is not None
    assert provider.jwks_fetches == 2


async def test_a_failed_fetch_says_when_to_retry_and_retries_then() -> None:
    provider = Provider(jwks_status=500)
    keys = provider.signing_keys(JWKS)
    with pytest.raises(KeysUnavailable) as first:
        await keys.key("rsa-1")
    provider.now += 10
    with pytest.raises(KeysUnavailable) as second:
        await keys.key("rsa-1")  # no new fetch within the cooldown
    assert (first.value.retry_after, second.value.retry_after) == (30, 20)
    assert provider.jwks_fetches == 1
    provider.jwks_status = 200
    provider.now += 20
    assert await keys.key("rsa-1") is not None


async def test_concurrent_requests_share_one_fetch() -> None:
    provider = Provider()
    keys = provider.signing_keys(JWKS)
    found: list[Any] = []

    async def one(kid: str) -> None:
        found.append(await keys.key(kid))

    async with anyio.create_task_group() as group:
        for n in range(20):
            group.start_soon(one, "rsa-1" if n % 2 else f"unknown-{n}")
    assert provider.jwks_fetches == 1
    assert found.count(RSA.jwk()) == 10


async def test_only_signature_keys_with_a_kid_are_kept() -> None:
    provider = Provider(
        keys=[
            RSA.jwk() | {"use": "enc"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {k: v for k, v in EC.jwk().items() if k != "kid"},
            EC.jwk() | {"kid": "ec-ok"},
            "not-a-key",  # type: ignore[list-item]
        ]
    )
    keys = provider.signing_keys(JWKS)
    assert await keys.key("ec-ok") is not None
    for kid in ("rsa-1", "hmac", "ec-1"):
        assert await keys.key(kid) is None


async def test_an_oversized_or_redirected_or_non_json_answer_is_a_failed_fetch() -> None:
    for answer in (
        httpx2.Response(200, content=b"{" + b" " * MAX_DOCUMENT_BYTES + b"}"),
        httpx2.Response(302, headers={"Location": "https://evil.example.com/certs"}),
        httpx2.Response(200, content=b"<html>"),
        httpx2.Response(200, json=["keys"]),
        httpx2.Response(200, json={"keys": "none"}),
    ):
        transport = httpx2.MockTransport(lambda request, answer=answer: answer)
        with pytest.raises(KeysUnavailable):
            await SigningKeys(ISSUER, JWKS, transport=transport).key("rsa-1")


async def test_a_fetch_that_never_finishes_is_cut_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.oauth.jwks.FETCH_DEADLINE", 0.05)
    never = anyio.Event()

    async def drip() -> AsyncIterator[bytes]:
        yield b'{"keys": ['
        await never.wait()

    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=drip()))
    with anyio.fail_after(10), pytest.raises(KeysUnavailable):
        await SigningKeys(ISSUER, JWKS, transport=transport).key("rsa-1")


# --- the verifier on its own ------------------------------------------------------------


def verifier(provider: Provider) -> JwtVerifier:
    settings = OAuthSettings(issuer=ISSUER, resource=RESOURCE, audiences=(RESOURCE,), jwks_url=JWKS)
    return JwtVerifier(settings, provider.signing_keys(JWKS))


def mint(key: SigningKey, alg: str | None = None, **claims: Any) -> str:
    payload = {"iss": ISSUER, "aud": RESOURCE, "sub": "u-1", "exp": 4_000_000_000} | claims
    return jwt.encode(payload, key.private, algorithm=alg or key.alg, headers={"kid": key.kid})


async def test_claims_name_the_caller_and_the_scopes_in_each_providers_spelling() -> None:
    check = verifier(Provider())
    rfc9068 = await check.verify(mint(RSA, scope="a b", client_id="c-1"))
    okta = await check.verify(mint(RSA, scp=["a", "b"], cid="c-2"))
    entra = await check.verify(mint(RSA, scp="a b", azp="c-3"))
    bare = await check.verify(mint(RSA))
    assert [(t.subject, t.client_id, t.scopes) for t in (rfc9068, okta, entra, bare)] == [
        ("u-1", "c-1", ["a", "b"]),
        ("u-1", "c-2", ["a", "b"]),
        ("u-1", "c-3", ["a", "b"]),
        ("u-1", "", []),
    ]
    assert rfc9068.token == "oauth-jwt"  # never the token itself
    assert (rfc9068.resource, rfc9068.claims, rfc9068.expires_at) == (
        RESOURCE,
        {"iss": ISSUER},
        4_000_000_000,
    )


async def test_a_jwk_without_alg_takes_any_algorithm_of_its_kind_only() -> None:
    bare_rsa = {k: v for k, v in RSA.jwk().items() if k != "alg"}
    check = verifier(Provider(keys=[bare_rsa]))
    assert (await check.verify(mint(RSA, "PS256"))).subject == "u-1"
    forged = jwt.encode({"iss": ISSUER}, EC.private, algorithm="ES256", headers={"kid": "rsa-1"})
    with pytest.raises(InvalidToken, match="does not fit its signing key"):
        await check.verify(forged)


async def test_an_overlong_token_is_refused_before_any_parsing() -> None:
    with pytest.raises(InvalidToken, match="too long"):
        await verifier(Provider()).verify("a" * 20_000)


async def test_a_token_that_passed_is_not_checked_again_while_its_key_and_time_hold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[str] = []
    decode = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return decode(token, *args, **kwargs)

    monkeypatch.setattr("server.oauth.verifier.jwt.decode", counting)
    provider = Provider()
    check = verifier(provider)
    token = mint(RSA, scope="a b", client_id="c-1")
    first = await check.verify(token)
    again = await check.verify(token)
    assert again is first and len(decoded) == 1  # the signature was checked once
    other = await check.verify(mint(EC, client_id="c-2"))
    assert other.client_id == "c-2" and len(decoded) == 2  # by token, not by caller
    with pytest.raises(InvalidToken, match="signature does not verify"):
        await check.verify(token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    # The provider stops publishing the key: once the key set is refreshed, the token fails
    # as it would have without the memory.
    provider.keys = [EC.jwk()]
    provider.now += KEYS_TTL + 1
    with pytest.raises(InvalidToken, match="not one the issuer publishes"):
        await check.verify(token)
    assert (await check.verify(mint(EC, client_id="c-2"))).client_id == "c-2"  # new key objects: in full
    assert len(decoded) == 4


async def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    check = verifier(Provider())
    now = [2_000_000_000.0]

    class Clock:
        @staticmethod
        def time() -> float:
            return now[0]

    monkeypatch.setattr("server.oauth.verifier.time", Clock)
    token = mint(RSA, exp=int(now[0]) + 60)
    assert (await check.verify(token)).subject == "u-1"
    now[0] += 60 + LEEWAY - 1  # within the leeway
    assert (await check.verify(token)).subject == "u-1"
    now[0] += 2
    with pytest.raises(InvalidToken, match="has expired"):
        await check.verify(token)


async def test_at_most_so_many_tokens_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.oauth.verifier.VERIFIED_TOKENS", 3)
    check = verifier(Provider())
    tokens = [mint(RSA, sub=f"u-{number}") for number in range(5)]
    for token in tokens:
        await check.verify(token)
    assert len(check._verified) == 3


async def test_a_signed_token_with_a_huge_integer_exp_is_accepted_twice_not_a_crash() -> None:
    # exp is a NumericDate of any size (RFC 7519 §2): the verified-token cache keeps it as an
    # int, where float() raised OverflowError and the gate answered 500 (found in review).

    check: JwtVerifier = verifier(Provider())
    token = mint(RSA, exp=10**400)
    first = await check.verify(token)
    again = await check.verify(token)  # from the cache
    assert first is again
