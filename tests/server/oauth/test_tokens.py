"""OAuth access tokens over real HTTP: the token matrix of issue 11 against the real app under
uvicorn, with a JWKS and issuer metadata served on loopback by a test identity provider."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import jwt
import pytest

from server.oauth.verifier import LEEWAY
from tests.support.in_process import Served
from tests.support.oauth import (
    IdentityProvider,
    SigningKey,
    claims_of,
    every_default_scope,
    hmac_signed_with,
    rpc,
    rpc_headers,
    serving_idp,
    serving_mcp,
    unsigned,
)

pytestmark = pytest.mark.anyio

LIST_TOOLS = rpc("tools/list")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"  # module scope, so the shared servers below live across tests


@pytest.fixture(scope="module")
async def shared() -> AsyncIterator[tuple[IdentityProvider, Served]]:
    """One provider and one server for the tests that change nothing in either."""
    async with serving_idp() as idp, serving_mcp(idp) as served:
        yield idp, served


async def post(served: Served, token: str | None, body: dict[str, Any] = LIST_TOOLS) -> httpx2.Response:
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(served.mcp, json=body, headers=rpc_headers(body, token))


def metadata_url(served: Served) -> str:
    return f"{served.url}/.well-known/oauth-protected-resource/mcp"


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"])
async def test_a_valid_rs256_or_es256_token_is_accepted(
    kid: str, shared: tuple[IdentityProvider, Served]
) -> None:
    idp, served = shared
    key = next(key for key in idp.keys if key.kid == kid)
    response = await post(served, idp.mint(served.mcp, key=key))
    assert response.status_code == 200
    assert "get_profile_identifiers" in response.text


def expired(idp: IdentityProvider, audience: str) -> str:
    return idp.mint(audience, exp=int(time.time()) - 120)


def not_yet_valid(idp: IdentityProvider, audience: str) -> str:
    return idp.mint(audience, nbf=int(time.time()) + 300)


def tampered(idp: IdentityProvider, audience: str) -> str:
    header, _, signature = idp.mint(audience).split(".")
    other = idp.mint(audience, scope="memory.identity.read mcp.admin").split(".")[1]
    return f"{header}.{other}.{signature}"  # another payload under the first one's signature


def forged_with_unknown_key(idp: IdentityProvider, audience: str) -> str:
    return idp.mint(audience, key=SigningKey.rsa("rsa-1"))  # a known kid, someone else's key


def none_algorithm(idp: IdentityProvider, audience: str) -> str:
    return unsigned(claims_of(idp.mint(audience)), kid="rsa-1")


def hs256_with_the_public_key(idp: IdentityProvider, audience: str) -> str:
    return hmac_signed_with(idp.keys[0].public_pem(), claims_of(idp.mint(audience)), kid="rsa-1")


def es256_header_on_an_rsa_key(idp: IdentityProvider, audience: str) -> str:
    token = idp.mint(audience, key=SigningKey("rsa-1", "ES256", SigningKey.ec("x").private))
    return token


REFUSED = {
    "expired": (expired, "the token has expired"),
    "not-yet-valid": (not_yet_valid, "the token is not valid yet (nbf or iat in the future)"),
    "wrong-audience": (
        lambda idp, aud: idp.mint("https://other-resource.example.com/mcp"),
        "the token was issued for another resource (aud)",
    ),
    "wrong-issuer": (
        lambda idp, aud: idp.mint(aud, iss="https://evil.example.com/realms/test"),
        "the token was issued by another issuer (iss)",
    ),
    "tampered-signature": (tampered, "the token's signature does not verify"),
    "another-key-same-kid": (forged_with_unknown_key, "the token's signature does not verify"),
    "alg-none": (none_algorithm, "the token's algorithm is not accepted"),
    "hs256-with-public-key": (hs256_with_the_public_key, "the token's algorithm is not accepted"),
    "alg-not-the-keys": (es256_header_on_an_rsa_key, "the token's algorithm is not its signing key's"),
    "no-sub": (lambda idp, aud: idp.mint(aud, drop=("sub",)), "the token lacks the sub claim"),
    "no-exp": (lambda idp, aud: idp.mint(aud, drop=("exp",)), "the token lacks the exp claim"),
    "no-kid": (
        lambda idp, aud: idp.mint(aud, header={"kid": None}),
        "the token names no signing key (kid)",
    ),
    "not-a-jwt": (lambda idp, aud: "not-a-jwt-at-all-0123456789", "the token is not a signed JWT"),
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
async def test_a_bad_token_gets_401_invalid_token_saying_why(
    case: str, shared: tuple[IdentityProvider, Served]
) -> None:
    make, why = REFUSED[case]
    idp, served = shared
    token = make(idp, served.mcp)
    response = await post(served, token)
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith(f'Bearer error="invalid_token", error_description="{why}')
    assert f'resource_metadata="{metadata_url(served)}"' in challenge
    assert response.json()["error"] == "invalid_token"
    assert token not in response.text


async def test_clock_skew_within_the_leeway_is_accepted(shared: tuple[IdentityProvider, Served]) -> None:
    idp, served = shared
    now = int(time.time())
    late = await post(served, idp.mint(served.mcp, exp=now - 10))
    early = await post(served, idp.mint(served.mcp, nbf=now + 10, iat=now + 10))
    assert (late.status_code, early.status_code) == (200, 200)


def signed_raw(idp: IdentityProvider, audience: str, name: str, literal: str) -> str:
    """A token signed by the provider whose claim ``name`` is the JSON text ``literal`` as is
    (NaN, 1e400 and 5,000-digit integers are JSON no encoder writes)."""
    claims = claims_of(idp.mint(audience)) | {name: "@"}
    payload = json.dumps(claims).replace('"@"', literal).encode()
    key = idp.keys[0]
    return jwt.api_jws.encode(payload, key.private, algorithm=key.alg, headers={"kid": key.kid})


# A NumericDate is a JSON number (RFC 7519 §2); PyJWT alone read each of these with int():
# the string dates were accepted as valid, true was "expired", the others "not valid".
NOT_NUMERIC_DATES = {
    "exp-string": ("exp", '"9999999999"'),
    "nbf-string": ("nbf", '"0"'),
    "iat-string": ("iat", '" 1"'),
    "exp-true": ("exp", "true"),
    "nbf-false": ("nbf", "false"),
    "iat-object": ("iat", '{"seconds": 1}'),
    "exp-list": ("exp", "[9999999999]"),
    "nbf-null": ("nbf", "null"),
    "exp-nan": ("exp", "NaN"),
    "exp-infinity": ("exp", "Infinity"),
    "nbf-minus-infinity": ("nbf", "-Infinity"),
    "exp-1e400": ("exp", "1e400"),
}


@pytest.mark.parametrize("case", NOT_NUMERIC_DATES, ids=list(NOT_NUMERIC_DATES))
async def test_a_time_claim_that_is_not_a_number_is_a_malformed_token(
    case: str, shared: tuple[IdentityProvider, Served]
) -> None:
    name, literal = NOT_NUMERIC_DATES[case]
    idp, served = shared
    token = signed_raw(idp, served.mcp, name, literal)
    response = await post(served, token)
    assert response.status_code == 401
    why = f"the token's {name} claim is not a NumericDate (RFC 7519 §2)"
    assert response.headers["www-authenticate"].startswith(
        f'Bearer error="invalid_token", error_description="{why}'
    )
    assert response.json()["error"] == "invalid_token"


async def test_a_time_claim_past_the_integer_digit_limit_is_an_invalid_token(
    shared: tuple[IdentityProvider, Served],
) -> None:
    idp, served = shared
    response = await post(served, signed_raw(idp, served.mcp, "exp", "9" * 5000))
    assert response.status_code == 401
    assert 'error_description="the token is not valid"' in response.headers["www-authenticate"]


async def test_fractional_numeric_dates_are_accepted(shared: tuple[IdentityProvider, Served]) -> None:
    idp, served = shared  # RFC 7519 §2: "non-integer values can be represented"
    now = time.time()
    token = idp.mint(served.mcp, exp=now + 300.5, nbf=now - 0.25, iat=now - 0.25)
    response = await post(served, token)
    assert response.status_code == 200
    late = await post(served, idp.mint(served.mcp, exp=now - LEEWAY - 0.5))
    assert late.status_code == 401


async def test_any_configured_audience_is_accepted_and_only_those() -> None:
    api = "api://twilio-memory-mcp"  # an identity provider that cannot put a URL in aud
    async with serving_idp() as idp, serving_mcp(idp, oauth={"audiences": (api,)}) as served:
        listed = await post(served, idp.mint([api, "account"]))
        resource = await post(served, idp.mint(served.mcp))
    assert (listed.status_code, resource.status_code) == (200, 401)


async def test_an_unknown_kid_refreshes_the_keys_then_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.oauth.jwks.REFRESH_COOLDOWN", 0.0)  # the refresh itself, not its rate limit
    async with serving_idp() as idp, serving_mcp(idp) as served:
        assert (await post(served, idp.mint(served.mcp))).status_code == 200
        assert idp.jwks_hits == 1
        response = await post(served, idp.mint(served.mcp, key=SigningKey.ec("kid-nobody-publishes")))
        assert idp.jwks_hits == 2  # refreshed: the provider might have rotated its keys
    assert response.status_code == 401
    assert (
        'error_description="the token\'s signing key is not one the issuer publishes"'
        in (response.headers["www-authenticate"])
    )


async def test_a_flood_of_unknown_kids_cannot_hammer_the_identity_provider() -> None:
    async with serving_idp() as idp, serving_mcp(idp) as served:
        responses = [
            await post(served, idp.mint(served.mcp, key=SigningKey.ec(f"bogus-{n}"))) for n in range(20)
        ]
        assert idp.jwks_hits == 1  # the first fetch; then the cooldown (30 s) holds, whatever the kids
        assert (await post(served, idp.mint(served.mcp))).status_code == 200  # good tokens still pass
    assert {response.status_code for response in responses} == {401}


async def test_a_rotated_key_is_picked_up_on_first_sight(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.oauth.jwks.REFRESH_COOLDOWN", 0.0)
    async with serving_idp() as idp, serving_mcp(idp) as served:
        assert (await post(served, idp.mint(served.mcp))).status_code == 200
        rotated = SigningKey.rsa("rsa-2")
        idp.keys.append(rotated)
        response = await post(served, idp.mint(served.mcp, key=rotated))
    assert response.status_code == 200
    assert idp.jwks_hits == 2


async def test_jwks_unreachable_fails_closed_with_503_not_401() -> None:
    """No keys: the server cannot tell a good token from a bad one. It refuses (fails closed)
    with 503 and Retry-After, which tells the client the fault is the server's, so it does
    not throw its token away and sign in again as a 401 would make it."""
    async with serving_idp() as idp, serving_mcp(idp) as served:
        idp.jwks_status = 500
        good = idp.mint(served.mcp)
        unavailable = await post(served, good)
        malformed = await post(served, none_algorithm(idp, served.mcp))
        missing = await post(served, None)
    assert unavailable.status_code == 503
    assert 1 <= int(unavailable.headers["retry-after"]) <= 30
    assert "www-authenticate" not in unavailable.headers
    assert unavailable.json()["error"] == "temporarily_unavailable"
    # What can be judged without the keys still is: 401s stay 401s.
    assert (malformed.status_code, missing.status_code) == (401, 401)


async def test_keys_fetched_earlier_survive_an_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.oauth.jwks.REFRESH_COOLDOWN", 0.0)  # let the unknown kid try a refresh
    async with serving_idp() as idp, serving_mcp(idp) as served:
        assert (await post(served, idp.mint(served.mcp))).status_code == 200
        idp.jwks_status = 503
        known = await post(served, idp.mint(served.mcp))
        unknown = await post(served, idp.mint(served.mcp, key=SigningKey.ec("ec-new")))
    assert known.status_code == 200
    assert unknown.status_code == 503  # cannot tell whether the provider rotated to it


async def test_no_token_gets_a_bare_challenge_pointing_at_the_metadata(
    shared: tuple[IdentityProvider, Served],
) -> None:
    _, served = shared
    response = await post(served, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{metadata_url(served)}", scope="{every_default_scope()}"'
    )


async def test_discovery_from_the_issuer_metadata_finds_the_jwks() -> None:
    """No JWKS URL configured: the server finds it in the issuer's metadata (the provider
    serves none at the RFC 8414 location, only OpenID Connect Discovery, as Keycloak does)."""
    async with serving_idp() as idp, serving_mcp(idp) as served:
        assert served.settings.http.oauth is not None and served.settings.http.oauth.jwks_url is None
        response = await post(served, idp.mint(served.mcp))
    assert response.status_code == 200
    assert idp.jwks_hits == 1


async def test_a_configured_jwks_url_is_used_as_is() -> None:
    async with serving_idp() as idp:
        jwks_url = idp.base_url + "/realms/test/protocol/openid-connect/certs"
        async with serving_mcp(idp, oauth={"jwks_url": jwks_url}) as served:
            response = await post(served, idp.mint(served.mcp))
    assert response.status_code == 200
