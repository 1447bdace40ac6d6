"""twilio-memory-mcp: an MCP server for Twilio Conversation Memory: identity and context.

The composition root: it reads the configuration and builds the MCP server from ``tools/``
over the client in ``memory/``.

    cli.py             the command line (``twilio-memory-mcp``); __main__.py runs it
    settings.py        the environment, read once into one frozen Settings, every check at start
    setting_values.py  how a setting is read (URLs, lists, SettingsError), for oauth/ too
    env_names.py       every TWILIO_MEMORY_* variable read, so a mistyped one refuses to start
    argv_secrets.py    command-line words that look like credentials, refused
    mcp_server.py      the MCP server: tools, lifespan (one shared HTTP client), middleware
    request_checks.py  middleware: bad requests refused as -32602, bad arguments as tool errors
    consent_once.py    middleware: a write's confirmation (its sealed requestState) used once
    direct_calls.py    middleware: a read tool's call answered in one pass, in the SDK's envelope
    jsonrpc_shape.py   what a malformed JSON-RPC message is owed, for stdio and HTTP alike
    stdio.py           the stdio transport: the SDK's, answering every request line
    stdio_pipes.py     stdin and stdout served by the event loop where they are pipes or sockets
    stdio_loop.py      the connection served without the SDK's per-message era relay
    frozen_start.py    a start built without the garbage collector, then frozen (stdio, HTTP)
    logs.py            logging to stderr, credentials scrubbed
    http/              the streamable HTTP transport (its own map)
    oauth/             OAuth access tokens for the HTTP transport (its own map)
"""

from __future__ import annotations

__version__ = "0.1.0"
