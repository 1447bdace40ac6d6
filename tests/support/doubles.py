"""Test doubles for the Memory API: sample ids, settings, a fake clock and a routed MockTransport.

The fixtures that hand them out (``fake_time``, ``upstream``) live in tests/conftest.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2
from pydantic import SecretStr

from memory.config import ClientConfig
from server.settings import Credentials, HttpSettings, Settings

STORE = "mem_store_01kpttrksqe08rhv122gzq52ax"
PROFILE = "mem_profile_01kpttrksqe08rhv122gzq52ax"
CANONICAL = "mem_profile_01aaaaaaaaaaaaaaaaaaaaaaaa"
API_KEY = "SKtest0000000000000000000000000000"
API_SECRET = "s3cr3t-api-secret-value"
BASE = "https://memory.twilio.com"
FETCH_PATH = f"/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email"


def make_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "credentials": Credentials(API_KEY, SecretStr(API_SECRET), "TWILIO_API_KEY/TWILIO_API_SECRET"),
        "deadline": 30.0,
        "max_retries": 3,
    }
    return settings_of(**(values | overrides))


_CLIENT_FIELDS = {f.name for f in dataclasses.fields(ClientConfig)}
_HTTP_FIELDS = {f.name for f in dataclasses.fields(HttpSettings)}


def settings_of(base: Settings | None = None, **values: Any) -> Settings:
    """``base`` (default: the defaults) with ``values`` named flat, as the variables read:
    a ClientConfig field goes to ``memory``, an HttpSettings field (``http_tokens`` for its
    ``tokens``) to ``http``, anything else to Settings itself."""
    base = base or Settings()
    if "http_tokens" in values:
        values["tokens"] = values.pop("http_tokens")
    memory = {name: value for name, value in values.items() if name in _CLIENT_FIELDS}
    http = {name: value for name, value in values.items() if name in _HTTP_FIELDS}
    rest = {name: value for name, value in values.items() if name not in memory and name not in http}
    return dataclasses.replace(
        base,
        memory=dataclasses.replace(base.memory, **memory),
        http=dataclasses.replace(base.http, **http),
        **rest,
    )


@dataclass
class FakeTime:
    """A clock that only moves when the code under test sleeps: retries without waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


Handler = Callable[[httpx2.Request], httpx2.Response]


@dataclass
class Upstream:
    """A MockTransport whose one routing function is swapped per test; it records requests."""

    handler: Handler = field(default=lambda request: httpx2.Response(500))
    requests: list[httpx2.Request] = field(default_factory=list)

    def transport(self) -> httpx2.MockTransport:
        def route(request: httpx2.Request) -> httpx2.Response:
            self.requests.append(request)
            return self.handler(request)

        return httpx2.MockTransport(route)


def twilio_error(status: int, code: int, message: str, **headers: str) -> httpx2.Response:
    """An error response with Twilio's documented body (components/schemas/TwilioError)."""
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/api/errors/{code}",
        "status": status,
    }
    return httpx2.Response(status, json=body, headers=headers)


def identifier_set(id_type: str = "email", values: list[str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        200, json={"idType": id_type, "values": values if values is not None else ["a@example.com"]}
    )
