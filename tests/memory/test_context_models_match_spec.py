"""The context models (FetchProfile, Recall, the memory lists) against Twilio's own spec.

Every property the spec draws must be read, and every bound the spec sets (lengths, patterns,
item counts, ranges, required fields) must be ours too: walked schema by schema, recursively.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from memory import models
from memory.ids import CONVERSATION_ID_PATTERN, SOURCE_PATTERN, TRAIT_GROUP_PATTERN
from tests.support.spec import load_spec

BOUNDS = ("maxLength", "minLength", "pattern", "maxItems", "minItems", "minimum", "maximum", "maxProperties")
VACUOUS = {"minLength": 0, "minItems": 0}  # bounds that bound nothing, the same as absent
PROFILE = "/v1/Stores/{storeId}/Profiles/{profileId}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def resolve(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        *_, section, name = schema["$ref"].split("/")
        schema = root["components"][section][name] | {k: v for k, v in schema.items() if k != "$ref"}
    return schema


def ours_resolved(defs: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]] | {k: v for k, v in schema.items() if k != "$ref"}
    branches = [branch for branch in schema.get("anyOf", []) if branch.get("type") != "null"]
    if len(branches) == 1:  # Optional[X]: the X
        schema = ours_resolved(defs, branches[0]) | {k: v for k, v in schema.items() if k != "anyOf"}
    return schema


def compare(
    root: dict[str, Any], spec_schema: dict[str, Any], defs: dict[str, Any], ours: dict[str, Any], at: str
) -> list[str]:
    theirs = resolve(root, spec_schema)
    mine = ours_resolved(defs, ours)
    problems = [
        f"{at}: {bound} is {mine.get(bound)!r}, the spec says {theirs[bound]!r}"
        for bound in BOUNDS
        if bound in theirs and mine.get(bound, VACUOUS.get(bound)) != theirs[bound]
    ]
    if "required" in theirs and set(mine.get("required", [])) != set(theirs["required"]):
        problems.append(
            f"{at}: required {sorted(mine.get('required', []))}, spec {sorted(theirs['required'])}"
        )
    for name, child in theirs.get("properties", {}).items():
        if name not in mine.get("properties", {}):
            problems.append(f"{at}.{name}: not read")
            continue
        problems += compare(root, child, defs, mine["properties"][name], f"{at}.{name}")
    if isinstance(theirs.get("items"), dict):
        problems += compare(root, theirs["items"], defs, mine.get("items", {}), f"{at}[]")
    if isinstance(theirs.get("additionalProperties"), dict) and "type" in theirs["additionalProperties"]:
        problems += compare(root, theirs["additionalProperties"], defs, values_schema(mine), f"{at}{{}}")
    return problems


def values_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """What a map's values are held to: pydantic writes a map whose keys have a pattern (the
    trait groups' names) as ``patternProperties`` with that one pattern."""
    patterns = list(schema.get("patternProperties", {}).values())
    found: dict[str, Any] = schema.get("additionalProperties") or (patterns[0] if len(patterns) == 1 else {})
    return found


def check(
    spec: dict[str, Any], spec_schema: dict[str, Any], model: type[BaseModel], mode: str = "validation"
) -> None:
    ours = model.model_json_schema(by_alias=True, mode=mode)  # type: ignore[arg-type]
    assert compare(spec, spec_schema, ours.get("$defs", {}), ours, model.__name__) == []


def component(spec: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["components"]["schemas"][name]
    return schema


def ok_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["paths"][path][method]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    return schema


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("Profile", models.Profile),
        ("ObservationInfo", models.Observation),
        ("RecallObservationInfo", models.RecallObservation),
        ("SummaryInfo", models.Summary),
        ("RecallSummaryInfo", models.RecallSummary),
        ("Communication", models.Communication),
        ("ObservationsMeta", models.ListMeta),
        ("MemoryRetrievalResponse", models.RecallResult),
    ],
)
def test_answers_are_read_as_the_spec_draws_them(
    spec: dict[str, Any], name: str, model: type[BaseModel]
) -> None:
    check(spec, component(spec, name), model)


def test_the_recall_request_is_the_specs(spec: dict[str, Any]) -> None:
    check(spec, component(spec, "MemoryRetrievalRequest"), models.RecallRequest, mode="serialization")


@pytest.mark.parametrize(
    ("tail", "model"),
    [("/Observations", models.ObservationPage), ("/ConversationSummaries", models.SummaryPage)],
)
def test_list_pages_are_the_specs(spec: dict[str, Any], tail: str, model: type[BaseModel]) -> None:
    check(spec, ok_schema(spec, PROFILE + tail, "get"), model)


def test_trait_groups_are_bounded_as_the_spec_bounds_them(spec: dict[str, Any]) -> None:
    theirs = component(spec, "TraitGroups")
    ours = models.Profile.model_json_schema(by_alias=True)["properties"]["traits"]
    assert ours["maxProperties"] == theirs["maxProperties"] == 50
    assert values_schema(ours)["maxProperties"] == theirs["additionalProperties"]["maxProperties"] == 99


def test_trait_group_and_trait_names_are_bounded_as_the_spec_bounds_them(spec: dict[str, Any]) -> None:
    # Issue 16 item 3: a group's name is a TraitGroupCore.displayName; a trait's name is bounded
    # at 64 (FullTrait) or 128 (MappingTraitItem) characters, and we hold the larger.
    display_name = component(spec, "TraitGroupCore")["properties"]["displayName"]
    trait_name = component(spec, "MappingTraitItem")["properties"]["traitName"]
    ours = models.Profile.model_json_schema(by_alias=True)["properties"]["traits"]
    assert ours["propertyNames"] == {
        "minLength": display_name["minLength"],
        "maxLength": display_name["maxLength"],
    }
    assert list(ours["patternProperties"]) == [display_name["pattern"]] == [TRAIT_GROUP_PATTERN]
    assert values_schema(ours)["propertyNames"] == {"minLength": 1, "maxLength": trait_name["maxLength"]}


def test_patterns_are_the_specs(spec: dict[str, Any]) -> None:
    parameters = spec["components"]["parameters"]
    assert component(spec, "ConversationID")["pattern"] == CONVERSATION_ID_PATTERN
    assert parameters["SourceParam"]["schema"]["pattern"] == SOURCE_PATTERN
    assert component(spec, "TraitGroupCore")["properties"]["displayName"]["pattern"] == TRAIT_GROUP_PATTERN


@pytest.mark.parametrize(
    ("path", "method", "merge"),
    [
        (PROFILE, "get", 301),
        (PROFILE + "/Recall", "post", 308),
        (PROFILE + "/Observations", "get", 301),
        (PROFILE + "/ConversationSummaries", "get", 301),
    ],
)
def test_each_operation_answers_a_merge_with_the_status_we_follow(
    spec: dict[str, Any], path: str, method: str, merge: int
) -> None:
    from memory.merges import MERGE_STATUS

    responses = spec["paths"][path][method]["responses"]
    statuses = {int(code) for code in responses}
    assert statuses == {200, merge, 400, 401, 403, 404, 429, 500, 503}
    assert MERGE_STATUS[method.upper()] == merge
    assert "Canonical-Profile-Id" in responses["200"]["headers"]  # a 200 may name the canonical id
