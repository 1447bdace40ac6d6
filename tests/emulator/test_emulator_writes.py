"""The emulator's profile writes (issue 19): shapes, 202s, 308s, limits, delay, scripted faults.

Every answer here is checked against the spec by the ``make_client`` hook.
"""

from __future__ import annotations

import anyio
import httpx2
import pytest

from emulator.faults import Faults
from tests.support.emulator_api import (
    EX,
    configured_app,
    identifiers_url,
    lookup_url,
    observations_url,
    profile_url,
    summaries_url,
)

pytestmark = pytest.mark.anyio

CONVERSATION = "conv_conversation_01kpttrksqe08rhv122gzq52ax"
OBSERVATION = {
    "content": "Prefers SMS after 6 pm",
    "source": "twilio-memory-mcp",
    "occurredAt": "2026-12-04T18:00:00Z",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def observations(client: httpx2.AsyncClient, profile_id: str) -> list[dict[str, object]]:
    response = await client.get(observations_url(profile_id), params={"pageSize": 50})
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["observations"]
    return items


async def test_an_observation_is_accepted_and_then_listed(client):
    before = await observations(client, EX.profile_id)
    response = await client.post(observations_url(EX.profile_id), json={"observations": [OBSERVATION]})
    assert response.status_code == 202
    assert response.json() == {"message": "Observations creation accepted"}
    listed = [o for o in await observations(client, EX.profile_id) if o not in before]
    assert [(o["content"], o["source"], o["occurredAt"]) for o in listed] == [
        ("Prefers SMS after 6 pm", "twilio-memory-mcp", "2026-12-04T18:00:00Z")
    ]
    assert str(listed[0]["id"]).startswith("mem_observation_")


async def test_a_summary_without_source_is_accepted_and_listed(client):
    before = (await client.get(summaries_url(EX.profile_id))).json()["summaries"]
    summary = {
        "content": "Agreed a refund",
        "conversationId": CONVERSATION,
        "occurredAt": "2026-12-04T18:00:00Z",
    }
    response = await client.post(summaries_url(EX.profile_id), json={"summaries": [summary]})
    assert response.status_code == 202
    listed = [
        s for s in (await client.get(summaries_url(EX.profile_id))).json()["summaries"] if s not in before
    ]
    assert [(s["content"], s["conversationId"], "source" in s) for s in listed] == [
        ("Agreed a refund", CONVERSATION, False)
    ]


async def test_a_trait_patch_sets_and_null_removes(client):
    before = (await client.get(profile_url(EX.profile_id))).json()["traits"]
    group = next(iter(before))
    name = next(iter(before[group]))
    patch = {"traits": {group: {name: None, "channel": "sms"}, "Prefs": {"quietHours": ["22", "7"]}}}
    response = await client.patch(profile_url(EX.profile_id), json=patch)
    assert response.status_code == 202
    assert response.json() == {"message": "Trait modifications accepted for processing."}
    after = (await client.get(profile_url(EX.profile_id))).json()["traits"]
    assert name not in after[group] and after[group]["channel"] == "sms"
    assert after["Prefs"] == {"quietHours": ["22", "7"]}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (observations_url(EX.profile_id), {"observations": []}),
        (observations_url(EX.profile_id), {"observations": [OBSERVATION] * 11}),
        (observations_url(EX.profile_id), {"observations": [{**OBSERVATION, "content": "x" * 4097}]}),
        (observations_url(EX.profile_id), {"observations": [{**OBSERVATION, "source": "bad<source>"}]}),
        (observations_url(EX.profile_id), {"observations": [{**OBSERVATION, "occurredAt": "yesterday"}]}),
        (
            observations_url(EX.profile_id),
            {"observations": [{k: v for k, v in OBSERVATION.items() if k != "source"}]},
        ),
        (observations_url(EX.profile_id), {"observations": [OBSERVATION], "extra": 1}),
        (
            summaries_url(EX.profile_id),
            {"summaries": [{"content": "x", "occurredAt": "2026-12-04T18:00:00Z"}]},
        ),
        (profile_url(EX.profile_id), {"traits": {"G": {"nested": [[1]]}}}),
        (profile_url(EX.profile_id), {"traits": {f"G{i}": {} for i in range(51)}}),
    ],
)
async def test_writes_outside_the_spec_bounds_are_refused(client, url, body):
    method = "PATCH" if url == profile_url(EX.profile_id) else "POST"
    before = await observations(client, EX.profile_id)
    response = await client.request(method, url, json=body)
    assert response.status_code == 400, response.text
    assert await observations(client, EX.profile_id) == before


