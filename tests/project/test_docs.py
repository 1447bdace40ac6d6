"""The README and docs/ are the front door: every command in them that can run offline is run
or checked here, in-process, and their config blocks, tables and links must stay true (issue 18).

A shell command these tests do not know how to check fails ``test_every_shell_command_is_checked``:
teach :func:`check_command` about it rather than leaving it untested."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import runpy
import shlex
import sys
import tomllib
import typing
from collections.abc import Iterator

import anyio
import httpx2
import pytest

from emulator import create_app, default_examples
from memory.errors import ErrorCode
from server.cli import parse_args
from server.settings import check_exposure, load_settings
from tests.support.console import ROOT
from tools import OPT_IN, TOOLSETS

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = {path.name: path.read_text(encoding="utf-8") for path in sorted((ROOT / "docs").glob("*.md"))}
PAGES = {"README.md": README} | {f"docs/{name}": text for name, text in DOCS.items()}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REPOSITORY = PYPROJECT["project"]["urls"]["Repository"]
CLONE = "/path/to/twilio-memory-mcp"  # the README's stand-in for the reader's clone
EMULATOR = "http://127.0.0.1:8787"  # the emulator's documented address
# Commands that need the network or a machine this suite does not have (an identity provider,
# a published release, nginx): their pieces are checked by the handlers below where they can be.
NEEDS_NETWORK = ("curl -s https://", "TOKEN=$(curl")


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def shell_commands() -> Iterator[tuple[str, str, dict[str, str]]]:
    """(page, command, the variables the block exported before it) for every sh block line."""
    for page, text in PAGES.items():
        for block in code_blocks(text, "sh"):
            environment: dict[str, str] = {}
            for line in block.replace("\\\n", " ").splitlines():
                command = line.split(" #", 1)[0].strip()
                if not command:
                    continue
                if command.startswith("export "):
                    for assignment in shlex.split(command)[1:]:
                        name, _, value = assignment.partition("=")
                        environment[name] = value
                yield page, command, dict(environment)


def concrete(environment: dict[str, str]) -> dict[str, str]:
    """Placeholders a reader fills in (SK..., $(openssl rand -hex 32)) as real-looking values."""
    filled = {}
    for name, value in environment.items():
        if value.startswith("$(openssl rand"):
            value = "0" * 63 + "1"
        filled[name] = value.replace("...", "0123456789abcdef0123456789abcdef")
    return filled


def check_command(page: str, command: str, environment: dict[str, str]) -> None:
    """Run or check one documented command; raise AssertionError if it is wrong."""
    words = [word.strip("[]") for word in shlex.split(command)]
    words = [word for word in words if word]
    first = words[0]
    if first == "export":
        for assignment in words[1:]:  # the block's server command checks them together
            assert f"`{assignment.partition('=')[0]}`" in DOCS["settings.md"], assignment
    elif first == "twilio-memory-mcp":
        check_server_command(words[1:], concrete(environment))
    elif first.startswith("./scripts/"):
        script = ROOT / first
        assert script.is_file() and script.stat().st_mode & 0o111, first
        markers = " ".join(PYPROJECT["tool"]["pytest"]["ini_options"]["markers"])
        if "-m" in words:
            for marker in re.findall(r"[a-z]+", words[words.index("-m") + 1]):
                assert marker in {"not", "and", "or"} or f"{marker}:" in markers, marker
    elif first == ".venv/bin/python":
        check_bench_command(words[1:])
    elif first in {"uvx", "pipx"}:
        check_install_command(words)
    elif first == "pip":
        extras = " ".join(PYPROJECT["project"]["optional-dependencies"]["test"])
        for package in words[2:]:
            assert package in extras, f"{package} is not in the test extras, so no test runs it"
    elif first == "gunicorn":
        check_gunicorn_command(words)
    elif first == "npx":
        package, _, version = words[1].rpartition("@")
        pinned = json.loads((ROOT / "tests" / "bundle" / "package.json").read_text())["dependencies"]
        assert pinned[package] == version, "the documented mcpb is the one tests/test_bundle.py packs with"
        assert words[2:4] == ["pack", "."]
    elif first == "curl" and EMULATOR in command:
        check_emulator_curl(words)
    else:
        assert command.startswith(NEEDS_NETWORK), f"{page}: teach tests/test_docs.py to check: {command}"


def check_server_command(argv: list[str], environment: dict[str, str]) -> None:
    args = parse_args(argv)  # a usage mistake exits 2 (SystemExit), failing the test
    settings = load_settings(environment)
    if args.command is None and args.transport == "http":
        check_exposure(settings, args.host)
    if environment.get("TWILIO_MEMORY_BASE_URL") == EMULATOR:  # the emulator's documented credentials
        examples = default_examples()
        assert settings.memory.credentials is not None
        assert settings.memory.credentials.username == examples.api_key
        assert settings.memory.credentials.password.get_secret_value() == examples.api_secret


def check_bench_command(argv: list[str]) -> None:
    """A benchmark runs for minutes: run its script in-process as far as its --help (it imports,
    and its command line parses)."""
    script = ROOT / argv[0]
    assert script.is_file(), argv[0]
    shown = io.StringIO()
    with contextlib.redirect_stdout(shown), pytest.raises(SystemExit) as exited:
        saved, sys.argv = sys.argv, [argv[0], *argv[1:], "--help"]
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved
    assert exited.value.code == 0
    assert shown.getvalue().startswith("usage:"), shown.getvalue()


def check_install_command(words: list[str]) -> None:
    name = PYPROJECT["project"]["name"]
    source = words[words.index("--from") + 1] if "--from" in words else words[-1]
    assert source in {CLONE, f"git+{REPOSITORY}", name}, source
    if words[0] == "uvx":
        assert name in PYPROJECT["project"]["scripts"]  # the command uvx runs
        parse_args(words[words.index(name) + 1 :])


def check_gunicorn_command(words: list[str]) -> None:
    module, _, call = words[1].partition(":")
    assert call == "create_app()"
    assert callable(importlib.import_module(module).create_app)
    worker_module, _, worker_class = words[words.index("-k") + 1].rpartition(".")
    assert isinstance(getattr(importlib.import_module(worker_module), worker_class), type)
    # The grace this command gives must leave 5 s beyond the default shutdown grace (docs/http.md).
    graceful = float(words[words.index("--graceful-timeout") + 1])
    assert graceful >= load_settings({}).http.shutdown_grace + 5


def check_emulator_curl(words: list[str]) -> None:
    """The emulator's documented curl, against the emulator in-process."""
    user, _, password = words[words.index("-u") + 1].partition(":")
    url = next(word for word in words if word.startswith(EMULATOR))

    async def fetch() -> httpx2.Response:
        app_transport = httpx2.ASGITransport(app=create_app())
        async with httpx2.AsyncClient(transport=app_transport, base_url=EMULATOR) as client:
            return await client.get(url.removeprefix(EMULATOR), auth=(user, password))

    response = anyio.run(fetch)
    assert response.status_code == 200, response.text
    assert response.json()


