"""Seeds: the packaged default and its well-known ids, loading from a file, malformed seeds,
and the banner the command line prints."""

from __future__ import annotations

import json
import re

import pytest

from emulator import EmulatorConfig, banner, banner_for, create_app, default_examples
from emulator.seed import SeedError, build_world, examples_from_seed, read_seed
from tests.support.console import ROOT
from tests.support.emulator_api import (
    EX,
    configured_app,
    identifier_url,
    identifiers_url,
    profile_id,
    profile_url,
    small_seed,
)


def _one(**fields: object) -> dict[str, object]:
    """A one-profile seed whose profile has ``fields``."""
    return small_seed([{"idType": "email"}], [{"id": profile_id(1), **fields}])


def _memory(**fields: str) -> dict[str, str]:
    good = {
        "id": "mem_observation_01jq8r00000000000000000001",
        "content": "text",
        "source": "crm",
        "occurredAt": "2025-01-01T00:00:00Z",
        "createdAt": "2025-01-01T00:00:00Z",
    }
    return good | fields


TTID_PROFILE = re.compile(r"^mem_profile_[0-7][0-9a-z]{25}$")
TTID_STORE = re.compile(r"^mem_(store|service)_[0-7][0-9a-z]{25}$")


def test_default_examples_are_well_formed():
    e = default_examples()
    for pid in (e.profile_id, e.merged_profile_id, e.canonical_profile_id, e.full_profile_id):
        assert TTID_PROFILE.match(pid)
    assert TTID_PROFILE.match(e.missing_profile_id)
    assert TTID_STORE.match(e.store_id) and TTID_STORE.match(e.other_account_store_id)
    assert e.account_sid.startswith("AC") and e.api_key.startswith("SK")
    assert e.canonical_profile_id < e.merged_profile_id  # the earliest id survives
    assert TTID_PROFILE.match(e.memory_profile_id) and TTID_PROFILE.match(e.paged_profile_id)
    for conversation in (e.memory_conversation_id, e.merged_conversation_id):
        assert re.fullmatch(r"conv_conversation_[0-7][0-9a-z]{25}", conversation)
    assert e.paged_observation_count > 2 * 50  # several pages at the default page size


@pytest.mark.anyio
async def test_default_examples_behave_as_documented(client):
    e = EX
    plain = {s["idType"] for s in (await client.get(identifiers_url(e.profile_id))).json()["identifiers"]}
    assert {"email", "phone"} <= plain
    moved = await client.get(identifiers_url(e.merged_profile_id))
    assert moved.status_code == 301
    assert moved.headers["Canonical-Profile-Id"] == e.canonical_profile_id
    full = await client.get(identifier_url(e.full_id_type, e.full_profile_id))
    assert len(full.json()["values"]) == 100
    assert (await client.get(profile_url(e.missing_profile_id))).status_code == 404
    other = await client.get(identifiers_url(e.profile_id, e.other_account_store_id))
    assert other.status_code == 403
    paged = await client.get(f"{profile_url(e.paged_profile_id)}/Observations", params={"pageSize": 1000})
    assert len(paged.json()["observations"]) == 50 and "nextToken" in paged.json()["meta"]


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?:\+1 ?)?\(?\b\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}\b|\+1\d{10}\b")


@pytest.mark.anyio
async def test_memory_emails_and_phones_list_every_one_in_the_memory_profiles_memories(client):
    # Everything Recall and the lists can show of the memory profile (its merged profile's too).
    url = f"{profile_url(EX.memory_profile_id)}/Recall"
    limits = {"observationsLimit": 100, "summariesLimit": 100, "communicationsLimit": 100}
    result = (await client.post(url, json=limits)).json()
    texts = [item["content"] for item in result["observations"] + result["summaries"]]
    conversations = {s["conversationId"] for s in result["summaries"]}
    conversations |= {c for o in result["observations"] for c in o.get("conversationIds", [])}
    assert {EX.memory_conversation_id, EX.merged_conversation_id} <= conversations
    for conversation in sorted(conversations):
        result = (await client.post(url, json=limits | {"conversationId": conversation})).json()
        for message in result["communications"]:
            texts.append(message["content"]["text"])
            texts += [p["address"] for p in (message["author"], *message["recipients"])]
    found_emails = {m for text in texts for m in EMAIL.findall(text)}
    found_phones = {m for text in texts for m in PHONE.findall(text)}
    assert found_emails == set(EX.memory_emails)
    assert found_phones == set(EX.memory_phones)
    # Several forms of one address and one number, as redaction tests need.
    assert {"Dana.Whitfield@Example.com", "dana.whitfield@example.com"} <= found_emails
    assert {"(317) 555-0142", "+1 317 555 0142", "317-555-0142"} <= found_phones
    # Fictional only: example.com domains, 555-01xx numbers.
    assert all(e.lower().endswith("example.com") for e in found_emails)
    assert all(re.search(r"555\D?01\d\d$", p) for p in found_phones)


