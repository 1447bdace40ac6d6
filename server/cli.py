"""The command line: ``twilio-memory-mcp [--transport stdio|http] [--sandbox]``, plus
``twilio-memory-mcp emulator`` and ``twilio-memory-mcp demo``.

This is the only place that composes the server with the emulator (for ``--sandbox``,
``emulator`` and ``demo``); heavy imports wait until a command needs them, so the stdio
server starts as fast as the SDK allows.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
import typing
from typing import TYPE_CHECKING

from server import __version__
from server.argv_secrets import secret_in_argv
from server.frozen_start import built_then_frozen
from server.setting_values import SettingsError, is_loopback_host, whole_number

if TYPE_CHECKING:
    import httpx2

    from server.settings import Settings

logger = logging.getLogger("twilio_memory_mcp")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        if args.command == "emulator":
            _run_emulator(args)
        elif args.command == "demo":
            from demo.run import run_demo

            sys.exit(run_demo())
        else:
            _run_server(args)
    except SettingsError as error:
        # Settings may have failed before logging was set up: set it up to say why.
        from server.logs import configure_logging

        configure_logging("INFO")
        logger.error("configuration error: %s", error)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, parsed; a usage mistake exits 2 with one line saying what to do."""
    words = sys.argv[1:] if argv is None else argv
    parser = _parser()
    secret = secret_in_argv(words)
    if secret is not None:
        parser.error(secret)
    args = parser.parse_args(words)
    if args.command is None:
        if args.transport != "http" and (args.host is not None or args.port is not None):
            given = [flag for flag in ("--host", "--port") if getattr(args, flag[2:]) is not None]
            verb = "apply" if len(given) > 1 else "applies"
            parser.error(
                f"{' and '.join(given)} {verb} to --transport http only (stdio has no address): "
                "add --transport http, or drop them"
            )
        args.host = "127.0.0.1" if args.host is None else args.host
        args.port = 8000 if args.port is None else args.port
    return args


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (no usage block): what is wrong and where to look."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    # ASCII digits only: int() also takes " 5", "٣" (then served on port 3) and "1_0".
    port = whole_number(text)
    if port is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1-65535)")
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{port} is out of range: a port is 1-65535")
    return port


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="twilio-memory-mcp",
        description="MCP server for Twilio Conversation Memory (identity and context). Configuration "
        "comes from the environment (see the README); secrets are never taken as arguments.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    # No defaults here: parse_args refuses --host/--port without --transport http, then fills them.
    parser.add_argument("--host", help="HTTP transport: address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="HTTP transport: port (default 8000)")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="serve fake data from a built-in emulator: no Twilio account needed",
    )
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)
    emulator = commands.add_parser("emulator", help="run the local Memory API emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=_port, default=8787)
    emulator.add_argument("--seed", help="seed data JSON file (default: the built-in seed)")
    commands.add_parser("demo", help="run the emulator and the server, and show them working")
    return parser


def _run_server(args: argparse.Namespace) -> None:
    if args.transport == "http":
        settings, transport = _settings(args)
        from server.http.app import serve_http

        serve_http(settings, host=args.host, port=args.port, transport=transport)
        return
    with built_then_frozen():
        settings, transport = _settings(args)
        import anyio

        from server.mcp_server import build_server
        from server.stdio import serve_stdio

        if settings.http.oauth is not None:  # stdio has no bearer tokens: the caller is the local user
            logger.warning("TWILIO_MEMORY_OAUTH_* apply to the HTTP transport only; ignored on stdio")
        logger.info("twilio-memory-mcp %s on stdio, Memory API at %s", __version__, settings.memory.base_url)
        server = build_server(settings, transport=transport)
    anyio.run(serve_stdio, server)


def _settings(args: argparse.Namespace) -> tuple[Settings, httpx2.AsyncBaseTransport | None]:
    """The settings, logging set up by them, and the emulator's transport under --sandbox."""
    from server.logs import configure_logging, secrets_of
    from server.settings import load_settings

    settings = load_settings(os.environ)
    configure_logging(settings.log_level, secrets_of(settings))
    transport = None
    if args.sandbox:
        settings, transport = _sandbox(settings)
    if settings.memory.credentials is None:
        logger.warning("not configured: %s; tool calls will say so", settings.memory.credentials_problem)
    return settings, transport


def _sandbox(settings: Settings) -> tuple[Settings, httpx2.AsyncBaseTransport]:
    """Settings and an in-process transport for the emulator with its default seed."""
    import httpx2
    from pydantic import SecretStr

    from emulator import create_app, default_examples
    from server.settings import Credentials

    examples = default_examples()
    logger.warning(
        "SANDBOX: serving FAKE data from the built-in emulator, not Twilio (store %s)",
        examples.store_id,
    )
    memory = dataclasses.replace(
        settings.memory,
        credentials=Credentials(examples.api_key, SecretStr(examples.api_secret), "sandbox"),
        credentials_problem=None,
        # No socket: requests go straight to the in-process app. The .localhost name is
        # loopback by definition (RFC 6761), so the https rule holds.
        base_url="http://sandbox.localhost",
    )
    sandboxed = dataclasses.replace(
        settings,
        memory=memory,
        default_store_id=settings.default_store_id or examples.store_id,
        sandbox=True,
    )
    return sandboxed, httpx2.ASGITransport(app=create_app())


def _run_emulator(args: argparse.Namespace) -> None:
    from server.logs import configure_logging

    configure_logging("INFO")
    from emulator import EmulatorConfig, banner_for, serve

    if args.seed is not None:
        from emulator.seed import build_world, read_seed

        try:
            build_world(read_seed(args.seed))
        except (OSError, ValueError) as error:  # SeedError and JSON's errors are ValueErrors
            raise SettingsError(f"--seed {args.seed}: {error}") from None
    config = EmulatorConfig(seed=args.seed)
    if not is_loopback_host(args.host):
        logger.warning("the emulator's credentials are public: binding %s exposes it to others", args.host)
    for line in banner_for(config, args.host, args.port).rstrip("\n").split("\n"):
        logger.info("%s", line)  # one record a line: a record's message is one line (server/logs.py)
    serve(config, host=args.host, port=args.port)