def test_every_shell_command_is_checked() -> None:
    commands = list(shell_commands())
    assert len(commands) > 20
    for page, command, environment in commands:
        try:
            check_command(page, command, environment)
        except SystemExit as exit:
            raise AssertionError(f"{page}: {command}: exits {exit.code}") from None


def test_the_readme_fits_a_page_and_keeps_the_registry_marker() -> None:
    assert len(README.splitlines()) <= 250
    assert "<!-- mcp-name: io.github.twilio-labs/twilio-memory-mcp -->" in README


def test_no_time_of_writing_claims() -> None:
    for page, text in PAGES.items():
        assert "time of writing" not in text, page
        assert "at the moment" not in text, page


def readme_stdio_blocks() -> list[dict[str, typing.Any]]:
    blocks = [json.loads(block) for block in code_blocks(README, "json")]
    return [block for block in blocks if '"command"' in json.dumps(block)]


def test_client_config_blocks_run_from_a_clone_and_match_mcp_json() -> None:
    canonical = json.loads((ROOT / "mcp.json").read_text())["mcpServers"]
    blocks = readme_stdio_blocks()
    assert len(blocks) == 3  # Claude Desktop, Claude Code, Cursor (and VS Code)
    assert blocks[1]["mcpServers"] == canonical  # Claude Code's block is mcp.json itself
    for block in blocks:
        servers = block["mcpServers"]
        assert servers.keys() == canonical.keys()
        for name, server in servers.items():
            assert server["command"] == canonical[name]["command"] == "uvx"
            assert server["args"] == canonical[name]["args"]
            assert server["args"][:3] == ["--from", CLONE, "twilio-memory-mcp"]
            parse_args(server["args"][3:])
            assert server["env"].keys() == canonical[name]["env"].keys()
            load_settings({key: "" for key in server["env"]})  # every name is a setting


