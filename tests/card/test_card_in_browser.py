"""The customer card in a real browser (issue 12): Debian's chromium, driven by Playwright.

The card and the results come the way a host gets them: from the real console script with
``--sandbox`` over stdio, through an MCP client that negotiated MCP Apps (``resources/read`` of
the card, ``tools/call`` of each bound tool). A page on loopback plays the host
(``tests/card/host.html``) with the official host library, ``AppBridge`` from
``@modelcontextprotocol/ext-apps`` (pinned in ``tests/card/package.json``, bundled for the
browser with esbuild): the card in a sandboxed frame, ``ui/initialize``, then the tool's input
and result. Every request the browser makes is recorded: only the host page and its bundle
are allowed. Screenshots at 320 and 1024 px wide go to
``build/test-artifacts/`` (not committed; the README's picture is one of them, copied once).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from emulator import default_examples
from tests.support.console import ROOT, SCRIPT, clean_environment
from tests.support.emulated import APPS, connect, emulator_settings, seeded_values
from tests.support.needs import absent, npm_tool
from tests.support.shared import once_per_run
from tools import customer_card, enabled_tools

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "build" / "test-artifacts"
HOST = Path(__file__).parent  # host.html, host-bridge.js and the npm tools
IDS = default_examples()
CARD_META: dict[str, Any] = {"ui": {"permissions": {"clipboardWrite": {}}}}
# Markup whose handlers, if they ever ran, would mark the card's own document: the frame is
# sandboxed without allow-same-origin, so a handler could not touch the host page's window.
HOSTILE = '<img src=x onerror="document.title=1"><script>document.title=2</script>'
WAIT_MS = 15_000  # a guard against a hung page, never a performance assertion
# What a session's chromium needs on a closed machine (no calls home at start).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclasses.dataclass
class Shown:
    """What a host got from the server for one tool call: the card, the input, the result."""

    html: str
    arguments: dict[str, Any]
    result: dict[str, Any]


@dataclasses.dataclass
class Gathered:
    card: str
    redacted_card: str
    tools: list[dict[str, Any]]  # tools/list as the client read it
    merged: dict[str, Shown]  # tool -> shown, for the sandbox's merged profile
    redacted: dict[str, Shown]  # the plain and the memory profile under TWILIO_MEMORY_REDACT=1
    missing: Shown  # an error result
    cut: Shown  # a result cut to fit a small budget


def stdio(env: dict[str, str]) -> Client:
    server = StdioServerParameters(command=SCRIPT, args=["--sandbox"], env=clean_environment(env))
    return Client(server, extensions=[APPS])


async def read_card(client: Client) -> str:
    read = await client.read_resource(customer_card.URI)
    [content] = read.contents
    assert content.mime_type == "text/html;profile=mcp-app"
    text = getattr(content, "text", None)
    assert isinstance(text, str)
    return text


async def call(client: Client, card: str, tool: str, arguments: dict[str, Any]) -> Shown:
    result = await client.call_tool(tool, arguments)
    return Shown(card, arguments, result.model_dump(mode="json", by_alias=True, exclude_none=True))


async def gather() -> Gathered:
    merged_profile = {"profile_id": IDS.merged_profile_id}
    async with stdio({}) as client:
        card = await read_card(client)
        tools = [tool.model_dump(mode="json", by_alias=True) for tool in (await client.list_tools()).tools]
        merged = {
            tool: await call(client, card, tool, merged_profile)
            for tool in ("list_profile_identifiers", "get_profile", "recall_memories")
        }
        missing = await call(client, card, "get_profile", {"profile_id": IDS.missing_profile_id})
    async with stdio({"TWILIO_MEMORY_REDACT": "1"}) as client:
        redacted_card = await read_card(client)
        redacted = {
            "list_profile_identifiers": await call(
                client, redacted_card, "list_profile_identifiers", {"profile_id": IDS.profile_id}
            ),
            "get_profile": await call(client, redacted_card, "get_profile", {"profile_id": IDS.profile_id}),
            "recall_memories": await call(
                client, redacted_card, "recall_memories", {"profile_id": IDS.memory_profile_id}
            ),
        }
    # A small budget cuts the 100-value profile (in process: the budget is a plain setting).
    async with connect(dataclasses.replace(emulator_settings(), result_budget=3000)) as client:
        full = {"profile_id": IDS.full_profile_id}
        cut = await call(client, await read_card(client), "list_profile_identifiers", full)
    assert cut.result["structuredContent"]["truncated"] is True
    return Gathered(card, redacted_card, tools, merged, redacted, missing, cut)


@pytest.fixture(scope="module")
def gathered(tmp_path_factory: pytest.TempPathFactory) -> Gathered:
    def save(folder: Path) -> None:
        # On a thread of its own: Playwright's sync API keeps an event loop on this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            found = pool.submit(anyio.run, gather).result()
        (folder / "gathered.json").write_text(json.dumps(dataclasses.asdict(found)))

    # Once per run: every xdist worker's browser shows the same results (tests/support/shared.py).
    saved = json.loads((once_per_run(tmp_path_factory, "card-results", save) / "gathered.json").read_text())
    shown = {name: saved[name] for name in ("missing", "cut")}
    return Gathered(
        saved["card"],
        saved["redacted_card"],
        saved["tools"],
        {tool: Shown(**value) for tool, value in saved["merged"].items()},
        {tool: Shown(**value) for tool, value in saved["redacted"].items()},
        Shown(**shown["missing"]),
        Shown(**shown["cut"]),
    )


@dataclasses.dataclass(frozen=True)
class Host:
    page: str  # the host page's URL
    urls: tuple[str, ...]  # every URL the browser may request: the page and its bundle


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """The host page and the official host library bundled for it, served on loopback."""
    esbuild = npm_tool("card", "esbuild")

    def bundle(folder: Path) -> None:
        shutil.copyfile(HOST / "host.html", folder / "host.html")
        command = [esbuild, str(HOST / "host-bridge.js"), "--bundle", "--format=esm", "--log-level=warning"]
        built = subprocess.run(
            [*command, f"--outfile={folder / 'bridge.js'}"], capture_output=True, text=True, check=False
        )
        assert built.returncode == 0, built.stderr

    folder = once_per_run(tmp_path_factory, "card-host", bundle)

    class Files(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(folder), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield Host(f"{base}/host.html", (f"{base}/host.html", f"{base}/bridge.js"))
    finally:
        server.shutdown()
        server.server_close()


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        absent("chromium is not installed: .ci/run installs Debian's chromium (apt-get install chromium)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - a test extra
        absent("playwright is not installed: ./scripts/test installs the test extras")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclasses.dataclass
class Session:
    """One host page in its own browser context, with every request and console error kept."""

    page: Any
    requests: list[str]
    errors: list[str]

    def show(self, shown: Shown, *, theme: str = "light", width: int = 1024) -> Any:
        self.page.set_viewport_size({"width": width, "height": 900})
        context = {"theme": theme, "displayMode": "inline", "containerDimensions": {"maxHeight": 4000}}
        self.page.evaluate(
            "([html, input, result, context, meta]) => showCard(html, input, result, context, meta)",
            [shown.html, shown.arguments, shown.result, context, CARD_META],
        )
        frame = self.page.frame_locator("#view")
        frame.locator("header h1").wait_for(timeout=WAIT_MS)
        return frame

    def card_text(self) -> str:
        frame = self.page.frame_locator("#view")
        return str(frame.locator("#card").inner_text(timeout=WAIT_MS))

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / name
        self.page.locator("#view").screenshot(path=str(path))
        return path


@pytest.fixture
def session(browser: Any, host: Host) -> Iterator[Session]:
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(host.page)
    page.wait_for_function("window.hostReady === true", timeout=WAIT_MS)
    try:
        yield Session(page, requests, errors)
    finally:
        context.close()
    # Strictly offline: the host page and its bundle are the only requests, and nothing was
    # refused by the card's CSP (a refusal would mean the card tried something it must not).
    assert sorted(set(requests)) == sorted(host.urls)
    assert errors == []


def structured(shown: Shown) -> dict[str, Any]:
    content: dict[str, Any] = shown.result["structuredContent"]
    return content


def test_the_merged_sandbox_profile_shows_the_merge_and_its_identifiers_by_type(
    session: Session, gathered: Gathered
) -> None:
    shown = gathered.merged["list_profile_identifiers"]
    data = structured(shown)
    assert data["requested_profile_id"] == IDS.merged_profile_id != data["profile_id"]
    frame = session.show(shown)
    merge = f"Merged: {IDS.merged_profile_id} → {IDS.canonical_profile_id}"
    assert frame.locator(".merge").inner_text() == merge
    assert frame.locator(".badge.sandbox").inner_text() == "sandbox data"
    assert frame.locator(".badge.redacted").count() == 0
    assert data["identifiers"], "the merged profile has identifiers"
    for group in data["identifiers"]:
        section = frame.locator(f'section[data-id-type="{group["id_type"]}"]')
        assert section.locator("h3").inner_text() == f"{group['id_type']} ({len(group['values'])})"
        assert section.locator("li span").all_inner_texts() == group["values"]
        assert section.locator("button.copy").count() == len(group["values"])
    for width in (320, 1024):
        session.page.set_viewport_size({"width": width, "height": 900})
        path = session.screenshot(f"customer-card-merged-{width}.png")
        assert path.stat().st_size > 1000
    # The view told the host its size, and answers the host's teardown. Its size reports come
    # only once the handshake is done (SEP-1865 Lifecycle: size-changed is an interactive-phase
    # notification; the official App starts its ResizeObserver after ui/notifications/initialized).
    assert session.page.evaluate("window.initialized") is True
    sizes = session.page.evaluate("window.sizes")
    assert any(size["width"] == 320 and size["height"] > 100 for size in sizes), sizes
    assert all(size["initialized"] for size in sizes), sizes
    assert session.page.evaluate("teardown()") == {}


def test_a_copy_button_copies_its_own_value(session: Session, gathered: Gathered) -> None:
    # The frame may write the clipboard (the resource asks clipboardWrite, the host grants it
    # in the frame's allow attribute); the host page reads it back.
    session.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    shown = gathered.merged["list_profile_identifiers"]
    last = structured(shown)["identifiers"][-1]
    frame = session.show(shown, width=320)
    row = frame.locator(f'section[data-id-type="{last["id_type"]}"] li').last
    row.locator("button.copy").click()
    row.locator("button.copy", has_text="Copied").wait_for(timeout=WAIT_MS)
    assert session.page.evaluate("navigator.clipboard.readText()") == last["values"][-1]


def test_the_host_library_finds_the_card_on_the_three_tools_it_draws(
    session: Session, gathered: Gathered
) -> None:
    read = "tool => resourceUriOf(tool)"
    found = {tool["name"]: session.page.evaluate(read, tool) for tool in gathered.tools}
    # The default deployment's tools: the card's three among them, the others without it.
    exposed = enabled_tools(None)
    assert found == {name: customer_card.URI if name in customer_card.TOOLS else None for name in exposed}


def test_traits_show_by_group_and_memories_most_recent_first(session: Session, gathered: Gathered) -> None:
    profile = structured(gathered.merged["get_profile"])
    frame = session.show(gathered.merged["get_profile"])
    text = session.card_text()
    assert profile["traits"], "the sandbox's canonical profile has traits"
    for group, traits in profile["traits"].items():
        assert group in frame.locator("section h3").all_inner_texts()
        for name in traits:
            assert name in frame.locator("dt").all_inner_texts()
    assert f"Profile created {profile['created_at']}" in text

    recall = structured(gathered.merged["recall_memories"])
    frame = session.show(gathered.merged["recall_memories"], theme="dark", width=320)
    shown = frame.locator(".memory p").all_inner_texts()
    observations = sorted(recall["observations"], key=lambda item: item["occurred_at"] or item["created_at"])
    assert observations, "the merged profile has memories"
    assert shown[0] == observations[-1]["content"]  # the most recent first
    assert len(frame.locator(".memory").all()) <= 15  # five of each kind at most
    session.screenshot("customer-card-recall-dark-320.png")


def test_a_redacted_profile_shows_masks_and_the_badge_and_never_a_raw_value(
    session: Session, gathered: Gathered
) -> None:
    raw = seeded_values()
    for tool, shown in gathered.redacted.items():
        session.show(shown, theme="dark")
        frame = session.page.frame_locator("#view")
        assert frame.locator(".badge.redacted").inner_text() == "redacted", tool
        assert frame.locator(".badge.sandbox").count() == 1
        text = session.card_text()
        leaked = {value for value in raw | set(IDS.memory_emails) | set(IDS.memory_phones) if value in text}
        assert not leaked, f"{tool}: {leaked}"
    data = structured(gathered.redacted["list_profile_identifiers"])
    session.show(gathered.redacted["list_profile_identifiers"])
    shown_values = session.page.frame_locator("#view").locator("li span").all_inner_texts()
    masked = [value for group in data["identifiers"] for value in group["values"]]
    assert all("#" in value for value in masked)
    assert set(masked) <= set(shown_values)
    session.screenshot("customer-card-redacted-1024.png")


def test_an_html_looking_value_shows_as_text(session: Session, gathered: Gathered) -> None:
    base = gathered.merged["list_profile_identifiers"]
    hostile = {
        "store_id": IDS.store_id,
        "profile_id": IDS.profile_id,
        "requested_profile_id": HOSTILE,
        "created_at": HOSTILE,
        "identifiers": [{"id_type": HOSTILE, "values": [HOSTILE]}],
        "traits": {HOSTILE: {HOSTILE: [HOSTILE, 1, True]}},
        "observations": [{"id": "x", "content": HOSTILE, "created_at": "2026-01-01T00:00:00Z"}],
        "truncated": True,
        "omitted": 1,
        "hint": HOSTILE,
    }
    result = {"content": [{"type": "text", "text": json.dumps(hostile)}], "structuredContent": hostile}
    frame = session.show(Shown(base.html, {}, result))
    text = session.card_text()
    assert text.count(HOSTILE) >= 8
    assert frame.locator("img").count() == 0
    assert frame.locator("#card script").count() == 0
    assert frame.locator("html").evaluate("(html) => html.ownerDocument.title") == "Customer card"


def test_an_error_result_shows_its_code_and_hint(session: Session, gathered: Gathered) -> None:
    error = structured(gathered.missing)["error"]
    assert gathered.missing.result["isError"] is True
    frame = session.show(gathered.missing)
    alert = frame.locator('[role="alert"]').inner_text()
    assert error["code"] == "not_found"
    assert error["code"] in alert and error["hint"] in alert


def test_a_cut_result_says_how_many_were_left_out_and_how_to_get_them(
    session: Session, gathered: Gathered
) -> None:
    data = structured(gathered.cut)
    frame = session.show(gathered.cut, width=320)
    assert frame.locator(".badge.truncated").inner_text() == "truncated"
    notice = frame.locator(".notice.truncated").inner_text()
    assert f"{data['omitted']} left out" in notice and data["hint"] in notice


def test_the_theme_follows_the_host(session: Session, gathered: Gathered) -> None:
    frame = session.show(gathered.merged["get_profile"], theme="light")
    background = "() => getComputedStyle(document.body).backgroundColor"
    light = frame.locator("body").evaluate(background.replace("()", "(_)"))
    session.page.evaluate("changeContext({theme: 'dark'})")
    frame.locator('html[data-theme="dark"]').wait_for(timeout=WAIT_MS)
    dark = frame.locator("body").evaluate(background.replace("()", "(_)"))
    assert light == "rgb(255, 255, 255)" and dark != light


def test_the_card_takes_the_hosts_style_variables_it_uses(session: Session, gathered: Gathered) -> None:
    frame = session.show(gathered.merged["get_profile"], theme="light")
    variables = {"--color-background-primary": "rgb(1, 2, 3)", "--not-a-host-variable": "red"}
    session.page.evaluate("variables => changeContext({styles: {variables}})", variables)
    frame.locator('html[style*="--color-background-primary"]').wait_for(timeout=WAIT_MS)
    assert (
        frame.locator("body").evaluate("(body) => getComputedStyle(body).backgroundColor") == "rgb(1, 2, 3)"
    )
    assert "--not-a-host-variable" not in frame.locator("html").evaluate(
        "(html) => html.getAttribute('style')"
    )


def test_the_card_runs_no_eval_and_inserts_no_markup() -> None:
    page = customer_card.html(sandbox=False, redact=False)
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    for banned in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert banned not in script, banned
    script_policy = page.split("script-src", 1)[1].split(";", 1)[0]
    assert "'unsafe-eval'" not in page and "'unsafe-inline'" not in script_policy
