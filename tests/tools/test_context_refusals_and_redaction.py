"""Second reading of the context tools (issue 10): redaction of the forms memory text really
takes, arguments the API would refuse, and page tokens the API would refuse."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from mcp import Client

from server.mcp_server import build_server
from tests.support.doubles import PROFILE, STORE, Upstream, make_settings
from tests.support.samples import observation, participant, recall_body
from tools.redaction import Redactor

pytestmark = pytest.mark.anyio

IDS = {"store_id": STORE, "profile_id": PROFILE}
PHONE = "+13175551234"
EMAIL = "dana.whitfield@example.com"

# Memory text as it is written in practice: in languages that put no space around a number,
# inside URLs (percent-encoded), with an extension, with non-ASCII letters in the address.
TEXTS = [
    (f"電話番号は{PHONE}です", PHONE),
    ("電話3175551234まで", "3175551234"),
    (f"номер{PHONE}", PHONE),
    ("https://crm.example.com/find?phone=%2B13175551234&src=call", "13175551234"),
    ("mailto:dana.whitfield%40example.com", "dana.whitfield%40example.com"),
    ("https://crm.example.com/u?email=Dana.Whitfield%40Example.com", "whitfield"),
    ("call 317-555-1234x12 after five", "317-555-1234"),
    ("call 317-555-1234 ext. 12", "317-555-1234"),
    ("josé.garcia@example.com wrote", "josé"),
    ("dana@exámple.com wrote", "dana@exámple.com"),  # the mask keeps only the domain
]


@pytest.mark.parametrize(("text", "secret"), TEXTS)
def test_emails_and_phones_in_memory_text_are_masked_in_every_written_form(text: str, secret: str) -> None:
    masked = Redactor(True).text(text)
    assert secret.lower() not in masked.lower(), masked
    assert "#" in masked


def test_a_phone_masks_alike_however_it_was_written() -> None:
    redactor = Redactor(True)
    mask = redactor.mask(PHONE)
    for text in (f"電話番号は{PHONE}です", "?phone=%2B13175551234&x=1", "tel:+1-317-555-1234"):
        assert mask in redactor.text(text), text
    email = redactor.mask(EMAIL)
    assert email in redactor.text("mailto:Dana.Whitfield%40Example.com")


@pytest.mark.parametrize(
    "text",
    [
        "SM00000000000000000000000000000000",
        "mem_profile_01kpttrksqe08rhv122gzq52ax",
        "on 2025-01-15 at 10:30",
    ],
)
def test_ids_and_dates_are_not_phone_numbers(text: str) -> None:
    assert Redactor(True).text(text) == text


async def test_memory_text_in_other_languages_is_masked_end_to_end() -> None:
    text = f"お客様の電話番号は{PHONE}です。メールは{EMAIL}まで。"

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/Recall"):
            body = recall_body()
            body["observations"][0]["content"] = text
            return httpx2.Response(200, json=body)
        return httpx2.Response(200, json={"observations": [observation(1, text)]})

    upstream = Upstream(handler=handler)
    async with Client(build_server(make_settings(redact=True), transport=upstream.transport())) as client:
        for tool in ("recall_memories", "list_observations"):
            result = await client.call_tool(tool, IDS)
            assert result.is_error is False
            seen = json.dumps(result.model_dump(mode="json"), ensure_ascii=False)
            assert PHONE not in seen and PHONE[1:] not in seen and EMAIL not in seen
            assert "お客様の電話番号は" in seen


# Arguments the API would refuse never reach it


async def call(upstream: Upstream, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async with Client(build_server(make_settings(), transport=upstream.transport())) as client:
        result = await client.call_tool(tool, IDS | arguments)
    assert result.structured_content is not None
    structured: dict[str, Any] = result.structured_content
    return structured


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        # RFC 3339 section 5.6: full-date "T" full-time. The section's note lets applications
        # *show* a space; the API parses date-time strictly (the emulator answers 400).
        ("recall_memories", {"begin_date": "2025-01-15 10:00:00Z"}, "begin_date"),
        ("list_observations", {"created_after": "2025-01-15 10:00:00+01:00"}, "created_after"),
        # components/parameters/PageToken: maxLength 4096 for the API's token, whatever our
        # "<skip>:" prefix adds in front of it.
        ("list_observations", {"page_token": "0:" + "t" * 4097}, "page_token"),
        ("list_conversation_summaries", {"page_token": "7:" + "t" * 4097}, "page_token"),
    ],
)
async def test_arguments_the_api_would_refuse_never_reach_it(
    upstream: Upstream, tool: str, arguments: dict[str, Any], field: str
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"observations": [], "summaries": []})
    error = (await call(upstream, tool, arguments))["error"]
    assert (error["code"], field in error["message"]) == ("invalid_argument", True)
    assert upstream.requests == []


async def test_the_longest_api_token_is_still_accepted_behind_the_longest_skip(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"observations": [observation(1)]})
    token = "t" * 4096
    answer = await call(upstream, "list_observations", {"page_token": "49:" + token})
    assert answer["observations"] == [] and answer["next_page_token"] is None
    assert upstream.requests[0].url.params["pageToken"] == token


def test_participants_in_text_still_mask_with_the_known_values() -> None:
    redactor = Redactor(True)
    person = participant(1, "Dana Whitfield", PHONE)
    masked = redactor.text(f"Dana Whitfield\uff08{PHONE}\uff09より", [person["address"], person["name"]])
    assert PHONE not in masked and "Dana Whitfield" not in masked


async def test_a_page_whose_first_item_is_over_budget_says_the_rest_follows(upstream: Upstream) -> None:
    huge = observation(1, content='"' * 4096)  # over 10,000 characters once escaped twice
    upstream.handler = lambda request: httpx2.Response(
        200, json={"observations": [huge, observation(2), observation(3)]}
    )
    async with Client(
        build_server(make_settings(result_budget=10_000), transport=upstream.transport())
    ) as client:
        result = await client.call_tool("list_observations", IDS)
    assert result.structured_content is not None
    cut = result.structured_content
    assert (cut["observations"], cut["omitted"], cut["next_page_token"]) == ([], 3, "1:")
    assert "other 2 observations of this page follow" in cut["hint"] and "page_token" in cut["hint"]