def test_the_claude_code_command_line_is_the_json_block() -> None:
    line = re.search(r"`claude mcp add twilio-memory [^`]*`", README.replace("\n", " "))
    assert line, "the README gives Claude Code's one-line command"
    words = line[0].strip("`").split()
    block = readme_stdio_blocks()[1]["mcpServers"]["twilio-memory"]
    assert words[words.index("--") + 1 :] == [block["command"], *block["args"]]


def test_the_http_client_entry_is_for_the_http_transport() -> None:
    (entry,) = [json.loads(block) for block in code_blocks(DOCS["http.md"], "json")]
    server = entry["mcpServers"]["twilio-memory"]
    assert server["type"] == "http"
    assert server["url"].endswith("/mcp")
    assert server["headers"] == {"Authorization": "Bearer ${TWILIO_MEMORY_MCP_TOKEN}"}


def test_the_kubernetes_manifest_runs_the_documented_server() -> None:
    (manifest,) = code_blocks(DOCS["http.md"], "yaml")
    args = json.loads(re.search(r"args: (\[.*\])", manifest)[1])  # type: ignore[index]
    parsed = parse_args(args)
    assert parsed.transport == "http"
    for name in re.findall(r"name: (TWILIO_[A-Z_]+)", manifest):
        assert f"`{name}`" in DOCS["settings.md"], name
    assert "publishes no container image" in DOCS["http.md"]  # the image is the reader's own


def test_every_error_code_is_documented() -> None:
    for code in typing.get_args(ErrorCode):
        assert f"| `{code}` |" in DOCS["errors.md"], code


