"""The command line as a user runs it: refusals, the emulator command and the demo."""

from __future__ import annotations

import gc
import os
import subprocess
import time

import httpx2
import pytest

from emulator import default_examples
from server.frozen_start import built_then_frozen
from tests.support.cli import run_main
from tests.support.console import HANG_GUARD, SCRIPT
from tests.support.ports import free_port


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return subprocess.run(
        [SCRIPT, *args],
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TWILIO_MEMORY_BASE_URL", "http://memory.example.com", "must use https unless its host is loopback"),
        ("TWILIO_MEMORY_DEADLINE", "forever", "TWILIO_MEMORY_DEADLINE"),
        ("TWILIO_MEMORY_TOOLS", "get_everything", "unknown tools"),
    ],
)
def test_bad_configuration_refuses_to_start_with_a_clear_message(
    variable: str, value: str, says: str
) -> None:
    result = run_main([], {variable: value})
    assert result.code == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing on the protocol channel


def test_the_console_script_refuses_mistakes_in_one_line() -> None:
    """One real process per promise of issue 18 item 4 (the cases: test_startup_mistakes.py)."""
    key = "SK" + "0123456789abcdef" * 2
    for result, says in (
        (run(env={"TWILIO_MEMORY_TOOLSET": "identity"}), "did you mean TWILIO_MEMORY_TOOLSETS?"),
        (run("--port", "9000"), "--port applies to --transport http only"),
        (run("--transport", "http", "--port", "99999"), "out of range"),
        (run("--api-key", key), "secrets come only from the environment; set TWILIO_API_KEY"),
    ):
        assert result.returncode == 2, result.stderr
        assert result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert says in result.stderr
        assert key not in result.stderr


def test_version() -> None:
    result = run_main(["--version"])
    assert result.code == 0
    assert result.stdout.startswith("twilio-memory-mcp ")


def test_collection_resumes_once_the_stdio_server_is_built_even_if_the_start_fails() -> None:
    # The start runs without the cyclic collector (issue 17, cold start); a server left
    # without it would keep every cycle its calls make.
    try:
        with pytest.raises(RuntimeError), built_then_frozen():
            assert not gc.isenabled()
            raise RuntimeError("the start failed")
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_emulator_command_serves_and_prints_what_to_try() -> None:
    ids = default_examples()
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    process = subprocess.Popen(
        [SCRIPT, "emulator", "--port", str(port)],
        env=clean,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/v1/Stores/{ids.store_id}/Profiles/{ids.profile_id}/Identifiers/email"
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:  # poll until it listens
            try:
                response = httpx2.get(url, auth=(ids.api_key, ids.api_secret))
                break
            except httpx2.ConnectError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=HANG_GUARD)
    assert response.status_code == 200
    assert response.json()["values"] == ["alice.nakamura@example.com", "a.nakamura@work.example.com"]
    for shown in (f"http://127.0.0.1:{port}", ids.api_key, ids.api_secret, ids.store_id, ids.profile_id):
        assert shown in stderr


def test_demo_exits_zero_when_every_step_behaves() -> None:
    result = run("demo", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 of 8 steps behaved as expected." in result.stdout
    assert "[FAILED]" not in result.stdout
