"""Python ``mcp`` 2.x Client (the project's own venv). ``mode="legacy"`` runs the initialize
handshake at 2025-11-25; ``mode="2026-07-28"`` pins the sessionless protocol. Successes are
checked against outputSchema, errors are not. Same plan and output as drivers/common.mjs; the
cases run in drivers/py_plan.py.
"""

from contextlib import asynccontextmanager

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from py_plan import main


@asynccontextmanager
async def connect(group, version):
    mode = "2026-07-28" if version == "2026-07-28" else "legacy"
    if "url" in group:
        target = streamable_http_client(group["url"])
    else:
        target = StdioServerParameters(command=group["command"], args=group["args"], env=group["env"])
    async with Client(target, mode=mode) as client:
        yield client.protocol_version, client


main(connect)
