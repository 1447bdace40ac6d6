"""Fixtures for the emulator's tests; every emulator response is checked against the spec.

The official OpenAPI document is the copy vendored in spec/ (:mod:`tests.support.spec`). The
``client``/``make_client`` fixtures attach a response hook that validates each response with
openapi-core (``OpenAPI.from_dict`` + ``validate_response`` through small adapters written
here) against the operation and status it answers; a test cannot forget. Exempt: the admin
endpoint (not in the spec), requests sent with ``extensions={"spec_exempt": "<why>"}``, and
two known spec gaps (control-plane 401/403, which the spec does not declare but Twilio
answers), whose bodies are still validated against the ``TwilioError`` schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx2
import jsonschema  # type: ignore[import-untyped]
import pytest
from starlette.applications import Starlette

from emulator import EmulatorConfig, SeedExamples, create_app, default_examples
from emulator.seed import read_seed
from tests.support.spec import load_spec

SPEC_SERVER = "https://memory.twilio.com"  # the spec's only server; requests are mapped onto it
EX = default_examples()
_SEED = read_seed(None)
# The default seed's second account and its store's profile, for 403 tests.
OTHER_KEY = (_SEED["accounts"][1]["apiKeys"][0]["sid"], _SEED["accounts"][1]["apiKeys"][0]["secret"])
OTHER_PROFILE = _SEED["stores"][1]["profiles"][0]["id"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def examples() -> SeedExamples:
    return EX


class SpecValidator:
    """Validates an httpx2 response against the spec's operation and status."""

    def __init__(self, document: dict[str, Any]) -> None:
        from openapi_core import OpenAPI

        self.document = document
        self.openapi = OpenAPI.from_dict(document)
        self.twilio_error = document["components"]["schemas"]["TwilioError"]
        self.checked = 0

    def check(self, response: httpx2.Response) -> None:
        from openapi_core.templating.responses.exceptions import ResponseNotFound

        request = response.request
        path = request.url.path
        if path.startswith("/_emulator/") or "spec_exempt" in request.extensions:
            return
        try:
            self.openapi.validate_response(_Request(request), _Response(response))
        except ResponseNotFound:
            # Spec gap: control-plane operations declare no 401/403; Twilio still answers them.
            if not (path.startswith("/v1/ControlPlane/") and response.status_code in (401, 403)):
                raise
            jsonschema.validate(response.json(), self.twilio_error)
        self.checked += 1


class _Request:
    """openapi-core's ``Request`` protocol over an httpx2 request."""

    def __init__(self, request: httpx2.Request) -> None:
        from openapi_core.datatypes import RequestParameters
        from werkzeug.datastructures import Headers, ImmutableMultiDict

        self.host_url = SPEC_SERVER
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content or None
        self.content_type = request.headers.get("content-type", "application/json")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(list(request.headers.items())),
        )


class _Response:
    """openapi-core's ``Response`` protocol over an httpx2 response."""

    def __init__(self, response: httpx2.Response) -> None:
        from werkzeug.datastructures import Headers

        self.status_code = response.status_code
        self.headers = Headers(list(response.headers.items()))
        self.content_type = response.headers.get("content-type", "")
        self.data = response.content


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator:
    return SpecValidator(load_spec())


@pytest.fixture
def app() -> Starlette:
    return create_app()


ClientFactory = Callable[..., Awaitable[httpx2.AsyncClient]]


@pytest.fixture
async def make_client(spec_validator: SpecValidator, app: Starlette) -> AsyncIterator[ClientFactory]:
    """``await make_client(app=None, auth=(key, secret), base_url=None)``: a validating client,
    in-process over ASGITransport unless ``base_url`` points at a served emulator."""
    clients: list[httpx2.AsyncClient] = []

    async def validate(response: httpx2.Response) -> None:
        await response.aread()
        spec_validator.check(response)

    async def factory(
        app: Starlette | None = app,
        auth: tuple[str, str] | None = (EX.api_key, EX.api_secret),
        base_url: str | None = None,
    ) -> httpx2.AsyncClient:
        transport = None if base_url or app is None else httpx2.ASGITransport(app=app)
        client = httpx2.AsyncClient(
            transport=transport,
            base_url=base_url or "http://emulator.test",
            auth=auth,
            event_hooks={"response": [validate]},
        )
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.aclose()


@pytest.fixture
async def client(make_client: ClientFactory) -> httpx2.AsyncClient:
    return await make_client()


def configured_app(**switches: Any) -> Starlette:
    """An app with some :class:`EmulatorConfig` fields set."""
    return create_app(EmulatorConfig(**switches))


# URL helpers over the default seed.
def profile_url(profile_id: str = EX.profile_id, store_id: str = EX.store_id) -> str:
    return f"/v1/Stores/{store_id}/Profiles/{profile_id}"


def identifiers_url(profile_id: str = EX.profile_id, store_id: str = EX.store_id) -> str:
    return f"{profile_url(profile_id, store_id)}/Identifiers"


def identifier_url(id_type: str, profile_id: str = EX.profile_id, store_id: str = EX.store_id) -> str:
    return f"{identifiers_url(profile_id, store_id)}/{id_type}"


def recall_url(profile_id: str = EX.memory_profile_id, store_id: str = EX.store_id) -> str:
    return f"{profile_url(profile_id, store_id)}/Recall"


def observations_url(profile_id: str = EX.paged_profile_id, store_id: str = EX.store_id) -> str:
    return f"{profile_url(profile_id, store_id)}/Observations"


def summaries_url(profile_id: str = EX.memory_profile_id, store_id: str = EX.store_id) -> str:
    return f"{profile_url(profile_id, store_id)}/ConversationSummaries"


def lookup_url(store_id: str = EX.store_id) -> str:
    return f"/v1/Stores/{store_id}/Profiles/Lookup"


def settings_url(store_id: str = EX.store_id) -> str:
    return f"/v1/ControlPlane/Stores/{store_id}/IdentityResolutionSettings"


def small_seed(configs: list[dict[str, Any]], profiles: list[dict[str, Any]]) -> dict[str, Any]:
    """A one-store seed with the default seed's main credentials, for rule-focused tests."""
    return {
        "accounts": [_SEED["accounts"][0]],
        "stores": [
            {
                "id": EX.store_id,
                "accountSid": EX.account_sid,
                "identityResolutionSettings": {
                    "identifierConfigs": configs,
                    "matchingRules": [configs[0]["idType"]],
                },
                "profiles": profiles,
            }
        ],
    }


def profile_id(n: int) -> str:
    """``mem_profile_`` ids that sort by ``n``."""
    return f"mem_profile_01jq8p{n:020d}"
