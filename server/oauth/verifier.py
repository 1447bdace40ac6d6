"""JWT access tokens (RFC 9068 profile, RFC 8725 practices) checked against the issuer's keys.

What a token must be to pass, in the order checked:

- a JWS (three base64url parts) no longer than :data:`MAX_TOKEN_CHARS`;
- signed with an algorithm of :data:`ALGORITHMS`: RSA (RS*, PS*) or ECDSA (ES*). ``none`` and
  the HMAC family are never accepted, so a token "signed" with the public key as an HMAC
  secret fails (RFC 8725 §2.1, §3.1); the key the ``kid`` names must be of the algorithm's
  kind, and of that very algorithm if the JWK says one;
- signed by the key its ``kid`` names in the provider's JWKS (fetched and refreshed by
  :class:`~server.oauth.jwks.SigningKeys`);
- ``iss`` exactly the configured issuer; ``aud`` one of the configured audiences (RFC 8707:
  a token for another resource is refused, RFC 9068 §4); ``exp``, ``nbf`` and ``iat`` each a
  NumericDate (a finite JSON number, not a string or a boolean: RFC 7519 §2, §4.1.4), ``exp``
  in the future and ``nbf``, ``iat`` not in the future, each with :data:`LEEWAY` seconds for
  clock skew; ``sub`` present.

A token that passed is not checked again while it is used (issue 17: the signature check,
0.3 ms, was the gates' largest cost per request): its access is remembered, by the token's
SHA-256 digest, and served while the token is unexpired (``exp``, with the same leeway) and
the key set still gives, for its ``kid``, the very key object that verified it. A refreshed
key set (every :data:`~server.oauth.jwks.KEYS_TTL`, or a rotation) brings new key objects,
so every token is checked in full again then, and a key the provider stopped publishing
stops its tokens as before. Nothing else about a token changes with time; at most
:data:`VERIFIED_TOKENS` are remembered, the oldest dropped first.

The caller is then known by ``sub`` and the client id (``client_id``, RFC 9068 §2.2; or
``azp``, ``cid``, ``appid`` as OpenID Connect, Okta and Entra ID spell it), and granted the
scopes in ``scope`` (RFC 9068 §2.2.3, space-separated) or ``scp`` (Okta, Entra ID). The token
itself is not kept: the ``AccessToken`` carries a placeholder, so no repr or log line holds it.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

import jwt
from mcp.server.auth.provider import AccessToken

from server.oauth.jwks import SigningKeys
from server.oauth.settings import OAuthSettings

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY = 30  # seconds of clock skew allowed on exp, nbf and iat
MAX_TOKEN_CHARS = 16 * 1024
VERIFIED_TOKENS = 1024  # tokens whose check is remembered (see JwtVerifier.verify)
REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
TIME_CLAIMS = ("exp", "nbf", "iat")
TOKEN_PLACEHOLDER = "oauth-jwt"  # AccessToken.token: never the token itself
_CLIENT_ID_CLAIMS = ("client_id", "azp", "cid", "appid")


@dataclass(frozen=True, slots=True)
class _Verified:
    access: AccessToken
    kid: str
    jwk: dict[str, Any]  # the very key object that verified the token
    exp: int  # the token's exp claim as a NumericDate (an int of any size: never a float)


class InvalidToken(Exception):
    """The token is not acceptable; the message is safe to send back (it quotes nothing)."""


class JwtVerifier:
    """Checks JWT access tokens for one issuer and resource; see the module docstring."""

    def __init__(self, settings: OAuthSettings, keys: SigningKeys) -> None:
        self._settings = settings
        self._keys = keys
        # Parsed keys by (kid, alg), each with the JWK it was parsed from: parsing costs about a
        # fifth of a verification, and a refreshed key set brings new JWK objects.
        self._parsed: dict[tuple[str, str], tuple[dict[str, Any], jwt.PyJWK]] = {}
        # Tokens that passed, by SHA-256 digest (never the token), oldest first.
        self._verified: dict[bytes, _Verified] = {}

    async def verify(self, token: str) -> AccessToken:
        """The caller's access, or :class:`InvalidToken`; :class:`~server.oauth.jwks.KeysUnavailable`
        when the keys the token needs cannot be fetched."""
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("the token is too long")
        digest = hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
        known = self._verified.get(digest)
        if known is not None:
            if known.exp > time.time() - LEEWAY and await self._keys.key(known.kid) is known.jwk:
                return known.access
            self._verified.pop(digest, None)  # checked again in full, which says what is wrong
        access, kid, jwk = await self._check(token)
        if len(self._verified) >= VERIFIED_TOKENS:
            del self._verified[next(iter(self._verified))]  # the oldest
        self._verified[digest] = _Verified(access, kid, jwk, access.expires_at or 0)
        return access

    async def _check(self, token: str) -> tuple[AccessToken, str, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("the token is not a signed JWT") from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise InvalidToken(f"the token's algorithm is not accepted (accepted: {', '.join(ALGORITHMS)})")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no signing key (kid)")
        jwk = await self._keys.key(kid)
        if jwk is None:
            raise InvalidToken("the token's signing key is not one the issuer publishes")
        claims = self._decode(token, self._parse(kid, alg, jwk), alg)
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise InvalidToken("the token's sub claim is not a string")
        access = AccessToken(
            token=TOKEN_PLACEHOLDER,
            client_id=_client_id(claims),
            scopes=_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=self._settings.resource,
            subject=subject,
            claims={"iss": claims["iss"]},
        )
        return access, kid, jwk

    def _parse(self, kid: str, alg: str, jwk: dict[str, Any]) -> jwt.PyJWK:
        cached = self._parsed.get((kid, alg))
        if cached is not None and cached[0] is jwk:
            return cached[1]
        if jwk.get("alg", alg) != alg:
            raise InvalidToken("the token's algorithm is not its signing key's")
        try:
            key = jwt.PyJWK(jwk, algorithm=alg)
        except (jwt.PyJWKError, jwt.InvalidKeyError):  # an RSA key named by an ES256 token, ...
            raise InvalidToken("the token's algorithm does not fit its signing key") from None
        self._parsed[(kid, alg)] = (jwk, key)
        return key

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=list(self._settings.audiences),
                issuer=self._settings.issuer,
                # The times are checked below, typed first: PyJWT reads them with int(), which
                # takes "9999999999" and true as dates.
                options={
                    "require": REQUIRED_CLAIMS,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidAudienceError:
            raise InvalidToken("the token was issued for another resource (aud)") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("the token was issued by another issuer (iss)") from None
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"the token lacks the {error.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise InvalidToken("the token's signature does not verify") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is not valid") from None
        _check_times(claims, time.time())
        return claims


def _check_times(claims: dict[str, Any], now: float) -> None:
    for name in TIME_CLAIMS:
        if name in claims and not _is_numeric_date(claims[name]):
            raise InvalidToken(f"the token's {name} claim is not a NumericDate (RFC 7519 §2)")
    if claims["exp"] <= now - LEEWAY:
        raise InvalidToken("the token has expired")
    if any(name in claims and claims[name] > now + LEEWAY for name in ("nbf", "iat")):
        raise InvalidToken("the token is not valid yet (nbf or iat in the future)")


def _is_numeric_date(value: object) -> bool:
    """A JSON number, integer or not (RFC 7519 §2), finite: Python's json reads NaN and Infinity."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def _client_id(claims: dict[str, Any]) -> str:
    for name in _CLIENT_ID_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _scopes(claims: dict[str, Any]) -> list[str]:
    granted: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            granted += value.split()
        elif isinstance(value, list):
            granted += [item for item in value if isinstance(item, str)]
    return list(dict.fromkeys(granted))
