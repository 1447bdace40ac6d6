"""What the release artifacts must agree with, read from the project itself (never hardcoded):
the version, the tools the server lists, the settings docs/settings.md documents."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from mcp import Client

from server.mcp_server import build_server
from server.settings import load_settings
from tests.support.console import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_PAGE = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = tuple(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])


def load_json(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((ROOT / name).read_text(encoding="utf-8"))
    return document


def settings_table_variables() -> set[str]:
    """Every variable named in the first column of the settings table (docs/settings.md)."""
    rows = [line for line in SETTINGS_PAGE.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`(TWILIO_[A-Z0-9_]+)`", row.split(" | ")[0])}


async def listed_tool_names() -> list[str]:
    """The tools the server lists with its defaults (every tool)."""
    async with Client(build_server(load_settings({}))) as client:
        return [tool.name for tool in (await client.list_tools()).tools]


def package_files() -> set[str]:
    """The files of the import packages as they stand in the tree, caches left out."""
    return {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