@pytest.mark.parametrize("kind", ["observation", "traits", "identifier"])
async def test_a_write_to_a_merged_profile_answers_308_and_writes_nothing(client, kind):
    requests = {
        "observation": ("POST", observations_url(EX.merged_profile_id), {"observations": [OBSERVATION]}),
        "traits": ("PATCH", profile_url(EX.merged_profile_id), {"traits": {"Prefs": {"channel": "sms"}}}),
        "identifier": (
            "POST",
            identifiers_url(EX.merged_profile_id),
            {"idType": "email", "value": "new@example.com"},
        ),
    }
    method, url, body = requests[kind]
    before = (await client.get(profile_url(EX.canonical_profile_id))).json()
    response = await client.request(method, url, json=body)
    assert response.status_code == 308
    assert response.headers["Canonical-Profile-Id"] == EX.canonical_profile_id
    assert (await client.get(profile_url(EX.canonical_profile_id))).json() == before


async def test_adding_an_identifier_another_profile_holds_merges_them(client):
    # Dana's email, added to Alice: the seed's email type enforces uniqueness.
    email = EX.memory_emails[-2]
    holders = (await client.post(lookup_url(), json={"idType": "email", "value": email})).json()["profiles"]
    assert holders == [EX.canonical_profile_id]
    response = await client.post(identifiers_url(EX.profile_id), json={"idType": "email", "value": email})
    assert response.status_code == 202
    after = (await client.post(lookup_url(), json={"idType": "email", "value": email})).json()["profiles"]
    assert len(after) == 1
    loser = ({EX.profile_id, EX.canonical_profile_id} - set(after)).pop()
    assert (await client.get(profile_url(loser))).status_code == 301


async def test_with_a_write_delay_reads_see_the_write_only_later(make_client):
    clock = FakeClock()
    app = configured_app(write_delay=2.0)
    app.state.emulator.clock = clock
    client = await make_client(app=app)
    before = len(await observations(client, EX.profile_id))
    response = await client.post(observations_url(EX.profile_id), json={"observations": [OBSERVATION]})
    assert response.status_code == 202
    assert len(await observations(client, EX.profile_id)) == before
    clock.now += 2.0
    assert len(await observations(client, EX.profile_id)) == before + 1
    assert [w.outcome for w in app.state.emulator.received] == ["pending"]


async def test_scripted_write_faults_answer_in_turn(make_client):
    app = configured_app(faults=Faults(write_faults={"CreateProfileObservation": ["429", "500", "ok"]}))
    client = await make_client(app=app)
    before = len(await observations(client, EX.profile_id))
    statuses = []
    for _ in range(3):
        response = await client.post(observations_url(EX.profile_id), json={"observations": [OBSERVATION]})
        statuses.append(response.status_code)
    assert statuses == [429, 500, 202]
    assert len(await observations(client, EX.profile_id)) == before + 1  # faults applied nothing
    writes = (await client.get("/_emulator/writes")).json()["writes"]
    assert [w["outcome"] for w in writes] == ["429", "500", "applied"]


async def test_a_timeout_fault_applies_the_write_and_holds_the_answer(make_client):
    app = configured_app(faults=Faults(write_faults={"*": ["timeout"]}, write_hold=30.0))
    client = await make_client(app=app)
    before = len(await observations(client, EX.profile_id))
    # In-process, httpx2's timeouts do not apply: the client gives up by cancelling, once the
    # emulator has the write (polled, so a slow machine only takes longer).
    held = True

    async def post() -> None:
        nonlocal held
        await client.post(observations_url(EX.profile_id), json={"observations": [OBSERVATION]})
        held = False

    with anyio.fail_after(60):  # a hang guard, not a measurement
        async with anyio.create_task_group() as group:
            group.start_soon(post)
            while not app.state.emulator.received:
                await anyio.sleep(0.01)
            group.cancel_scope.cancel()
    assert held  # the answer never came: it is held for write_hold (30 s)
    assert len(await observations(client, EX.profile_id)) == before + 1
    assert [w.outcome for w in app.state.emulator.received] == ["timeout"]


async def test_write_faults_are_set_through_the_admin_endpoint(client):
    response = await client.patch("/_emulator/faults", json={"write_faults": {"PatchProfileTraits": ["429"]}})
    assert response.status_code == 200
    refused = await client.patch(profile_url(EX.profile_id), json={"traits": {"Prefs": {"a": 1}}})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    bad = await client.patch("/_emulator/faults", json={"write_faults": {"DeleteProfile": ["429"]}})
    assert bad.status_code == 400
