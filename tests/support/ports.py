"""Loopback ports for servers under test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    """A loopback port free right now (a child process binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a free loopback port, for a server in this process to listen on.

    IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    every keep-alive request waits ~40 ms for a delayed ACK (uvicorn #3149).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port bound for the whole block but never listening: every connect is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