def settings_rows(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\| `(TWILIO_MEMORY_[A-Z_]+)` \| `?([^`|]*)`? \|", text, re.M))


def test_every_setting_is_documented() -> None:
    source = (ROOT / "server" / "settings.py").read_text()
    variables = set(re.findall(r'"((?:TWILIO)_[A-Z_]+)"', source))
    assert len(variables) > 15
    for variable in variables:
        assert f"`{variable}`" in DOCS["settings.md"], variable


def test_the_readme_settings_are_a_part_of_the_full_table() -> None:
    readme, full = settings_rows(README), settings_rows(DOCS["settings.md"])
    assert len(readme) >= 6
    for name, default in readme.items():
        assert full[name].strip() == default.strip(), name


def test_documented_defaults_are_the_real_defaults() -> None:
    settings = load_settings({})
    rows = settings_rows(DOCS["settings.md"])
    assert float(rows["TWILIO_MEMORY_DEADLINE"]) == settings.memory.deadline
    assert float(rows["TWILIO_MEMORY_ATTEMPT_TIMEOUT"]) == settings.memory.attempt_timeout
    assert float(rows["TWILIO_MEMORY_CONNECT_TIMEOUT"]) == settings.memory.connect_timeout
    assert int(rows["TWILIO_MEMORY_MAX_RETRIES"]) == settings.memory.max_retries
    assert int(rows["TWILIO_MEMORY_MAX_CONCURRENCY"]) == settings.memory.max_concurrency
    assert int(rows["TWILIO_MEMORY_RESULT_BUDGET"]) == settings.result_budget
    assert float(rows["TWILIO_MEMORY_SHUTDOWN_GRACE"]) == settings.http.shutdown_grace
    assert rows["TWILIO_MEMORY_BASE_URL"] == settings.memory.base_url


def test_every_toolset_scope_is_in_the_oauth_guide_and_each_provider() -> None:
    oauth = load_settings(
        {
            "TWILIO_MEMORY_OAUTH_ISSUER": "https://sso.example.com/realms/support",
            "TWILIO_MEMORY_OAUTH_RESOURCE": "https://mcp.example.com/mcp",
        }
    ).http.oauth
    assert oauth is not None
    scopes = [scope for _, scope in oauth.toolset_scopes]
    assert len(scopes) == len(TOOLSETS) >= 2
    guide = DOCS["oauth.md"]
    providers = guide.split("\n## Identity providers\n", 1)[1].split("\n### ")[1:]
    assert len(providers) >= 4
    for scope in scopes:
        assert f"| `{scope}` |" in guide, scope
        for provider in providers:
            assert scope in provider, (scope, provider.splitlines()[0])
    # The examples show a default deployment: the opt-in toolsets (write) are not exposed.
    default = [scope for toolset, scope in oauth.toolset_scopes if toolset not in OPT_IN]
    challenge = re.search(r'scope="([^"]+)"`', guide)
    assert challenge and challenge[1].split() == default
    (keycloak_check,) = [block for block in code_blocks(guide, "sh") if "client_credentials" in block]
    assert f"scope='{' '.join(default)}'" in keycloak_check


@pytest.mark.parametrize("command", ["./scripts/demo", "./scripts/test"])
def test_the_two_commands_exist(command: str) -> None:
    assert command in README
    assert (ROOT / command).stat().st_mode & 0o111


def test_ci_runs_the_readme_test_command() -> None:
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_says_which_install_lines_wait_for_a_release() -> None:
    install = README.split("\n## Install and run\n", 1)[1].split("\n## ", 1)[0]
    today, after = install.split("**After the first release on PyPI**", 1)
    assert "uvx --from" in today and "pipx install /path/to/" in today
    assert "uvx twilio-memory-mcp " in after and "pipx install twilio-memory-mcp " in after


LINK = re.compile(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"")


def links(text: str) -> list[str]:
    return [a or b for a, b in LINK.findall(text)]


def heading_anchors(text: str) -> set[str]:
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def test_readme_links_are_absolute_and_point_at_files_that_exist() -> None:
    """PyPI shows the README as the long description, where a relative link breaks."""
    blob = f"{REPOSITORY}/blob/main/"
    raw = REPOSITORY.replace("github.com", "raw.githubusercontent.com") + "/main/"
    found = links(README)
    assert len(found) > 10
    for link in found:
        assert link.startswith("https://"), f"README link must be absolute: {link}"
        for prefix in (blob, raw):
            if link.startswith(prefix):
                assert (ROOT / link.removeprefix(prefix).split("#")[0]).is_file(), link


def test_docs_links_resolve() -> None:
    for name, text in DOCS.items():
        for link in links(text):
            if link.startswith(("https://", "http://")):
                continue
            target, _, anchor = link.partition("#")
            path = (ROOT / "docs" / target).resolve() if target else ROOT / "docs" / name
            assert path.is_file(), f"docs/{name}: {link}"
            if anchor and path.suffix == ".md":
                assert anchor in heading_anchors(path.read_text(encoding="utf-8")), f"docs/{name}: {link}"
