"""Inputs that made the emulator answer 500 or misroute (issue 16 item 8), each now a JSON 4xx in
Twilio's error shape: bodies not sent as application/json (415), integers past Python's 4,300
digit limit in a body (json.loads raised ValueError) or in pageSize (int() did), RFC 3339
date-times whose UTC instant falls outside years 1-9999 (astimezone raised OverflowError), and the
literal Imports and Bulk paths read as profile ids (400 "Invalid profileId")."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from emulator import create_app, serve_in_background
from tests.support.emulator_api import (
    EX,
    identifier_url,
    identifiers_url,
    lookup_url,
    observations_url,
    recall_url,
    settings_url,
    summaries_url,
)

pytestmark = pytest.mark.anyio
NOT_IN_SPEC = {"spec_exempt": "415 is not among the statuses the spec declares (as 413 is not)"}
HUGE = "9" * 5000  # past sys.get_int_max_str_digits() (4,300)
OVERFLOWING = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")

LOOKUP = {"idType": "phone", "value": "2065550101"}  # a seeded profile's
BODIES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "lookup": ("POST", lookup_url(), LOOKUP),
    "recall": ("POST", recall_url(), {"query": "refund"}),
    "create-identifier": ("POST", identifiers_url(), {"idType": "email", "value": "a@example.com"}),
    "patch-identifier": ("PATCH", identifier_url("email"), {"newValue": "b@example.com"}),
    "update-settings": ("PUT", settings_url(), {"identifierConfigs": [], "matchingRules": []}),
    "emulator-faults": ("PUT", "/_emulator/faults", {"error_next": 0}),
}
MEDIA_TYPES = {
    "absent": None,
    "text-plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "json-patch": "application/json-patch+json",
    "jsonx": "application/jsonx",
    "empty": "",
}


def json_bytes(body: dict[str, Any]) -> bytes:
    return httpx2.Request("POST", "http://x", json=body).content


def assert_twilio_error(response: httpx2.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()
    assert set(error) == {"code", "message", "more_info", "status"} and error["status"] == status
    return error


@pytest.mark.parametrize("operation", BODIES)
@pytest.mark.parametrize("media_type", list(MEDIA_TYPES.values()), ids=list(MEDIA_TYPES))
async def test_a_body_not_sent_as_json_is_415(client, operation: str, media_type: str | None) -> None:
    method, path, body = BODIES[operation]
    headers = {} if media_type is None else {"Content-Type": media_type}
    response = await client.request(
        method, path, content=json_bytes(body), headers=headers, extensions=NOT_IN_SPEC
    )
    error = assert_twilio_error(response, 415)
    said = "no Content-Type" if not media_type else f"Content-Type {media_type!r}"
    assert error["message"] == f"The request body must be sent as application/json; the request has {said}"


@pytest.mark.parametrize(
    "media_type", ["application/json", "Application/JSON; charset=UTF-8", " application/json ;x=1"]
)
async def test_json_with_any_case_and_parameters_is_taken(client, media_type: str) -> None:
    response = await client.post(
        lookup_url(), content=json_bytes(LOOKUP), headers={"Content-Type": media_type}
    )
    assert response.status_code == 200
    assert response.json()["profiles"]


INTEGER_BODIES = {
    "lookup-value": (lookup_url(), '{"idType": "email", "value": %s}'),
    "recall-limit": (recall_url(), '{"observationsLimit": %s}'),
    "recall-threshold": (recall_url(), '{"relevanceThreshold": -%s}'),
    "nested": (recall_url(), '{"query": "x", "extra": [[{"n": %s}]]}'),
}


@pytest.mark.parametrize("case", INTEGER_BODIES)
async def test_an_integer_past_the_digit_limit_in_a_body_is_400(client, case: str) -> None:
    path, template = INTEGER_BODIES[case]
    body = (template % HUGE).encode()
    response = await client.post(path, content=body, headers={"Content-Type": "application/json"})
    error = assert_twilio_error(response, 400)
    assert error["message"] == "The request body holds an integer of more than 4300 digits"


@pytest.mark.parametrize("raw", [HUGE, "0" * 5000 + "5", "1" + "0" * 9])
@pytest.mark.parametrize("list_url", [observations_url(), summaries_url()], ids=["observations", "summaries"])
async def test_a_page_size_past_the_digit_limit_is_400(client, list_url: str, raw: str) -> None:
    response = await client.get(list_url, params={"pageSize": raw})
    assert assert_twilio_error(response, 400)["message"] == "pageSize must be an integer from 1 to 1000"


@pytest.mark.parametrize("field", ["beginDate", "endDate"])
@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_a_recall_date_outside_the_years_in_utc_is_400(client, field: str, moment: str) -> None:
    response = await client.post(recall_url(), json={field: moment})
    error = assert_twilio_error(response, 400)
    assert error["message"] == (
        f"MemoryRetrievalRequest.{field}: {moment!r} is outside years 1 to 9999 in UTC"
    )


@pytest.mark.parametrize("field", ["createdAfter", "createdBefore"])
@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_a_list_filter_outside_the_years_in_utc_is_400(client, field: str, moment: str) -> None:
    response = await client.get(observations_url(), params={field: moment})
    error = assert_twilio_error(response, 400)
    assert error["message"] == f"{field}: {moment!r} is outside years 1 to 9999 in UTC"


async def test_the_years_edges_that_stay_in_range_are_taken(client) -> None:
    window = {"beginDate": "0001-01-01T00:00:00-01:00", "endDate": "9999-12-31T23:59:59+01:00"}
    assert (await client.post(recall_url(), json=window)).status_code == 200
    listed = await client.get(observations_url(), params={"createdAfter": "0001-01-01T00:00:00Z"})
    assert listed.status_code == 200


PROFILES = f"/v1/Stores/{EX.store_id}/Profiles"
NOT_A_METHOD = {"spec_exempt": "a method the spec does not define on this path"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{PROFILES}/Imports"),  # ListProfileImportsV2
        ("POST", f"{PROFILES}/Imports"),  # CreateProfilesImportV2
        ("GET", f"{PROFILES}/Imports/imp_01"),  # FetchProfileImportV2
        ("PUT", f"{PROFILES}/Bulk"),  # UpdateProfilesBulk
    ],
)
async def test_imports_and_bulk_are_their_own_paths_answered_404_not_emulated(
    client, method: str, path: str
) -> None:
    response = await client.request(method, path, json={} if method != "GET" else None)
    error = assert_twilio_error(response, 404)
    assert error["message"] == f"{method} {path} is not emulated"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", f"{PROFILES}/Imports", "GET, HEAD, POST"),
        ("PATCH", f"{PROFILES}/Imports", "GET, HEAD, POST"),
        ("GET", f"{PROFILES}/Bulk", "PUT"),
        ("POST", f"{PROFILES}/Imports/imp_01", "GET, HEAD"),
    ],
)
async def test_other_methods_on_imports_and_bulk_are_405_with_the_specs_allow(
    client, method: str, path: str, allowed: str
) -> None:
    response = await client.request(method, path, extensions=NOT_A_METHOD)
    assert_twilio_error(response, 405)
    assert response.headers["Allow"] == allowed


async def test_over_a_real_socket_each_is_a_json_4xx_and_the_connection_lives_on() -> None:
    async with (
        serve_in_background(create_app()) as base_url,
        httpx2.AsyncClient(base_url=base_url, auth=(EX.api_key, EX.api_secret)) as http,
    ):
        plain = await http.post(
            lookup_url(), content=b"email=alice@example.com", headers={"Content-Type": "text/plain"}
        )
        huge = await http.post(
            recall_url(),
            content=f'{{"observationsLimit": {HUGE}}}'.encode(),
            headers={"Content-Type": "application/json"},
        )
        page = await http.get(observations_url(), params={"pageSize": HUGE})
        early = await http.post(recall_url(), json={"beginDate": OVERFLOWING[0]})
        late = await http.get(observations_url(), params={"createdBefore": OVERFLOWING[1]})
        imports = await http.get(f"{PROFILES}/Imports")
        fine = await http.post(lookup_url(), json=LOOKUP)
    statuses = [r.status_code for r in (plain, huge, page, early, late, imports, fine)]
    assert statuses == [415, 400, 400, 400, 400, 404, 200]
    for response in (plain, huge, page, early, late, imports):
        assert response.json()["status"] == response.status_code


async def test_no_body_at_all_is_still_400_whatever_the_content_type(client) -> None:
    for headers in ({}, {"Content-Type": "text/plain"}):
        response = await client.post(lookup_url(), headers=headers)
        assert assert_twilio_error(response, 400)["message"] == "The request body must be a JSON object"
