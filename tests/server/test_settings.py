"""Configuration from the environment: defaults, credentials, the https rule, bad values."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, is_loopback_host, load_settings


def test_defaults_with_an_empty_environment() -> None:
    settings = load_settings({})
    assert settings.memory.credentials is None
    assert settings.memory.credentials_problem is not None
    assert "TWILIO_API_KEY" in settings.memory.credentials_problem
    assert settings.memory.base_url == "https://memory.twilio.com"
    assert settings.default_store_id is None
    assert (settings.memory.connect_timeout, settings.memory.attempt_timeout, settings.memory.deadline) == (
        5.0,
        10.0,
        30.0,
    )
    assert settings.memory.max_retries == 3
    assert settings.log_level == "INFO"


def test_api_key_is_preferred_over_account_sid() -> None:
    settings = load_settings(
        {
            "TWILIO_API_KEY": "SKkey",
            "TWILIO_API_SECRET": "keysecret",
            "TWILIO_ACCOUNT_SID": "ACsid",
            "TWILIO_AUTH_TOKEN": "token",
        }
    )
    assert settings.memory.credentials is not None
    assert settings.memory.credentials.username == "SKkey"
    assert settings.memory.credentials.password.get_secret_value() == "keysecret"
    assert "keysecret" not in repr(settings)


def test_account_sid_and_auth_token() -> None:
    settings = load_settings({"TWILIO_ACCOUNT_SID": "ACsid", "TWILIO_AUTH_TOKEN": "auth-tok-value"})
    assert settings.memory.credentials is not None
    assert settings.memory.credentials.username == "ACsid"
    assert "auth-tok-value" not in repr(settings)


def test_half_a_pair_is_reported_not_used() -> None:
    settings = load_settings({"TWILIO_API_KEY": "SKkey"})
    assert settings.memory.credentials is None
    assert settings.memory.credentials_problem == "TWILIO_API_KEY is set but TWILIO_API_SECRET is not"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8787",
        "http://localhost:8787",
        "http://[::1]:8787",
        "http://sandbox.localhost",
        "https://proxy.example.com/memory",
    ],
)
def test_base_url_accepted(url: str) -> None:
    assert load_settings({"TWILIO_MEMORY_BASE_URL": url + "/"}).memory.base_url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://memory.twilio.com", "https"),
        ("http://10.0.0.5:8787", "https"),
        ("ftp://memory.twilio.com", "absolute"),
        ("memory.twilio.com", "absolute"),
        ("https://user:pass@memory.twilio.com", "credentials"),
        ("https://memory.twilio.com?x=1", "query"),
    ],
)
def test_base_url_refused(url: str, reason: str) -> None:
    with pytest.raises(SettingsError, match=reason):
        load_settings({"TWILIO_MEMORY_BASE_URL": url})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_MEMORY_DEADLINE", "soon"),
        ("TWILIO_MEMORY_DEADLINE", "0"),
        ("TWILIO_MEMORY_ATTEMPT_TIMEOUT", "-1"),
        ("TWILIO_MEMORY_MAX_RETRIES", "11"),
        ("TWILIO_MEMORY_MAX_RETRIES", "two"),
        ("TWILIO_MEMORY_LOG_LEVEL", "LOUD"),
        ("TWILIO_MEMORY_STORE_ID", "store-1"),
        ("TWILIO_MEMORY_REDACT", "maybe"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


def test_tunables_are_read() -> None:
    settings = load_settings(
        {
            "TWILIO_MEMORY_CONNECT_TIMEOUT": "2",
            "TWILIO_MEMORY_ATTEMPT_TIMEOUT": "4.5",
            "TWILIO_MEMORY_DEADLINE": "12",
            "TWILIO_MEMORY_MAX_RETRIES": "0",
            "TWILIO_MEMORY_LOG_LEVEL": "debug",
            "TWILIO_MEMORY_STORE_ID": "mem_store_01kpttrksqe08rhv122gzq52ax",
        }
    )
    assert (settings.memory.connect_timeout, settings.memory.attempt_timeout, settings.memory.deadline) == (
        2.0,
        4.5,
        12.0,
    )
    assert settings.memory.max_retries == 0
    assert settings.log_level == "DEBUG"
    assert settings.default_store_id == "mem_store_01kpttrksqe08rhv122gzq52ax"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("a.localhost", True),
        ("0.0.0.0", False),
        ("10.1.1.1", False),
        ("localhost.example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_audit_log_must_be_writable(tmp_path) -> None:
    assert load_settings({"TWILIO_MEMORY_AUDIT_LOG": "stderr"}).audit_log == "stderr"
    target = tmp_path / "audit.jsonl"
    assert load_settings({"TWILIO_MEMORY_AUDIT_LOG": str(target)}).audit_log == str(target)
    for bad in (str(tmp_path / "missing" / "audit.jsonl"), str(tmp_path)):
        with pytest.raises(SettingsError, match="TWILIO_MEMORY_AUDIT_LOG"):
            load_settings({"TWILIO_MEMORY_AUDIT_LOG": bad})


def test_a_malformed_base_url_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"TWILIO_MEMORY_BASE_URL": "ftp://user:hunter2@example.com"})
    assert "hunter2" not in str(caught.value)


def test_short_bearer_tokens_are_refused_without_being_shown() -> None:
    good = "a" * 16
    assert len(load_settings({"TWILIO_MEMORY_MCP_TOKEN": f"{good}, {good}b"}).http.tokens) == 2
    with pytest.raises(SettingsError, match="token 2 is shorter than 16") as caught:
        load_settings({"TWILIO_MEMORY_MCP_TOKEN": f"{good},letmein"})
    assert "letmein" not in str(caught.value)
