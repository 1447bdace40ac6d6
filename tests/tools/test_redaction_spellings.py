"""Phone numbers and emails in the spellings people really write are masked, whole, in every
text field (issue 16 item 2): each spelling masks exactly as the identifier itself does."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx2
import pytest
from mcp import Client

from server.mcp_server import build_server
from tests.support.doubles import PROFILE, STORE, Upstream, make_settings
from tests.support.samples import communication, observation, participant, profile_body, recall_body, summary
from tools.redaction import Redactor, normalize

pytestmark = pytest.mark.anyio

IDS = {"store_id": STORE, "profile_id": PROFILE}
PHONE = "+12065550115"
OTHER = "+12065550116"

# The same number as people type it: every one must mask exactly as PHONE does.
SPELLINGS = {
    "no-break spaces": "206\u00a0555\u00a00115",
    "narrow no-break spaces": "206\u202f555\u202f0115",
    "en dashes": "206\u2013555\u20130115",
    "non-breaking hyphens": "206\u2011555\u20110115",
    "spaced hyphens": "206 - 555 - 0115",
    "slashes": "206/555/0115",
    "spaces around a slash": "(206) / 555 0115",
    "a tel: URI with %20": "tel:+1%20206%20555%200115",
    "a tel: URI with hyphens": "tel:+1-206-555-0115",
    "full-width digits": "\uff12\uff10\uff16\uff0d\uff15\uff15\uff15\uff0d\uff10\uff11\uff11\uff15",
}


@pytest.mark.parametrize("spelled", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_of_a_phone_is_masked_whole_as_the_identifier_is(spelled: str) -> None:
    redactor = Redactor(True)
    masked = redactor.text(f"Call me on {spelled}, thanks.")
    prefix = "tel:" if spelled.startswith("tel:") else ""
    assert masked == f"Call me on {prefix}{redactor.mask(PHONE)}, thanks."


def test_a_number_written_with_a_slash_is_masked_whole() -> None:
    redactor = Redactor(True)
    masked = redactor.text("Büro: 030/5550116.")
    assert masked == f"Büro: {redactor.mask('0305550116')}."


@pytest.mark.parametrize(
    "pair",
    [
        "206-555-0115 206-555-0116",
        "206-555-0115, 206-555-0116",
        "2065550115/2065550116",
        "+12065550115 +12065550116",
        "1 206 555 0115 1 206 555 0116",
        "(206) 555-0115 (206) 555-0116",
        "206.555.0115 - 206.555.0116",
    ],
)
def test_two_numbers_side_by_side_are_each_masked_whole(pair: str) -> None:
    redactor = Redactor(True)
    masked = redactor.text(f"home or work: {pair} (either)")
    first, second = redactor.mask(PHONE), redactor.mask(OTHER)
    assert masked.startswith(f"home or work: {first}") and masked.endswith(f"{second} (either)"), masked
    between = masked[len(f"home or work: {first}") : -len(f"{second} (either)")]
    assert not any(char.isdigit() for char in between), masked


# RFC 6531: UTF-8 in the local part and the domain.
ADDRESSES = [
    "дана@пример.рф",
    "Дана.Иванова@Почта.Рус",  # noqa: RUF001 (Cyrillic on purpose)
    "δοκιμή@παράδειγμα.δοκιμή",
    "उपयोगकर्ता@उदाहरण.कॉम",
    "山田@例え.テスト",
    "josé.garcía@exámple.es",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_internationalised_addresses_are_masked_whole(address: str) -> None:
    redactor = Redactor(True)
    assert redactor.text(f"пишите: {address} — спасибо") == f"пишите: {redactor.mask(address)} — спасибо"
    assert normalize(address) == address.lower()


def test_an_address_in_unspaced_text_masks_the_address_not_the_sentence() -> None:
    redactor = Redactor(True)
    sentence = "お客様のメールアドレスは今月から変わりましたので新しいアドレスをご確認ください"
    masked = redactor.text(f"{sentence}dana@example.comまでご連絡ください")
    assert masked == f"{sentence}{redactor.mask('dana@example.com')}までご連絡ください"


def test_spellings_of_a_trait_mask_as_the_identifier_does() -> None:
    redactor = Redactor(True)
    for spelled in SPELLINGS.values():
        if not spelled.startswith("tel:"):
            assert redactor.trait(spelled) == redactor.mask(PHONE), spelled


# What the documentation says is not masked (docs/redaction.md): words for digits and for "@".
@pytest.mark.parametrize(
    "text",
    [
        "two oh six, five five five, oh one one five",
        "dana at example dot com",
        "dana [at] example [dot] com",
    ],
)
def test_what_is_documented_as_not_masked_is_not(text: str) -> None:
    assert Redactor(True).text(text) == text


def every_spelling(prefix: str) -> str:
    return prefix + " | ".join(f"{name}: {spelled}" for name, spelled in SPELLINGS.items())


def answer_for(request: httpx2.Request) -> httpx2.Response:
    path = request.url.path
    if path.endswith("/Recall"):
        body = recall_body(observations=1, summaries=1, communications=0)
        body["observations"][0]["content"] = every_spelling("observation ")
        body["summaries"][0]["content"] = every_spelling("summary ")
        customer, agent = participant(1, "Customer", "+12025551234"), participant(2, "Agent", "+12025555678")
        body["communications"] = [communication(1, every_spelling("message "), customer, agent)]
        return httpx2.Response(200, json=body)
    if path.endswith("/Observations"):
        return httpx2.Response(200, json={"observations": [observation(1, every_spelling("page "))]})
    if path.endswith("/ConversationSummaries"):
        return httpx2.Response(200, json={"summaries": [summary(1, every_spelling("page "))]})
    traits = {name: spelled for name, spelled in SPELLINGS.items() if not spelled.startswith("tel:")}
    return httpx2.Response(200, json=profile_body(PROFILE, {"Contact": traits}))


@pytest.mark.parametrize(
    ("tool", "fields"),
    [
        ("recall_memories", 3),  # an observation, a summary, a message
        ("list_observations", 1),
        ("list_conversation_summaries", 1),
        ("get_profile", 1),
    ],
)
async def test_every_text_field_masks_every_spelling(upstream: Upstream, tool: str, fields: int) -> None:
    upstream.handler = answer_for
    arguments: dict[str, Any] = IDS | ({"communications_limit": 1} if tool == "recall_memories" else {})
    async with Client(build_server(make_settings(redact=True), transport=upstream.transport())) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error is False
    seen = json.dumps(result.structured_content, ensure_ascii=False)
    mask = Redactor(True).mask(PHONE).split("#")[0]
    for spelled in SPELLINGS.values():
        assert spelled not in seen, spelled
    # No digit of the number is left, the fingerprints aside (six random hex digits may hold "555").
    assert "555" not in re.sub(r"#[0-9a-f]{6}", "#", seen), seen
    uris = sum(spelled.startswith("tel:") for spelled in SPELLINGS.values())
    spellings = len(SPELLINGS) - (uris if tool == "get_profile" else 0)  # a trait is no URI
    assert seen.count(mask) == spellings * fields, seen
    # One fingerprint for every spelling: the model can tell it is one number.
    assert len({part.split("#")[1][:6] for part in seen.split(mask)[1:]}) == 1
