"""Serving the emulator over HTTP with uvicorn, in the background or in the foreground.

uvicorn is imported inside the functions that use it, so ``import emulator`` stays cheap.
Both run on asyncio (uvicorn's loop); ``serve_in_background`` needs the anyio asyncio backend.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import anyio

from .config import EmulatorConfig
from .seed import SeedExamples

if TYPE_CHECKING:
    from starlette.applications import Starlette

STARTUP_TIMEOUT = 10.0  # seconds to wait for uvicorn to report it is listening
_POLL_INTERVAL = 0.005


@contextlib.asynccontextmanager
async def serve_in_background(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Run ``app`` on a loopback socket in this event loop; yield ``http://host:port``.

    The socket is bound here (port 0 picks a free port), so the URL is known before uvicorn
    starts; we then poll uvicorn's ``started`` flag with a deadline. On exit uvicorn is asked to
    stop and awaited. Access logs are off and uvicorn logs only warnings.
    """
    import uvicorn

    class _Server(uvicorn.Server):
        # The host program owns the process's signals; uvicorn must not install handlers
        # (and re-raise SIGINT on exit) from inside someone else's event loop.
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    # IPPROTO_TCP explicitly, so uvicorn sets TCP_NODELAY on accepted connections (uvicorn#3149).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = _Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(server.serve, [sock])
        try:
            with anyio.fail_after(STARTUP_TIMEOUT):
                while not server.started:
                    await anyio.sleep(_POLL_INTERVAL)
            yield f"http://{host}:{bound_port}"
        finally:
            server.should_exit = True
    sock.close()


def serve(
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 8787,
    *,
    access_log: bool = False,
) -> None:
    """Serve in the foreground until interrupted (Ctrl-C); for the command line."""
    import uvicorn

    from .app import create_app

    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        lifespan="off",
        log_level="info" if access_log else "warning",
        access_log=access_log,
    )


def banner(base_url: str, examples: SeedExamples | None) -> str:
    """The text the command line prints to stderr before serving: where, who, what to try."""
    lines = [f"Twilio Conversation Memory emulator on {base_url}", ""]
    if examples is None:
        lines.append("Custom seed without examples; credentials and ids are in the seed file.")
        return "\n".join(lines) + "\n"
    e = examples
    profile = f"{base_url}/v1/Stores/{e.store_id}/Profiles"
    lines += [
        "Credentials (HTTP Basic, either pair):",
        f"  TWILIO_API_KEY={e.api_key}",
        f"  TWILIO_API_SECRET={e.api_secret}",
        f"  TWILIO_ACCOUNT_SID={e.account_sid}",
        f"  TWILIO_AUTH_TOKEN={e.auth_token}",
        "",
        f"Store:             {e.store_id}",
        f"Profile:           {e.profile_id}",
        f"Merged profile:    {e.merged_profile_id} (-> {e.canonical_profile_id})",
        f"Full profile:      {e.full_profile_id} (100 {e.full_id_type} values)",
        f"Memory profile:    {e.memory_profile_id} (memories mention emails and phones)",
        f"Paged profile:     {e.paged_profile_id} ({e.paged_observation_count} observations)",
        f"Missing profile:   {e.missing_profile_id} (404)",
        f"Other account:     {e.other_account_store_id} (403)",
        "",
        "Try:",
        f"  curl -u {e.api_key}:{e.api_secret} {profile}/{e.profile_id}/Identifiers/email",
        f"  curl -u {e.api_key}:{e.api_secret} {profile}/{e.memory_profile_id}/Recall "
        """-H 'Content-Type: application/json' -d '{"query": "invoice"}'""",
        "",
        f"Faults: GET/PUT {base_url}/_emulator/faults (same credentials). Ctrl-C to stop.",
    ]
    return "\n".join(lines) + "\n"


def banner_for(config: EmulatorConfig | None, host: str, port: int) -> str:
    """:func:`banner` for a config about to be served on ``host:port``."""
    from .seed import examples_from_seed, read_seed

    try:
        examples: SeedExamples | None = examples_from_seed(read_seed((config or EmulatorConfig()).seed))
    except ValueError:
        examples = None
    return banner(f"http://{host}:{port}", examples)
