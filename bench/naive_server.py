"""The naive peer for bench/http_throughput.py: one tool on Twilio's own Python library.

What a developer writes in ten minutes: a one-tool MCPServer over streamable HTTP whose tool
calls ``twilio.rest.Client().memory.v1`` (Twilio's helper library, synchronous, on requests;
the SDK runs a sync tool in a worker thread) and returns what it fetched. No id patterns, no
retries or deadline, no merges, no redaction, no budget, no auth gate, no audit.

    python bench/naive_server.py PORT BASE_URL    # TWILIO_API_KEY / TWILIO_API_SECRET set

Needs the ``twilio`` package, which the project does not depend on: the benchmark skips the
naive peer where it is missing (``pip install twilio`` to include it).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from mcp.server.mcpserver import MCPServer
from twilio.rest import Client as Twilio  # type: ignore[import-untyped, import-not-found, unused-ignore]

server = MCPServer("naive")
twilio = Twilio(os.environ["TWILIO_API_KEY"], os.environ["TWILIO_API_SECRET"], "AC" + "0" * 32)


@server.tool()
def get_profile_identifiers(store_id: str, profile_id: str, id_type: str) -> dict[str, Any]:
    """Every stored value of one identifier type on a profile."""
    found = twilio.memory.v1.identifiers(store_id, profile_id)(id_type).fetch()
    return {"id_type": found.id_type, "values": found.values}


if __name__ == "__main__":
    port, base_url = int(sys.argv[1]), sys.argv[2]
    twilio.memory.base_url = base_url
    server.run("streamable-http", host="127.0.0.1", port=port)
