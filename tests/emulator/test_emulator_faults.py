"""Fault injection: 429 with Retry-After (next N, token bucket), forced 500/503 (next N,
fraction with a seeded generator), added latency; the Python API and the admin endpoint."""

from __future__ import annotations

import time

import anyio
import httpx2
import pytest

from emulator import EmulatorConfig, Faults, create_app
from emulator.faults import FaultInjector
from tests.support.emulator_api import identifier_url

pytestmark = pytest.mark.anyio

TOO_MANY = {
    "code": 20429,
    "message": "Too many requests. Please retry according to the Retry-After response header.",
    "more_info": "https://www.twilio.com/docs/api/errors/20429",
    "status": 429,
}


async def statuses(client: httpx2.AsyncClient, count: int) -> list[int]:
    return [(await client.get(identifier_url("email"))).status_code for _ in range(count)]


async def test_next_n_requests_are_rate_limited(make_client):
    app = create_app(EmulatorConfig(faults=Faults(rate_limit_next=2, retry_after=7)))
    client = await make_client(app=app)
    first = await client.get(identifier_url("email"))
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert first.json() == TOO_MANY
    assert await statuses(client, 2) == [429, 200]
    assert app.state.emulator.faults.rate_limit_next == 0


async def test_token_bucket_limits_requests_per_second(make_client):
    # One token, refilled every 1000 s: the second request is limited whatever the timing.
    faults = Faults(rate_limit_rps=0.001, rate_limit_burst=1)
    client = await make_client(app=create_app(EmulatorConfig(faults=faults)))
    assert (await client.get(identifier_url("email"))).status_code == 200
    limited = await client.get(identifier_url("email"))
    assert limited.status_code == 429
    assert limited.headers["Retry-After"].isdigit()
    assert 1 <= int(limited.headers["Retry-After"]) <= 1000


async def test_token_bucket_refills_with_time():
    now = [0.0]
    injector = FaultInjector(Faults(rate_limit_rps=2.0, rate_limit_burst=2), clock=lambda: now[0])
    assert [await injector.before_request() for _ in range(2)] == [None, None]
    limited = await injector.before_request()
    assert limited is not None and limited.status == 429
    assert limited.headers["Retry-After"] == "1"
    now[0] += 0.5  # one token back at 2 per second
    assert await injector.before_request() is None
    assert await injector.before_request() is not None


@pytest.mark.parametrize("status", [500, 503])
async def test_next_n_requests_fail(make_client, app, status):
    client = await make_client()
    app.state.emulator.faults.error_next = 2  # the Python API: mutate the live settings
    app.state.emulator.faults.error_status = status
    responses = [await client.get(identifier_url("email")) for _ in range(3)]
    assert [r.status_code for r in responses] == [status, status, 200]
    assert responses[0].json() == {
        "code": 20000 + status,
        "message": "Internal Server Error" if status == 500 else "Service Unavailable",
        "more_info": f"https://www.twilio.com/docs/api/errors/{20000 + status}",
        "status": status,
    }


async def test_error_fraction_is_deterministic_with_a_seed(make_client):
    runs = []
    for _ in range(2):
        faults = Faults(error_rate=0.5, seed=1234, error_status=500)
        client = await make_client(app=create_app(EmulatorConfig(faults=faults)))
        runs.append(await statuses(client, 40))
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


@pytest.mark.parametrize(("rate", "expected"), [(0.0, {200}), (1.0, {503})])
async def test_error_fraction_extremes(make_client, rate, expected):
    client = await make_client(app=create_app(EmulatorConfig(faults=Faults(error_rate=rate))))
    assert set(await statuses(client, 10)) == expected


async def test_latency_is_added_and_concurrent_requests_overlap(make_client):
    latency = 0.05
    app = create_app(EmulatorConfig(faults=Faults(latency=latency)))
    in_flight = peak = 0

    async def counting(scope, receive, send):  # counts requests inside the app at once
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await app(scope, receive, send)
        finally:
            in_flight -= 1

    client = await make_client(app=counting)
    results: list[int] = []

    async def one() -> None:
        results.append((await client.get(identifier_url("email"))).status_code)

    started = time.monotonic()
    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(one)
    # A lower bound on time only (an upper bound would be flaky); overlap is counted instead.
    assert time.monotonic() - started >= latency
    assert peak == 5  # all five were sleeping out the latency together
    assert results == [200] * 5


async def test_initial_faults_are_copied_not_shared():
    faults = Faults(error_next=1)
    app = create_app(EmulatorConfig(faults=faults))
    app.state.emulator.faults.error_next = 0
    assert faults.error_next == 1


# --- The admin endpoint --------------------------------------------------------------------


async def test_admin_get_and_put_replace_faults(make_client, app):
    client = await make_client()
    assert (await client.get("/_emulator/faults")).json() == Faults().to_json()
    put = await client.put("/_emulator/faults", json={"error_next": 1, "error_status": 500})
    assert put.status_code == 200
    assert put.json()["error_next"] == 1 and put.json()["latency"] == 0.0
    assert app.state.emulator.faults.error_next == 1
    assert await statuses(client, 2) == [500, 200]
    assert (await client.get("/_emulator/faults")).json()["error_next"] == 0


async def test_admin_patch_changes_only_given_fields(make_client):
    client = await make_client()
    await client.put("/_emulator/faults", json={"retry_after": 9, "rate_limit_next": 5})
    patched = await client.patch("/_emulator/faults", json={"rate_limit_next": 1})
    assert patched.json()["retry_after"] == 9 and patched.json()["rate_limit_next"] == 1
    cleared = await client.put("/_emulator/faults", json={})
    assert cleared.json() == Faults().to_json()


async def test_admin_endpoint_is_never_faulted(make_client):
    faults = Faults(error_rate=1.0, rate_limit_next=100)
    client = await make_client(app=create_app(EmulatorConfig(faults=faults)))
    assert (await client.get(identifier_url("email"))).status_code == 429
    assert (await client.get("/_emulator/faults")).status_code == 200
    assert (await client.put("/_emulator/faults", json={})).status_code == 200
    assert (await client.get(identifier_url("email"))).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"error_status": 502},
        {"error_rate": 1.5},
        {"latency": -1},
        {"rate_limit_next": "3"},
        {"surprise": True},
        {"rate_limit_rps": 0},
    ],
)
async def test_admin_rejects_invalid_faults(make_client, app, body):
    client = await make_client()
    response = await client.put("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert app.state.emulator.faults == Faults()


async def test_unauthenticated_requests_do_not_consume_faults(make_client, app):
    app.state.emulator.faults.rate_limit_next = 1
    anonymous = await make_client(auth=None)
    assert (await anonymous.get(identifier_url("email"))).status_code == 401
    client = await make_client()
    assert await statuses(client, 2) == [429, 200]
