"""A URL setting that cannot work refuses to start with a configuration error naming the
setting: never a traceback, and never the value, which a mistyped URL can carry a secret in
(``key:secret@host`` without a scheme). ``main`` in process, as an operator starts it
(tests/server/test_cli.py keeps the real console script's refusal as a smoke test)."""

from __future__ import annotations

import pytest

from tests.support.cli import run_main

SECRET = "supersecretvalue0123456789"
TOKEN = "settings-errors-token-0123456789"
BASE = {
    "TWILIO_API_KEY": "SK" + "0" * 32,
    "TWILIO_API_SECRET": "f" * 32,
    "TWILIO_MEMORY_MCP_TOKEN": TOKEN,
}
OAUTH = {
    "TWILIO_MEMORY_OAUTH_ISSUER": "https://idp.example.com",
    "TWILIO_MEMORY_OAUTH_RESOURCE": "https://mcp.example.com/mcp",
}

CASES = {
    "base-url-bracket": ("TWILIO_MEMORY_BASE_URL", "https://[::1"),
    "base-url-port": ("TWILIO_MEMORY_BASE_URL", "https://memory.example.com:99999"),
    "issuer-bracket": ("TWILIO_MEMORY_OAUTH_ISSUER", "https://[::1"),
    "resource-port": ("TWILIO_MEMORY_OAUTH_RESOURCE", "https://mcp.example.com:123456/mcp"),
    "jwks-bracket": ("TWILIO_MEMORY_OAUTH_JWKS_URL", "https://[idp.example.com/certs"),
    "issuer-without-scheme": ("TWILIO_MEMORY_OAUTH_ISSUER", f"SK{'1' * 32}:{SECRET}@idp.example.com"),
    "jwks-without-scheme": ("TWILIO_MEMORY_OAUTH_JWKS_URL", f"admin:{SECRET}@idp.example.com/certs"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_url_setting_that_cannot_work_is_a_configuration_error(name: str) -> None:
    variable, value = CASES[name]
    done = run_main(["--transport", "http", "--port", "1"], BASE | OAUTH | {variable: value})
    assert done.code == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"configuration error: {variable}" in done.stderr, done.stderr
    assert SECRET not in done.stderr and value not in done.stderr, done.stderr
    assert done.stdout == ""