@pytest.mark.anyio
async def test_default_seed_has_a_dozen_profiles_with_fictional_values(app):
    store = app.state.emulator.stores[EX.store_id]
    live = [p for p in store.profiles.values() if p.merged_into is None]
    assert len(live) == 12
    for profile in live:
        for email in profile.values("email"):
            assert email.endswith(("@example.com", ".example.com", "@example.org"))
        for phone in profile.values("phone"):
            assert re.fullmatch(r"\+1\d{3}55501\d\d", phone)


@pytest.mark.anyio
async def test_seed_from_a_file(tmp_path, make_client):
    seed = small_seed(
        [{"idType": "email", "normalization": "email"}],
        [{"id": profile_id(7), "identifiers": [{"idType": "email", "value": "X@Example.com"}]}],
    )
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    for source in (path, str(path)):
        client = await make_client(app=create_app(EmulatorConfig(seed=source)))
        response = await client.get(identifier_url("email", profile_id(7)))
        assert response.json() == {"idType": "email", "values": ["x@example.com"]}


@pytest.mark.anyio
async def test_each_app_has_its_own_data(make_client):
    first = await make_client(app=configured_app())
    second = await make_client(app=configured_app())
    await first.delete(identifier_url("email"), params={"removeAll": "true"})
    assert (await first.get(identifier_url("email"))).json()["values"] == []
    assert (await second.get(identifier_url("email"))).json()["values"] != []


@pytest.mark.parametrize(
    "seed",
    [
        {"accounts": []},
        {"accounts": [{"authToken": "t"}]},
        {"accounts": read_seed(None)["accounts"], "stores": [{"id": "nope"}]},
        {
            "accounts": read_seed(None)["accounts"],
            "stores": [{"id": EX.store_id, "accountSid": "ACnobody"}],
        },
        small_seed([{"idType": "email", "limit": 0}], []),
        _one(traits={"Contact": 5}),
        small_seed([{"idType": "email"}], [{"id": "mem_profile_bad"}]),
        small_seed(
            [{"idType": "email"}], [{"id": profile_id(1), "identifiers": [{"idType": "phone", "value": "1"}]}]
        ),
        small_seed(
            [{"idType": "p1", "normalization": "phone"}],
            [{"id": profile_id(1), "identifiers": [{"idType": "p1", "value": "12"}]}],
        ),
        _one(traits={"G": {"t": 1.5}}),
        _one(traits={"G": {"t": [["nested"]]}}),
        _one(observations=[{"id": "mem_observation_x"}]),
        _one(observations=[_memory(content="")]),
        _one(observations=[_memory(source="a<b")]),
        _one(observations=[_memory(occurredAt="May")]),
        _one(summaries=[_memory()]),
        _one(communications=[{"id": "x"}]),
        _one(observations="none"),
    ],
    ids=[
        "no-accounts",
        "account-without-sid",
        "bad-store-id",
        "unknown-owner",
        "bad-settings",
        "bad-traits",
        "bad-profile-id",
        "unconfigured-type",
        "invalid-phone",
        "float-trait",
        "nested-array-trait",
        "bad-observation-id",
        "empty-content",
        "bad-source",
        "bad-timestamp",
        "summary-without-conversation",
        "bad-communication",
        "memories-not-a-list",
    ],
)
def test_malformed_seeds_are_refused(seed):
    with pytest.raises(SeedError):
        build_world(seed)


def test_seed_without_examples_still_serves_but_has_no_examples():
    seed = small_seed([{"idType": "email"}], [])
    with pytest.raises(SeedError):
        examples_from_seed(seed)
    app = create_app(EmulatorConfig(seed=seed))
    assert app.state.emulator.examples is None
    assert "Custom seed" in banner_for(EmulatorConfig(seed=seed), "127.0.0.1", 8787)


def test_banner_names_credentials_ids_and_the_admin_endpoint():
    text = banner("http://127.0.0.1:8787", EX)
    for expected in (
        "http://127.0.0.1:8787",
        EX.api_key,
        EX.api_secret,
        EX.account_sid,
        EX.auth_token,
        EX.store_id,
        EX.profile_id,
        EX.merged_profile_id,
        EX.full_profile_id,
        EX.missing_profile_id,
        EX.other_account_store_id,
        EX.memory_profile_id,
        EX.paged_profile_id,
        "/_emulator/faults",
    ):
        assert expected in text
    assert banner_for(None, "127.0.0.1", 8787) == text


def test_readme_names_the_default_seeds_ids():
    readme = (ROOT / "emulator" / "README.md").read_text(encoding="utf-8")
    for value in (
        EX.store_id,
        EX.profile_id,
        EX.merged_profile_id,
        EX.canonical_profile_id,
        EX.full_profile_id,
        EX.missing_profile_id,
        EX.other_account_store_id,
        EX.memory_profile_id,
        EX.memory_conversation_id,
        EX.merged_conversation_id,
        EX.paged_profile_id,
        EX.account_sid,
        EX.auth_token,
        EX.api_key,
        EX.api_secret,
    ):
        assert value in readme
