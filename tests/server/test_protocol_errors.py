"""Bad client requests are protocol errors with the spec's codes, on every protocol version,
over stdio and HTTP, logged in one line without a traceback (issue 8 item 2, issue 9 item 7).

The real console script (``--sandbox``) driven by a raw JSON-RPC client (tests/support/raw_client.py)
that sends exactly what each case says, malformed or not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.shared.inbound import NAME_BEARING_METHODS

from tests.support.console import SCRIPT, clean_environment
from tests.support.processes import http_server
from tests.support.raw_client import MODERN_VERSION, VERSIONS, RawSession, http_session, stdio_session
from tests.support.scripted_upstream import EXAMPLES

PROMPT = "investigate_customer"
TEMPLATE_URI = "memory://stores/{store}/profiles/{profile}/identifiers/email"


# (case, method, params, code, words the message must hold)
CASES: list[tuple[str, str, Any, int, tuple[str, ...]]] = [
    ("prompt missing argument", "prompts/get", {"name": PROMPT, "arguments": {}}, -32602, ("contact",)),
    ("prompt without arguments", "prompts/get", {"name": PROMPT}, -32602, ("contact",)),
    ("unknown prompt", "prompts/get", {"name": "nope", "arguments": {}}, -32602, ("'nope'", PROMPT)),
    (
        "prompt argument not a string",
        "prompts/get",
        {"name": PROMPT, "arguments": {"contact": 5}},
        -32602,
        ("params.arguments.contact", "string"),
    ),
    (
        "prompt unknown argument",
        "prompts/get",
        {"name": PROMPT, "arguments": {"contact": "a@b.c", "x": "y"}},
        -32602,
        ("'x'", "contact"),
    ),
    ("prompt name not a string", "prompts/get", {"name": ["a"]}, -32602, ("params.name",)),
    (
        "resource with invalid ids",
        "resources/read",
        {"uri": TEMPLATE_URI.format(store="x", profile=EXAMPLES.profile_id)},
        -32602,
        ("store_id",),
    ),
    (
        "resource with an invalid profile id",
        "resources/read",
        {"uri": TEMPLATE_URI.format(store=EXAMPLES.store_id, profile="mem_profile_x")},
        -32602,
        ("profile_id",),
    ),
    (
        "unknown resource",
        "resources/read",
        {"uri": "bogus://nothing/here"},
        -32602,
        ("bogus://nothing/here",),
    ),
    ("resource uri not a string", "resources/read", {"uri": 5}, -32602, ("params.uri",)),
    ("unknown tool", "tools/call", {"name": "nope", "arguments": {}}, -32602, ("'nope'", "lookup_profiles")),
    ("tool name a list", "tools/call", {"name": ["a"], "arguments": {}}, -32602, ("params.name", "string")),
    ("tool name an object", "tools/call", {"name": {"a": 1}, "arguments": {}}, -32602, ("params.name",)),
    (
        "tool arguments not an object",
        "tools/call",
        {"name": "lookup_profiles", "arguments": [1]},
        -32602,
        ("params.arguments",),
    ),
    ("params an array", "tools/list", [1, 2], -32602, ("params must be an object", "array")),
    ("params a string", "tools/call", "get_profile_identifiers", -32602, ("params must be an object",)),
]


@pytest.fixture(scope="module")
def http_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    with http_server({}, tmp_path_factory.mktemp("protocol"), "--sandbox") as server:
        yield server.mcp, server.stderr_path


def check(
    session: RawSession, case: str, method: str, params: Any, code: int, words: tuple[str, ...]
) -> None:
    answer = session.request(method, params, enveloped=isinstance(params, dict))
    assert "error" in answer, (case, answer)
    error = answer["error"]
    assert error["code"] == code, (case, error)
    for word in words:
        assert word in error["message"], (case, error)
    assert "Traceback" not in json.dumps(error)


def check_log(text: str, refusals: int) -> None:
    assert "Traceback" not in text
    assert " ERROR " not in text
    lines = [line for line in text.splitlines() if "refused" in line or "failed: " in line]
    assert len(lines) >= refusals, text
    assert "jane" not in text  # prompt argument values are never logged


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_requests_over_stdio(version: str, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    with stdio_session([SCRIPT, "--sandbox"], clean_environment(), version, log) as session:
        for case in CASES:
            check(session, *case)
        # The server still serves after all of that.
        tools = session.request("tools/list")["result"]["tools"]
        assert {tool["name"] for tool in tools} >= {"get_profile_identifiers"}
    check_log(log.read_text(), len(CASES))


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_requests_over_http(version: str, http_url: tuple[str, Path]) -> None:
    url, log = http_url
    with http_session(url, version) as session:
        for case in CASES:
            _, method, params, _, _ = case
            field = NAME_BEARING_METHODS.get(method)
            if (
                version == MODERN_VERSION
                and isinstance(params, dict)
                and not isinstance(params.get(field), str)
            ):
                # 2026-07-28 over HTTP repeats the name (or uri) in the Mcp-Name header, which
                # a list or a number cannot fill: the SDK answers -32020 (header mismatch)
                # before anything else sees the request, as that protocol asks.
                assert session.request(method, params)["error"]["code"] == -32020, case
                continue
            check(session, *case)
            assert session.last_status in {200, 400}, case  # 400 where the transport maps it
    check_log(log.read_text(), len(CASES))


@pytest.mark.parametrize("line", ["not json at all", '{"jsonrpc": "2.0", "id": 1, "method": 5}'])
def test_malformed_lines_over_stdio_are_answered(line: str, tmp_path: Path) -> None:
    with stdio_session([SCRIPT, "--sandbox"], clean_environment(), VERSIONS[-2], tmp_path / "e") as s:
        s.send_only(line)
        answer = s.answer_to(None if line.startswith("not") else 1)
    assert answer["error"]["code"] == (-32700 if line.startswith("not") else -32600)


def test_a_prompt_with_good_arguments_still_renders(tmp_path: Path) -> None:
    with stdio_session([SCRIPT, "--sandbox"], clean_environment(), VERSIONS[-1], tmp_path / "e") as s:
        answer = s.request("prompts/get", {"name": PROMPT, "arguments": {"contact": "jane@example.com"}})
    assert "lookup_profiles" in json.dumps(answer["result"])
