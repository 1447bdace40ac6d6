"""Fixtures for the emulator's tests; every emulator response is checked against the spec
(the validator and the URL helpers: :mod:`tests.support.emulator_api`).

The official OpenAPI document is the copy vendored in spec/ (:mod:`tests.support.spec`). The
``client``/``make_client`` fixtures attach a response hook that validates each response with
openapi-core (``OpenAPI.from_dict`` + ``validate_response`` through small adapters written
here) against the operation and status it answers; a test cannot forget. Exempt: the admin
endpoint (not in the spec), requests sent with ``extensions={"spec_exempt": "<why>"}``, and
two known spec gaps (control-plane 401/403, which the spec does not declare but Twilio
answers), whose bodies are still validated against the ``TwilioError`` schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette

from emulator import SeedExamples, create_app
from tests.support.emulator_api import EX, ClientFactory, SpecValidator
from tests.support.spec import load_spec


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def examples() -> SeedExamples:
    return EX


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator:
    return SpecValidator(load_spec())


@pytest.fixture
def app() -> Starlette:
    return create_app()


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
