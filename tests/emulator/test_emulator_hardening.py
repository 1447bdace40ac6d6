"""Emulator faults found by a fidelity check against the spec (issue 8), each pinned by a test:
405 with a complete ``Allow``, ``GET …/Profiles/Lookup``, phone numbers that cannot be E.164,
unpaired surrogates, deeply nested JSON, and unexpected failures (500 in Twilio's JSON shape, the
connection still usable, over a real socket)."""

from __future__ import annotations

import base64
import json
from typing import Any

import anyio
import h11
import pytest

from emulator import serve_in_background
from emulator.normalization import InvalidValue, normalize
from emulator.store import Store
from tests.support.console import HANG_GUARD
from tests.support.emulator_api import (
    EX,
    identifier_url,
    identifiers_url,
    lookup_url,
    profile_url,
    recall_url,
    settings_url,
)

pytestmark = pytest.mark.anyio
EXEMPT = {"spec_exempt": "a method the spec does not define on this path"}


# --- 405 and Allow --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", identifiers_url(), "GET, HEAD, POST"),
        ("PUT", identifier_url("email"), "GET, HEAD, PATCH, DELETE"),
        ("POST", identifier_url("email"), "GET, HEAD, PATCH, DELETE"),
        ("GET", lookup_url(), "POST"),
        ("DELETE", lookup_url(), "POST"),
        ("POST", profile_url(), "GET, HEAD, PATCH"),
        ("GET", recall_url(), "POST"),
        ("DELETE", f"{profile_url()}/Observations", "GET, HEAD, POST"),
        ("DELETE", settings_url(), "GET, HEAD, PUT"),
        ("POST", "/v1/ControlPlane/Operations/op_1", "GET, HEAD"),
        ("DELETE", "/_emulator/faults", "GET, HEAD, PUT, PATCH"),
    ],
)
async def test_a_405_allows_every_method_served_on_the_path(client, method, path, allowed):
    response = await client.request(method, path, extensions=EXEMPT)
    assert response.status_code == 405
    assert response.headers["Allow"] == allowed
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {
        "code": 20004,
        "message": f"Method {method} is not allowed here; allowed: {allowed}",
        "more_info": "https://www.twilio.com/docs/api/errors/20004",
        "status": 405,
    }


async def test_get_on_lookup_is_405_not_an_invalid_profile_id(client):
    response = await client.get(lookup_url(), extensions=EXEMPT)
    assert response.status_code == 405
    assert "profileId" not in response.json()["message"]


async def test_head_is_served_wherever_get_is(client):
    response = await client.head(identifier_url("email"), extensions={"spec_exempt": "HEAD is implied"})
    assert response.status_code == 200


# --- Phone numbers that cannot be E.164 -----------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "020 7946 0958",  # a UK national number: no country code, and E.164 never starts with 0
        "+020 7946 0958",
        "00 44 20 7946 0958",  # an international call prefix is not part of the number
        "0317555014",  # 10 digits, but a US area code never starts with 0 or 1
        "1234567890",
        "1-017-555-0142",
        "+1 117 555 0142",
    ],
)
def test_phone_normalization_never_yields_a_number_that_is_not_e164(raw):
    with pytest.raises(InvalidValue):
        normalize(raw, "phone")


async def test_a_national_number_is_400_on_lookup_and_add(client):
    body = {"idType": "phone", "value": "020 7946 0958"}
    for response in (
        await client.post(lookup_url(), json=body),
        await client.post(identifiers_url(), json=body),
    ):
        assert response.status_code == 400
        assert "phone" in response.json()["message"]
    values = (await client.get(identifier_url("phone"))).json()["values"]
    assert not any(v.startswith("+0") for v in values)


# --- Unpaired surrogates ---------------------------------------------------------------------------

SURROGATE = b'{"idType": "email", "value": "ab\\udc00cd"}'  # the JSON escape, as a client sends it
JSON = {"Content-Type": "application/json"}


async def test_an_unpaired_surrogate_is_400_on_lookup(client):
    response = await client.post(lookup_url(), content=SURROGATE, headers=JSON)
    assert response.status_code == 400
    assert "Unicode" in response.json()["message"]


