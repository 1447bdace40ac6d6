"""The client x protocol x transport matrix: which runs there are, their cases, and running them.

A *run* is one client speaking one protocol version over one transport. Each run calls every
listed tool once per outcome it can provoke (a success and every error code), against four
real servers (the console script): one backed by the emulator behind a scripted upstream, one
with a short attempt timeout for the timeout case, one whose upstream refuses connections, one
without credentials. The node and Python drivers in tests/clients/drivers/ take a plan (JSON)
and print what the client handed back, case by case; the MCP Inspector CLIs make one call per
process, so they are run case by case from here; the raw JSON-RPC client
(tests/support/raw_client.py) runs in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.console import ROOT, SCRIPT, TEE
from tests.support.raw_client import MODERN_VERSION, VERSIONS, HttpSession, NoAnswer, RawSession, StdioSession
from tests.support.scripted_upstream import EXAMPLES

HERE = ROOT / "tests" / "clients"  # the drivers, the npm clients and the mcp 1.x venv
DRIVERS = HERE / "drivers"
LEGACY_LATEST = "2025-11-25"
CLIENT_TIMEOUT = 300  # seconds for one driver process: a hang guard
INSPECTOR_CONCURRENCY = 3  # Inspector processes at once, for cases that share nothing

# Which versions each client speaks, as far as its own options allow (see each driver).
CLIENT_VERSIONS: dict[str, tuple[str, ...]] = {
    "ts-sdk-1": (LEGACY_LATEST,),  # always offers LATEST_PROTOCOL_VERSION
    "ts-client-2": VERSIONS,  # supportedProtocolVersions / versionNegotiation pin
    "ai-sdk": (LEGACY_LATEST, MODERN_VERSION),  # protocolVersionDiscovery off / on
    "inspector-1": (LEGACY_LATEST,),
    "inspector-2": (LEGACY_LATEST, MODERN_VERSION),  # --protocol-era legacy / modern
    "py-mcp-1": (LEGACY_LATEST,),  # types.LATEST_PROTOCOL_VERSION
    "py-mcp-2": (LEGACY_LATEST, MODERN_VERSION),  # Client(mode="legacy" / "2026-07-28")
    "raw": VERSIONS,
}
TRANSPORTS = ("stdio", "http")
NODE_DRIVERS = {"ts-sdk-1": "ts-sdk-1.mjs", "ts-client-2": "ts-client-2.mjs", "ai-sdk": "ai-sdk.mjs"}

# --- the cases ------------------------------------------------------------------------

UNKNOWN_STORE = "mem_store_01jq8p0000000000000000zzzz"
VALID = {  # a valid value per argument name, on the emulator's default seed
    "store_id": EXAMPLES.store_id,
    "profile_id": EXAMPLES.profile_id,
    "id_type": "email",
    "value": "alice.nakamura@example.com",
}
SERVERS = ("emulator", "impatient", "unreachable", "unconfigured")
# The attempt timeout of the "impatient" server, which the timeout case meets with an upstream
# ten times slower: the one case that must time out (the others have generous timeouts).
IMPATIENT = 0.5


@dataclass(frozen=True)
class Case:
    id: str
    server: str
    tool: str
    arguments: dict[str, Any]
    expect: str  # "ok" or the error code
    setup: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "tool": self.tool, "arguments": self.arguments, "setup": self.setup}


def valid_arguments(tool: Mapping[str, Any]) -> dict[str, Any]:
    schema = tool["inputSchema"]
    missing = [name for name in schema.get("required", []) if name not in VALID]
    if missing:
        raise AssertionError(
            f"tool {tool['name']} requires {missing}: add a valid value for each to VALID in "
            "tests/support/client_matrix.py so every tool is covered"
        )
    return {name: VALID[name] for name in schema["properties"] if name in VALID}


def cases_for(tool: Mapping[str, Any]) -> list[Case]:
    """A success and every error code the servers can be made to give, for one tool."""
    name = tool["name"]
    args = valid_arguments(tool)
    store = "store_id" in tool["inputSchema"]["properties"]
    found: list[Case] = [Case(f"{name}/ok", "emulator", name, args, "ok")]

    def add(code: str, server: str = "emulator", setup: dict[str, Any] | None = None, **changes: Any) -> None:
        found.append(Case(f"{name}/{code}", server, name, args | changes, code, setup or {}))

    if store:
        add("invalid_argument", store_id="not-a-store-id")  # refused before the network
        add("not_found", store_id=UNKNOWN_STORE)  # the emulator's 404
        add("permission_denied", store_id=EXAMPLES.other_account_store_id)  # the emulator's 403
    add("rate_limited", setup={"faults": {"rate_limit_next": 1, "retry_after": 7}})
    add("upstream_unavailable", setup={"faults": {"error_next": 1, "error_status": 503}})
    add("timeout", server="impatient", setup={"faults": {"latency": 10 * IMPATIENT}})
    add("unauthenticated", setup={"answer": "bad_credentials"})  # the emulator's 401
    add("invalid_response", setup={"answer": "not_json"})
    if "profile_id" in tool["inputSchema"]["properties"]:
        # A merge redirect to another origin; lookup is a POST, where any redirect is an
        # invalid_response instead (README, Errors).
        add("redirect_refused", setup={"answer": "foreign_redirect"})
    add("connection_failed", server="unreachable")
    add("not_configured", server="unconfigured")
    return found


def all_cases(tools: list[dict[str, Any]]) -> list[Case]:
    return [case for tool in tools for case in cases_for(tool)]


# Clients that run every tool with every code; the others run sampled_cases. The product is
# what the TS SDK 1.x client (the one that validates error results) and the raw client (every
# version) must pass; for the rest it would multiply minutes without reaching new client code:
# a client's handling of an error result does not depend on which tool sent it, and every
# tool's schema meets every code's envelope in drivers/schemas.mjs and tests/tools/test_output_schema.py.
FULL_PRODUCT = frozenset({"ts-sdk-1", "raw"})


def sampled_cases(cases: list[Case], successes: str = "every tool") -> list[Case]:
    """Every error code once, the tools taken in rotation (so every tool fails at least once
    when there are no more tools than codes), and a success for every tool (or, with
    ``successes="one"``, for the first: the Inspector CLIs start a process per call)."""
    tools = list(dict.fromkeys(case.tool for case in cases))
    ok = [case for case in cases if case.expect == "ok"]
    chosen = ok if successes == "every tool" else ok[:1]
    codes = sorted({case.expect for case in cases} - {"ok"})
    for index, code in enumerate(codes):
        candidates = [case for case in cases if case.expect == code]
        preferred = tools[index % len(tools)]
        chosen.append(next((c for c in candidates if c.tool == preferred), candidates[0]))
    return chosen


# --- the environment ----------------------------------------------------------------------


@dataclass
class Servers:
    """How to reach each server: its environment (stdio) and URL (HTTP), and the upstream."""

    env: dict[str, dict[str, str]]  # server name -> full environment for the console script
    urls: dict[str, str]  # server name -> http://127.0.0.1:PORT/mcp
    control: str  # the scripted upstream's control URL
    workdir: Path

    def stdio_group(self, server: str, label: str) -> dict[str, Any]:
        out = self.workdir / f"{label}-{server}.stdout.jsonl"
        err = self.workdir / f"{label}-{server}.stderr.log"
        return {
            "name": server,
            "command": sys.executable,
            "args": [TEE, str(out), str(err), SCRIPT],
            "env": self.env[server],
            "control": self.control,
            "copies": [str(out), str(err)],
        }

    def http_group(self, server: str) -> dict[str, Any]:
        return {"name": server, "url": self.urls[server], "control": self.control}


@dataclass(frozen=True)
class Run:
    client: str
    version: str
    transport: str

    @property
    def id(self) -> str:
        return f"{self.client}-{self.version}-{self.transport}"


def all_runs() -> list[Run]:
    return [
        Run(client, version, transport)
        for client, versions in CLIENT_VERSIONS.items()
        for version in versions
        for transport in TRANSPORTS
    ]


@dataclass
class Outcome:
    """What one run saw: per server group, the version spoken, the tools, and each case."""

    groups: list[dict[str, Any]]

    def case_results(self) -> dict[str, dict[str, Any]]:
        return {case["id"]: case for group in self.groups for case in group["cases"]}


# --- running a client ----------------------------------------------------------------------


def plan_for(run: Run, servers: Servers, cases: list[Case]) -> dict[str, Any]:
    groups = []
    for server in SERVERS:
        chosen = [case.as_json() for case in cases if case.server == server]
        if not chosen:
            continue
        label = run.id
        group = servers.http_group(server) if run.transport == "http" else servers.stdio_group(server, label)
        groups.append(group | {"cases": chosen})
    return {"version": run.version, "transport": run.transport, "groups": groups}


def run_driver(command: list[str], plan: dict[str, Any], workdir: Path, env: Mapping[str, str]) -> Outcome:
    path = workdir / "plan.json"
    path.write_text(json.dumps(plan))
    done = subprocess.run(
        [*command, str(path)], capture_output=True, text=True, timeout=CLIENT_TIMEOUT, env=dict(env), cwd=HERE
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise AssertionError(f"driver {command} exited {done.returncode}:\n{done.stderr[-4000:]}")
    return Outcome(json.loads(done.stdout.strip().splitlines()[-1])["groups"])


def run_raw(
    run: Run, servers: Servers, cases: list[Case], prepare: Callable[[dict[str, Any]], None]
) -> Outcome:
    """The raw JSON-RPC client, through the same plan, in this process."""
    plan = plan_for(run, servers, cases)["groups"]
    sessions: list[RawSession] = []
    for group in plan:  # start every stdio server before waiting for any
        if run.transport == "http":
            sessions.append(HttpSession(group["url"], run.version))
        else:
            command = [group["command"], *group["args"]]
            log = servers.workdir / f"{run.id}-{group['name']}.raw.log"
            sessions.append(StdioSession(command, group["env"], run.version, log))
    groups = []
    try:
        for group, session in zip(plan, sessions, strict=True):
            session.open()
            outcome: dict[str, Any] = {"server": group["name"], "version": run.version, "cases": []}
            outcome["tools"] = session.request("tools/list")["result"]["tools"]
            for case in group["cases"]:
                prepare(case["setup"])
                outcome["cases"].append({"id": case["id"], **raw_outcome(session, case)})
            prepare({})
            groups.append(outcome)
    finally:
        for session in sessions:
            session.close()
    return Outcome(groups)


def raw_outcome(session: RawSession, case: dict[str, Any]) -> dict[str, Any]:
    try:
        answer = session.call_tool(case["tool"], case["arguments"])
    except NoAnswer as error:
        return {"outcome": "threw", "error": str(error)}
    if "result" in answer:
        return {"outcome": "result", "result": answer["result"]}
    return {"outcome": "threw", "error": json.dumps(answer)}


def inspector_command(run: Run, node_bin: Path, group: dict[str, Any]) -> list[str]:
    """The Inspector CLI reaching one server; the tool call's options are added by the caller."""
    if run.client == "inspector-1":
        base = [str(node_bin / "node"), str(HERE / "node_modules/inspector-1/cli/build/cli.js"), "--cli"]
        era: list[str] = []
    else:
        base = [str(node_bin / "inspector"), "--cli"]
        era = ["--protocol-era", "modern" if run.version == MODERN_VERSION else "legacy", "--format", "json"]
        # Its default gives a server 15 s to connect: a cold start on a busy 2-core machine can
        # take longer, and that would fail the case for the machine's speed, not the server's.
        era += ["--connect-timeout", "120000"]
    if run.transport == "http":
        return [*base, group["url"], "--transport", "http", *era]
    passed = [f"{k}={v}" for k, v in group["env"].items() if k.startswith("TWILIO_")]
    env_options = [option for pair in passed for option in ("-e", pair)]
    return [*base, group["command"], *group["args"], *env_options, *era]


