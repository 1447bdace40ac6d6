"""The listed schemas as JavaScript clients read them, and the MCP conformance suite.

- the TypeScript SDKs' tool-list parsers, their Ajv validators and Ajv in strict mode accept
  every tool's schemas; each outputSchema admits real answers and every error code's
  envelope, and still refuses a half answer (drivers/schemas.mjs);
- the MCP Inspector's schema portability lint (``--strict``) finds nothing;
- the conformance scenarios that apply to this server pass against the real console script.
"""

from __future__ import annotations

import json
import subprocess
import typing
from pathlib import Path
from typing import Any

import pytest

from memory.errors import ApiStatusError, ErrorCode
from tests.support.client_matrix import DRIVERS, HERE, Servers, node_environment, valid_arguments
from tests.support.raw_client import LATEST_HANDSHAKE, http_session
from tools.results import failure

pytestmark = pytest.mark.clients

CODES: tuple[ErrorCode, ...] = typing.get_args(ErrorCode)


def error_samples() -> list[dict[str, Any]]:
    samples = []
    for code in CODES:
        structured = failure(
            ApiStatusError(code, "it happened", http_status=503, retry_after_seconds=2)
        ).structured_content
        samples.append({"label": f"error {code}", "content": structured, "valid": True})
    return samples


def test_every_schema_is_read_alike_by_the_typescript_sdks_and_strict_ajv(
    servers: Servers, listed_tools: list[dict[str, Any]], node_bin: Path, tmp_path: Path
) -> None:
    samples: dict[str, list[dict[str, Any]]] = {}
    with http_session(servers.urls["emulator"], LATEST_HANDSHAKE) as session:
        for tool in listed_tools:
            answer = session.call_tool(tool["name"], valid_arguments(tool))["result"]
            assert answer.get("isError") is not True, answer
            success = answer["structuredContent"]
            half = {key: value for key, value in list(success.items())[1:]}
            samples[tool["name"]] = [
                {"label": "a real answer", "content": success, "valid": True},
                {"label": "a half answer", "content": half, "valid": False},
                {"label": "an empty object", "content": {}, "valid": False},
                {
                    "label": "an error without its hint",
                    "content": {"error": {"code": "not_found"}},
                    "valid": False,
                },
                *error_samples(),
            ]
    plan = tmp_path / "schemas.json"
    plan.write_text(json.dumps({"tools": listed_tools, "samples": samples}))
    done = subprocess.run(
        [str(node_bin / "node"), str(DRIVERS / "schemas.mjs"), str(plan)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["problems"] == []
    assert report["checked"] == 4 * len(listed_tools)


def test_the_inspector_portability_lint_finds_nothing(
    servers: Servers, node_bin: Path, tmp_path: Path
) -> None:
    url = servers.urls["emulator"]
    done = subprocess.run(
        [
            str(node_bin / "inspector"),
            "--cli",
            url,
            "--transport",
            "http",
            "--method",
            "tools/list",
            "--strict",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=HERE,
        env=node_env(node_bin, tmp_path),
    )
    assert done.returncode == 0, done.stderr  # 6 would mean an error-severity finding
    assert "Schema portability" not in done.stderr and "Warning:" not in done.stderr, done.stderr


# The scenarios that exercise this server; the rest of the suite calls tools, prompts and
# resources of the SDKs' reference test server (test_simple_text, ...), which this one has not.
SCENARIOS = (
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "dns-rebinding-protection",
    "server-sse-multiple-streams",
)


def test_the_conformance_scenarios_that_apply_pass(servers: Servers, node_bin: Path, tmp_path: Path) -> None:
    results = {}
    for scenario in SCENARIOS:
        output = str(tmp_path / scenario)
        done = subprocess.run(
            [
                str(node_bin / "conformance"),
                "server",
                "--url",
                servers.urls["emulator"],
                "--scenario",
                scenario,
                "-o",
                output,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=HERE,
            env=node_env(node_bin, tmp_path),
        )
        results[scenario] = (done.returncode, done.stdout[-600:])
    failed = {
        name: output for name, (code, output) in results.items() if code != 0 or " 0 failed" not in output
    }
    assert failed == {}


def node_env(node_bin: Path, home: Path) -> dict[str, str]:
    return node_environment(node_bin, home)
