"""HTTP Basic authentication: 401 without valid credentials, 403 on another account's store."""

from __future__ import annotations

import base64

import pytest

from tests.support.emulator_api import EX, OTHER_KEY, OTHER_PROFILE, identifier_url, settings_url

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    "auth",
    [(EX.api_key, EX.api_secret), (EX.account_sid, EX.auth_token)],
    ids=["api-key", "account-sid"],
)
async def test_both_credential_pairs_authenticate(make_client, auth):
    client = await make_client(auth=auth)
    response = await client.get(identifier_url("email"))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "auth",
    [None, (EX.api_key, "wrong-secret"), ("SKunknown", EX.api_secret), (EX.api_key, "")],
    ids=["missing", "wrong-secret", "unknown-user", "empty-secret"],
)
async def test_bad_or_missing_credentials_answer_401(make_client, auth):
    client = await make_client(auth=auth)
    response = await client.get(identifier_url("email"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="Twilio API"'
    assert response.json() == {
        "code": 20003,
        "message": "Failed to complete request due to lack of authentication credentials",
        "more_info": "https://www.twilio.com/docs/api/errors/20003",
        "status": 401,
    }


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode()],
)
async def test_malformed_authorization_answers_401(make_client, header):
    client = await make_client(auth=None)
    response = await client.get(identifier_url("email"), headers={"Authorization": header})
    assert response.status_code == 401


async def test_another_accounts_store_answers_403(client):
    response = await client.get(identifier_url("email", store_id=EX.other_account_store_id))
    assert response.status_code == 403
    assert response.json()["code"] == 403


async def test_other_account_is_forbidden_on_the_main_store(make_client):
    client = await make_client(auth=OTHER_KEY)
    assert (await client.get(identifier_url("email"))).status_code == 403
    own = await client.get(identifier_url("email", OTHER_PROFILE, EX.other_account_store_id))
    assert own.status_code == 200
    assert own.json() == {"idType": "email", "values": ["marta.silva@example.net"]}


async def test_control_plane_requires_authentication_too(make_client):
    # The spec declares no 401/403 on control-plane operations (a gap); Twilio answers them.
    anonymous = await make_client(auth=None)
    assert (await anonymous.get(settings_url())).status_code == 401
    other = await make_client(auth=OTHER_KEY)
    assert (await other.get(settings_url())).status_code == 403


async def test_admin_endpoint_requires_authentication(make_client):
    anonymous = await make_client(auth=None)
    assert (await anonymous.get("/_emulator/faults")).status_code == 401
    other = await make_client(auth=OTHER_KEY)
    assert (await other.get("/_emulator/faults")).status_code == 200
