"""An invalid_argument error's hint speaks of the arguments that failed (issue 18 item 4): a bad
date's hint talks about dates, not ids, and a missing store_id says how to set a default."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from server.mcp_server import build_server
from tests.support.doubles import PROFILE, STORE, make_settings

pytestmark = pytest.mark.anyio


async def hint(tool: str, arguments: dict[str, Any], **settings: Any) -> str:
    async with Client(build_server(make_settings(**settings))) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is True
    assert result.structured_content is not None
    error = result.structured_content["error"]
    assert error["code"] == "invalid_argument"
    text = getattr(result.content[0], "text", "")
    assert error["hint"] in text  # the same hint reaches clients that show only the text
    return str(error["hint"])


async def test_a_missing_store_id_says_how_to_set_a_default() -> None:
    said = await hint("get_profile_identifiers", {"profile_id": PROFILE, "id_type": "email"})
    assert "store_id is required" in said
    assert "TWILIO_MEMORY_STORE_ID" in said


@pytest.mark.parametrize(
    ("tool", "arguments", "speaks_of", "not_of"),
    [
        ("list_observations", {"created_after": "yesterday"}, "dates are RFC 3339", "store ids"),
        (
            "recall_memories",
            {"begin_date": "2025-01-31 23:59:59Z"},
            "a T between date and time",
            "profile ids",
        ),
        ("recall_memories", {"observations_limit": 101}, "from 0 to 100", "dates"),
        ("list_observations", {"order_by": "NEWEST"}, "order_by is ASC or DESC", "store ids"),
        ("list_observations", {"page_size": 500}, "page_size is a whole number from 1 to 50", "dates"),
        ("get_profile_identifiers", {"id_type": "e"}, "identifier types are 2-30", "dates"),
        ("get_profile", {"profile_id": "mem_profile_nope"}, "profile ids look like", "dates"),
        (
            "list_conversation_summaries",
            {"conversation_id": "conv_x"},
            "conversation ids look like",
            "store ids",
        ),
        ("get_profile", {"store_id": "mem_store_nope"}, "store ids look like", "TWILIO_MEMORY_STORE_ID"),
    ],
)
async def test_each_hint_speaks_of_its_argument(
    tool: str, arguments: dict[str, Any], speaks_of: str, not_of: str
) -> None:
    base = {"store_id": STORE, "profile_id": PROFILE}
    if tool == "get_profile_identifiers":
        base["id_type"] = "email"
    said = await hint(tool, base | arguments)
    assert speaks_of in said
    assert not_of not in said


async def test_two_bad_arguments_get_both_hints_once_each() -> None:
    said = await hint(
        "list_observations",
        {
            "store_id": STORE,
            "profile_id": PROFILE,
            "created_after": "x",
            "created_before": "y",
            "page_size": 0,
        },
    )
    assert said.count("dates are RFC 3339") == 1
    assert "page_size" in said
