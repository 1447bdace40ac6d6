"""Normalization rules (``IdentifierConfig.normalization``), as a table and through the API."""

from __future__ import annotations

import pytest

from emulator.normalization import InvalidValue, normalize
from tests.support.emulator_api import identifier_url, identifiers_url, lookup_url

PHONES = [
    ("1-317-555-6789", "+13175556789"),  # the spec's own Lookup example
    ("+13175556789", "+13175556789"),
    ("(317) 555-6789", "+13175556789"),  # 10 digits: a US number
    ("317.555.6789", "+13175556789"),
    (" 317 555 6789 ", "+13175556789"),
    ("+1 (317) 555-6789", "+13175556789"),
    ("13175556789", "+13175556789"),
    ("+44 20 7946 0958", "+442079460958"),  # country code with "+"
    ("44 20 7946 0958", "+442079460958"),  # country code without "+"
    ("+354 555 0101", "+3545550101"),  # short national number, explicit country code
]
BAD_PHONES = [
    "555-0101",  # 7 digits
    "1-800-FLOWERS",  # letters
    "317-555-6789 x12",  # extension
    "+1 317 555 678",  # "+1" needs 10 more digits
    "131755567890",  # a leading 1 means the North American plan: 11 digits exactly
    "1234567890123456",  # longer than E.164's 15
    "++13175556789",
    "",
]


@pytest.mark.parametrize(("raw", "expected"), PHONES)
def test_phone_normalizes_to_e164(raw, expected):
    assert normalize(raw, "phone") == expected


@pytest.mark.parametrize("raw", BAD_PHONES)
def test_invalid_phone_is_rejected(raw):
    with pytest.raises(InvalidValue):
        normalize(raw, "phone")


@pytest.mark.parametrize(
    ("raw", "rule", "expected"),
    [
        ("Alice.Nakamura@Example.COM", "email", "alice.nakamura@example.com"),
        ("  bob @ example.com ", "email", "bob@example.com"),  # all spaces removed
        ("First.Last+Tag@Example.com", "email", "first.last+tag@example.com"),  # no tag folding
        ("  whatsapp:+13175556789  ", "trim", "whatsapp:+13175556789"),
        ("Mixed Case Inside", "trim", "Mixed Case Inside"),
        ("  as is  ", "none", "  as is  "),
    ],
)
def test_text_rules(raw, rule, expected):
    assert normalize(raw, rule) == expected


@pytest.mark.parametrize("rule", ["email", "trim", "none"])
def test_empty_after_normalization_is_rejected(rule):
    with pytest.raises(InvalidValue):
        normalize("   " if rule != "none" else "", rule)


@pytest.mark.anyio
async def test_spec_lookup_example(client):
    response = await client.post(lookup_url(), json={"idType": "phone", "value": "1-317-555-6789"})
    assert response.status_code == 200
    assert response.json() == {"normalizedValue": "+13175556789", "profiles": []}


@pytest.mark.anyio
async def test_written_values_are_stored_normalized(client, examples):
    await client.post(identifiers_url(), json={"idType": "phone", "value": "1-317-555-6789"})
    await client.post(identifiers_url(), json={"idType": "email", "value": " Alice@Example.COM"})
    phones = (await client.get(identifier_url("phone"))).json()["values"]
    emails = (await client.get(identifier_url("email"))).json()["values"]
    assert phones[-1] == "+13175556789"
    assert emails[-1] == "alice@example.com"
    found = await client.post(lookup_url(), json={"idType": "phone", "value": "(317) 555-6789"})
    assert found.json() == {"normalizedValue": "+13175556789", "profiles": [examples.profile_id]}


@pytest.mark.anyio
async def test_invalid_phone_through_the_api_is_400(client):
    write = await client.post(identifiers_url(), json={"idType": "phone", "value": "555-0101"})
    assert write.status_code == 400
    assert "phone" in write.json()["message"]
    lookup = await client.post(lookup_url(), json={"idType": "phone", "value": "call me"})
    assert lookup.status_code == 400


@pytest.mark.anyio
async def test_seed_values_were_normalized_at_load(client):
    # The seed writes "(206) 555-0101", "Alice.Nakamura@Example.com", " whatsapp:+1… ".
    body = (await client.get(identifiers_url())).json()
    values = {s["idType"]: s["values"] for s in body["identifiers"]}
    assert values["phone"] == ["+12065550101"]
    assert values["email"][0] == "alice.nakamura@example.com"
    assert values["whatsapp"] == ["whatsapp:+12065550101"]
