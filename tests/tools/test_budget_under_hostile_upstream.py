"""Every tool's result stays within the size budget, whatever the upstream sends (issue 16 item 3).

The real console script over stdio, against a fake Memory API on a loopback port
(tests/support/hostile_upstream.py) answering each operation with bodies at and beyond the spec's
bounds: 200,000-digit fractions, 5,000-character names, values made of JSON escapes (one
character read, six written, twelve once the text copy escapes them again), the largest page
token. The invariant, on the raw JSON-RPC line a client reads: it is within the budget, or
the result is an error that is itself small.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.doubles import PROFILE, STORE
from tests.support.hostile_upstream import Case, HostileUpstream
from tests.support.in_process import serve_in_thread
from tests.support.processes import stdio_server
from tests.support.samples import communication, observation, participant, summary, ttid

BUDGET = 10_000  # the smallest the setting admits: the tightest case
SMALL_ERROR = 3_000  # an error result: its message, Twilio's capped text and a hint, twice
IDS = {"store_id": STORE, "profile_id": PROFILE}
WHEN = "2025-01-15T10:30:45Z"
ESCAPED = "\x01"  # written \u0001: six characters in JSON for one read
QUOTE = '"'  # written \" once, \\\" in the text copy


def profile(traits: dict[str, Any], created_at: str = WHEN) -> dict[str, Any]:
    return {"id": PROFILE, "createdAt": created_at, "traits": traits}


def identifier_types(count: int, name: str, value: str) -> dict[str, Any]:
    return {"identifiers": [{"idType": f"{t:02d}{name}", "values": [value] * 100} for t in range(count)]}


def page(kind: str, items: list[dict[str, Any]], next_token: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"key": kind, "pageSize": 50}
    if next_token is not None:
        meta["nextToken"] = next_token
    return {kind: items, "meta": meta}


def crowded_message(n: int) -> dict[str, Any]:
    """A message to 100 recipients, every name and address at its bound, made of escapes."""
    people = [participant(i, ESCAPED * 256, ESCAPED * 254) for i in range(100)]
    message = communication(n, ESCAPED * 4096, people[0], people[1])
    message["recipients"] = people
    return message


LOOKUP = {"store_id": STORE, "id_type": "email", "value": "a@example.com"}
RECALL = IDS | {"observations_limit": 100, "summaries_limit": 100, "communications_limit": 100}
PAGED = IDS | {"page_size": 50}
WRITE = IDS | {"id_type": "email", "value": "d" * 243 + "@example.com"}  # the longest value
HOLDERS = {"normalizedValue": "dana@example.com", "profiles": [ttid("mem_profile", i) for i in range(100)]}
TOKEN = "eyJ" + "A" * 4093  # the longest page token the spec allows (ObservationsMeta: 4096)

# (tool, arguments, the upstream's answer body); every one is answered 200.
HOSTILE: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    # The two figures: 401,000 characters under a budget of 10,000.
    "profile-fraction": ("get_profile", IDS, profile({}, "2025-01-01T12:00:00." + "1" * 200_000 + "Z")),
    "profile-group-names": (
        "get_profile",
        IDS,
        profile({f"G{g:02d}" + "g" * 5000: {"t": 1} for g in range(40)}),
    ),
    "profile-trait-names": (
        "get_profile",
        IDS,
        profile({"Contact": {f"t{t}" + "n" * 5000: 1 for t in range(40)}}),
    ),
    # At the bounds: 50 groups of 64-character names, each cut, so the hint would name them all.
    "profile-at-bounds": (
        "get_profile",
        IDS,
        profile(
            {f"G{g:02d}".ljust(64, "g"): {f"t{t}": ESCAPED * 1024 for t in range(10)} for g in range(50)}
        ),
    ),
    "profile-one-huge-trait": ("get_profile", IDS, profile({"Contact": {"notes": QUOTE * 1_000_000}})),
    "profile-nested-values": ("get_profile", IDS, profile({"Contact": {"tags": [ESCAPED * 1024] * 100}})),
    "identifiers-escaped": (
        "get_profile_identifiers",
        IDS | {"id_type": "email"},
        {"idType": ESCAPED * 30, "values": [ESCAPED * 255] * 100},
    ),
    "identifier-types-escaped": (
        "list_profile_identifiers",
        IDS,
        identifier_types(50, ESCAPED * 28, QUOTE * 255),
    ),
    "identifier-types-long": ("list_profile_identifiers", IDS, identifier_types(50, "x" * 28, "v" * 255)),
    "identifier-type-names-too-long": (
        "list_profile_identifiers",
        IDS,
        identifier_types(50, "y" * 5000, "v"),
    ),
    "lookup-escaped": (
        "lookup_profiles",
        LOOKUP,
        {"normalizedValue": ESCAPED * 255, "profiles": [ttid("mem_profile", i) for i in range(100)]},
    ),
    "lookup-at-bounds": (
        "lookup_profiles",
        LOOKUP,
        {"normalizedValue": "v" * 255, "profiles": [ttid("mem_profile", i) for i in range(100)]},
    ),
    "recall-escaped": (
        "recall_memories",
        RECALL,
        {
            "observations": [observation(i, QUOTE * 4096, score=0.5) for i in range(100)],
            "summaries": [summary(i, QUOTE * 4096, score=0.5) for i in range(100)],
            "communications": [crowded_message(i) for i in range(2)],
            "meta": {"queryTime": 600_000},
        },
    ),
    "recall-fraction": (
        "recall_memories",
        RECALL,
        {
            "observations": [observation(1, createdAt="2025-01-01T12:00:00." + "9" * 200_000 + "Z")],
            "summaries": [],
            "communications": [],
            "meta": {"queryTime": 1},
        },
    ),
    "observations-escaped": (
        "list_observations",
        PAGED,
        page("observations", [observation(i, ESCAPED * 4096) for i in range(50)], QUOTE * 4096),
    ),
    "observations-longest-token": (
        "list_observations",
        PAGED,
        page("observations", [observation(i, "o" * 4096) for i in range(50)], TOKEN),
    ),
    "observations-escaped-token": (
        "list_observations",
        PAGED,
        page("observations", [observation(1)], QUOTE * 4096),
    ),
    "summaries-escaped": (
        "list_conversation_summaries",
        PAGED,
        page("summaries", [summary(i, QUOTE * 4096) for i in range(50)], ESCAPED * 4096),
    ),
    "summaries-longest-token": (
        "list_conversation_summaries",
        PAGED,
        page("summaries", [summary(i, "s" * 4096) for i in range(50)], TOKEN),
    ),
    # The write toolset (confirmed by the host here: no form to answer). A Lookup naming 100
    # other holders of the value goes into the answer's effects; the write's own answer is not
    # shown. The same body answers the lookup and the write.
    "identifier-write-holders": ("add_profile_identifier", WRITE | {"dry_run": True}, HOLDERS),
    "identifier-written-holders": ("add_profile_identifier", WRITE, HOLDERS),
    "observation-written": (
        "add_observation",
        IDS | {"content": "Prefers SMS", "source": "agent"},
        {"message": ESCAPED * 512},
    ),
}

# Answers within the spec's bounds are served (cut), never refused.
SERVED = {
    "profile-at-bounds",
    "profile-one-huge-trait",
    "profile-nested-values",
    "identifiers-escaped",
    "identifier-types-escaped",
    "identifier-types-long",
    "lookup-at-bounds",
    "recall-escaped",
    "identifier-write-holders",
    "identifier-written-holders",
    "observation-written",
    "observations-longest-token",
    "summaries-longest-token",
}
# Answers beyond the spec's bounds are refused as such.
REFUSED = {
    "profile-fraction",
    "profile-group-names",
    "profile-trait-names",
    "identifier-type-names-too-long",
    "recall-fraction",
}


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[HostileUpstream, str]]:
    app = HostileUpstream()
    with serve_in_thread(app) as base_url:
        yield app, base_url


def environment(base_url: str, budget: int) -> dict[str, str]:
    return {
        "TWILIO_MEMORY_BASE_URL": base_url,
        "TWILIO_API_KEY": "SK" + "0" * 32,
        "TWILIO_API_SECRET": "hostile-budget-secret-0123456789",
        "TWILIO_MEMORY_MAX_RETRIES": "0",
        "TWILIO_MEMORY_RESULT_BUDGET": str(budget),
        "TWILIO_MEMORY_TOOLSETS": "identity,context,write",
        "TWILIO_MEMORY_WRITE_CONFIRM": "host",
    }


@pytest.mark.parametrize("budget", [BUDGET, 50_000])
def test_every_tool_stays_within_the_budget_whatever_the_upstream_sends(
    fake: tuple[HostileUpstream, str], tmp_path: Path, budget: int
) -> None:
    app, base_url = fake
    seen: dict[str, tuple[bool, int]] = {}  # case: (an error?, characters on the wire)
    hints: dict[str, int] = {}
    with stdio_server(environment(base_url, budget), tmp_path) as server:
        server.initialize()
        for name, (tool, arguments, body) in HOSTILE.items():
            app.script = Case(200, json.dumps(body).encode(), expect=None)
            before = len(server.lines)
            result = server.call_tool(tool, arguments)["result"]
            [line] = [raw for raw in server.lines[before:] if b'"result"' in raw]
            wire = len(line.decode("utf-8").rstrip("\n"))  # what a client reads, envelope and all
            seen[name] = (result["isError"], wire)
            hint = (result.get("structuredContent") or {}).get("hint") or ""
            hints[name] = len(hint)
        app.script = None
        assert server.close() == 0, server.stderr[-2000:]
    broken = {name: wire for name, (error, wire) in seen.items() if wire > (SMALL_ERROR if error else budget)}
    assert broken == {}
    assert max(hints.values()) <= 1_000  # tools.answers.MAX_HINT
    assert {name for name, (error, _) in seen.items() if error} >= REFUSED
    assert not {name for name, (error, _) in seen.items() if error} & SERVED