def run_inspector(
    run: Run,
    servers: Servers,
    cases: list[Case],
    node_bin: Path,
    env: Mapping[str, str],
    prepare: Callable[[dict[str, Any]], None],
) -> Outcome:
    """One Inspector process per case. Cases that need nothing from the upstream's script run
    side by side (a few at a time); the scripted ones one by one, since the script is shared."""
    groups = []
    for group in plan_for(run, servers, cases)["groups"]:
        base = inspector_command(run, node_bin, group)

        def call(case: dict[str, Any], base: list[str] = base) -> dict[str, Any]:
            command = [*base, "--method", "tools/call", "--tool-name", case["tool"]]
            command += [f"--tool-arg={k}={v}" for k, v in case["arguments"].items()]
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=120, env=dict(env), cwd=HERE
            )
            return {"id": case["id"], **parse_inspector(done)}

        plain = [case for case in group["cases"] if not case["setup"]]
        scripted = [case for case in group["cases"] if case["setup"]]
        prepare({})
        with ThreadPoolExecutor(max_workers=INSPECTOR_CONCURRENCY) as pool:
            results = list(pool.map(call, plain))
        for case in scripted:
            prepare(case["setup"])
            results.append(call(case))
        prepare({})
        groups.append({"server": group["name"], "version": run.version, "tools": None, "cases": results})
    return Outcome(groups)


