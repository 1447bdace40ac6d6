"""Number settings take ASCII digits only (issue 16 item 7): str.isdigit(), int() and float()
also take "²" (int() then raised a ValueError traceback), "٣", fullwidth digits and "1_000" (read as
3, 12, 1000), and int() raises past 4,300 digits. Each gets the configuration error and exit 2 any bad
value gets: the environment's settings through load_settings and main(), --port through the
command line's parser, and an emulator seed's whole numbers through ``emulator --seed``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.settings import SettingsError, load_settings
from tests.support.cli import run_main
from tests.support.console import ROOT, SCRIPT, clean_environment

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


@pytest.mark.parametrize("name", [INTEGERS[0], SECONDS[0]])
def test_a_refused_value_is_quoted_short(name: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({name: "9" * 5000})
    message = str(refused.value)
    assert len(message) < 200, message
    assert "(5000 characters)" in message


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
    assert (settings.memory.max_retries, settings.memory.max_concurrency) == (5, 64)
    assert (settings.memory.deadline, settings.memory.connect_timeout, settings.http.shutdown_grace) == (
        2.5,
        0.5,
        3.0,
    )


@pytest.fixture(autouse=True)
def no_emulator_served(monkeypatch: pytest.MonkeyPatch) -> None:
    """A port or seed wrongly accepted fails the test rather than serving the emulator."""

    def serve(*args: object, **kwargs: object) -> None:
        raise AssertionError("the emulator was started")

    monkeypatch.setattr("emulator.serve", serve)


@pytest.mark.parametrize("name", INTEGERS + SECONDS)
def test_main_exits_2_with_a_configuration_error(name: str) -> None:
    ran = run_main(["--transport", "http", "--port", "1"], {name: "²"})
    assert (ran.code, ran.served) == (2, None)
    assert f"configuration error: {load_error(name, '²')}" in ran.stderr
    assert "Traceback" not in ran.stderr


def load_error(name: str, raw: str) -> str:
    with pytest.raises(SettingsError) as error:
        load_settings({name: raw})
    return str(error.value)


PORTS = {**NOT_ASCII_NUMBERS, "leading-space": " 5", "trailing-newline": "5\n", "minus": "-1"}


@pytest.mark.parametrize("command", [["--transport", "http"], ["emulator"]], ids=["server", "emulator"])
@pytest.mark.parametrize("raw", list(PORTS.values()), ids=list(PORTS))
def test_a_port_that_is_not_one_is_a_usage_error_with_exit_2(command: list[str], raw: str) -> None:
    ran = run_main([*command, "--port", raw])
    assert (ran.code, ran.served) == (2, None)
    assert f"argument --port: {raw!r} is not a port number (1-65535)" in ran.stderr
    assert "Traceback" not in ran.stderr


def seed_with(tmp_path: Path, change: Any) -> Path:
    seed = json.loads((ROOT / "emulator" / "default_seed.json").read_text())
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
def test_an_emulator_seed_that_cannot_load_is_a_configuration_error(case: str, tmp_path: Path) -> None:
    change, why = SEEDS[case]
    path = seed_with(tmp_path, change)
    ran = run_main(["emulator", "--seed", str(path)])
    assert ran.code == 2
    assert f"configuration error: --seed {path}: " in ran.stderr
    assert why in ran.stderr and "Traceback" not in ran.stderr


def test_the_real_console_script_says_it_without_a_traceback() -> None:
    done = subprocess.run(
        [SCRIPT, "--transport", "http", "--port", "1"],
        env=clean_environment(TWILIO_MEMORY_MAX_CONCURRENCY="²"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "configuration error: TWILIO_MEMORY_MAX_CONCURRENCY must be a whole number" in done.stderr
