"""A Memory API that answers with hostile bytes, for the transport tests of issue 9 item 1.

A raw ASGI app, so every status, header byte and body chunk is exactly what the case says
(no framework in between re-encodes anything). A case is chosen by the identifier type in
``GET /v1/Stores/{store}/Profiles/{profile}/Identifiers/{idType}``; any other request gets
a plain, valid answer; with ``script`` set, every request gets that one answer. It also
counts the requests it has started and can hold them until released (the shutdown tests).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

import anyio

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

JSON = (b"content-type", b"application/json")
ATTEMPT_TIMEOUT = 5  # seconds: the attempt timeout a server under test gets against this upstream


@dataclass(frozen=True)
class Case:
    status: int
    body: bytes | list[bytes]  # a list is sent chunk by chunk, ``drip`` seconds apart
    headers: tuple[tuple[bytes, bytes], ...] = (JSON,)
    drip: float = 0.0
    # What a client of our server must see: a tool error code, or None for a success.
    expect: str | None = "not_found"


def _error(message: bytes, status: int = 404, code: bytes = b"20404") -> bytes:
    return b'{"code":' + code + b',"message":"' + message + b'","status":' + str(status).encode() + b"}"


_NESTED = b"[" * 100_000 + b"]" * 100_000
_BOMB = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)  # 64 MiB of zeros in ~64 KiB

# The characters a value can carry that split lines, reorder text or end strings in some
# reader (JSON escapes for NUL, ESC, BOM, bidi overrides, NEL, LS/PS, file separator).
TRICKY_VALUE_ESCAPED = (
    b'a\\u0000b\\u001b[31mc\\u202ed\\u2028e\\u0085f\\u001cg\\ufeffh\\u2029i\\\\j\\"k</script>@example.com'
)
TRICKY_VALUE = 'a\x00b\x1b[31mc\u202ed\u2028e\x85f\x1cg\ufeffh\u2029i\\j"k</script>@example.com'

CASES: dict[str, Case] = {
    # Lone surrogates in a JSON escape: valid JSON syntax, not valid Unicode (RFC 8259 §8.2).
    "surrogate-error": Case(404, _error(b"Not \\ud800 Found")),
    "low-surrogate-error": Case(404, _error(b"Not \\udfff Found \\ud83d")),
    "invalid-utf8-error": Case(404, _error(b"Not \xff\xfe\xed\xa0\x80 Found")),
    "control-error": Case(
        404, _error(b"a\\u0000b\\u001b[31mc\\u202ed\\u2028e\\u0085f\\r\\ng\\ufeffh\\u200bi\\t" + b"x" * 10)
    ),
    "huge-error": Case(404, _error(b"y" * 1_000_000)),
    "nested-error": Case(404, _NESTED),
    "html-error": Case(
        502,
        b"<html><body>\x00\xff Bad gateway</body></html>",
        ((b"content-type", b"text/html"),),
        expect="upstream_unavailable",
    ),
    "surrogate-value": Case(
        200, b'{"idType":"email","values":["a\\ud800@example.com"]}', expect="invalid_response"
    ),
    "invalid-utf8-value": Case(
        200, b'{"idType":"email","values":["a\xff@example.com"]}', expect="invalid_response"
    ),
    "raw-control-value": Case(
        200, b'{"idType":"email","values":["a\x00b@example.com"]}', expect="invalid_response"
    ),
    "tricky-value": Case(200, b'{"idType":"email","values":["' + TRICKY_VALUE_ESCAPED + b'"]}', expect=None),
    "nested-value": Case(200, b'{"idType":"email","values":' + _NESTED + b"}", expect="invalid_response"),
    "huge-value": Case(
        200, [b'{"idType":"email","values":["'] + [b"z" * 65536] * 80 + [b'"]}'], expect="invalid_response"
    ),
    "gzip-bomb": Case(200, _BOMB, (JSON, (b"content-encoding", b"gzip")), expect="invalid_response"),
    "broken-gzip": Case(
        200, b"\x1f\x8b\x08\x00garbage", (JSON, (b"content-encoding", b"gzip")), expect="invalid_response"
    ),
    # 20 s of body, a space every 0.05 s: no read waits long, the whole answer outlasts the
    # attempt timeout the tests set (ATTEMPT_TIMEOUT) four times over.
    "drip-fed": Case(200, [b'{"idType":"email",'] + [b" "] * 400, drip=0.05, expect="timeout"),
    "hostile-headers": Case(
        301,
        b"",
        (
            (b"location", b"https://\xc3\xa9vil.example/\xff\xfe"),
            (b"canonical-profile-id", b"mem_profile_\xff\xfe"),
            (b"x-junk", b"\x80" * 4000),
        ),
        expect="redirect_refused",
    ),
    "hostile-retry-after": Case(
        429,
        _error(b"slow \\ud800 down", 429, b"20429"),
        (JSON, (b"retry-after", b"\xff9\x80")),
        expect="rate_limited",
    ),
}

PLAIN = b'{"idType":"email","values":["plain@example.com"]}'

# A value Twilio's error text might quote back (issue 9 item 6), on the fetch and list paths.
QUOTED_VALUE = "dana.quoted@example.com"
CASES["quote-value"] = Case(404, _error(b"No identifier " + QUOTED_VALUE.encode() + b" on this profile"))
CASES["Identifiers"] = Case(404, _error(b"Profile holding " + QUOTED_VALUE.encode() + b" not found"))
CASES["retry-after-zero"] = Case(
    429, _error(b"Too many requests", 429, b"20429"), (JSON, (b"retry-after", b"0")), expect="rate_limited"
)


def echo_authorization(kind: str, authorization: bytes) -> Case:
    """A 401 quoting the Authorization header it got, as a careless gateway might."""
    value = authorization.decode("latin-1")
    scheme, _, token = value.partition(" ")
    quoted = {
        "echo-auth-raw": value,
        "echo-auth-url": quote(value, safe=""),
        "echo-auth-piece": token[-40:-7],  # a piece of the secret: a run of the key's zeros carries none
        "echo-auth-decoded": base64.b64decode(token).decode(),
        "echo-auth-secret-url": quote_plus(base64.b64decode(token).decode().partition(":")[2], safe=""),
    }[kind]
    message = json.dumps(f"Invalid {scheme} credentials: {quoted}")[1:-1].encode()
    return Case(401, _error(message, 401, b"20003"), expect="unauthenticated")


@dataclass
class HostileUpstream:
    """The ASGI app. ``hold`` keeps plain requests waiting until ``release`` is set (a
    threading.Event: the app runs on its own thread's loop, see :func:`serve_in_thread`)."""

    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    # When set, every request gets this answer whatever its path: how a test puts a hostile
    # body behind any operation (FetchProfile, Lookup, Recall, the lists).
    script: Case | None = None
    started: int = 0
    finished: int = 0
    cancelled: int = 0
    arrivals: list[float] = field(default_factory=list)  # monotonic times of retry-after-zero requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        self.started += 1
        name = scope["path"].rsplit("/", 1)[-1]
        case = self.script or CASES.get(name)
        if name == "retry-after-zero":
            self.arrivals.append(time.monotonic())
        if name.startswith("echo-auth-"):
            case = echo_authorization(name, dict(scope["headers"]).get(b"authorization", b""))
        if case is None:
            if self.hold and not await self._held(receive):
                return  # the client went away while held
            case = Case(200, PLAIN, expect=None)
        await send({"type": "http.response.start", "status": case.status, "headers": list(case.headers)})
        chunks = case.body if isinstance(case.body, list) else [case.body]
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if case.drip:
                await anyio.sleep(case.drip)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.finished += 1

    async def _held(self, receive: Receive) -> bool:
        """Wait for ``release``; False (counted in ``cancelled``) if the client disconnects first."""
        disconnected = False
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                nonlocal disconnected
                while (await receive())["type"] != "http.disconnect":
                    pass
                disconnected = True
                group.cancel_scope.cancel()

            group.start_soon(watch)
            while not self.release.is_set():
                await anyio.sleep(0.01)
            group.cancel_scope.cancel()
        if disconnected:
            self.cancelled += 1
        return not disconnected
