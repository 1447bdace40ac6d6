"""The server's patterns, limits and status handling, checked against Twilio's own spec."""

from __future__ import annotations

import re
from typing import Any

import pytest

from memory.errors import error_for_status
from memory.ids import ID_TYPE_PATTERN, PROFILE_ID_PATTERN, STORE_ID_PATTERN
from memory.models import IdentifierSet, LookupResult
from memory.retries import RETRY_STATUSES
from tests.support.spec import load_spec

FETCH = "/v1/Stores/{storeId}/Profiles/{profileId}/Identifiers/{idType}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def test_id_patterns_are_the_specs(spec: dict[str, Any]) -> None:
    parameters = spec["components"]["parameters"]
    assert parameters["StoreId"]["schema"]["pattern"] == STORE_ID_PATTERN
    assert parameters["ProfileId"]["schema"]["pattern"] == PROFILE_ID_PATTERN
    id_type = parameters["IdentifierType"]["schema"]
    assert (id_type["minLength"], id_type["maxLength"]) == (2, 30)
    # Our pattern adds the documented charset to exactly the spec's length bounds.
    assert re.search(r"\{2,30\}\$$", ID_TYPE_PATTERN)


def test_identifier_set_bounds_are_the_specs(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["IdentifierSet"]
    ours = IdentifierSet.model_json_schema(by_alias=True)
    assert set(schema["required"]) == {"idType", "values"} == set(ours["required"])
    assert ours["properties"]["values"]["maxItems"] == schema["properties"]["values"]["maxItems"] == 100
    assert (
        ours["properties"]["values"]["items"]["maxLength"]
        == schema["properties"]["values"]["items"]["maxLength"]
        == 255
    )
    assert ours["properties"]["idType"]["minLength"] == schema["properties"]["idType"]["minLength"]
    assert ours["properties"]["idType"]["maxLength"] == schema["properties"]["idType"]["maxLength"]


def test_lookup_result_is_the_specs(spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/v1/Stores/{storeId}/Profiles/Lookup"]["post"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    properties = schema["properties"]
    ours = LookupResult.model_json_schema(by_alias=True)["properties"]
    assert set(ours) == set(properties) == {"normalizedValue", "profiles"}
    profile_item = properties["profiles"]["items"]
    if "$ref" in profile_item:
        profile_item = spec["components"]["schemas"][profile_item["$ref"].rsplit("/", 1)[1]]
    assert profile_item["pattern"] == PROFILE_ID_PATTERN
    assert properties["profiles"]["maxItems"] == ours["profiles"]["maxItems"]


def test_every_documented_status_of_the_fetch_is_handled(spec: dict[str, Any]) -> None:
    statuses = {int(code) for code in spec["paths"][FETCH]["get"]["responses"]}
    assert statuses == {200, 301, 400, 401, 403, 404, 429, 500, 503}
    expected = {
        400: "invalid_argument",
        401: "unauthenticated",
        403: "permission_denied",
        404: "not_found",
        429: "rate_limited",
        500: "upstream_unavailable",
        503: "upstream_unavailable",
    }
    for status in statuses - {200, 301}:
        assert error_for_status(status).code == expected[status]
    assert {429, 500, 503} <= RETRY_STATUSES
    assert not {400, 401, 403, 404} & RETRY_STATUSES


def test_retry_after_is_digit_seconds(spec: dict[str, Any]) -> None:
    headers = spec["components"]["responses"]["TooManyRequests"]["headers"]
    retry_after = headers["Retry-After"]
    schema = (
        retry_after.get("schema")
        or spec["components"]["headers"][retry_after["$ref"].rsplit("/", 1)[1]]["schema"]
    )
    assert schema["pattern"] == "^[0-9]+$"


def test_merged_profiles_answer_gets_with_301_and_the_canonical_header(spec: dict[str, Any]) -> None:
    moved = spec["paths"][FETCH]["get"]["responses"]["301"]
    if "$ref" in moved:
        moved = spec["components"]["responses"][moved["$ref"].rsplit("/", 1)[1]]
    assert {"Canonical-Profile-Id", "Location"} <= set(moved["headers"])
    canonical = spec["components"]["headers"]["Canonical-Profile-Id"]["schema"]
    assert canonical["pattern"] == PROFILE_ID_PATTERN
