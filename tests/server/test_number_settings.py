"""Number settings take ASCII digits only (issue 16 item 7): str.isdigit(), int() and float()
also take "²" (int() then raised a ValueError traceback), "٣", fullwidth digits and "1_000" (read as
3, 12, 1000), and int() raises past 4,300 digits. Each gets the configuration error and exit 2 any bad
value gets: the environment's settings through load_settings and main(), --port through the
command line's parser, and an emulator seed's whole numbers through ``emulator --seed``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server import cli
from server.settings import SettingsError, load_settings
from tests.console import clean_environment, console_script

INTEGERS = (
    "TWILIO_MEMORY_MAX_RETRIES",
    "TWILIO_MEMORY_MAX_CONCURRENCY",
    "TWILIO_MEMORY_RESULT_BUDGET",
    "TWILIO_MEMORY_MAX_REQUEST_BYTES",
    "TWILIO_MEMORY_MAX_CONNECTIONS",
)
SECONDS = (
    "TWILIO_MEMORY_CONNECT_TIMEOUT",
    "TWILIO_MEMORY_ATTEMPT_TIMEOUT",
    "TWILIO_MEMORY_DEADLINE",
    "TWILIO_MEMORY_SHUTDOWN_GRACE",
    "TWILIO_MEMORY_HEADER_TIMEOUT",
)
NOT_ASCII_NUMBERS = {
    "superscript-two": "²",
    "arabic-indic-three": "٣",
    "fullwidth-twelve": "\uff11\uff12",
    "devanagari-five": "५",
    "underscored": "1_0",
    "over-the-digit-limit": "9" * 5000,
    "signed": "+5",
    "embedded-space": "1 0",
}
NOT_WHOLE = {"exponent": "1e1", "fraction": "2.5", "negative": "-1"}
NOT_SECONDS = {"nan": "nan", "infinity": "inf", "exponent": "1e1"}


@pytest.mark.parametrize("name", INTEGERS)
@pytest.mark.parametrize(
    "raw", list((NOT_ASCII_NUMBERS | NOT_WHOLE).values()), ids=list(NOT_ASCII_NUMBERS | NOT_WHOLE)
)
def test_an_integer_setting_takes_ascii_digits_only(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name} must be a whole number from"):
        load_settings({name: raw})


@pytest.mark.parametrize("name", SECONDS)
@pytest.mark.parametrize(
    "raw", list((NOT_ASCII_NUMBERS | NOT_SECONDS).values()), ids=list(NOT_ASCII_NUMBERS | NOT_SECONDS)
)
def test_a_seconds_setting_takes_an_ascii_decimal_only(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=f"^{name} must be "):
        load_settings({name: raw})


def test_ascii_numbers_are_read_and_surrounding_whitespace_is_ignored_as_for_every_setting() -> None:
    settings = load_settings(
        {
            "TWILIO_MEMORY_MAX_RETRIES": " 5\n",  # a secret file's trailing newline, as for any setting
            "TWILIO_MEMORY_MAX_CONCURRENCY": "064",
            "TWILIO_MEMORY_DEADLINE": "2.5",
            "TWILIO_MEMORY_CONNECT_TIMEOUT": ".5",
            "TWILIO_MEMORY_SHUTDOWN_GRACE": "3.",
        }
    )
    assert (settings.max_retries, settings.max_concurrency) == (5, 64)
    assert (settings.deadline, settings.connect_timeout, settings.shutdown_grace) == (2.5, 0.5, 3.0)


def run_main(argv: list[str], monkeypatch: pytest.MonkeyPatch, environ: dict[str, str] | None = None) -> int:
    """``cli.main(argv)`` in this process with only ``environ``'s TWILIO_ settings; its exit code."""
    for name in [name for name in os.environ if name.startswith("TWILIO_")]:
        monkeypatch.delenv(name)
    for name, value in (environ or {}).items():
        monkeypatch.setenv(name, value)
    # The root logger stays pytest's: caplog reads the configuration error.
    monkeypatch.setattr(cli, "configure_logging", lambda level, scrubber=None: None)
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    code = exited.value.code
    assert isinstance(code, int)
    return code


@pytest.mark.parametrize("name", INTEGERS + SECONDS)
def test_main_exits_2_with_a_configuration_error(
    name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="twilio_memory_mcp"):
        code = run_main(["--transport", "http", "--port", "1"], monkeypatch, {name: "²"})
    assert code == 2
    assert [record.getMessage() for record in caplog.records] == [
        f"configuration error: {load_error(name, '²')}"
    ]


def load_error(name: str, raw: str) -> str:
    with pytest.raises(SettingsError) as error:
        load_settings({name: raw})
    return str(error.value)


PORTS = {
    **NOT_ASCII_NUMBERS,
    "leading-space": " 5",
    "trailing-newline": "5\n",
    "over-65535": "99999",
    "word": "http",
}


@pytest.mark.parametrize("command", [["--transport", "http"], ["emulator"]], ids=["server", "emulator"])
@pytest.mark.parametrize("raw", list(PORTS.values()), ids=list(PORTS))
def test_a_port_that_is_not_one_is_a_usage_error_with_exit_2(
    command: list[str], raw: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main([*command, "--port", raw], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "argument --port: must be a port number from 0 to 65535" in err
    assert "Traceback" not in err


def seed_with(tmp_path: Path, change: Any) -> Path:
    seed = json.loads((Path(cli.__file__).parent.parent / "emulator" / "default_seed.json").read_text())
    change(seed)
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed))
    return path


SEEDS = {
    "version-superscript": (
        lambda seed: seed["stores"][0]["identityResolutionSettings"].update(version="²"),
        "version must be a whole number",
    ),
    "version-string": (
        lambda seed: seed["stores"][0]["identityResolutionSettings"].update(version="3"),
        "version must be a whole number",
    ),
    "no-account": (lambda seed: seed.update(accounts=[]), "a seed needs at least one account"),
}


@pytest.mark.parametrize("case", SEEDS)
def test_an_emulator_seed_that_cannot_load_is_a_configuration_error(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    change, why = SEEDS[case]
    path = seed_with(tmp_path, change)
    with caplog.at_level(logging.ERROR, logger="twilio_memory_mcp"):
        code = run_main(["emulator", "--seed", str(path), "--port", "0"], monkeypatch)
    assert code == 2
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 1 and messages[0].startswith(f"configuration error: --seed {path}: ")
    assert why in messages[0]


def test_the_real_console_script_says_it_without_a_traceback() -> None:
    done = subprocess.run(
        [console_script(), "--transport", "http", "--port", "1"],
        env=clean_environment(TWILIO_MEMORY_MAX_CONCURRENCY="²"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "configuration error: TWILIO_MEMORY_MAX_CONCURRENCY must be a whole number" in done.stderr
