"""400s for malformed path parameters and bodies, 404s for absent things, and the two
open-question switches (unconfigured idType, configured idType without values)."""

from __future__ import annotations

import pytest

from tests.support.emulator_api import (
    EX,
    configured_app,
    identifier_url,
    identifiers_url,
    lookup_url,
    profile_url,
    settings_url,
)

pytestmark = pytest.mark.anyio

GOOD_STORE, GOOD_PROFILE = EX.store_id, EX.profile_id
BAD_STORES = [
    "mem_store_81jq8p0000000000000000acme",  # first character must be 0-7
    "mem_store_01JQ8P0000000000000000ACME",  # lowercase only
    "mem_store_01jq8p000000000000000acme",  # 25 characters
    "mem_shop_01jq8p0000000000000000acme",  # wrong kind
    "store",
]
BAD_PROFILES = [
    "mem_profile_91jq8p010000000000000alice",
    "mem_profile_01jq8p010000000000000alice0",
    "mem_store_01jq8p0000000000000000acme",
    "alice",
    "mem_profile_01jq8p010000000000000alice%0A",  # "$" must not match before a final newline
]
BAD_ID_TYPES = ["e", "x" * 31, "e mail", "email!", "émail", "email%0A"]


@pytest.mark.parametrize("store_id", BAD_STORES)
async def test_malformed_store_id_is_400(client, store_id):
    for response in (
        await client.get(identifier_url("email", store_id=store_id)),
        await client.post(lookup_url(store_id), json={"idType": "email", "value": "a@b.c"}),
        await client.get(settings_url(store_id)),
    ):
        assert response.status_code == 400
        body = response.json()
        assert body["status"] == 400 and "storeId" in body["message"]
        assert body["more_info"] == f"https://www.twilio.com/docs/api/errors/{body['code']}"


@pytest.mark.parametrize("profile_id", BAD_PROFILES)
async def test_malformed_profile_id_is_400(client, profile_id):
    for response in (
        await client.get(profile_url(profile_id)),
        await client.get(identifiers_url(profile_id)),
        await client.get(identifier_url("email", profile_id)),
        await client.delete(identifier_url("email", profile_id)),
    ):
        assert response.status_code == 400
        assert "profileId" in response.json()["message"]


@pytest.mark.parametrize("id_type", BAD_ID_TYPES)
async def test_malformed_id_type_in_the_path_is_400(client, id_type):
    response = await client.get(identifier_url(id_type))
    assert response.status_code == 400
    assert "idType" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"idType": "email"},
        {"value": "a@example.com"},
        {"idType": "email", "value": "a@example.com", "extra": 1},
        {"idType": "email", "value": 5},
        {"idType": "e", "value": "a@example.com"},
        {"idType": "email", "value": "a" * 256},
        ["idType", "email"],
    ],
)
async def test_malformed_identifier_body_is_400(client, body):
    assert (await client.post(identifiers_url(), json=body)).status_code == 400
    assert (await client.post(lookup_url(), json=body)).status_code == 400


async def test_body_that_is_not_json_is_400(client):
    response = await client.post(
        identifiers_url(), content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert (await client.post(lookup_url())).status_code == 400  # no body at all


@pytest.mark.parametrize(
    "body",
    [
        {"idType": "email", "oldValue": "a@example.com"},
        {"idType": "email", "oldValue": "a@example.com", "newValue": "b@example.com", "x": 1},
        {"idType": "phone", "oldValue": "a@example.com", "newValue": "b@example.com"},
    ],
    ids=["missing-newValue", "extra-property", "idType-differs-from-path"],
)
async def test_malformed_patch_body_is_400(client, body):
    assert (await client.patch(identifier_url("email"), json=body)).status_code == 400


async def test_remove_all_must_be_a_boolean(client):
    response = await client.delete(identifier_url("email"), params={"removeAll": "yes"})
    assert response.status_code == 400


async def test_unconfigured_id_type_in_a_body_is_400(client):
    body = {"idType": "loyaltyId", "value": "L-1"}
    assert (await client.post(identifiers_url(), json=body)).status_code == 400
    assert (await client.post(lookup_url(), json=body)).status_code == 400


async def test_unknown_store_and_profile_are_404(client):
    unknown_store = "mem_store_01jq8p00000000000000absent"
    for response in (
        await client.get(identifier_url("email", store_id=unknown_store)),
        await client.get(settings_url(unknown_store)),
        await client.get(identifier_url("email", EX.missing_profile_id)),
        await client.get(identifiers_url(EX.missing_profile_id)),
        await client.get(profile_url(EX.missing_profile_id)),
        await client.post(
            identifiers_url(EX.missing_profile_id), json={"idType": "email", "value": "a@example.com"}
        ),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == 20404


async def test_unknown_route_and_method_answer_in_twilio_shape(client):
    exempt = {"spec_exempt": "paths and methods the spec does not define"}
    unknown = await client.get("/v1/Nothing", extensions=exempt)
    assert unknown.status_code == 404 and unknown.json()["status"] == 404
    wrong_method = await client.put(identifier_url("email"), extensions=exempt)
    assert wrong_method.status_code == 405 and wrong_method.json()["status"] == 405
    too_big = await client.post(
        identifiers_url(), json={"idType": "email", "value": "x" * 70_000}, extensions=exempt
    )
    assert too_big.status_code == 413 and too_big.json()["status"] == 413


# --- Open question (a): an idType the store does not configure ---------------------------


async def test_unconfigured_id_type_is_404_by_default(client):
    response = await client.get(identifier_url("loyaltyId"))
    assert response.status_code == 404
    assert "loyaltyId" in response.json()["message"]


async def test_unconfigured_id_type_can_be_400(make_client):
    client = await make_client(app=configured_app(unconfigured_id_type="400"))
    response = await client.get(identifier_url("loyaltyId"))
    assert response.status_code == 400
    assert "not configured" in response.json()["message"]


async def test_id_type_matching_is_case_sensitive(client):
    assert (await client.get(identifier_url("Email"))).status_code == 404


# --- Open question (b): a configured idType with no values --------------------------------


async def test_empty_identifier_is_200_with_no_values_by_default(client):
    # Alice has no externalId values.
    response = await client.get(identifier_url("externalId"))
    assert response.status_code == 200
    assert response.json() == {"idType": "externalId", "values": []}


async def test_empty_identifier_can_be_404(make_client):
    client = await make_client(app=configured_app(empty_identifier="404"))
    assert (await client.get(identifier_url("externalId"))).status_code == 404
    assert (await client.get(identifier_url("email"))).status_code == 200


async def test_list_shows_only_types_holding_values_in_settings_order(client):
    response = await client.get(identifiers_url())
    assert response.status_code == 200
    assert [s["idType"] for s in response.json()["identifiers"]] == ["email", "phone", "whatsapp"]


async def test_product_error_codes_switch(make_client):
    client = await make_client(app=configured_app(error_codes="product"))
    missing = await client.get(identifier_url("email", EX.missing_profile_id))
    assert missing.status_code == 404 and missing.json()["code"] == 520009
    bad_store = await client.get(identifier_url("email", store_id="mem_store_x"))
    assert bad_store.status_code == 400 and bad_store.json()["code"] == 520049
    assert bad_store.json()["more_info"].endswith("/520049")
