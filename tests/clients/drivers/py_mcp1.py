"""Python ``mcp`` 1.x ClientSession (run by the venv tests/clients/.venv-mcp1, mcp 1.30.0).

It offers 2025-11-25 (types.LATEST_PROTOCOL_VERSION; no option to offer another) and checks
structuredContent against outputSchema on successes only. Same plan and output as the node
drivers (drivers/common.mjs); the cases run in drivers/py_plan.py.
"""

from contextlib import asynccontextmanager

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client
from py_plan import main


@asynccontextmanager
async def connect(group, version):
    if "url" in group:
        transport = streamablehttp_client(group["url"])
    else:
        params = StdioServerParameters(command=group["command"], args=group["args"], env=group["env"])
        transport = stdio_client(params)
    async with transport as streams, ClientSession(streams[0], streams[1]) as session:
        initialized = await session.initialize()
        yield initialized.protocolVersion, session


main(connect)
