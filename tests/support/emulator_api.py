"""The emulator's API for its tests: the seed's ids and URLs, a spec validator for responses.

The fixtures that use them (``client``, ``make_client``, ``spec_validator``) live in
tests/emulator/conftest.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx2
import jsonschema  # type: ignore[import-untyped]
from starlette.applications import Starlette

from emulator import EmulatorConfig, create_app, default_examples
from emulator.seed import read_seed

SPEC_SERVER = "https://memory.twilio.com"  # the spec's only server; requests are mapped onto it
EX = default_examples()
_SEED = read_seed(None)
# The default seed's second account and its store's profile, for 403 tests.
OTHER_KEY = (_SEED["accounts"][1]["apiKeys"][0]["sid"], _SEED["accounts"][1]["apiKeys"][0]["secret"])
OTHER_PROFILE = _SEED["stores"][1]["profiles"][0]["id"]


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


ClientFactory = Callable[..., Awaitable[httpx2.AsyncClient]]


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
