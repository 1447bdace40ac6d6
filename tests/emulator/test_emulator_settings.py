"""Identity Resolution Settings: ETag, If-Match/412, 202 with operation headers, versions,
validation, effects on stored values; and FetchOperation for the operation a PUT names."""

from __future__ import annotations

import copy
from typing import Any

import httpx2
import pytest

from tests.support.emulator_api import EX, identifier_url, settings_url

pytestmark = pytest.mark.anyio


async def current(client: httpx2.AsyncClient) -> tuple[dict[str, Any], str]:
    response = await client.get(settings_url())
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body, response.headers["ETag"]


def without_version(settings: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(settings)
    body.pop("version")
    return body


async def test_get_answers_settings_with_an_etag(client):
    settings, etag = await current(client)
    assert settings["version"] == 1
    assert [c["idType"] for c in settings["identifierConfigs"]] == [
        "email",
        "phone",
        "whatsapp",
        "externalId",
    ]
    assert settings["matchingRules"] == ["email", "phone", "whatsapp"]
    assert etag.startswith('"') and etag.endswith('"')


async def test_put_answers_202_with_operation_headers_and_bumps_version(client):
    settings, etag = await current(client)
    response = await client.put(settings_url(), json=without_version(settings), headers={"If-Match": etag})
    assert response.status_code == 202
    body = response.json()
    assert body["message"] == "Identity Resolution Settings accepted for processing."
    assert response.headers["Location"] == body["statusUrl"]
    operation_id = response.headers["Operation-Id"]
    assert body["statusUrl"] == f"http://emulator.test/v1/ControlPlane/Operations/{operation_id}"
    assert response.headers["Retry-After"].isdigit()
    after, new_etag = await current(client)
    assert after["version"] == 2
    assert new_etag != etag

    operation = await client.get(body["statusUrl"])
    assert operation.status_code == 200
    assert operation.headers["Operation-Id"] == operation_id
    assert operation.json()["status"] == "COMPLETED"
    assert operation.json()["resultUrl"].endswith(settings_url())


async def test_stale_if_match_is_412(client):
    settings, etag = await current(client)
    assert (await client.put(settings_url(), json=without_version(settings))).status_code == 202
    stale = await client.put(settings_url(), json=without_version(settings), headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.json()["code"] == 20412
    assert (await current(client))[0]["version"] == 2


@pytest.mark.parametrize("if_match", ["*", "UNQUOTED", 'W/"x", QUOTED'])
async def test_if_match_forms(client, if_match):
    settings, etag = await current(client)
    header = if_match.replace("UNQUOTED", etag.strip('"')).replace("QUOTED", etag)
    response = await client.put(settings_url(), json=without_version(settings), headers={"If-Match": header})
    assert response.status_code == 202


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.pop("matchingRules"),
        lambda s: s.update(identifierConfigs=[]),
        lambda s: s["identifierConfigs"][0].update(limit=101),
        lambda s: s["identifierConfigs"][0].update(limitPolicy="random"),
        lambda s: s["identifierConfigs"][0].update(normalization="upper"),
        lambda s: s["identifierConfigs"][0].update(colour="blue"),
        lambda s: s["identifierConfigs"][1].update(idType="email"),
        lambda s: s.update(matchingRules=["loyaltyId"]),
        lambda s: s["identifierConfigs"][0].update(enforceUnique="yes"),
    ],
    ids=[
        "no-rules",
        "no-configs",
        "limit-over-100",
        "bad-policy",
        "bad-normalization",
        "unknown-property",
        "duplicate-idType",
        "rule-not-configured",
        "non-boolean",
    ],
)
async def test_invalid_settings_are_400(client, mutate):
    settings, _ = await current(client)
    body = without_version(settings)
    mutate(body)
    response = await client.put(settings_url(), json=body)
    assert response.status_code == 400
    assert (await current(client))[0]["version"] == 1


async def test_lowering_a_limit_trims_stored_values_at_once(client):
    settings, _ = await current(client)
    body = without_version(settings)
    body["identifierConfigs"][0]["limit"] = 10  # email, fifo
    assert (await client.put(settings_url(), json=body)).status_code == 202
    values = (await client.get(identifier_url(EX.full_id_type, EX.full_profile_id))).json()["values"]
    assert values == [f"kofi.mensah+{n:03d}@example.com" for n in range(91, 101)]


async def test_dropping_a_type_hides_it_and_adding_one_serves_it(client):
    settings, _ = await current(client)
    body = without_version(settings)
    body["identifierConfigs"] = [c for c in body["identifierConfigs"] if c["idType"] != "whatsapp"]
    body["identifierConfigs"].append({"idType": "loyaltyId"})
    body["matchingRules"] = ["email", "phone"]
    assert (await client.put(settings_url(), json=body)).status_code == 202
    assert (await client.get(identifier_url("whatsapp"))).status_code == 404
    assert (await client.get(identifier_url("loyaltyId"))).json() == {
        "idType": "loyaltyId",
        "values": [],
    }
    loyalty = (await current(client))[0]["identifierConfigs"][-1]
    assert loyalty == {  # the spec's defaults filled in
        "idType": "loyaltyId",
        "matchingAlgo": "exact",
        "limit": 100,
        "limitPolicy": "fifo",
        "enforceUnique": True,
        "normalization": "trim",
    }


async def test_unknown_operation_is_404(client):
    response = await client.get("/v1/ControlPlane/Operations/proc_job_01jq8p00000000000000000000")
    assert response.status_code == 404


async def test_other_accounts_store_settings_are_403(client):
    assert (await client.get(settings_url(EX.other_account_store_id))).status_code == 403
