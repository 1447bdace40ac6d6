"""twilio-memory-mcp: an MCP server that reads Twilio Conversation Memory identifiers."""

from __future__ import annotations

__version__ = "0.1.0"
