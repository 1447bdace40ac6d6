"""The emulator on a loopback port behind a one-shot script, for tests whose clients are other
processes (so it serves on a thread of its own while the test blocks on them).

The script is set through ``PUT /_test/next``: emulator faults (429, 503, latency) and answers the
emulator cannot give (rejected credentials, a body that is not JSON, a redirect to another origin).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx2
from starlette.types import Receive, Scope, Send

from emulator import Faults, create_app, default_examples
from tests.support.in_process import serve_in_thread

EXAMPLES = default_examples()
CONTROL_PATH = "/_test/next"
ANSWERS = ("bad_credentials", "not_json", "foreign_redirect")


class ScriptedUpstream:
    """The emulator, plus a one-shot script for the next request (see the module docstring)."""

    def __init__(self) -> None:
        self.emulator = create_app()
        self.url = ""
        self._answer: str | None = None

    # --- the script -------------------------------------------------------------------

    def set_next(self, faults: Mapping[str, Any] | None = None, answer: str | None = None) -> None:
        """Faults for every request until the next call, and ``answer`` for the next request."""
        body = {"faults": dict(faults or {}), "answer": answer}
        response = httpx2.put(self.url + CONTROL_PATH, json=body, timeout=10)
        response.raise_for_status()

    @property
    def control_url(self) -> str:
        return self.url + CONTROL_PATH

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CONTROL_PATH:
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            script = json.loads(body)
            answer = script.get("answer")
            assert answer is None or answer in ANSWERS, answer
            self.emulator.state.emulator.faults = Faults.from_json(script.get("faults") or {})
            self._answer = answer
            await _respond(send, 204, b"")
            return
        if scope["type"] != "http":
            await self.emulator(scope, receive, send)
            return
        answer, self._answer = self._answer, None
        if answer == "bad_credentials":  # the emulator itself answers 401
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"] + [
                (b"authorization", b"Basic U0t3cm9uZzp3cm9uZw==")
            ]
        elif answer == "not_json":
            await _respond(send, 200, b"<html><body>Service maintenance</body></html>", b"text/html")
            return
        elif answer == "foreign_redirect":
            # A merge redirect naming another origin: 301 for a read, 308 for a POST (the
            # spec's merge redirects), with Location and Canonical-Profile-Id.
            canonical = EXAMPLES.canonical_profile_id
            location = f"https://elsewhere.example/v1/Stores/{EXAMPLES.store_id}/Profiles/{canonical}"
            headers = [(b"location", location.encode()), (b"canonical-profile-id", canonical.encode())]
            status = 301 if scope["method"] in {"GET", "HEAD"} else 308
            await _respond(send, status, b"", b"application/json", headers)
            return
        await self.emulator(scope, receive, send)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"text/plain",
    headers: list[Any] | None = None,
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextmanager
def scripted_upstream() -> Iterator[ScriptedUpstream]:
    """The scripted upstream, served on a thread of its own (see :func:`serve_in_thread`)."""
    upstream = ScriptedUpstream()
    with serve_in_thread(upstream) as url:
        upstream.url = url
        yield upstream
