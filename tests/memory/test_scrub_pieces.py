"""The credential scrubber masks pieces of a secret, not pieces that carry none (issue 18 item 4):
in the sandbox, whose public key is mostly zeros, errors showed store ids as
mem_store_01jq8p[redacted]acme. The emulator's credentials stay what they are."""

from __future__ import annotations

import base64

import httpx2
import pytest
from mcp import Client
from pydantic import SecretStr

from emulator import create_app, default_examples
from memory.scrub import MASK, Scrubber
from server.mcp_server import build_server
from server.settings import Credentials
from tests.support.doubles import make_settings

EXAMPLES = default_examples()
SANDBOX = Scrubber(pairs=[(EXAMPLES.api_key, EXAMPLES.api_secret)])
KEY = "SK" + "7c4e1f09a2b3d5e6" * 2
SECRET = "Zq8vN3kP0wR6tY1uXe5sL9mB"
REAL = Scrubber(pairs=[(KEY, SECRET)])


def test_the_emulator_credentials_are_the_documented_ones() -> None:
    assert EXAMPLES.api_key == "SK000000000000000000000000000000e1"
    assert EXAMPLES.api_secret == "emulator-main-api-secret"


@pytest.mark.parametrize(
    "text",
    [
        f"store {EXAMPLES.store_id} not found",
        f"profile {EXAMPLES.profile_id} was merged",
        "page 000000000000000000000000 of 0000000000000000",
        "MDAwMDAwMDAwMDAwMDAw",  # base64 of a run of zeros
    ],
)
def test_pieces_without_a_secret_are_left(text: str) -> None:
    assert SANDBOX.scrub(text) == text


def test_the_sandbox_credentials_themselves_are_still_masked() -> None:
    basic = base64.b64encode(f"{EXAMPLES.api_key}:{EXAMPLES.api_secret}".encode()).decode()
    for form in (EXAMPLES.api_key, EXAMPLES.api_secret, basic, basic[-30:], EXAMPLES.api_secret[2:16]):
        scrubbed = SANDBOX.scrub(f"Auth={form};")
        assert form not in scrubbed and MASK in scrubbed, form


@pytest.mark.parametrize("cut", [(0, 12), (5, 19), (10, 24), (3, 30)])
def test_any_piece_of_a_random_secret_is_masked(cut: tuple[int, int]) -> None:
    for form in (SECRET, KEY, base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()):
        piece = form[cut[0] : cut[1]]
        if len(piece) < 12:
            continue
        assert REAL.scrub(f"quoted {piece} back") == f"quoted {MASK} back", (form, cut)


@pytest.mark.anyio
async def test_sandbox_errors_show_ids_whole() -> None:
    """The sandbox's store ids share the zeros of its key; an error quoting one shows it whole."""
    settings = make_settings(
        credentials=Credentials(EXAMPLES.api_key, SecretStr(EXAMPLES.api_secret), "sandbox"),
        base_url="http://sandbox.localhost",
    )
    other_account = EXAMPLES.other_account_store_id  # the seed's 403 store
    server = build_server(settings, transport=httpx2.ASGITransport(app=create_app()))
    async with Client(server) as client:
        result = await client.call_tool(
            "get_profile_identifiers",
            {"store_id": other_account, "profile_id": EXAMPLES.profile_id, "id_type": "email"},
        )
    assert result.is_error is True
    text = getattr(result.content[0], "text", "")
    assert MASK not in text, text
    assert other_account in text or EXAMPLES.profile_id in text, text
