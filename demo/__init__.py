"""The demo: the emulator, the real server over stdio, and an MCP client, in one command."""
