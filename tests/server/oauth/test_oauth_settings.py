"""OAuth settings: read from the environment once; unknown or inconsistent ones refuse to start."""

from __future__ import annotations

import pytest

from server.http.app import create_app
from server.oauth.settings import KNOWN, OAuthSettings, default_scope
from server.settings import SettingsError, check_exposure, load_settings
from tests.support.cli import run_main
from tests.support.console import ROOT
from tools import TOOLSETS

ISSUER = "https://idp.example.com/realms/support"
RESOURCE = "https://mcp.example.com/mcp"
BASE = {"TWILIO_MEMORY_OAUTH_ISSUER": ISSUER, "TWILIO_MEMORY_OAUTH_RESOURCE": RESOURCE}


def test_oauth_is_off_unless_configured() -> None:
    assert load_settings({}).http.oauth is None
    assert load_settings({"TWILIO_MEMORY_MCP_TOKEN": "x" * 32}).http.oauth is None


def test_the_smallest_configuration_and_its_defaults() -> None:
    assert load_settings(BASE).http.oauth == OAuthSettings(
        issuer=ISSUER,
        resource=RESOURCE,
        audiences=(RESOURCE,),  # the resource URL is the audience (RFC 8707)
        jwks_url=None,  # discovered from the issuer's metadata
        required_scopes=(),
        toolset_scopes=tuple((name, default_scope(name)) for name in TOOLSETS),
    )


def test_every_setting() -> None:
    oauth = load_settings(
        BASE
        | {
            "TWILIO_MEMORY_OAUTH_AUDIENCE": "api://twilio-memory, https://mcp.example.com/mcp",
            "TWILIO_MEMORY_OAUTH_JWKS_URL": "https://idp.example.com/keys",
            "TWILIO_MEMORY_OAUTH_REQUIRED_SCOPES": "mcp.access, openid mcp.access",
            "TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": " identity = crm/identity:read ",
        }
    ).http.oauth
    assert oauth is not None
    assert oauth.audiences == ("api://twilio-memory", "https://mcp.example.com/mcp")
    assert oauth.jwks_url == "https://idp.example.com/keys"
    assert oauth.required_scopes == ("mcp.access", "openid")
    # identity's scope replaced; every other toolset keeps its default, memory.<toolset>.read
    assert oauth.toolset_scopes == tuple(
        (name, "crm/identity:read" if name == "identity" else default_scope(name)) for name in TOOLSETS
    )


def test_loopback_urls_may_be_plain_http() -> None:
    oauth = load_settings(
        {
            "TWILIO_MEMORY_OAUTH_ISSUER": "http://127.0.0.1:8080/realms/dev",
            "TWILIO_MEMORY_OAUTH_RESOURCE": "http://localhost:8000/mcp",
        }
    ).http.oauth
    assert oauth is not None and oauth.issuer == "http://127.0.0.1:8080/realms/dev"


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        (
            {"TWILIO_MEMORY_OAUTH_ISSUR": ISSUER},
            "unknown variable TWILIO_MEMORY_OAUTH_ISSUR (did you mean TWILIO_MEMORY_OAUTH_ISSUER?)",
        ),
        (BASE | {"TWILIO_MEMORY_OAUTH_SCOPES": "x"}, "unknown variable TWILIO_MEMORY_OAUTH_SCOPES"),
        (
            {"TWILIO_MEMORY_OAUTH_RESOURCE": RESOURCE},
            "TWILIO_MEMORY_OAUTH_RESOURCE set without TWILIO_MEMORY_OAUTH_ISSUER",
        ),
        (
            {"TWILIO_MEMORY_OAUTH_AUDIENCE": "api://x", "TWILIO_MEMORY_OAUTH_JWKS_URL": "https://i/k"},
            "TWILIO_MEMORY_OAUTH_AUDIENCE, TWILIO_MEMORY_OAUTH_JWKS_URL set without "
            "TWILIO_MEMORY_OAUTH_ISSUER",
        ),
        (
            {"TWILIO_MEMORY_OAUTH_ISSUER": ISSUER},
            "TWILIO_MEMORY_OAUTH_ISSUER needs TWILIO_MEMORY_OAUTH_RESOURCE",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_ISSUER": "http://idp.example.com"},
            "TWILIO_MEMORY_OAUTH_ISSUER must use https unless its host is loopback",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_RESOURCE": "http://mcp.example.com/mcp"},
            "TWILIO_MEMORY_OAUTH_RESOURCE must use https",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_JWKS_URL": "http://idp.example.com/keys"},
            "TWILIO_MEMORY_OAUTH_JWKS_URL must use https",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_ISSUER": "idp.example.com"},
            "TWILIO_MEMORY_OAUTH_ISSUER must be an absolute",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_ISSUER": ISSUER + "?tenant=a"},
            "TWILIO_MEMORY_OAUTH_ISSUER must not carry credentials, a query or a fragment",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_REQUIRED_SCOPES": 'mcp."access"'},
            "TWILIO_MEMORY_OAUTH_REQUIRED_SCOPES: 'mcp.\"access\"' is not a valid scope",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "contacts=memory.contacts.read"},
            "TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES names unknown toolset 'contacts'; known: identity",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "identity=a,identity=b"},
            "names toolset 'identity' twice",
        ),
        (BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "memory.identity.read"}, "takes toolset=scope pairs"),
        (BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "identity=a b"}, "one scope per toolset"),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "write=memory.context.read"},
            "the write toolset's scope 'memory.context.read' also grants context; writes need a scope",
        ),
        (
            BASE | {"TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES": "identity=crm.all,write=crm.all"},
            "also grants identity",
        ),
    ],
)
def test_unknown_or_inconsistent_settings_refuse_to_start(environment: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(environment)
    assert says in str(refused.value)


def test_oauth_counts_as_authentication_for_a_non_loopback_bind() -> None:
    settings = load_settings(BASE | {"TWILIO_MEMORY_ALLOWED_HOSTS": "mcp.example.com"})
    check_exposure(settings, "0.0.0.0")  # no static token needed


def test_the_asgi_factory_takes_oauth_instead_of_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "server.http.app.configure_logging", lambda level, scrubber=None: None
    )  # keep pytest's
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    assert callable(create_app())


def test_the_command_line_exits_2_naming_the_setting() -> None:
    completed = run_main(["--transport", "http"], {"TWILIO_MEMORY_OAUTH_ISSUER": ISSUER})
    assert completed.code == 2
    assert (
        "configuration error: TWILIO_MEMORY_OAUTH_ISSUER needs TWILIO_MEMORY_OAUTH_RESOURCE"
        in completed.stderr
    )
    assert completed.stdout == ""


def test_every_oauth_setting_has_a_row_in_the_settings_table() -> None:
    table = (ROOT / "docs" / "settings.md").read_text()
    for name in KNOWN:
        assert f"| `{name}` |" in table, name


def test_on_stdio_the_oauth_settings_are_ignored_with_a_warning() -> None:
    completed = run_main([], BASE)
    assert completed.served == "stdio"
    assert "TWILIO_MEMORY_OAUTH_* apply to the HTTP transport only; ignored on stdio" in completed.stderr
    assert completed.stdout == ""
