"""manifest.json, the MCP Bundle for Claude Desktop (issue 11), validated and packed with the
official CLI (npm @anthropic-ai/mcpb, pinned in tests/bundle/package-lock.json).

What a ``uv`` bundle is comes from anthropics/mcpb MANIFEST.md (manifest 0.4, "UV Runtime"): the
manifest, a pyproject.toml the host's uv installs, the code, and no bundled dependencies.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from server import __version__
from tests.support.console import ROOT
from tests.support.needs import npm_tool
from tests.support.published import PYPROJECT, listed_tool_names, load_json, package_files

MANIFEST = load_json("manifest.json")
SERVER = MANIFEST["server"]
USER_CONFIG = MANIFEST["user_config"]
ENV = SERVER["mcp_config"]["env"]
REGISTRY_VARIABLES = {
    variable["name"]: variable for variable in load_json("server.json")["packages"][0]["environmentVariables"]
}


def test_the_bundle_runs_the_project_with_uv() -> None:
    assert MANIFEST["manifest_version"] == "0.4"
    assert MANIFEST["name"] == PYPROJECT["project"]["name"]
    assert MANIFEST["version"] == __version__
    assert SERVER["type"] == "uv"
    assert (ROOT / SERVER["entry_point"]).is_file()
    # uv installs the bundled project from its pyproject.toml and runs its console script.
    config = SERVER["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"] == ["run", "--directory", "${__dirname}", "twilio-memory-mcp"]
    assert "twilio-memory-mcp" in PYPROJECT["project"]["scripts"]


def test_the_python_range_is_the_space_separated_form_the_desktop_reads() -> None:
    python = MANIFEST["compatibility"]["runtimes"]["python"]
    assert python == ">=3.11 <3.15"
    assert "," not in python  # a comma range fails Claude Desktop's check
    assert python.split()[0] == PYPROJECT["project"]["requires-python"]


def test_user_config_maps_to_the_documented_variables() -> None:
    used = {}
    for variable, value in ENV.items():
        match = re.fullmatch(r"\$\{user_config\.([a-z_]+)\}", value)
        assert match and match[1] in USER_CONFIG, (variable, value)
        assert variable in REGISTRY_VARIABLES, f"{variable} is not a documented setting (server.json)"
        used[match[1]] = variable
    assert used.keys() == USER_CONFIG.keys(), "every user_config entry reaches the server"
    assert set(used.values()) == {
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
        "TWILIO_MEMORY_STORE_ID",
        "TWILIO_MEMORY_REDACT",
        "TWILIO_MEMORY_TOOLSETS",
        "TWILIO_MEMORY_TOOLS",
    }
    for key, variable in used.items():
        option = USER_CONFIG[key]
        assert option["title"] and option["description"], key
        if REGISTRY_VARIABLES[variable]["isSecret"]:
            assert option.get("sensitive") is True, key
        # Optional entries carry a default, so the host never passes an unfilled placeholder.
        assert option.get("required") or "default" in option, key
    assert USER_CONFIG["api_key"]["sensitive"] is True  # the credential pair is kept together
    assert USER_CONFIG["redact"]["type"] == "boolean"


@pytest.mark.anyio
async def test_the_listed_tools_are_the_tools_the_server_lists() -> None:
    listed = [tool["name"] for tool in MANIFEST["tools"]]
    assert sorted(listed) == sorted(await listed_tool_names()), "manifest.json tools must match tools/list"
    assert all(tool.get("description") for tool in MANIFEST["tools"])
    # The prompt takes arguments the manifest cannot state as text: the server generates it.
    assert MANIFEST["prompts_generated"] is True
    assert "prompts" not in MANIFEST


def test_the_privacy_policy_is_twilios() -> None:
    assert MANIFEST["privacy_policies"] == ["https://www.twilio.com/en-us/legal/privacy"]
    assert MANIFEST["license"] == PYPROJECT["project"]["license"]


def mcpb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [npm_tool("bundle", "mcpb"), *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def test_the_official_cli_validates_the_manifest() -> None:
    done = mcpb("validate", str(ROOT / "manifest.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes!" in done.stdout


def test_the_packed_bundle_holds_the_project_and_nothing_stray(tmp_path: Path) -> None:
    bundle = tmp_path / f"twilio-memory-mcp-{__version__}.mcpb"
    done = mcpb("pack", str(ROOT), str(bundle))
    assert done.returncode == 0, done.stdout + done.stderr
    names = set(zipfile.ZipFile(bundle).namelist())
    # What a uv bundle must hold: the manifest, the project uv installs (pyproject.toml and the
    # README and LICENSE its metadata names) and the code, entry point included.
    assert names == {"manifest.json", "pyproject.toml", "README.md", "LICENSE"} | package_files()
    assert SERVER["entry_point"] in names
    assert "emulator/default_seed.json" in names  # --sandbox works from the bundle
    # ...and must not: bundled dependencies (server/lib, server/venv), caches, tests.
    assert not [
        name for name in names if name.startswith(("server/lib/", "server/venv/", "tests/", ".venv/"))
    ]
    assert not [name for name in names if "__pycache__" in name or "node_modules" in name]
