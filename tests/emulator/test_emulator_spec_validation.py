"""The spec-validation hook itself: it must reject what the spec forbids, or it proves nothing."""

from __future__ import annotations

import httpx2
import pytest

from tests.support.emulator_api import identifier_url, observations_url, recall_url, settings_url

pytestmark = pytest.mark.anyio


def _response(
    status: int, body: object, path: str, method: str = "GET", headers: dict[str, str] | None = None
) -> httpx2.Response:
    request = httpx2.Request(method, f"http://emulator.test{path}")
    return httpx2.Response(status, json=body, headers=headers, request=request)


def test_a_conforming_response_passes(spec_validator):
    spec_validator.check(
        _response(200, {"idType": "email", "values": ["a@example.com"]}, identifier_url("email"))
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"idType": "email", "values": ["a@example.com"], "extra": 1}),  # additionalProperties
        (200, {"idType": "email"}),  # values required
        (404, {"code": 20404, "message": "x", "more_info": "y", "status": 404, "detail": "z"}),
        (409, {"code": 20409, "message": "Conflict", "status": 409}),  # 409 only on PATCH
        (301, {"message": "This resource has moved."}),  # uri required
    ],
)
def test_a_nonconforming_response_fails(spec_validator, status, body):
    with pytest.raises(Exception):  # noqa: B017 - openapi-core raises several error types
        spec_validator.check(_response(status, body, identifier_url("email")))


_OBSERVATION = {
    "id": "mem_observation_01jq8r00000000000000000001",
    "content": "c",
    "source": "crm",
    "occurredAt": "2025-01-01T00:00:00Z",
    "createdAt": "2025-01-01T00:00:00Z",
    "updatedAt": "2025-01-01T00:00:00Z",
}
_RECALL = {"observations": [_OBSERVATION], "summaries": [], "communications": [], "meta": {"queryTime": 1}}


def test_the_new_operations_are_checked_too(spec_validator):
    spec_validator.check(_response(200, _RECALL, recall_url(), "POST"))
    listed = {"observations": [_OBSERVATION], "meta": {"key": "observations", "pageSize": 50}}
    spec_validator.check(_response(200, listed, observations_url()))
    for status, body, path, method in [
        (200, _RECALL | {"observations": [_OBSERVATION | {"score": 1.5}]}, recall_url(), "POST"),
        (200, {k: v for k, v in _RECALL.items() if k != "meta"}, recall_url(), "POST"),
        (301, {"message": "m", "uri": "u"}, recall_url(), "POST"),  # POST redirects are 308
        (200, {"observations": [], "meta": {"pageSize": 51}}, observations_url(), "GET"),
        (200, {"observations": [], "meta": {"nextToken": ""}}, observations_url(), "GET"),
    ]:
        with pytest.raises(Exception):  # noqa: B017
            spec_validator.check(_response(status, body, path, method))


def test_control_plane_401_is_a_tolerated_gap_but_its_body_is_checked(spec_validator):
    good = {"code": 20003, "message": "m", "more_info": "u", "status": 401}
    spec_validator.check(_response(401, good, settings_url()))
    with pytest.raises(Exception):  # noqa: B017
        spec_validator.check(_response(401, {**good, "extra": True}, settings_url()))
    with pytest.raises(Exception):  # noqa: B017 - 409 is not a gap we tolerate
        spec_validator.check(_response(409, good, settings_url()))


async def test_the_client_fixture_validates_every_response(client, spec_validator):
    before = spec_validator.checked
    await client.get(identifier_url("email"))
    await client.get(identifier_url("phone"))
    assert spec_validator.checked == before + 2
