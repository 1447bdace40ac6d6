"""The emulator over a real loopback socket, and the package's import boundaries."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx2
import pytest

from emulator import serve_in_background
from tests.support.console import HANG_GUARD, ROOT
from tests.support.emulator_api import EX, identifier_url

pytestmark = pytest.mark.anyio


async def test_serves_over_loopback_and_shuts_down(app, make_client):
    async with serve_in_background(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        client = await make_client(base_url=base_url)
        ok = await client.get(identifier_url("email"))
        assert ok.status_code == 200
        moved = await client.get(identifier_url("email", EX.merged_profile_id))
        assert moved.status_code == 301
        assert moved.headers["Location"].startswith(f"{base_url}/v1/Stores/")
        anonymous = await make_client(base_url=base_url, auth=None)
        assert (await anonymous.get(identifier_url("email"))).status_code == 401
        port = int(base_url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


async def test_two_servers_get_different_ports(app):
    async with serve_in_background(app) as first, serve_in_background(app) as second:
        assert first != second


def test_importing_the_emulator_pulls_in_neither_the_server_nor_uvicorn():
    code = (
        "import sys, emulator\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'server', 'tools', 'uvicorn'})\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_serve_runs_in_the_foreground_until_terminated(spec_validator):
    # serve() blocks (it is what the command line runs): start it in a child process, poll the
    # port with a deadline, make one request, then terminate that child.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = f"from emulator import serve; serve(None, '127.0.0.1', {port})"
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert child.poll() is None, child.stderr.read() if child.stderr else ""
                assert time.monotonic() < deadline, "the emulator did not start listening"
                time.sleep(0.02)  # a poll interval, not a wait for an outcome
        response = httpx2.get(
            f"http://127.0.0.1:{port}{identifier_url('email')}", auth=(EX.api_key, EX.api_secret)
        )
        spec_validator.check(response)
        assert response.status_code == 200
    finally:
        child.terminate()
        child.wait(timeout=HANG_GUARD)
        if child.stderr:
            child.stderr.close()
