"""Every answer's JSON data (``Answer.json_data``) is what pydantic would dump of it, key for key.

``json_data`` takes an answer's fields as they are, where ``model_dump(mode="json")`` would copy
every item again (issue 17): that is right only while every field holds JSON values. Every tool
runs here on every seeded profile, whole and cut to a small budget, and each answer sent is
checked against pydantic's own dump, in the same key order.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import tools.calls
from emulator.seed import read_seed
from tests.support.emulated import IDS, connect, emulator_settings
from tools.answers import Answer
from tools.results import success
from tools.writes.run import WriteAnswer

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("budget", [None, 10_000])
async def test_every_answer_is_sent_as_pydantic_would_dump_it(
    budget: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, int] = {}

    def checked(answer: Answer) -> Any:
        assert json.dumps(answer.json_data()) == json.dumps(answer.model_dump(mode="json"))
        kind = type(answer).__name__ + (" cut" if answer.truncated else "")
        seen[kind] = seen.get(kind, 0) + 1
        return success(answer)

    monkeypatch.setattr(tools.calls, "success", checked)
    settings = emulator_settings(result_budget=budget) if budget else emulator_settings()
    async with connect(settings) as client:
        for profile in read_seed()["stores"][0]["profiles"]:
            ids = {"profile_id": profile["id"]}
            for name, arguments in [
                ("list_profile_identifiers", ids),
                ("get_profile_identifiers", ids | {"id_type": IDS.full_id_type}),
                ("get_profile", ids),
                ("recall_memories", ids | {"communications_limit": 50, "observations_limit": 100}),
                ("list_observations", ids),
                ("list_conversation_summaries", ids),
            ]:
                await client.call_tool(name, arguments)
            for item in profile["identifiers"][:2]:
                await client.call_tool("lookup_profiles", {"id_type": item["idType"], "value": item["value"]})
        recall = {"profile_id": IDS.memory_profile_id, "conversation_id": IDS.memory_conversation_id}
        await client.call_tool("recall_memories", recall | {"communications_limit": 50})
    answers = {
        "ProfileIdentifierList",
        "ProfileIdentifiers",
        "ProfileAnswer",
        "RecallAnswer",
        "ObservationPageAnswer",
        "SummaryPageAnswer",
        "LookupAnswer",
    }
    assert answers <= set(seen)
    if budget:  # the small budget cuts what can be cut
        assert {"ObservationPageAnswer cut", "RecallAnswer cut"} <= set(seen), seen


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"requested_profile_id": "mem_profile_01kpttrksqe08rhv122gzq52ax", "confirmed_by": "person"},
        {"effects": ["a merge"], "request": {"method": "POST", "url": "u", "body": {"a": [1, None]}}},
    ],
)
def test_a_write_answer_leaves_out_what_its_fields_exclude(fields: dict[str, Any]) -> None:
    # WriteAnswer leaves its empty fields out (exclude_if), as the budget fields are: the data
    # sent must leave out the same (review of this round).
    answer = WriteAnswer(
        outcome="written",
        message="m",
        operation="add_observation",
        store_id=IDS.store_id,
        profile_id=IDS.profile_id,
        data={"content": "x"},
        **fields,
    )
    assert json.dumps(answer.json_data()) == json.dumps(answer.model_dump(mode="json"))
