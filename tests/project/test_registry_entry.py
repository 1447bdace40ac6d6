"""server.json, the MCP registry entry (issue 11), against the rules of its schema.

The schema (https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json, from
modelcontextprotocol/registry, docs/reference/server-json) is not copied here and no test fetches
it: SCHEMA below restates the constraints that apply to this file, and the registry's own
publishing rules (official-registry-requirements.md) are checked beside it.
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs; mcp brings it
import pytest

from server import __version__
from tests.support.console import ROOT
from tests.support.published import PYPROJECT, README, load_json, settings_table_variables

SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

_INPUT = {  # the schema's Input and KeyValueInput definitions, as an environment variable uses them
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "description": {"type": "string", "minLength": 1},
        "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"},
        "format": {"enum": ["string", "number", "boolean", "filepath"]},
        "default": {"type": "string"},
        "placeholder": {"type": "string"},
        "choices": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {  # ServerDetail, Package, Repository and StdioTransport
    "type": "object",
    "required": ["name", "description", "version"],
    "properties": {
        "$schema": {"const": SCHEMA_URL},
        "name": {
            "type": "string",
            "pattern": "^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$",
            "minLength": 3,
            "maxLength": 200,
        },
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        # "Version ranges are rejected": an exact version, semantic as the schema advises.
        "version": {"type": "string", "maxLength": 255, "pattern": r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"},
        "websiteUrl": {"type": "string", "pattern": "^https://"},
        "repository": {
            "type": "object",
            "required": ["url", "source"],
            "properties": {"url": {"type": "string", "pattern": "^https://"}, "source": {"type": "string"}},
        },
        "packages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["registryType", "identifier", "transport"],
                "properties": {
                    "registryType": {"type": "string"},
                    "registryBaseUrl": {"type": "string"},
                    "identifier": {"type": "string"},
                    "version": {
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 255,
                        "not": {"const": "latest"},
                    },
                    "runtimeHint": {"type": "string"},
                    "transport": {
                        "type": "object",
                        "required": ["type"],
                        "properties": {"type": {"const": "stdio"}},
                        "additionalProperties": False,
                    },
                    "environmentVariables": {"type": "array", "items": _INPUT},
                },
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,  # stricter than the schema: a misspelt field fails here
}

SERVER = load_json("server.json")
[PACKAGE] = SERVER["packages"]
VARIABLES = {variable["name"]: variable for variable in PACKAGE["environmentVariables"]}
# Values that grant access on their own, or are the secret half of a pair; SIDs are identifiers.
SECRET_SUFFIXES = ("_SECRET", "_TOKEN")


def test_server_json_follows_the_schema() -> None:
    jsonschema.validate(SERVER, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):  # the restated rules do bite
        jsonschema.validate({**SERVER, "description": "x" * 101}, SCHEMA)


def test_the_name_is_reverse_dns_and_the_readme_proves_it() -> None:
    owner = re.fullmatch(r"io\.github\.([A-Za-z0-9-]+)/twilio-memory-mcp", SERVER["name"])
    assert owner, SERVER["name"]
    repository = f"https://github.com/{owner[1]}/twilio-memory-mcp"
    assert SERVER["repository"] == {"url": repository, "source": "github"}
    assert PYPROJECT["project"]["urls"]["Repository"] == repository
    # PyPI ownership: the README published as the long description carries the marker.
    assert f"<!-- mcp-name: {SERVER['name']} -->" in README


def test_every_version_is_the_same() -> None:
    bundle = load_json("manifest.json")
    versions = {
        "server.json": SERVER["version"],
        "server.json package": PACKAGE["version"],
        "pyproject.toml": PYPROJECT["project"]["version"],
        "manifest.json": bundle["version"],
    }
    assert versions == dict.fromkeys(versions, __version__)


def test_the_package_is_the_pypi_release_run_with_uvx_over_stdio() -> None:
    assert PACKAGE["registryType"] == "pypi"
    assert PACKAGE["registryBaseUrl"] == "https://pypi.org"  # the only PyPI the registry accepts
    assert PACKAGE["identifier"] == PYPROJECT["project"]["name"]
    assert PACKAGE["runtimeHint"] == "uvx"
    assert PACKAGE["transport"] == {"type": "stdio"}
    # uvx runs the console script named like the package.
    assert PYPROJECT["project"]["scripts"][PACKAGE["identifier"]] == "server.cli:main"


def test_every_documented_setting_is_offered_once() -> None:
    names = [variable["name"] for variable in PACKAGE["environmentVariables"]]
    assert len(names) == len(set(names)), "a variable is listed twice"
    documented = settings_table_variables()
    missing, unknown = documented - set(names), set(names) - documented
    assert not missing, (
        f"add these settings (docs/settings.md) to server.json (packages[0].environmentVariables): {missing}"
    )
    assert not unknown, f"server.json offers variables docs/settings.md does not document: {unknown}"
    settings_source = (ROOT / "server" / "settings.py").read_text()
    assert set(re.findall(r'"(TWILIO_[A-Z0-9_]+)"', settings_source)) <= set(names)


def test_secrets_and_required_variables_are_marked() -> None:
    for name, variable in VARIABLES.items():
        assert variable["isSecret"] is name.endswith(SECRET_SUFFIXES), name
        assert variable["description"].strip(), name
    assert {"TWILIO_API_SECRET", "TWILIO_AUTH_TOKEN", "TWILIO_MEMORY_MCP_TOKEN"} <= {
        name for name, variable in VARIABLES.items() if variable["isSecret"]
    }
    # Either credential pair will do (the server starts without one, and each call then says
    # which variables to set): the schema has no way to say "one of two pairs", so neither is
    # required and each credential's description names its partner and the other pair.
    assert not [name for name, variable in VARIABLES.items() if variable["isRequired"]]
    pairs = {"TWILIO_API_KEY": "TWILIO_API_SECRET", "TWILIO_ACCOUNT_SID": "TWILIO_AUTH_TOKEN"}
    for first, second in pairs.items():
        other = [name for pair in pairs.items() if pair != (first, second) for name in pair]
        for name in (first, second):
            description = VARIABLES[name]["description"]
            assert (first if name == second else second) in description, name
            assert all(alternative in description for alternative in other), name


def test_the_wheel_summary_describes_identity_and_context() -> None:
    summary = PYPROJECT["project"]["description"]
    assert "identity" in summary and "context" in summary, summary
    assert "identity" in SERVER["description"] and "context" in SERVER["description"]
