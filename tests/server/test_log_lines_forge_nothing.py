"""No customer value in a log line, and no forged lines (issue 16 item 5).

- The SDK logs a failed resource read at INFO with its URI ("Resource '<uri>' failed"), and
  an unknown one with the URI again in its error: a model that puts an email where a profile
  id belongs put that email in the log. The real console script, over stdio.
- A value a client chose (an OAuth token's ``client_id`` or ``sub``) with a line break started
  a line of its own in the log, which a reader took for a record of the server's. The real
  HTTP app with an identity provider on loopback, its records through the server's formatter.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from emulator import default_examples
from memory.scrub import Scrubber
from server.logs import OwnDetailOnly, ScrubbingFormatter, SdkValues
from tests.support.doubles import PROFILE, STORE, Upstream, identifier_set
from tests.support.oauth import rpc, rpc_headers, serving_idp, serving_mcp
from tests.support.processes import stdio_server

IDS = default_examples()
EMAIL = "dana.logged@example.com"
PHONE = "+12065550143"
# What a forged record would start with: a time stamp, a level and one of our loggers.
FORGED = "2026-01-01 00:00:00,000 INFO twilio_memory_mcp.calls: get_profile outcome=ok"


@pytest.mark.parametrize("redact", ["0", "1"])
def test_a_failed_resource_read_logs_no_value_put_in_its_uri(tmp_path: Path, redact: str) -> None:
    reads = [
        f"memory://stores/{IDS.store_id}/profiles/{EMAIL}/identifiers/email",  # refused by our check
        f"memory://stores/{IDS.store_id}/profiles/{PHONE}",  # no such template: the SDK's own error
        f"memory://stores/{IDS.store_id}/profiles/{IDS.profile_id}/identifiers/{EMAIL}",
    ]
    env = {"TWILIO_MEMORY_REDACT": redact, "TWILIO_MEMORY_LOG_LEVEL": "DEBUG"}
    with stdio_server(env, tmp_path, "--sandbox") as server:
        server.initialize()
        answers = [server.request("resources/read", {"uri": uri}) for uri in reads]
        assert server.close() == 0
    assert all("error" in answer for answer in answers)
    logs = server.stderr
    assert logs.count("Resource 'memory://stores/") == 3  # each failure is still logged...
    assert f"Resource 'memory://stores/{IDS.store_id}/profiles/…/identifiers/…' failed" in logs
    assert EMAIL not in logs and PHONE not in logs  # ...without what stood in the id's place
    assert PHONE.lstrip("+") not in logs


def test_a_rejected_argument_logs_no_key_it_was_given(tmp_path: Path) -> None:
    # The SDK logs a rejected call's argument paths at INFO; a map's key is in the path.
    env = {"TWILIO_MEMORY_TOOLSETS": "identity,context,write", "TWILIO_MEMORY_LOG_LEVEL": "DEBUG"}
    arguments = {"profile_id": IDS.profile_id, "traits": {EMAIL: {"channel": "sms"}}}
    with stdio_server(env, tmp_path, "--sandbox") as server:
        server.initialize()
        answer = server.call_tool("update_profile_traits", arguments)
        assert server.close() == 0
    assert answer["result"]["structuredContent"]["error"]["code"] == "invalid_argument"
    assert "Tool 'update_profile_traits' rejected arguments: ['traits.…']" in server.stderr
    assert EMAIL.split("@")[0] not in server.stderr


class Captured:
    """The server's own handler setup (server/logs.configure_logging), into a buffer."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.handler = logging.StreamHandler(self.buffer)
        self.handler.setFormatter(ScrubbingFormatter(Scrubber()))
        self.handler.addFilter(OwnDetailOnly())
        self.handler.addFilter(SdkValues())

    @property
    def lines(self) -> list[str]:
        return self.buffer.getvalue().splitlines()


@pytest.fixture
def captured() -> Iterator[Captured]:
    capture = Captured()
    root = logging.getLogger()
    level = root.level
    root.addHandler(capture.handler)
    root.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        root.removeHandler(capture.handler)
        root.setLevel(level)


@pytest.mark.anyio
async def test_a_token_claim_with_a_line_break_starts_no_line(
    captured: Captured, upstream: Upstream, tmp_path: Path
) -> None:
    upstream.handler = lambda request: identifier_set("email", ["dana@example.com"])
    audit = tmp_path / "audit.jsonl"
    evil = "fleet-copilot\n" + FORGED
    arguments = {"store_id": STORE, "profile_id": PROFILE}
    async with (
        serving_idp() as idp,
        serving_mcp(idp, transport=upstream.transport(), audit_log=str(audit)) as served,
    ):
        # A scope that does not cover get_profile: the HTTP gate refuses it, logging the client.
        refused = idp.mint(served.mcp, "memory.identity.read", client_id=evil)
        allowed = idp.mint(served.mcp, "memory.identity.read", client_id=evil, sub="user\r\n" + FORGED)
        body = rpc("tools/call", {"name": "get_profile", "arguments": arguments})
        async with httpx2.AsyncClient(timeout=30) as http:
            response = await http.post(served.mcp, json=body, headers=rpc_headers(body, refused))
            assert response.status_code == 403
            http.headers["Authorization"] = f"Bearer {allowed}"
            async with Client(streamable_http_client(served.mcp, http_client=http)) as client:
                assert (await client.call_tool("list_profile_identifiers", arguments)).is_error is False
    refusals = [line for line in captured.lines if "refused client" in line]
    assert refusals == [refusals[0]] and "fleet-copilot\\n2026-01-01" in refusals[0]
    assert not any(line.startswith(FORGED[:10]) for line in captured.lines), captured.lines
    [entry] = audit.read_text().splitlines()  # one entry, one line: JSON escapes the claims
    assert (json.loads(entry)["client_id"], json.loads(entry)["sub"]) == (evil, "user\r\n" + FORGED)
