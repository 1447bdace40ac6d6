"""HTTP Basic authentication against the seeded accounts.

The spec's security schemes are both HTTP Basic (``components/securitySchemes``): an account
SID with its auth token, or an API key SID (``SK…``) with its secret, the key belonging to
an account. Either pair authenticates as that account; a store answers 403 to any other
account (see ``routes``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiKey:
    sid: str
    secret: str


@dataclass(frozen=True)
class Account:
    sid: str
    auth_token: str
    api_keys: tuple[ApiKey, ...] = ()


class Authenticator:
    """Maps a username (account SID or API key SID) to its secret and owning account."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._secrets: dict[str, tuple[str, str]] = {}
        for account in accounts:
            self._secrets[account.sid] = (account.auth_token, account.sid)
            for key in account.api_keys:
                self._secrets[key.sid] = (key.secret, account.sid)

    def account_for(self, authorization: str | None) -> str | None:
        """The account SID the ``Authorization`` header proves, or None."""
        if not authorization:
            return None
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, separator, password = decoded.partition(":")
        known = self._secrets.get(username)
        if not separator or known is None:
            return None
        secret, account_sid = known
        # Constant-time comparison: the emulator is a model of good practice, too.
        if not hmac.compare_digest(password.encode(), secret.encode()):
            return None
        return account_sid