def parse_inspector(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The result the Inspector printed (JSON on stdout), or what it said instead."""
    text = done.stdout.strip()
    start = text.find("{")
    if start >= 0:
        try:
            printed = json.loads(text[start:])
        except ValueError:
            printed = None
        if isinstance(printed, dict):
            result = printed.get("result", printed)
            if isinstance(result, dict) and "content" in result:
                return {"outcome": "result", "result": result, "exit": done.returncode}
    return {"outcome": "threw", "error": (done.stdout + done.stderr)[-1500:], "exit": done.returncode}


def node_environment(node_bin: Path, home: Path) -> dict[str, str]:
    """Node >= 22 first on PATH (the Inspector needs it); HOME where its catalogs may go."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    return env | {"PATH": f"{node_bin}{os.pathsep}{env.get('PATH', '')}", "HOME": str(home)}


# The matrix as it ran travels on each test's report (user_properties, which pytest-xdist brings
# back from its workers); tests/conftest.py prints it at the end of the session and, where
# CLIENT_MATRIX_JSON names a file, keeps every run's outcomes there.
MATRIX_PROPERTY = "client_matrix"


def record(node: pytest.Item, run: Run, outcome: Outcome | None, verdict: str) -> None:
    row = f"{run.client:12} {run.version:11} {run.transport:5} {verdict}"
    groups = outcome.groups if outcome is not None else None
    node.user_properties.append(
        (MATRIX_PROPERTY, json.dumps({"id": run.id, "row": row, "verdict": verdict, "groups": groups}))
    )
