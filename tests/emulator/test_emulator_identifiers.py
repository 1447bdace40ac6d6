"""Identifier writes and reads: ordering, limits with fifo/lifo, delete, patch, 202 bodies."""

from __future__ import annotations

import httpx2
import pytest
from starlette.applications import Starlette

from tests.support.emulator_api import (
    EX,
    configured_app,
    identifier_url,
    identifiers_url,
    profile_id,
    small_seed,
)

pytestmark = pytest.mark.anyio

P1 = profile_id(1)


def tag_app(limit: int, policy: str, values: list[str]) -> Starlette:
    """A store with one ``tag`` type (no normalization) and profile P1 holding ``values``."""
    seed = small_seed(
        [{"idType": "tag", "normalization": "none", "limit": limit, "limitPolicy": policy}],
        [{"id": P1, "identifiers": [{"idType": "tag", "value": v} for v in values]}],
    )
    return configured_app(seed=seed)


async def tags(client: httpx2.AsyncClient) -> list[str]:
    response = await client.get(identifier_url("tag", P1))
    assert response.status_code == 200
    values: list[str] = response.json()["values"]
    return values


async def add(client: httpx2.AsyncClient, value: str, id_type: str = "tag", pid: str = P1) -> None:
    response = await client.post(identifiers_url(pid), json={"idType": id_type, "value": value})
    assert response.status_code == 202, response.text
    assert response.json() == {"message": "Identifier accepted for processing."}


async def test_values_are_oldest_first_and_readding_keeps_position(make_client):
    client = await make_client(app=tag_app(10, "fifo", ["a", "b"]))
    await add(client, "c")
    await add(client, "a")  # already held: no move, no duplicate
    assert await tags(client) == ["a", "b", "c"]


async def test_fifo_limit_drops_the_oldest(make_client):
    client = await make_client(app=tag_app(3, "fifo", ["a", "b", "c"]))
    await add(client, "d")
    assert await tags(client) == ["b", "c", "d"]


async def test_lifo_limit_drops_the_most_recent(make_client):
    client = await make_client(app=tag_app(3, "lifo", ["a", "b", "c"]))
    await add(client, "d")  # the newest value is the one that goes
    assert await tags(client) == ["a", "b", "c"]
    await client.delete(identifier_url("tag", P1))  # lifo: removes "c"
    await add(client, "e")
    assert await tags(client) == ["a", "b", "e"]


async def test_seed_limits_apply_at_load(make_client):
    client = await make_client(app=tag_app(2, "fifo", ["a", "b", "c", "d"]))
    assert await tags(client) == ["c", "d"]


async def test_full_profile_holds_the_maximum_and_fifo_rolls(client):
    url = identifier_url(EX.full_id_type, EX.full_profile_id)
    values = (await client.get(url)).json()["values"]
    assert len(values) == 100
    await add(client, "new.address@example.com", EX.full_id_type, EX.full_profile_id)
    after = (await client.get(url)).json()["values"]
    assert len(after) == 100
    assert after == [*values[1:], "new.address@example.com"]


@pytest.mark.parametrize(("policy", "left"), [("fifo", ["b", "c"]), ("lifo", ["a", "b"])])
async def test_delete_one_value_follows_limit_policy(make_client, policy, left):
    client = await make_client(app=tag_app(10, policy, ["a", "b", "c"]))
    response = await client.delete(identifier_url("tag", P1))
    assert response.status_code == 202
    assert response.json() == {"message": "Identifier removal accepted."}
    assert await tags(client) == left


async def test_delete_remove_all_then_nothing_left_to_remove(make_client):
    client = await make_client(app=tag_app(10, "fifo", ["a", "b", "c"]))
    response = await client.delete(identifier_url("tag", P1), params={"removeAll": "true"})
    assert response.status_code == 202
    assert await tags(client) == []
    again = await client.delete(identifier_url("tag", P1))
    assert again.status_code == 404


async def test_remove_all_false_removes_one(make_client):
    client = await make_client(app=tag_app(10, "fifo", ["a", "b"]))
    await client.delete(identifier_url("tag", P1), params={"removeAll": "false"})
    assert await tags(client) == ["b"]


async def test_patch_replaces_in_place_normalizing_both_values(client):
    url = identifier_url("email")
    response = await client.patch(
        url,
        json={
            "idType": "email",
            "oldValue": " ALICE.NAKAMURA@example.com",
            "newValue": "Alice.N@Example.com",
        },
    )
    assert response.status_code == 202
    assert response.json() == {"message": "Identifier update accepted."}
    assert (await client.get(url)).json()["values"] == [
        "alice.n@example.com",
        "a.nakamura@work.example.com",
    ]


async def test_patch_unknown_old_value_is_404(client):
    body = {"idType": "email", "oldValue": "nobody@example.com", "newValue": "x@example.com"}
    assert (await client.patch(identifier_url("email"), json=body)).status_code == 404


async def test_patch_to_a_value_already_held_is_409(client):
    body = {
        "idType": "email",
        "oldValue": "alice.nakamura@example.com",
        "newValue": "A.Nakamura@work.example.com",
    }
    response = await client.patch(identifier_url("email"), json=body)
    assert response.status_code == 409
    assert response.json()["code"] == 20409


async def test_patch_to_the_same_value_is_accepted_and_changes_nothing(client):
    before = (await client.get(identifier_url("email"))).json()
    body = {"idType": "email", "oldValue": before["values"][0], "newValue": before["values"][0]}
    assert (await client.patch(identifier_url("email"), json=body)).status_code == 202
    assert (await client.get(identifier_url("email"))).json() == before


async def test_writes_are_visible_at_once(client):
    await add(client, "alice@example.org", "email", EX.profile_id)
    listed = (await client.get(identifiers_url())).json()["identifiers"]
    assert listed[0] == {
        "idType": "email",
        "values": ["alice.nakamura@example.com", "a.nakamura@work.example.com", "alice@example.org"],
    }
