"""No value and no credential in any log line, at DEBUG, on either transport (issue 9 items 3, 4).

The real console script against the emulator on a loopback port, at
``TWILIO_MEMORY_LOG_LEVEL=DEBUG``: every tool on every seeded profile, lookups by value, the
resource, and failures whose Twilio text quotes what was asked. Then stderr is searched for
every seeded value and every form of every credential (the Twilio key and secret, the base64
``Basic`` value, URL-encoded forms, the bearer token).
"""

from __future__ import annotations

import base64
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from emulator import create_app, default_examples
from tests.support.console import HANG_GUARD, SCRIPT, TEE, clean_environment
from tests.support.emulated import exercise_everything, seeded_values
from tests.support.in_process import serve_in_thread
from tests.support.processes import http_server

pytestmark = pytest.mark.anyio

IDS = default_examples()
TOKEN = "debug-log-bearer-token-0123456789abcdef"
SEARCHED = ["+1 (206) 555-0199", "nobody.at.all@example.com"]  # values asked for, found nowhere


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    with serve_in_thread(create_app()) as base_url:
        yield base_url


def environment(base_url: str) -> dict[str, str]:
    return {
        "TWILIO_MEMORY_BASE_URL": base_url,
        "TWILIO_API_KEY": IDS.api_key,
        "TWILIO_API_SECRET": IDS.api_secret,
        "TWILIO_MEMORY_STORE_ID": IDS.store_id,
        "TWILIO_MEMORY_LOG_LEVEL": "DEBUG",
        "TWILIO_MEMORY_MCP_TOKEN": TOKEN,
    }


def forbidden() -> list[str]:
    pair = f"{IDS.api_key}:{IDS.api_secret}".encode()
    encoded = base64.b64encode(pair).decode()
    credentials = [IDS.api_secret, encoded, encoded.rstrip("="), quote(encoded, safe=""), TOKEN]
    return sorted(seeded_values()) + SEARCHED + credentials


async def exercise(client: Client) -> None:
    await exercise_everything(client)
    for value in SEARCHED:
        await client.call_tool("lookup_profiles", {"id_type": "phone", "value": value})
        await client.call_tool("lookup_profiles", {"id_type": "email", "value": value})
    await client.get_prompt("investigate_customer", {"contact": SEARCHED[0]})


def leaks(logs: str) -> list[str]:
    return [value for value in forbidden() if value in logs]


async def test_stdio_at_debug_logs_no_value_and_no_credential(emulator_url: str, tmp_path: Path) -> None:
    stdout_copy, stderr_path = tmp_path / "stdout.jsonl", tmp_path / "stderr.log"
    server = StdioServerParameters(
        command=sys.executable,
        args=[TEE, str(stdout_copy), str(stderr_path), SCRIPT],
        env=clean_environment(environment(emulator_url)),
    )
    async with Client(server) as client:
        await exercise(client)
    logs = stderr_path.read_text()
    assert "outcome=ok" in logs  # the logs did flow
    assert leaks(logs) == []


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_at_debug_logs_no_value_and_no_credential(
    emulator_url: str, tmp_path: Path, mode: str
) -> None:
    with http_server(environment(emulator_url), tmp_path) as server:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=HANG_GUARD) as http,
            Client(streamable_http_client(server.mcp, http_client=http), mode=mode) as client,
        ):
            await exercise(client)
        async with httpx2.AsyncClient() as http:  # a refused token is not logged either
            await http.post(server.mcp, headers={"Authorization": f"Bearer {TOKEN}x"}, json={})
        server.terminate()
        server.process.wait(HANG_GUARD)
    logs = server.stderr
    assert "outcome=ok" in logs
    assert leaks(logs) == []


def test_every_log_line_is_scrubbed_of_every_credential_form(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from server.logs import DEPENDENCIES, configure_logging, secrets_of
    from server.settings import load_settings

    settings = load_settings(environment("http://127.0.0.1:9"))
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in DEPENDENCIES}
    try:
        configure_logging("DEBUG", secrets_of(settings))
        for form in forbidden()[-5:]:  # the credential forms and the bearer token
            logging.getLogger("uvicorn.error").error("request with Authorization: Basic %s", form)
            try:
                raise ValueError(f"token {form}")
            except ValueError:
                logging.getLogger("twilio_memory_mcp").exception("failed")
        logging.getLogger("sse_starlette.sse").debug("chunk: %s", "dana@example.com")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)
    logs = capsys.readouterr().err
    assert logs.count("[redacted]") == 10
    assert leaks(logs) == [] and "chunk:" not in logs
