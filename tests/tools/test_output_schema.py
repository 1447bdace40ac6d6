"""Every tool's outputSchema admits its error results as well as its answers (issue 8, item 1).

Iterates over every tool the server lists with all tools enabled, so a tool added through
ToolSpec is covered without a change here. The node side (tests/clients/) checks the same
schemas with Ajv in strict mode and with the TypeScript SDKs' tool-list parsers.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator  # type: ignore[import-untyped]
from mcp import Client

from memory.errors import ApiStatusError, ErrorCode
from server.mcp_server import build_server
from tests.support.doubles import Upstream, make_settings
from tools.results import admitting_errors, failure

pytestmark = pytest.mark.anyio

CODES: tuple[ErrorCode, ...] = typing.get_args(ErrorCode)
VALIDATORS = (Draft202012Validator, Draft7Validator)  # 2020-12 is MCP's default dialect


def error_contents() -> list[dict[str, Any]]:
    """Every code's structured content, bare and with every optional field set."""
    contents = []
    for code in CODES:
        extras: list[dict[str, Any]] = [
            {},
            {"twilio_code": 20404, "twilio_message": "x", "retry_after_seconds": 1.5},
        ]
        for extra in extras:
            error = ApiStatusError(code, f"{code} happened", http_status=418, **extra)
            structured = failure(error).structured_content
            assert structured is not None
            contents.append(structured)
    return contents


@pytest.fixture
async def listed_tools() -> AsyncIterator[list[dict[str, Any]]]:
    async with Client(build_server(make_settings())) as client:
        tools = (await client.list_tools()).tools
        yield [tool.model_dump(by_alias=True, exclude_none=True, mode="json") for tool in tools]


async def test_every_tool_is_listed_with_an_output_schema(listed_tools: list[dict[str, Any]]) -> None:
    assert len(listed_tools) >= 3
    assert all("outputSchema" in tool for tool in listed_tools)


async def test_every_output_schema_is_an_object_union_of_answer_and_error(
    listed_tools: list[dict[str, Any]],
) -> None:
    for tool in listed_tools:
        schema = tool["outputSchema"]
        assert schema["type"] == "object", tool["name"]  # the TS SDK 1.x tool-list parser needs it
        assert "required" not in schema, tool["name"]
        assert schema["properties"]["error"] == {"$ref": "#/$defs/ErrorDetail"}
        answer, error = schema["anyOf"]
        assert error == {
            "type": "object",
            "properties": {"error": {"$ref": "#/$defs/ErrorDetail"}},
            "required": ["error"],
        }
        assert answer["type"] == "object"
        assert answer["required"], tool["name"]
        # The root declares every property (readers of .properties see all); the branch names
        # what it requires without spelling each schema twice (issue 17).
        assert answer["properties"].keys() == set(answer["required"])
        assert set(answer["required"]) < schema["properties"].keys()
        for name, outline in answer["properties"].items():
            assert outline.items() <= schema["properties"][name].items(), (tool["name"], name)
        assert "$schema" not in schema and "oneOf" not in schema


@pytest.mark.parametrize("validator", VALIDATORS, ids=lambda v: v.__name__)
async def test_every_error_code_validates_against_every_tool(
    listed_tools: list[dict[str, Any]], validator: Any
) -> None:
    for tool in listed_tools:
        schema = tool["outputSchema"]
        validator.check_schema(schema)
        check = validator(schema)
        for content in error_contents():
            assert not list(check.iter_errors(content)), (tool["name"], content)
        # ... and the answer's shape is still enforced: an empty or half answer fails.
        assert list(check.iter_errors({}))
        assert list(check.iter_errors({"error": {"code": "not_found"}}))
        assert list(check.iter_errors({"error": {**content["error"], "code": "no_such_code"}}))


async def test_real_error_results_validate_against_the_listed_schema(upstream: Upstream) -> None:
    """Each tool, called for real, sends error results that validate against the schema it
    lists, as the TS SDK 1.x client checks them: with arguments the tool refuses
    (invalid_argument), and without credentials (not_configured) where the arguments are
    ones this test knows how to fill."""
    settings = make_settings(credentials=None)
    async with Client(build_server(settings, transport=upstream.transport())) as client:
        for tool in (await client.list_tools()).tools:
            assert tool.output_schema is not None
            check = Draft202012Validator(tool.output_schema)
            calls = {"invalid_argument": {name: 5 for name in tool.input_schema["properties"]}}
            known = sample_arguments(tool.input_schema)
            if set(tool.input_schema.get("required", [])) <= known.keys():
                calls["not_configured"] = known
            for code, arguments in calls.items():
                result = await client.call_tool(tool.name, arguments)
                assert result.is_error is True, tool.name
                assert result.structured_content is not None
                assert result.structured_content["error"]["code"] == code, tool.name
                check.validate(result.structured_content)
    assert upstream.requests == []


def sample_arguments(input_schema: dict[str, Any]) -> dict[str, Any]:
    """Valid arguments for the properties this test knows (the ids' published patterns)."""
    samples = {
        "store_id": "mem_store_01kpttrksqe08rhv122gzq52ax",
        "profile_id": "mem_profile_01kpttrksqe08rhv122gzq52ax",
        "id_type": "email",
        "value": "jane@example.com",
    }
    return {name: samples[name] for name in input_schema["properties"] if name in samples}


def test_an_answer_with_an_error_property_is_refused() -> None:
    with pytest.raises(ValueError, match="error"):
        admitting_errors({"type": "object", "properties": {"error": {"type": "string"}}})
    with pytest.raises(ValueError, match="object"):
        admitting_errors({"type": "array", "items": {"type": "string"}})