async def test_an_unpaired_surrogate_is_400_on_add_and_the_profile_stays_readable(client):
    response = await client.post(identifiers_url(), content=SURROGATE, headers=JSON)
    assert response.status_code == 400
    assert (await client.get(identifiers_url())).status_code == 200
    assert (await client.get(identifier_url("email"))).status_code == 200


async def test_a_surrogate_pair_is_one_character_and_fine(client):
    body = b'{"idType": "email", "value": "smile\\ud83d\\ude00@example.com"}'
    response = await client.post(lookup_url(), content=body, headers=JSON)
    assert response.status_code == 200
    assert response.json()["normalizedValue"] == "smile\U0001f600@example.com"


async def test_an_unpaired_surrogate_in_a_key_or_a_recall_query_is_400(client):
    assert (await client.post(recall_url(), content=b'{"\\ud800": 1}', headers=JSON)).status_code == 400
    query = b'{"query": "invoice \\udfff"}'
    assert (await client.post(recall_url(), content=query, headers=JSON)).status_code == 400


# --- Deep nesting ---------------------------------------------------------------------------------


def _nested(levels: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * levels + b"]" * levels
    return b'{"a":' * levels + b"1" + b"}" * levels


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", lookup_url()),
        ("POST", identifiers_url()),
        ("POST", recall_url()),
        ("PUT", settings_url()),
    ],
)
async def test_a_5000_level_body_is_400(client, kind, method, path):
    response = await client.request(method, path, content=_nested(5000, kind), headers=JSON)
    assert response.status_code == 400
    assert response.json()["status"] == 400


async def test_the_admin_endpoint_refuses_deep_nesting_too(client):
    response = await client.put("/_emulator/faults", content=_nested(5000, "object"), headers=JSON)
    assert response.status_code == 400


async def test_moderate_nesting_is_a_schema_error_not_a_depth_error(client):
    response = await client.post(recall_url(), content=b'{"query": [[[["x"]]]]}', headers=JSON)
    assert response.status_code == 400
    assert response.json()["message"].startswith("MemoryRetrievalRequest.query")


# --- Unexpected failures ----------------------------------------------------------------------------

INTERNAL = {
    "code": 20500,
    "message": "Internal Server Error",
    "more_info": "https://www.twilio.com/docs/api/errors/20500",
    "status": 500,
}


def _break_profile_lookups(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: Store, profile_id: str) -> None:
        raise RuntimeError("an emulator bug")

    monkeypatch.setattr(Store, "canonical", boom)


async def test_an_unexpected_failure_is_a_twilio_500_in_process(client, monkeypatch):
    _break_profile_lookups(monkeypatch)
    response = await client.get(identifier_url("email"))
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == INTERNAL


async def test_an_unexpected_failure_leaves_the_connection_usable(app, monkeypatch):
    """Two requests on one real TCP connection to uvicorn: a crash, then a normal answer."""
    auth = base64.b64encode(f"{EX.api_key}:{EX.api_secret}".encode()).decode()
    async with serve_in_background(app) as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        async with await anyio.connect_tcp(host, int(port)) as stream:
            connection = h11.Connection(h11.CLIENT)

            async def exchange(path: str) -> tuple[h11.Response, bytes]:
                request = h11.Request(
                    method="GET",
                    target=path,
                    headers=[("Host", f"{host}:{port}"), ("Authorization", f"Basic {auth}")],
                )
                await stream.send(connection.send(request) + connection.send(h11.EndOfMessage()))
                response: Any = None
                body = b""
                with anyio.fail_after(HANG_GUARD):  # a hang guard, not a measurement
                    while True:
                        event = connection.next_event()
                        if event is h11.NEED_DATA:
                            connection.receive_data(await stream.receive())
                        elif isinstance(event, h11.Response):
                            response = event
                        elif isinstance(event, h11.Data):
                            body += event.data
                        elif isinstance(event, h11.EndOfMessage):
                            return response, body

            with monkeypatch.context() as patch:
                _break_profile_lookups(patch)
                crashed, body = await exchange(identifier_url("email"))
            assert crashed.status_code == 500
            assert dict(crashed.headers)[b"content-type"] == b"application/json"
            assert json.loads(body) == INTERNAL
            assert connection.our_state is h11.DONE and connection.their_state is h11.DONE
            connection.start_next_cycle()  # the server kept the connection open
            ok, body = await exchange(identifier_url("email"))
            assert ok.status_code == 200
            assert json.loads(body)["idType"] == "email"
