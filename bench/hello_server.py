"""The baseline for bench/cold_start.py: a one-tool MCPServer hello world over stdio."""

from mcp.server.mcpserver import MCPServer

server = MCPServer("hello")


@server.tool()
def hello(name: str) -> str:
    """Say hello."""
    return f"Hello, {name}!"


if __name__ == "__main__":
    server.run("stdio")
