"""What a host puts in the model's context for this server's tools: the tool definitions.

Two figures, as hosts count them (issue 17):

- the model view: each tool's name, description and inputSchema as compact JSON, what
  Cursor, VS Code and Claude Desktop send the model on every turn of every conversation;
- the full list: every tool of tools/list as compact JSON, outputSchema, annotations and
  ``_meta`` included, what VS Code counts against its tool budget.

Measured with every tool exposed, without and with a default store (TWILIO_MEMORY_STORE_ID
adds a default and a longer store_id description to every tool). For comparison, measured the
same way (model view, per tool on average): github-mcp-server 1,024 characters over its 43
default tools; the reference servers 380-570; @twilio-alpha/mcp 1,607.

    .venv/bin/python bench/tool_definitions.py
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import anyio
from mcp import Client
from pydantic import SecretStr

from server.mcp_server import build_server
from server.settings import Credentials, Settings

GITHUB_PER_TOOL = 1024
LIMIT_PER_TOOL = 1000  # model view, average per tool
LIMIT_FULL = 25_000  # the whole tools/list, output schemas included
STORE = "mem_store_01kpttrksqe08rhv122gzq52ax"


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Figures:
    model_view: dict[str, int]  # per tool
    full: dict[str, int]  # per tool
    instructions: int

    @property
    def model_total(self) -> int:
        return sum(self.model_view.values())

    @property
    def per_tool(self) -> float:
        return self.model_total / len(self.model_view)

    @property
    def full_total(self) -> int:
        return sum(self.full.values())

    def table(self) -> str:
        lines = [f"  {'tool':30} {'model view':>10} {'full':>7}"]
        for name, size in self.model_view.items():
            lines.append(f"  {name:30} {size:>10,} {self.full[name]:>7,}")
        lines.append(f"  {'total':30} {self.model_total:>10,} {self.full_total:>7,}")
        lines.append(
            f"  per tool on average {self.per_tool:,.0f} (limit {LIMIT_PER_TOOL:,}; github-mcp-server "
            f"{GITHUB_PER_TOOL:,}); full list {self.full_total:,} (limit {LIMIT_FULL:,}); "
            f"instructions {self.instructions:,} (said once per conversation)"
        )
        return "\n".join(lines)


async def measure(settings: Settings) -> Figures:
    async with Client(build_server(settings)) as client:
        tools = (await client.list_tools()).tools
        instructions = client.instructions or ""
    model_view, full = {}, {}
    for tool in tools:
        listed = tool.model_dump(by_alias=True, exclude_none=True, mode="json")
        seen = {key: listed[key] for key in ("name", "description", "inputSchema") if key in listed}
        model_view[tool.name] = len(compact(seen))
        full[tool.name] = len(compact(listed))
    return Figures(model_view, full, len(instructions))


def configurations() -> dict[str, Settings]:
    memory = Settings().memory
    memory = dataclasses.replace(memory, credentials=Credentials("SKbench", SecretStr("secret"), "bench"))
    return {
        "every tool": Settings(memory=memory),
        "every tool, with a default store": Settings(memory=memory, default_store_id=STORE),
    }


async def main() -> None:
    for label, settings in configurations().items():
        print(f"{label}:")
        print((await measure(settings)).table())


if __name__ == "__main__":
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args()
    anyio.run(main)
