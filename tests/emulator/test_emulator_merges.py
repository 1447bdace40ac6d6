"""enforceUnique merges, canonical ids, and the 301/308 answers for merged profile ids."""

from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette

from tests.support.emulator_api import (
    EX,
    configured_app,
    identifier_url,
    identifiers_url,
    lookup_url,
    profile_id,
    profile_url,
    small_seed,
)

pytestmark = pytest.mark.anyio

P1, P2, P3 = profile_id(1), profile_id(2), profile_id(3)
BASE = "http://emulator.test"
MOVED = "This resource has moved."


def merge_app(*, unique: bool = True, email_limit: int = 100, **switches: str) -> Starlette:
    configs = [
        {"idType": "email", "normalization": "email", "limit": email_limit},
        {"idType": "phone", "normalization": "phone", "enforceUnique": unique},
    ]

    def ids(*pairs: tuple[str, str]) -> list[dict[str, str]]:
        return [{"idType": t, "value": v} for t, v in pairs]

    profiles = [
        {"id": P1, "identifiers": ids(("email", "one@example.com"), ("phone", "206-555-0101"))},
        {"id": P2, "identifiers": ids(("email", "two@example.com"), ("phone", "206-555-0102"))},
        {"id": P3, "identifiers": ids(("email", "three@example.com"))},
    ]
    return configured_app(seed=small_seed(configs, profiles), **switches)


async def post(client: httpx2.AsyncClient, pid: str, id_type: str, value: str) -> None:
    response = await client.post(identifiers_url(pid), json={"idType": id_type, "value": value})
    assert response.status_code == 202, response.text


async def test_adding_a_held_value_merges_into_the_earliest_id(make_client):
    client = await make_client(app=merge_app())
    await post(client, P1, "email", "Two@Example.com")  # P2's value, added to P1
    moved = await client.get(identifier_url("email", P2))
    assert moved.status_code == 301
    survivor = await client.get(identifiers_url(P1))
    assert survivor.json() == {
        "identifiers": [
            # Union ordered by original add time: P2's seed values predate the new write.
            {"idType": "email", "values": ["one@example.com", "two@example.com"]},
            {"idType": "phone", "values": ["+12065550101", "+12065550102"]},
        ]
    }
    found = await client.post(lookup_url(), json={"idType": "phone", "value": "206 555 0102"})
    assert found.json() == {"normalizedValue": "+12065550102", "profiles": [P1]}


async def test_the_earliest_id_survives_whichever_profile_is_written(make_client):
    client = await make_client(app=merge_app())
    await post(client, P2, "email", "one@example.com")  # written on the later profile
    assert (await client.get(identifiers_url(P1))).status_code == 200
    assert (await client.get(identifiers_url(P2))).status_code == 301


async def test_merged_values_are_limited_after_the_union(make_client):
    client = await make_client(app=merge_app(email_limit=2))
    await post(client, P1, "email", "two@example.com")
    # one (P1, oldest), two (P2), and "two" again is the same value: two values, none dropped.
    assert (await client.get(identifier_url("email", P1))).json()["values"] == [
        "one@example.com",
        "two@example.com",
    ]
    await post(client, P1, "email", "three@example.com")  # merges P3 in: three values, limit 2
    assert (await client.get(identifier_url("email", P1))).json()["values"] == [
        "two@example.com",
        "three@example.com",
    ]


async def test_without_enforce_unique_no_merge_and_lookup_finds_both(make_client):
    client = await make_client(app=merge_app(unique=False))
    await post(client, P2, "phone", "206-555-0101")
    assert (await client.get(identifiers_url(P2))).status_code == 200
    found = await client.post(lookup_url(), json={"idType": "phone", "value": "2065550101"})
    assert found.json()["profiles"] == [P1, P2]


async def test_get_on_a_merged_id_is_301_to_the_same_subresource(client):
    for path in ("/Identifiers/email", "/Identifiers", ""):
        response = await client.get(profile_url(EX.merged_profile_id) + path)
        assert response.status_code == 301
        target = f"{BASE}{profile_url(EX.canonical_profile_id)}{path}"
        assert response.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
        assert response.headers["Location"] == target
        assert response.json() == {"message": MOVED, "uri": target}


@pytest.mark.parametrize(
    ("method", "suffix", "kwargs"),
    [
        ("POST", "/Identifiers", {"json": {"idType": "email", "value": "d@example.com"}}),
        (
            "PATCH",
            "/Identifiers/email",
            {"json": {"idType": "email", "oldValue": "a@example.com", "newValue": "b@example.com"}},
        ),
        ("DELETE", "/Identifiers/email", {"params": {"removeAll": "true"}}),
    ],
)
async def test_writes_on_a_merged_id_are_308_and_keep_the_query(client, method, suffix, kwargs):
    response = await client.request(method, profile_url(EX.merged_profile_id) + suffix, **kwargs)
    assert response.status_code == 308
    query = "?removeAll=true" if method == "DELETE" else ""
    target = f"{BASE}{profile_url(EX.canonical_profile_id)}{suffix}{query}"
    assert response.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    assert response.headers["Location"] == target
    assert response.json() == {"message": MOVED, "uri": target}
    # Nothing was written to either profile.
    canonical = await client.get(identifier_url("email", EX.canonical_profile_id))
    assert canonical.json()["values"] == ["dana.whitfield@example.com"]


async def test_following_the_redirect_reaches_the_canonical_data(client):
    moved = await client.get(identifier_url("phone", EX.merged_profile_id))
    followed = await client.get(moved.headers["Location"])
    assert followed.status_code == 200
    # The merged profile's own phone joined the canonical one's, after it.
    assert followed.json() == {"idType": "phone", "values": ["+15125550104", "+17375550113"]}


async def test_chains_resolve_to_the_final_canonical_in_one_hop(make_client):
    client = await make_client(app=merge_app())
    await post(client, P2, "email", "three@example.com")  # P3 -> P2
    await post(client, P1, "email", "two@example.com")  # P2 -> P1
    response = await client.get(identifier_url("email", P3))
    assert response.status_code == 301
    assert response.headers["Canonical-Profile-Id"] == P1
    assert response.headers["Location"] == f"{BASE}{identifier_url('email', P1)}"


async def test_redirect_target_can_be_the_profile_root(make_client):
    client = await make_client(app=configured_app(redirect_target="profile-root"))
    response = await client.get(identifier_url("email", EX.merged_profile_id))
    target = f"{BASE}{profile_url(EX.canonical_profile_id)}"
    assert response.headers["Location"] == target
    assert response.json()["uri"] == target


async def test_location_uses_the_request_base_url(make_client):
    client = await make_client()
    client.base_url = "http://127.0.0.1:9999"
    response = await client.get(identifier_url("email", EX.merged_profile_id))
    assert response.headers["Location"].startswith("http://127.0.0.1:9999/v1/Stores/")


async def test_lookup_returns_canonical_ids_only(client):
    found = await client.post(
        lookup_url(), json={"idType": "phone", "value": "+1 (737) 555-0113"}
    )  # the merged profile's own phone
    assert found.json() == {"normalizedValue": "+17375550113", "profiles": [EX.canonical_profile_id]}
