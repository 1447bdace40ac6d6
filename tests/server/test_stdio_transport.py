"""The real console script over stdio, driven by the SDK's stdio client.

Every byte the server writes to stdout is captured (tests/support/stdio_tee.py) and must be a
JSON-RPC message; logs must go to stderr and hold no secrets or values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from emulator import create_app, default_examples, serve_in_background
from tests.support.console import SCRIPT, TEE

pytestmark = pytest.mark.anyio


def check_stdout_is_only_json_rpc(path: Path) -> int:
    lines = path.read_bytes().splitlines()
    assert lines, "the server wrote nothing to stdout"
    for line in lines:
        message = json.loads(line)  # raises on any stray text
        assert message.get("jsonrpc") == "2.0", line
        assert "id" in message or "method" in message, line
    return len(lines)


async def test_console_script_over_stdio_against_the_emulator_on_loopback(tmp_path: Path) -> None:
    ids = default_examples()
    stdout_copy, stderr_file = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
    async with serve_in_background(create_app()) as base_url:
        server = StdioServerParameters(
            command=sys.executable,
            args=[TEE, str(stdout_copy), str(stderr_file), SCRIPT],
            env={
                "TWILIO_MEMORY_BASE_URL": base_url,
                "TWILIO_API_KEY": ids.api_key,
                "TWILIO_API_SECRET": ids.api_secret,
                "TWILIO_MEMORY_LOG_LEVEL": "DEBUG",
            },
        )
        async with Client(server) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            found = await client.call_tool(
                "get_profile_identifiers",
                {"store_id": ids.store_id, "profile_id": ids.profile_id, "id_type": "email"},
            )
            rejected = await client.call_tool(
                "get_profile_identifiers",
                {"store_id": ids.store_id, "profile_id": "nobody", "id_type": "email"},
            )
    assert "get_profile_identifiers" in names
    assert found.is_error is False
    assert found.structured_content is not None
    values = found.structured_content["values"]
    assert values
    assert rejected.is_error is True
    assert check_stdout_is_only_json_rpc(stdout_copy) >= 4
    logs = stderr_file.read_text()
    assert "outcome=ok" in logs  # logs do reach stderr, even at DEBUG...
    assert ids.api_secret not in logs  # ...without the secret,
    assert "Authorization" not in logs and "Basic " not in logs  # the header,
    assert not [value for value in values if value in logs]  # or any value


async def test_sandbox_needs_no_account_and_says_the_data_is_fake(tmp_path: Path) -> None:
    stdout_copy, stderr_file = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
    server = StdioServerParameters(
        command=sys.executable,
        args=[TEE, str(stdout_copy), str(stderr_file), SCRIPT, "--sandbox"],
        env={},
    )
    ids = default_examples()
    async with Client(server) as client:
        result = await client.call_tool(
            "get_profile_identifiers", {"profile_id": ids.profile_id, "id_type": "phone"}
        )
        instructions = client.instructions or ""
    assert result.is_error is False
    assert result.structured_content is not None
    assert result.structured_content["store_id"] == ids.store_id  # the sandbox store is the default
    check_stdout_is_only_json_rpc(stdout_copy)
    assert "SANDBOX" in stderr_file.read_text()
    assert "SANDBOX" in instructions and "fake" in instructions  # the model is told too
