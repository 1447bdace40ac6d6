"""A newcomer's mistakes get one clear line and exit 2 (issue 18 item 4): a mistyped variable,
--port without --transport http, a port out of range, a secret on the command line. In-process,
through load_settings and main([...]); the console script itself is tested elsewhere."""

from __future__ import annotations

import re

import pytest

from server.cli import parse_args
from server.env_names import IGNORE_VARS, KNOWN
from server.settings import SettingsError, load_settings
from tests.support.cli import run_main
from tests.support.console import ROOT

KEY_SID = "SK" + "0123456789abcdef" * 2
ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
RANDOM_SECRET = "xq7Kd93jfA0b1c2d3e4f5g6h7i8jZZ"


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("TWILIO_MEMORY_TOOLSET", "TWILIO_MEMORY_TOOLSETS"),
        ("TWILIO_MEMORY_STOREID", "TWILIO_MEMORY_STORE_ID"),
        ("TWILIO_MEMORY_REDCAT", "TWILIO_MEMORY_REDACT"),
        ("TWILIO_MEMORY_LOGLEVEL", "TWILIO_MEMORY_LOG_LEVEL"),
        ("TWILIO_MEMORY_OAUTH_ISSUR", "TWILIO_MEMORY_OAUTH_ISSUER"),
    ],
)
def test_an_unknown_variable_names_the_closest_known_one(name: str, meant: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: "identity-secret-value"})
    message = str(refused.value)
    assert message.startswith(f"unknown variable {name} (did you mean {meant}?)")
    assert IGNORE_VARS in message
    assert "identity-secret-value" not in message  # the value may be a secret, misfiled
    assert "\n" not in message


def test_a_name_like_no_setting_is_named_without_a_guess() -> None:
    with pytest.raises(SettingsError, match=r"^unknown variables TWILIO_MEMORY_A, TWILIO_MEMORY_ZZZ; "):
        load_settings({"TWILIO_MEMORY_ZZZ": "1", "TWILIO_MEMORY_A": "1"})


def test_deliberate_extras_are_listed_and_other_twilio_variables_are_not_ours() -> None:
    settings = load_settings(
        {
            "TWILIO_MEMORY_SIDECAR_PORT": "9000",
            "TWILIO_MEMORY_WRAPPER": "1",
            IGNORE_VARS: "TWILIO_MEMORY_SIDECAR_PORT, TWILIO_MEMORY_WRAPPER",
            "TWILIO_PHONE_NUMBER": "+15005550006",  # another tool's: not the TWILIO_MEMORY_ prefix
            "TWILIO_MEMORY_TOOLSETS": "identity",
        }
    )
    assert settings.enabled_toolsets == frozenset({"identity"})
    with pytest.raises(SettingsError, match="TWILIO_MEMORY_WRAPPER"):
        load_settings({"TWILIO_MEMORY_WRAPPER": "1", IGNORE_VARS: "TWILIO_MEMORY_SIDECAR_PORT"})


def test_every_variable_the_server_reads_is_known_and_documented() -> None:
    read = {
        name
        for path in (ROOT / "server").rglob("*.py")
        for name in re.findall(r'"(TWILIO_MEMORY_[A-Z0-9_]*[A-Z0-9])"', path.read_text(encoding="utf-8"))
    }
    assert len(read) > 20
    assert read <= KNOWN, read - KNOWN
    documented = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    for name in KNOWN:
        assert f"`{name}`" in documented, name


def test_main_refuses_an_unknown_variable_in_one_line() -> None:
    ran = run_main([], {"TWILIO_MEMORY_TOOLSET": "identity"})
    assert ran.code == 2
    out, err = ran.stdout, ran.stderr
    assert out == ""  # stdout is the protocol
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "configuration error: unknown variable TWILIO_MEMORY_TOOLSET" in lines[0]
    assert "did you mean TWILIO_MEMORY_TOOLSETS?" in lines[0]


def usage_error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a usage mistake prints, after checking it exits 2 and prints nothing else."""
    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--port", "9000"], "--port applies to --transport http only"),
        (["--host", "0.0.0.0"], "--host applies to --transport http only"),
        (["--host", "0.0.0.0", "--port", "9000"], "--host and --port apply to --transport http only"),
        (["--transport", "stdio", "--port", "9000"], "add --transport http"),
        (["--transport", "http", "--port", "99999"], "99999 is out of range: a port is 1-65535"),
        (["--transport", "http", "--port", "0"], "0 is out of range"),
        (["--transport", "http", "--port", "eighty"], "is not a port number"),
        (["emulator", "--port", "70000"], "70000 is out of range"),
    ],
)
def test_address_mistakes_are_usage_errors(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert says in usage_error(argv, capsys)


@pytest.mark.parametrize(
    ("argv", "variable"),
    [
        (["--api-key", KEY_SID], "TWILIO_API_KEY"),
        ([f"--api-key={KEY_SID}"], "TWILIO_API_KEY"),
        (["--api-secret", RANDOM_SECRET], "TWILIO_API_SECRET"),
        (["--auth-token", RANDOM_SECRET], "TWILIO_AUTH_TOKEN"),
        (["--account-sid", ACCOUNT_SID], "TWILIO_ACCOUNT_SID"),
        (["--token", RANDOM_SECRET], "TWILIO_MEMORY_MCP_TOKEN"),
        (["--password", RANDOM_SECRET], "TWILIO_API_SECRET"),
        ([KEY_SID], "TWILIO_API_KEY (with TWILIO_API_SECRET)"),
        (["--sandbox", ACCOUNT_SID], "TWILIO_ACCOUNT_SID (with TWILIO_AUTH_TOKEN)"),
        (
            ["--transport", "http", RANDOM_SECRET],
            "TWILIO_API_SECRET, TWILIO_AUTH_TOKEN or TWILIO_MEMORY_MCP_TOKEN",
        ),
    ],
)
def test_a_secret_on_the_command_line_names_the_variable_and_is_never_echoed(
    argv: list[str], variable: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = usage_error(argv, capsys)
    assert "secrets come only from the environment" in said
    assert f"set {variable} instead" in said
    for secret in (KEY_SID, ACCOUNT_SID, RANDOM_SECRET):
        assert secret not in said
        assert secret[:12] not in said


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--sandbox"],
        ["--transport", "http"],
        ["--transport", "http", "--host", "0.0.0.0", "--port", "8000"],
        ["--transport", "http", "--host", "mcp-replica-01.internal.example.com", "--port", "65535"],
        ["--transport", "http", "--host", "twilio-memory-mcp-headless-0123456789"],  # a pod's name
        ["emulator", "--host", "127.0.0.1", "--port", "8787", "--seed", "/srv/seeds/acme-2025-01-31.json"],
        ["demo"],
    ],
)
def test_what_is_right_still_parses(argv: list[str]) -> None:
    args = parse_args(argv)
    if args.command is None:
        assert (args.host, args.port) == (
            args.host if "--host" in argv else "127.0.0.1",
            int(argv[argv.index("--port") + 1]) if "--port" in argv else 8000,
        )
