"""Servers under uvicorn inside the test process, on loopback ports.

- :func:`serving`: the real MCP HTTP app (``build_http_app``) under uvicorn, configured as
  ``serve_http`` configures it, in the test's own event loop.
- :func:`serve_in_thread`: any ASGI app (a fake upstream, the emulator) on a thread with its own
  event loop, so a test that blocks (subprocess pipes, signals) cannot stall it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import uvicorn

from server.http.app import build_http_app, uvicorn_config
from server.settings import Settings
from tests.support.console import HANG_GUARD
from tests.support.ports import loopback_socket


@dataclass
class Served:
    url: str  # http://127.0.0.1:PORT
    server: uvicorn.Server
    settings: Settings

    @property
    def mcp(self) -> str:
        return self.url + "/mcp"


class _InProcessServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # the signals belong to pytest's process, not to this server


@contextlib.asynccontextmanager
async def serving(
    settings: Settings | Callable[[str], Settings],
    transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncIterator[Served]:
    """``build_http_app`` under uvicorn on a free port. ``settings`` may be a function of the
    base URL, for settings that name the server's own address (an OAuth resource)."""
    sock = loopback_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    resolved = settings(url) if callable(settings) else settings
    app = build_http_app(resolved, transport=transport, host="127.0.0.1")
    server = _InProcessServer(uvicorn_config(app, resolved, host="127.0.0.1", port=sock.getsockname()[1]))
    with sock, anyio.fail_after(2 * HANG_GUARD):  # a hang guard for the whole test
        async with anyio.create_task_group() as group:
            group.start_soon(server.serve, [sock])
            with anyio.fail_after(HANG_GUARD):
                while not server.started:
                    await anyio.sleep(0.01)
            try:
                yield Served(url, server, resolved)
            finally:
                server.should_exit = True


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a loopback port, on a thread with its own event loop.
    Yields the base URL."""
    sock = loopback_socket()
    config = uvicorn.Config(app, lifespan="off", log_config=None, log_level="error", access_log=False)
    server = uvicorn.Server(config)  # not the main thread: uvicorn installs no signal handlers
    thread = threading.Thread(target=server.run, args=([sock],), daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the in-thread server did not start")
            threading.Event().wait(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        # force_exit too: a test server need not wait for answers still dripping to a client
        # that left (uvicorn would otherwise wait for every connection to close).
        server.should_exit = server.force_exit = True
        thread.join(HANG_GUARD)
        sock.close()
