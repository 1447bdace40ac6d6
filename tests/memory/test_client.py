"""The Memory API client against a MockTransport: statuses, retries, deadline, merges, bodies."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, quote_plus

import anyio
import httpx2
import pytest
from pydantic import BaseModel, SecretStr

from memory.client import CallTrace, Located, MemoryApiClient
from memory.errors import InvalidResponse, MemoryApiError
from memory.http import _PARSE_KEPT, Route, Target, api_url, request_headers
from memory.models import IdentifierSet
from memory.responses import MAX_RESPONSE_BYTES, parse
from memory.retries import parse_retry_after
from tests.support.doubles import (
    API_KEY,
    API_SECRET,
    BASE,
    CANONICAL,
    FETCH_PATH,
    PROFILE,
    STORE,
    FakeTime,
    Upstream,
    identifier_set,
    make_settings,
    twilio_error,
)

pytestmark = pytest.mark.anyio

BASIC = "Basic " + base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()


async def fetch(
    upstream: Upstream,
    fake_time: FakeTime | None = None,
    *,
    trace: CallTrace | None = None,
    **settings: object,
) -> Located[IdentifierSet]:
    async with httpx2.AsyncClient(transport=upstream.transport()) as http:
        kwargs = {"sleep": fake_time.sleep, "clock": fake_time.clock} if fake_time else {}
        client = MemoryApiClient(http, make_settings(**settings).memory, **kwargs)  # type: ignore[arg-type]
        return await client.fetch_profile_identifier(STORE, PROFILE, "email", trace=trace)


async def fetch_error(
    upstream: Upstream, fake_time: FakeTime | None = None, **settings: Any
) -> MemoryApiError:
    with pytest.raises(MemoryApiError) as caught:
        await fetch(upstream, fake_time, **settings)
    assert_no_secret(caught.value)
    return caught.value


def assert_no_secret(error: MemoryApiError) -> None:
    text = " ".join([str(error), repr(error), json.dumps(vars(error), default=str)])
    assert API_SECRET not in text
    assert BASIC.split()[1] not in text
    assert "Authorization" not in text


async def test_fetch_returns_values_in_api_order_with_basic_auth(upstream: Upstream) -> None:
    upstream.handler = lambda request: identifier_set("email", ["z@example.com", "a@example.com"])
    found = await fetch(upstream)
    assert found.body.values == ("z@example.com", "a@example.com")
    assert (found.store_id, found.profile_id, found.requested_profile_id) == (STORE, PROFILE, PROFILE)
    [request] = upstream.requests
    assert request.method == "GET"
    assert str(request.url) == BASE + FETCH_PATH
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("status", "twilio_code", "message", "code"),
    [
        (400, 400, "Failed to complete request due to a bad request", "invalid_argument"),
        (
            401,
            20003,
            "Failed to complete request due to lack of authentication credentials",
            "unauthenticated",
        ),
        (403, 403, "Permission to access resource denied", "permission_denied"),
        (404, 20404, "Not Found", "not_found"),
        (409, 20409, "Conflict", "invalid_argument"),
    ],
)
async def test_client_errors_are_mapped_and_never_retried(
    upstream: Upstream, fake_time: FakeTime, status: int, twilio_code: int, message: str, code: str
) -> None:
    upstream.handler = lambda request: twilio_error(status, twilio_code, message)
    error = await fetch_error(upstream, fake_time)
    assert (error.code, error.http_status, error.twilio_code) == (code, status, twilio_code)
    assert error.twilio_message == message
    assert error.retryable is False
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


@pytest.mark.parametrize(("status", "twilio_code"), [(500, 20500), (502, 20502), (503, 20503), (504, 20504)])
async def test_server_errors_are_retried_with_backoff_then_succeed(
    upstream: Upstream, fake_time: FakeTime, status: int, twilio_code: int
) -> None:
    answers = iter([twilio_error(status, twilio_code, "boom"), twilio_error(status, twilio_code, "boom")])
    upstream.handler = lambda request: next(answers, identifier_set())
    trace = CallTrace()
    found = await fetch(upstream, fake_time, trace=trace)
    assert found.body.values == ("a@example.com",)
    assert (trace.attempts, trace.http_status) == (3, 200)
    first, second = fake_time.sleeps
    assert 0.25 <= first <= 0.5  # equal jitter around 0.5 s, then 1 s
    assert 0.5 <= second <= 1.0


async def test_server_errors_give_up_after_max_retries(upstream: Upstream, fake_time: FakeTime) -> None:
    upstream.handler = lambda request: twilio_error(503, 20503, "Service Unavailable")
    error = await fetch_error(upstream, fake_time, max_retries=2)
    assert (error.code, error.http_status, error.twilio_code) == ("upstream_unavailable", 503, 20503)
    assert error.retryable is True
    assert len(upstream.requests) == 3
    assert len(fake_time.sleeps) == 2


async def test_max_retries_zero_means_one_attempt(upstream: Upstream, fake_time: FakeTime) -> None:
    upstream.handler = lambda request: httpx2.Response(500)
    error = await fetch_error(upstream, fake_time, max_retries=0)
    assert error.code == "upstream_unavailable"
    assert error.twilio_code is None
    assert len(upstream.requests) == 1


async def test_429_waits_out_retry_after_then_succeeds(upstream: Upstream, fake_time: FakeTime) -> None:
    answers = iter([twilio_error(429, 20429, "Too many requests", **{"Retry-After": "2"})])
    upstream.handler = lambda request: next(answers, identifier_set())
    found = await fetch(upstream, fake_time)
    assert found.body.values == ("a@example.com",)
    assert fake_time.sleeps == [2.0]


async def test_429_retry_after_beyond_deadline_fails_at_once(upstream: Upstream, fake_time: FakeTime) -> None:
    upstream.handler = lambda request: twilio_error(429, 20429, "Too many requests", **{"Retry-After": "60"})
    error = await fetch_error(upstream, fake_time, deadline=30.0)
    assert error.code == "rate_limited"
    assert error.retry_after_seconds == 60.0
    assert error.retryable is True
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_429_exhausting_retries_reports_retry_after(upstream: Upstream, fake_time: FakeTime) -> None:
    upstream.handler = lambda request: twilio_error(429, 20429, "Too many requests", **{"Retry-After": "1"})
    error = await fetch_error(upstream, fake_time, max_retries=3)
    assert (error.code, error.retry_after_seconds, error.twilio_code) == ("rate_limited", 1.0, 20429)
    # Retry-After, or the backoff a 5xx would get (0.25-0.5, 0.5-1, 1-2 s) if that is longer.
    first, second, third = fake_time.sleeps
    assert (first, second) == (1.0, 1.0) and 1.0 <= third <= 2.0
    assert len(upstream.requests) == 4


@pytest.mark.parametrize("header", ["0", "00"])
async def test_a_zero_retry_after_still_backs_off(
    upstream: Upstream, fake_time: FakeTime, header: str
) -> None:
    # Issue 9 item 10: "Retry-After: 0" once meant four attempts within 0.3 s.
    upstream.handler = lambda request: twilio_error(
        429, 20429, "Too many requests", **{"Retry-After": header}
    )
    error = await fetch_error(upstream, fake_time, max_retries=3)
    assert (error.code, error.retry_after_seconds) == ("rate_limited", 0.0)
    first, second, third = fake_time.sleeps
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0 and 1.0 <= third <= 2.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("120", 120.0),
        ("1.5", None),  # the spec's pattern is ^[0-9]+$
        ("-1", None),
        ("abc", None),
        ("", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),  # HTTP-date: not sent by this API
        ("9999999999", None),  # absurd
        ("٣", None),  # a non-ASCII digit
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


@pytest.mark.parametrize("header", ["abc", "1.5", "Wed, 21 Oct 2015 07:28:00 GMT", None])
async def test_429_with_unusable_retry_after_waits_one_second(
    upstream: Upstream, fake_time: FakeTime, header: str | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    answers = iter([twilio_error(429, 20429, "Too many requests", **headers)])
    upstream.handler = lambda request: next(answers, identifier_set())
    await fetch(upstream, fake_time)
    assert fake_time.sleeps == [1.0]


async def test_backoff_longer_than_the_deadline_is_not_waited(
    upstream: Upstream, fake_time: FakeTime
) -> None:
    upstream.handler = lambda request: httpx2.Response(503)
    error = await fetch_error(upstream, fake_time, deadline=0.2)
    assert error.code == "upstream_unavailable"
    assert len(upstream.requests) == 1
    assert fake_time.sleeps == []


async def test_deadline_bounds_a_hanging_upstream(upstream: Upstream) -> None:
    async def hang(request: httpx2.Request) -> httpx2.Response:
        await anyio.sleep(30)
        return identifier_set()

    upstream.handler = hang  # type: ignore[assignment]
    error = await fetch_error(upstream, deadline=0.3, attempt_timeout=0.1, max_retries=5)
    assert error.code == "timeout"
    assert error.retryable is True


async def test_an_attempt_that_times_out_is_retried(upstream: Upstream) -> None:
    calls = 0

    async def slow_then_fast(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await anyio.sleep(30)
        return identifier_set()

    upstream.handler = slow_then_fast  # type: ignore[assignment]
    sleeps: list[float] = []

    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    async with httpx2.AsyncClient(transport=upstream.transport()) as http:
        client = MemoryApiClient(http, make_settings(attempt_timeout=0.1).memory, sleep=no_wait)
        trace = CallTrace()
        found = await client.fetch_profile_identifier(STORE, PROFILE, "email", trace=trace)
    assert found.body.values == ("a@example.com",)
    assert trace.attempts == 2
    assert len(sleeps) == 1


async def test_connection_errors_are_retried_and_reported_without_the_url(
    upstream: Upstream, fake_time: FakeTime
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError(f"connection refused to {request.url}", request=request)

    upstream.handler = refuse
    error = await fetch_error(upstream, fake_time)
    assert error.code == "connection_failed"
    assert error.retryable is True
    assert len(upstream.requests) == 4
    assert "memory.twilio.com" not in str(error)


def moved(to: str, location: str | None = None) -> httpx2.Response:
    headers = {"Canonical-Profile-Id": to}
    headers["Location"] = (
        location if location is not None else f"{BASE}/v1/Stores/{STORE}/Profiles/{to}/Identifiers/email"
    )
    return httpx2.Response(
        301, headers=headers, json={"message": "This resource has moved.", "uri": headers["Location"]}
    )


def profile_of(request: httpx2.Request) -> str:
    return request.url.path.split("/")[5]


async def test_merged_profile_is_followed_to_its_canonical_id(upstream: Upstream) -> None:
    upstream.handler = lambda request: (
        moved(CANONICAL) if profile_of(request) == PROFILE else identifier_set()
    )
    trace = CallTrace()
    found = await fetch(upstream, trace=trace)
    assert (found.profile_id, found.requested_profile_id) == (CANONICAL, PROFILE)
    assert [profile_of(r) for r in upstream.requests] == [PROFILE, CANONICAL]
    assert upstream.requests[1].url.path == f"/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers/email"
    assert upstream.requests[1].headers["Authorization"] == BASIC


async def test_the_specs_malformed_location_is_ignored_for_the_canonical_header(upstream: Upstream) -> None:
    malformed = f"https:///memory.twilio.com/v1/Stores/{STORE}/Profiles/{CANONICAL}"
    upstream.handler = lambda request: (
        moved(CANONICAL, malformed) if profile_of(request) == PROFILE else identifier_set()
    )
    found = await fetch(upstream)
    assert found.profile_id == CANONICAL


async def test_redirect_to_another_origin_is_refused_and_sends_nothing_there(upstream: Upstream) -> None:
    evil = f"https://evil.example.com/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers/email"
    upstream.handler = lambda request: moved(CANONICAL, evil)
    error = await fetch_error(upstream)
    assert error.code == "redirect_refused"
    assert "evil.example.com" in error.message
    assert [r.url.host for r in upstream.requests] == ["memory.twilio.com"]
    assert all(r.url.host == "memory.twilio.com" for r in upstream.requests if "Authorization" in r.headers)


@pytest.mark.parametrize(
    "location",
    [
        "http://memory.twilio.com/v1/x",  # downgraded scheme
        "https://memory.twilio.com:8443/v1/x",  # another port
        "https://memory.twilio.com.evil.example/v1/x",
        "//evil.example.com/v1/x",  # scheme-relative
        "HTTPS://EVIL.example.com/v1/x",
        "https://memory.twilio.com:abc/v1/x",  # malformed port
        "https://[::1/v1/x",  # malformed host
    ],
)
async def test_other_origins_are_recognised(upstream: Upstream, location: str) -> None:
    upstream.handler = lambda request: moved(CANONICAL, location)
    error = await fetch_error(upstream)
    assert error.code == "redirect_refused"
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    "location",
    [
        f"{BASE}/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers/email",
        f"HTTPS://Memory.Twilio.com:443/v1/Stores/{STORE}/Profiles/{CANONICAL}",
        f"/v1/Stores/{STORE}/Profiles/{CANONICAL}/Identifiers/email",  # relative
        f"//memory.twilio.com/v1/Stores/{STORE}/Profiles/{CANONICAL}",
    ],
)
async def test_same_origin_locations_are_followed(upstream: Upstream, location: str) -> None:
    upstream.handler = lambda request: (
        moved(CANONICAL, location) if profile_of(request) == PROFILE else identifier_set()
    )
    found = await fetch(upstream)
    assert found.profile_id == CANONICAL


async def test_redirect_loop_is_refused(upstream: Upstream) -> None:
    upstream.handler = lambda request: moved(CANONICAL if profile_of(request) == PROFILE else PROFILE)
    error = await fetch_error(upstream)
    assert error.code == "redirect_refused"
    assert "loop" in error.message
    assert len(upstream.requests) == 2


def chain(length: int) -> list[str]:
    return [f"mem_profile_0{str(i) * 25}" for i in range(1, length + 1)]


async def test_three_hops_are_followed(upstream: Upstream) -> None:
    hops = chain(3)
    following = dict(zip([PROFILE, *hops[:-1]], hops, strict=True))
    upstream.handler = lambda request: (
        moved(following[profile_of(request)]) if profile_of(request) in following else identifier_set()
    )
    found = await fetch(upstream)
    assert found.profile_id == hops[-1]
    assert len(upstream.requests) == 4


async def test_a_fourth_hop_is_refused(upstream: Upstream) -> None:
    hops = chain(4)
    following = dict(zip([PROFILE, *hops[:-1]], hops, strict=True))
    upstream.handler = lambda request: (
        moved(following[profile_of(request)]) if profile_of(request) in following else identifier_set()
    )
    error = await fetch_error(upstream)
    assert error.code == "redirect_refused"
    assert len(upstream.requests) == 4


@pytest.mark.parametrize("canonical", ["", "mem_profile_x", "mem_profile_81kpttrksqe08rhv122gzq52ax"])
async def test_301_without_a_valid_canonical_id_is_refused(upstream: Upstream, canonical: str) -> None:
    upstream.handler = lambda request: httpx2.Response(301, headers={"Canonical-Profile-Id": canonical})
    error = await fetch_error(upstream)
    assert error.code == "redirect_refused"
    assert len(upstream.requests) == 1


async def test_other_redirects_are_invalid_responses(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(302, headers={"Location": BASE + "/elsewhere"})
    error = await fetch_error(upstream)
    assert (error.code, error.http_status) == ("invalid_response", 302)
    assert len(upstream.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Bad gateway</html>",
        b"",
        b"[]",
        b'{"values": ["a@example.com"]}',  # idType missing
        b'{"idType": "email"}',  # values missing
        b'{"idType": "email", "values": "a@example.com"}',
        b'{"idType": "email", "values": [1, 2]}',
        b'{"idType": "e", "values": []}',  # idType shorter than 2
        json.dumps({"idType": "email", "values": [f"v{i}" for i in range(101)]}).encode(),
        json.dumps({"idType": "email", "values": ["x" * 256]}).encode(),
        b'{"idType": "email", "values": [' + b"[" * 5000 + b"]" * 5000 + b"]}",
    ],
)
async def test_malformed_or_wrong_shaped_bodies_are_invalid_responses(
    upstream: Upstream, body: bytes
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, content=body)
    error = await fetch_error(upstream)
    assert error.code == "invalid_response"
    assert "a@example.com" not in error.message  # values never echoed
    assert len(upstream.requests) == 1


async def test_limits_are_inclusive(upstream: Upstream) -> None:
    values = [f"{i:03d}" + "x" * 252 for i in range(100)]
    upstream.handler = lambda request: identifier_set("email", values)
    found = await fetch(upstream)
    assert list(found.body.values) == values


async def test_unknown_fields_are_ignored(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(
        200, json={"idType": "email", "values": [], "extra": 1}
    )
    found = await fetch(upstream)
    assert found.body.values == ()


async def test_oversized_body_with_length_is_refused(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(200, content=b" " * (MAX_RESPONSE_BYTES + 1))
    error = await fetch_error(upstream)
    assert error.code == "invalid_response"
    assert "larger than" in error.message


async def test_oversized_streamed_body_is_cut_off(upstream: Upstream) -> None:
    sent = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal sent
        while True:
            sent += 65536
            yield b" " * 65536

    upstream.handler = lambda request: httpx2.Response(200, content=endless())
    error = await fetch_error(upstream)
    assert error.code == "invalid_response"
    assert sent <= MAX_RESPONSE_BYTES + 2 * 65536  # stopped reading at the cap


@pytest.mark.parametrize(
    ("ids", "path"),
    [
        (
            ("st/../x", "pr?x=1", "a/b c?%#"),
            b"/v1/Stores/st%2F..%2Fx/Profiles/pr%3Fx%3D1/Identifiers/a%2Fb%20c%3F%25%23",
        ),
        ((".", "..", ".."), b"/v1/Stores/%2E/Profiles/%2E%2E/Identifiers/%2E%2E"),  # dot segments stay data
    ],
)
async def test_path_segments_are_percent_encoded(
    upstream: Upstream, ids: tuple[str, str, str], path: bytes
) -> None:
    upstream.handler = lambda request: identifier_set(ids[2])
    async with httpx2.AsyncClient(transport=upstream.transport()) as http:
        client = MemoryApiClient(http, make_settings().memory)
        await client.fetch_profile_identifier(*ids)
    [request] = upstream.requests
    assert request.url.raw_path == path


TARGETS = [
    Target(STORE, PROFILE, ("Identifiers", "email")),
    Target(STORE, None, ("Lookup",)),
    Target("st/../x", "pr?x=1", ("Identifiers", "a/b c?%#")),
    Target(".", "..", ("é", "日本", "%41", "~a-b_c.d")),
    Target(STORE, PROFILE, (), (("traitGroups", "Contact,Billing"),)),
    Target(STORE, PROFILE, ("Observations",), (("source", "a b+c&d=e/f?g#h"), ("pageToken", "x%2Fy"))),
    Target(STORE, PROFILE, ("ConversationSummaries",), (("q", "é 日本\u0000"),)),
]


@pytest.mark.parametrize(
    "base", [BASE, "http://127.0.0.1:8787", "http://127.0.0.1:8787/proxy", "http://[::1]:9"]
)
@pytest.mark.parametrize("target", TARGETS)
def test_a_request_url_is_what_parsing_its_text_would_make(base: str, target: Target) -> None:
    # api_url builds the URL without httpx2's parser: it must be the very URL that parser
    # makes of the same text, part by part, for ids that need encoding too.
    parsed = httpx2.URL(base + target.path())
    built = api_url(httpx2.URL(base), target.path())
    assert built == parsed
    assert (built.raw_scheme, built.raw_host, built.port, built.raw_path) == (
        parsed.raw_scheme,
        parsed.raw_host,
        parsed.port,
        parsed.raw_path,
    )
    assert (str(built), built.query, built.fragment) == (str(parsed), parsed.query, parsed.fragment)


def test_the_installed_httpx2_keeps_the_parse_api_url_copies() -> None:
    # api_url falls back to parsing the text when httpx2 keeps its parse otherwise; with the
    # version we install it must not need to (a new httpx2 that fails here: see api_url).
    assert _PARSE_KEPT
    url = api_url(httpx2.URL(BASE), "/v1/Stores")
    assert url is not None and url._uri_reference.path == "/v1/Stores"


async def test_not_configured_sends_nothing(upstream: Upstream) -> None:
    error = await fetch_error(
        upstream, credentials=None, credentials_problem="no credentials: set TWILIO_API_KEY"
    )
    assert error.code == "not_configured"
    assert "TWILIO_API_KEY" in error.message
    assert upstream.requests == []


async def test_twilio_messages_are_sanitized_and_capped(upstream: Upstream) -> None:
    hostile = f"bad\x1b[31m key {API_SECRET}\u202e\n" + "x" * 5000
    upstream.handler = lambda request: twilio_error(400, 520046, hostile)
    error = await fetch_error(upstream)
    assert error.twilio_message is not None
    assert len(error.twilio_message) <= 300
    assert "\x1b" not in error.twilio_message and "\u202e" not in error.twilio_message
    assert "\n" not in error.twilio_message
    assert API_SECRET not in error.twilio_message
    assert error.twilio_message.startswith("bad [31m key [redacted]")


SURROGATES = b'{"code": 20404, "message": "Not \\ud800 Found \\udfff"}'


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (SURROGATES, "Not \ufffd Found \ufffd"),
        (b'{"code": 20404, "message": "Not \xff\xed\xa0\x80 Found"}', "Not \ufffd\ufffd\ufffd\ufffd Found"),
        (b'{"code": 20404, "message": "a\\u0000b\\u2028c\\u0085d\\u202ee"}', "a b c d e"),
    ],
    ids=["lone-surrogates", "invalid-utf8", "controls"],
)
async def test_error_text_is_repaired_to_valid_unicode(upstream: Upstream, body: bytes, message: str) -> None:
    upstream.handler = lambda request: httpx2.Response(404, content=body)
    error = await fetch_error(upstream)
    assert (error.twilio_code, error.twilio_message) == (20404, message)
    assert error.twilio_message is not None
    error.twilio_message.encode("utf-8")  # strict: no surrogate left


@pytest.mark.parametrize(
    "body",
    [
        b'{"idType": "email", "values": ["a\\ud800@example.com"]}',
        b'{"idType": "email", "values": ["a\\udc00"]}',
        b'{"idType": "email", "values": ["a\xff@example.com"]}',
        b'{"idType": "email", "values": ["a\xed\xa0\x80"]}',
        b'{"idType": "em\\ud800", "values": []}',
    ],
)
async def test_a_body_that_is_not_valid_unicode_is_an_invalid_response(
    upstream: Upstream, body: bytes
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, content=body)
    error = await fetch_error(upstream)
    assert error.code == "invalid_response"


def pair(user: str = API_KEY, secret: str = API_SECRET) -> bytes:
    return f"{user}:{secret}".encode()


@pytest.mark.parametrize(
    "quoted",
    [
        API_SECRET,
        API_KEY,
        BASIC,
        base64.b64encode(pair()).decode(),
        base64.b64encode(pair()).decode().rstrip("="),
        base64.urlsafe_b64encode(pair()).decode(),
        base64.b64encode(pair())[-40:-5].decode(),  # a piece, cut anywhere in the secret
        base64.b64encode(API_SECRET.encode()).decode(),
        quote(BASIC, safe=""),
        quote(BASIC, safe="").replace("%3D", "%3d").replace("%20", "+"),
        quote_plus(API_SECRET),
        quote(base64.b64encode(pair()).decode(), safe=""),
        API_SECRET[3:18],  # a piece of the secret itself
    ],
    ids=lambda value: f"{len(value)}chars",
)
async def test_twilio_text_never_quotes_a_credential_in_any_form(upstream: Upstream, quoted: str) -> None:
    # Issue 9 item 3: a gateway quoting "Authorization: Basic ..." back in a 401.
    upstream.handler = lambda request: twilio_error(401, 20003, f"Bad header Auth={quoted}; try again")
    error = await fetch_error(upstream)
    assert error.twilio_message is not None
    assert error.twilio_message.startswith("Bad header Auth=")
    assert error.twilio_message.endswith("[redacted]; try again")
    assert quoted not in error.twilio_message


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1]", b'{"code": "20404", "message": 5}', b'{"code": 99, "message": null}'],
)
async def test_odd_error_bodies_keep_the_status(upstream: Upstream, body: bytes) -> None:
    upstream.handler = lambda request: httpx2.Response(404, content=body)
    error = await fetch_error(upstream)
    assert (error.code, error.http_status, error.twilio_code, error.twilio_message) == (
        "not_found",
        404,
        None,
        None,
    )


async def test_base_url_with_a_path_prefix_and_port(upstream: Upstream) -> None:
    upstream.handler = lambda request: identifier_set()
    await fetch(upstream, base_url="http://127.0.0.1:8787/proxy")
    assert str(upstream.requests[0].url) == "http://127.0.0.1:8787/proxy" + FETCH_PATH


async def test_a_body_that_cannot_be_decoded_is_an_invalid_response(upstream: Upstream) -> None:
    upstream.handler = lambda request: httpx2.Response(
        200, headers={"Content-Encoding": "gzip"}, content=b"this is not gzip"
    )
    error = await fetch_error(upstream)
    assert error.code == "invalid_response"
    assert len(upstream.requests) == 1


async def test_retry_after_longer_than_what_is_left_fails_at_once(
    upstream: Upstream, fake_time: FakeTime
) -> None:
    # Two 503s spend 0.75-1.5 s of a 10.4 s deadline in backoff; a Retry-After of 10 s would
    # have fitted the whole deadline, but no longer fits what is left of it.
    answers = iter([httpx2.Response(503), httpx2.Response(503)])
    upstream.handler = lambda request: next(
        answers, twilio_error(429, 20429, "Too many requests", **{"Retry-After": "10"})
    )
    error = await fetch_error(upstream, fake_time, deadline=10.4)
    assert (error.code, error.retry_after_seconds) == ("rate_limited", 10.0)
    assert len(fake_time.sleeps) == 2
    assert len(upstream.requests) == 3


class FreeText(BaseModel):
    """A model like the ones that carry memories and traits: free text, arbitrary JSON."""

    summary: str = ""
    traits: dict[str, Any] = {}


@pytest.mark.parametrize(
    "body",
    [
        b'{"summary": "ok", "traits": {"a": ["x\\ud800"]}}',
        b'{"traits": {"k\\udfff": 1}}',
        b'{"summary": "\\ud83d"}',
        b'{"traits": {"a": {"b": "\\xff"}}}',
    ],
)
def test_every_parsed_string_is_held_to_valid_unicode_whatever_the_model(body: bytes) -> None:
    with pytest.raises(InvalidResponse):
        parse(FreeText, body)


def test_valid_free_text_passes_untouched() -> None:
    body = parse(
        FreeText, b'{"summary": "a\\u0000b\\u2028c \\ud83d\\ude00", "traits": {"k": [1, "\\u202e"]}}'
    )
    assert body.summary == "a\x00b\u2028c \U0001f600"
    assert body.traits == {"k": [1, "\u202e"]}


async def test_the_pooled_client_and_a_given_one_send_the_same_headers() -> None:
    # The headers are merged once per client (memory.http.Route), whichever made it: the
    # wire is the same either way.
    from memory.config import ClientConfig, Credentials
    from memory.http import http_client

    seen: list[list[tuple[bytes, bytes]]] = []

    def answer(request: httpx2.Request) -> httpx2.Response:
        seen.append(list(request.headers.raw))
        return httpx2.Response(200, json={"idType": "email", "values": []})

    config = ClientConfig(credentials=Credentials("SKheaders", SecretStr("secret"), "test"))
    transport = httpx2.MockTransport(answer)
    for http in (http_client(config, transport), httpx2.AsyncClient(transport=transport)):
        async with http:
            await MemoryApiClient(http, config).fetch_profile_identifier(
                "mem_store_" + "0" * 26, "mem_profile_" + "0" * 26, "email"
            )
    assert seen[0] == seen[1]
    sent = {name.lower(): value for name, value in seen[0]}
    assert sent[b"accept"] == b"application/json"
    assert sent[b"user-agent"] == b"twilio-memory-mcp"
    assert sent[b"authorization"] == b"Basic " + base64.b64encode(b"SKheaders:secret")


async def test_a_proxy_the_environment_names_still_carries_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Requests go to the transport the pooled client picks for the API's origin (memory.http
    # Route), not through AsyncClient.send: HTTP_PROXY must still route them, as it did.
    from memory.config import ClientConfig, Credentials
    from memory.http import http_client

    seen: list[bytes] = []

    async def proxy(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            head = b""
            while b"\r\n\r\n" not in head:
                head += await stream.receive()
            seen.append(head.split(b"\r\n", 1)[0])
            body = b'{"idType":"email","values":["dana@example.com"]}'
            await stream.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    config = ClientConfig(
        base_url="http://memory.invalid", credentials=Credentials("SKproxy", SecretStr("secret"), "test")
    )
    async with listener, anyio.create_task_group() as tasks:
        tasks.start_soon(listener.serve, proxy)
        async with http_client(config) as http:
            found = await MemoryApiClient(http, config).fetch_profile_identifier(STORE, PROFILE, "email")
        tasks.cancel_scope.cancel()
    assert found.body.values == ("dana@example.com",)
    assert seen == [
        f"GET http://memory.invalid/v1/Stores/{STORE}/Profiles/{PROFILE}/Identifiers/email HTTP/1.1".encode()
    ]


async def test_an_in_process_answer_longer_than_its_content_length_is_still_capped() -> None:
    # A body framed by a Content-Length is read whole (issue 17); over HTTP/1.1 no more than
    # that length arrives, but an in-process transport need not keep to its header.
    from memory.responses import read_capped

    big = b"x" * (MAX_RESPONSE_BYTES + 1)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        await send({"type": "http.response.body", "body": big})

    async with (
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as client,
        client.stream("GET", "http://emulator/") as response,
    ):
        with pytest.raises(InvalidResponse, match="larger than"):
            await read_capped(response)


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("POST", b'{"query":"caf\xc3\xa9"}'), ("PATCH", b"{}")]
)
async def test_a_request_is_what_httpx2_would_build_from_its_parts(method: str, body: bytes | None) -> None:
    # Route builds requests with their headers worked out once (issue 17): they must be the
    # very requests httpx2.Request makes of the same parts, headers in the same order.
    config = make_settings().memory
    async with httpx2.AsyncClient() as http:
        route = Route.of(http, config)
        target = Target(STORE, PROFILE, ("Recall",))
        built = route.request(method, target.path(), body)
        headers = httpx2.Headers(http.headers)
        headers.update(request_headers(config))
        if body is not None:
            headers["Content-Type"] = "application/json"
        expected = httpx2.Request(method, config.base_url + target.path(), headers=headers, content=body)
    assert (built.method, built.url) == (expected.method, expected.url)
    assert built.headers.raw == expected.headers.raw
    assert await built.aread() == expected.content
    assert built.extensions == {"timeout": http.timeout.as_dict()}
