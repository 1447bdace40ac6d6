"""Date-times valid in RFC 3339 whose instant in UTC falls outside years 1-9999, and integers of
thousands of digits, reach no crash through the tools (issue 16 item 8): the tools send such a
date as given and the Memory API (here the emulator) refuses it with a 400, which the tool
reports as invalid_argument; page_size and the limits are refused by the tools' own schema."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulated import IDS, connect

pytestmark = pytest.mark.anyio
OVERFLOWING = ("0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00")
HUGE = 10**4000  # under the 4,300-digit limit: what a JSON-RPC parser can hand the tool


async def error_of(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with connect() as client:
        result = await client.call_tool(tool, {"profile_id": IDS.memory_profile_id} | arguments)
    assert result.is_error is True
    assert result.structured_content is not None
    error: dict[str, Any] = result.structured_content["error"]
    return error


@pytest.mark.parametrize("moment", OVERFLOWING)
@pytest.mark.parametrize(
    ("tool", "argument"),
    [
        ("recall_memories", "begin_date"),
        ("recall_memories", "end_date"),
        ("list_observations", "created_after"),
        ("list_observations", "created_before"),
    ],
)
async def test_a_date_outside_the_years_in_utc_is_invalid_argument(
    tool: str, argument: str, moment: str
) -> None:
    error = await error_of(tool, {argument: moment})
    assert error["code"] == "invalid_argument"
    assert error["http_status"] == 400
    assert "outside years 1 to 9999 in UTC" in error["twilio_message"]


@pytest.mark.parametrize(
    ("tool", "argument"),
    [
        ("list_observations", "page_size"),
        ("list_conversation_summaries", "page_size"),
        ("recall_memories", "observations_limit"),
    ],
)
async def test_an_integer_of_thousands_of_digits_is_invalid_argument(tool: str, argument: str) -> None:
    error = await error_of(tool, {argument: HUGE})
    assert error["code"] == "invalid_argument"
    assert argument in error["message"]
