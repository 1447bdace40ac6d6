"""No byte sequence from upstream breaks a transport (issue 9 item 1).

The real console script, over stdio and over HTTP, against a fake Memory API on a loopback
port that answers with hostile bytes (tests/support/hostile_upstream.py): lone surrogates in JSON
escapes, invalid UTF-8, NULs, bidi and line-separator characters, huge and deeply nested
JSON, a compression bomb, a drip-fed body, hostile headers. Every call gets an answer, so
does the call beside it, everything on the wire is valid UTF-8, and the process lives on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.console import HANG_GUARD
from tests.support.doubles import PROFILE, STORE
from tests.support.hostile_upstream import ATTEMPT_TIMEOUT, CASES, QUOTED_VALUE, TRICKY_VALUE, HostileUpstream
from tests.support.in_process import serve_in_thread
from tests.support.processes import http_server, stdio_server

TOOL = "get_profile_identifiers"
API_KEY = "SK" + "0" * 32
API_SECRET = "hostile-test-secret-0123456789"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_in_thread(HostileUpstream()) as base_url:
        yield base_url


def environment(base_url: str) -> dict[str, str]:
    return {
        "TWILIO_MEMORY_BASE_URL": base_url,
        "TWILIO_API_KEY": API_KEY,
        "TWILIO_API_SECRET": API_SECRET,
        "TWILIO_MEMORY_MAX_RETRIES": "0",
        # Generous for a busy machine (the fake upstream shares this process's CPU); the one case
        # meant to time out, "drip-fed", takes four times as long (tests/support/hostile_upstream.py).
        "TWILIO_MEMORY_ATTEMPT_TIMEOUT": str(ATTEMPT_TIMEOUT),
        "TWILIO_MEMORY_DEADLINE": str(2 * ATTEMPT_TIMEOUT),
    }


def arguments(id_type: str) -> dict[str, str]:
    return {"store_id": STORE, "profile_id": PROFILE, "id_type": id_type}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def check_result(case: str, structured: dict[str, Any] | None, texts: list[str]) -> None:
    """The answer a client got for ``case``: the expected outcome, all valid Unicode."""
    for text in [*strings(structured), *texts]:
        text.encode("utf-8")  # strict: a lone surrogate raises
    expected = CASES[case].expect
    assert structured is not None, case
    if expected is None:
        assert structured["values"] == [TRICKY_VALUE], case  # data passes through untouched
    else:
        assert structured["error"]["code"] == expected, (case, structured)
        assert len(structured["error"]["twilio_message"] or "") <= 300


def test_hostile_answers_never_break_the_stdio_transport(upstream: str, tmp_path: Path) -> None:
    with stdio_server(environment(upstream), tmp_path) as server:
        server.initialize()
        for case in CASES:
            # The hostile call and one beside it, in flight together.
            hostile = server.send("tools/call", {"name": TOOL, "arguments": arguments(case)})
            beside = server.send("tools/call", {"name": TOOL, "arguments": arguments("plain")})
            answers = server.answers({hostile, beside}, HANG_GUARD)
            assert set(answers) == {hostile, beside}, f"{case}: unanswered, stderr:\n{server.stderr[-2000:]}"
            result = answers[hostile]["result"]
            check_result(
                case, result.get("structuredContent"), [block["text"] for block in result["content"]]
            )
            assert answers[beside]["result"]["structuredContent"]["values"] == ["plain@example.com"]
        status = server.close()
    assert status == 0, server.stderr[-2000:]
    for line in server.lines:
        json.loads(line.decode("utf-8"))  # strict UTF-8, one JSON-RPC message per line


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["auto", "legacy"])  # 2026-07-28, 2025-11-25
async def test_hostile_answers_never_break_the_http_transport(
    upstream: str, tmp_path: Path, mode: str
) -> None:
    with http_server(environment(upstream), tmp_path) as server:
        async with (
            httpx2.AsyncClient(timeout=HANG_GUARD) as http,
            Client(streamable_http_client(server.mcp, http_client=http), mode=mode) as client,
        ):
            for case in CASES:
                results: dict[str, Any] = {}

                async def call(id_type: str, results: dict[str, Any] = results) -> None:
                    results[id_type] = await client.call_tool(TOOL, arguments(id_type))

                with anyio.fail_after(HANG_GUARD):
                    async with anyio.create_task_group() as group:
                        group.start_soon(call, case)
                        group.start_soon(call, "plain")
                texts = [getattr(block, "text", "") for block in results[case].content]
                check_result(case, results[case].structured_content, texts)
                assert results["plain"].structured_content["values"] == ["plain@example.com"]
        assert server.process.poll() is None, server.stderr[-2000:]


def credential_forms() -> list[str]:
    """Every form of the test credentials that must never leave the server (issue 9 item 3)."""
    pair = f"{API_KEY}:{API_SECRET}".encode()
    encoded = base64.b64encode(pair).decode()
    return [
        API_SECRET,
        API_KEY,
        encoded,
        encoded.rstrip("="),
        encoded[-40:-7],
        quote(encoded, safe=""),
        quote_plus(API_SECRET),
        base64.b64encode(API_SECRET.encode()).decode().rstrip("="),
    ]


def test_credentials_quoted_back_in_any_form_never_reach_the_client_or_the_logs(
    upstream: str, tmp_path: Path
) -> None:
    with stdio_server(environment(upstream) | {"TWILIO_MEMORY_LOG_LEVEL": "DEBUG"}, tmp_path) as server:
        server.initialize()
        answers = [
            server.call_tool(TOOL, arguments(kind))
            for kind in ("echo-auth-raw", "echo-auth-url", "echo-auth-piece", "echo-auth-decoded",
                         "echo-auth-secret-url")
        ]  # fmt: skip
        assert server.close() == 0
    for answer in answers:
        error = answer["result"]["structuredContent"]["error"]
        assert (error["code"], error["twilio_code"]) == ("unauthenticated", 20003)
        assert "[redacted]" in error["twilio_message"]
    wire = b"".join(server.lines).decode()
    logs = server.stderr
    assert "outcome=unauthenticated" in logs
    for form in credential_forms():
        assert form not in wire, form
        assert form not in logs, form


def test_a_zero_retry_after_is_not_a_burst(tmp_path: Path) -> None:
    # Issue 9 item 10: "Retry-After: 0" made four attempts within 0.3 s; now each retry waits
    # at least the backoff a 5xx would get (0.25 s, then 0.5 s, then 1 s at the least).
    fake = HostileUpstream()
    with serve_in_thread(fake) as base_url:
        settings = environment(base_url) | {"TWILIO_MEMORY_MAX_RETRIES": "3", "TWILIO_MEMORY_DEADLINE": "30"}
        with stdio_server(settings, tmp_path) as server:
            server.initialize()
            answer = server.call_tool(TOOL, arguments("retry-after-zero"))
            server.close()
    assert answer["result"]["structuredContent"]["error"]["code"] == "rate_limited"
    gaps = [later - earlier for earlier, later in zip(fake.arrivals, fake.arrivals[1:], strict=False)]
    assert len(fake.arrivals) == 4
    # Lower bounds only: a sleep never ends early, however loaded the machine.
    assert gaps[0] >= 0.25 and gaps[1] >= 0.5 and gaps[2] >= 1.0, gaps


@pytest.mark.parametrize(
    ("tool", "args"),
    [
        (TOOL, arguments("quote-value")),
        ("list_profile_identifiers", {"store_id": STORE, "profile_id": PROFILE}),
    ],
)
def test_redaction_drops_twilio_text_on_every_tool(
    upstream: str, tmp_path: Path, tool: str, args: dict[str, str]
) -> None:
    # Issue 9 item 6: only lookup_profiles dropped it; Twilio's text may quote any value.
    with stdio_server(environment(upstream) | {"TWILIO_MEMORY_REDACT": "1"}, tmp_path) as server:
        server.initialize()
        answer = server.call_tool(tool, args)
        server.close()
    error = answer["result"]["structuredContent"]["error"]
    assert (error["code"], error["twilio_code"], error["twilio_message"]) == ("not_found", 20404, None)
    assert QUOTED_VALUE not in json.dumps(answer)


def test_a_failed_resource_read_logs_no_twilio_text(upstream: str, tmp_path: Path) -> None:
    # The SDK logs a resource error's message at INFO; Twilio's text may quote a value.
    uri = f"memory://stores/{STORE}/profiles/{PROFILE}/identifiers/quote-value"
    with stdio_server(environment(upstream) | {"TWILIO_MEMORY_LOG_LEVEL": "DEBUG"}, tmp_path) as server:
        server.initialize()
        answer = server.request("resources/read", {"uri": uri})
        assert server.close() == 0
    assert answer["error"]["message"].startswith("Error (not_found):")
    assert "Twilio code 20404" in answer["error"]["message"]
    assert "resource:profile_identifiers" in server.stderr  # the read was logged...
    assert QUOTED_VALUE not in server.stderr  # ...without the value Twilio's text quoted
