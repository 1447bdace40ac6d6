"""The architecture's arrows run one way: server -> tools -> memory (see README, Development)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.console import ROOT

# package -> top-level packages it must never import
FORBIDDEN = {
    "memory": {"server", "tools", "mcp", "emulator", "demo", "starlette", "uvicorn"},
    "tools": {"server", "emulator", "demo"},
    "server": {"emulator", "demo"},  # only server/cli.py composes the emulator, lazily (checked below)
}


def imported_packages(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {(alias.name.split(".")[0], node.lineno) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_run_one_way(package: str) -> None:
    wrong = []
    for path in sorted((ROOT / package).rglob("*.py")):
        if path == ROOT / "server" / "cli.py":
            continue  # the command line composes server and emulator (--sandbox, demo)
        wrong += [
            f"{path.relative_to(ROOT)}:{line} imports {name}"
            for name, line in imported_packages(path)
            if name in FORBIDDEN[package]
        ]
    assert wrong == []


def test_only_the_command_line_imports_the_emulator_and_only_lazily() -> None:
    tree = ast.parse((ROOT / "server" / "cli.py").read_text(encoding="utf-8"))
    top_level = {
        (node.module or "").split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom)
    } | {
        alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names
    }
    assert not top_level & {"emulator", "demo"}
