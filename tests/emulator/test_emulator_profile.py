"""FetchProfile: traits by group (``traitGroups``), 301 or a direct answer for merged ids."""

from __future__ import annotations

import pytest

from tests.support.emulator_api import EX, configured_app, profile_url

pytestmark = pytest.mark.anyio


async def test_a_profile_answers_its_id_creation_time_and_every_trait_group(client):
    response = await client.get(profile_url())
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == EX.profile_id and body["createdAt"] == "2025-01-01T09:00:00Z"
    assert set(body["traits"]) == {"Contact", "Preferences", "Loyalty"}
    assert body["traits"]["Loyalty"]["points"] == 12450  # integers, booleans and arrays survive
    assert body["traits"]["Preferences"]["marketingOptIn"] is False
    assert body["traits"]["Preferences"]["interests"] == ["trail running", "coffee"]
    assert "Canonical-Profile-Id" not in response.headers


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ("Contact", {"Contact"}),
        ("Contact,Loyalty", {"Contact", "Loyalty"}),
        (" Loyalty , Contact ", {"Contact", "Loyalty"}),
        ("Contact,,", {"Contact"}),
        ("contact", set()),  # names are case-sensitive
        ("Nope", set()),  # an allow list: unknown names match nothing
        (",", set()),
    ],
)
async def test_trait_groups_is_an_allow_list(client, groups, expected):
    response = await client.get(profile_url(), params={"traitGroups": groups})
    assert response.status_code == 200
    assert set(response.json()["traits"]) == expected


@pytest.mark.parametrize("groups", ["", "x" * 257])
async def test_trait_groups_length_is_checked(client, groups):
    response = await client.get(profile_url(), params={"traitGroups": groups})
    assert response.status_code == 400
    assert "traitGroups" in response.json()["message"]


async def test_every_live_seeded_profile_has_several_trait_groups(app):
    store = app.state.emulator.stores[EX.store_id]
    for profile in store.profiles.values():
        if profile.merged_into is None:
            assert len(profile.traits) >= 2, profile.id


async def test_a_merged_profile_id_is_301_and_the_canonical_holds_both_profiles_traits(client):
    moved = await client.get(profile_url(EX.merged_profile_id), params={"traitGroups": "Preferences"})
    assert moved.status_code == 301
    assert moved.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    assert moved.headers["Location"].endswith(f"/Profiles/{EX.canonical_profile_id}?traitGroups=Preferences")
    canonical = (await client.get(moved.headers["Location"])).json()
    # Preferences came from the merged profile; the survivor's own groups won on conflict.
    assert canonical["traits"] == {"Preferences": {"preferredChannel": "whatsapp"}}
    contact = (await client.get(profile_url(EX.canonical_profile_id))).json()["traits"]["Contact"]
    assert contact["phone"] == "(512) 555-0104"


async def test_direct_mode_answers_from_the_canonical_profile(make_client):
    client = await make_client(app=configured_app(merged_answer="direct"))
    response = await client.get(profile_url(EX.merged_profile_id))
    assert response.status_code == 200
    assert response.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    assert response.json()["id"] == EX.canonical_profile_id
    assert (await client.get(profile_url(EX.missing_profile_id))).status_code == 404
