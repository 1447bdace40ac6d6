"""How a setting's value is read, for server/settings.py and server/oauth/settings.py alike.

Both read the environment at start and refuse with :class:`SettingsError`; both take URLs
and lists. Kept here, below both, so that neither imports the other for them. A rejected
value is never echoed: a mistyped one may still hold a secret (``key:secret@host``).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit


class SettingsError(ValueError):
    """The environment holds a setting the server cannot start with."""


def is_loopback_host(host: str) -> bool:
    """True for localhost names and loopback addresses (RFC 6761 reserves ``*.localhost``)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_secure(parts: SplitResult) -> bool:
    """The one rule for every URL credentials, tokens or keys travel over: https, or http to
    a loopback host (RFC 8414 §2 and RFC 9728 §2 require https for the OAuth documents)."""
    if not parts.hostname:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname))


def split_url(name: str, raw: str) -> SplitResult:
    """``raw`` split into its parts, or :class:`SettingsError` naming the setting. urlsplit
    raises ValueError for a value it cannot parse (``https://[::1``) or a port out of range:
    a refusal at start, not a traceback."""
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not one
    except ValueError:
        raise SettingsError(f"{name} is not a URL that can be parsed (check brackets and port)") from None
    return parts


def url_setting(name: str, raw: str, example: str) -> str:
    """``raw`` if it is an absolute URL that :func:`is_secure` allows, with no credentials,
    query or fragment; else :class:`SettingsError` naming ``name`` (``example`` shows one)."""
    parts = split_url(name, raw)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise SettingsError(f"{name} must be an absolute https URL, like {example}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise SettingsError(f"{name} must not carry credentials, a query or a fragment")
    if not is_secure(parts):
        raise SettingsError(
            f"{name} must use https unless its host is loopback (got host {parts.hostname!r}): "
            "credentials and tokens would travel in clear text"
        )
    return raw


def items(raw: str) -> list[str]:
    """A list setting's items: separated by commas or whitespace, empty ones dropped."""
    return [item for item in re.split(r"[\s,]+", raw) if item]


# ASCII digits only: str.isdigit() and int() also take "²", "٣" and "1_000", and int() raises
# on more than 4,300 digits (sys.set_int_max_str_digits).
_DIGITS = re.compile(r"[0-9]{1,18}")


def whole_number(raw: str) -> int | None:
    """``raw`` as a whole number when it is 1 to 18 ASCII digits and nothing else, else None."""
    return int(raw) if _DIGITS.fullmatch(raw) else None
