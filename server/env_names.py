"""Every ``TWILIO_MEMORY_*`` variable the server reads, so a mistyped one refuses to start
(issue 18 item 4): ``TWILIO_MEMORY_TOOLSET=identity`` would otherwise expose every tool, and a
typo in ``TWILIO_MEMORY_REDACT`` leave customer values unmasked, without a word.

A deployment that sets other ``TWILIO_MEMORY_*`` variables on purpose (for a sidecar, a wrapper
script) lists them, comma-separated, in ``TWILIO_MEMORY_IGNORE_VARS``. Only this prefix is
checked: other ``TWILIO_*`` variables (a phone number, a Flex setting) are not the server's.
``tests/test_env_names.py`` keeps :data:`KNOWN` equal to the names the server's code reads.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = "TWILIO_MEMORY_"
IGNORE_VARS = "TWILIO_MEMORY_IGNORE_VARS"
KNOWN = frozenset(
    {
        "TWILIO_MEMORY_STORE_ID",
        "TWILIO_MEMORY_BASE_URL",
        "TWILIO_MEMORY_CONNECT_TIMEOUT",
        "TWILIO_MEMORY_ATTEMPT_TIMEOUT",
        "TWILIO_MEMORY_DEADLINE",
        "TWILIO_MEMORY_MAX_RETRIES",
        "TWILIO_MEMORY_MAX_CONCURRENCY",
        "TWILIO_MEMORY_LOG_LEVEL",
        "TWILIO_MEMORY_TOOLSETS",
        "TWILIO_MEMORY_TOOLS",
        "TWILIO_MEMORY_REDACT",
        "TWILIO_MEMORY_WRITE_CONFIRM",
        "TWILIO_MEMORY_REQUEST_STATE_SECRET",
        "TWILIO_MEMORY_RESULT_BUDGET",
        "TWILIO_MEMORY_AUDIT_LOG",
        "TWILIO_MEMORY_MCP_TOKEN",
        "TWILIO_MEMORY_ALLOWED_HOSTS",
        "TWILIO_MEMORY_ALLOWED_ORIGINS",
        "TWILIO_MEMORY_MAX_REQUEST_BYTES",
        "TWILIO_MEMORY_SHUTDOWN_GRACE",
        "TWILIO_MEMORY_MAX_CONNECTIONS",
        "TWILIO_MEMORY_HEADER_TIMEOUT",
        "TWILIO_MEMORY_OAUTH_ISSUER",
        "TWILIO_MEMORY_OAUTH_RESOURCE",
        "TWILIO_MEMORY_OAUTH_AUDIENCE",
        "TWILIO_MEMORY_OAUTH_JWKS_URL",
        "TWILIO_MEMORY_OAUTH_REQUIRED_SCOPES",
        "TWILIO_MEMORY_OAUTH_TOOLSET_SCOPES",
        IGNORE_VARS,
        # Read by the tests (tests/spec.py), not the server; a developer's shell sets it.
        "TWILIO_MEMORY_OPENAPI_SPEC",
    }
)


def unknown_variables_problem(environ: Mapping[str, str]) -> str | None:
    """One line naming every unknown ``TWILIO_MEMORY_*`` variable and its closest known one,
    or None. Names only: a value may be a secret set under the wrong name."""
    ignored = {name.strip() for name in environ.get(IGNORE_VARS, "").split(",") if name.strip()}
    unknown = sorted(name for name in environ if name.startswith(PREFIX) and name not in KNOWN | ignored)
    if not unknown:
        return None
    import difflib  # only for a mistyped name: not paid by every start (issue 17, cold start)

    described = []
    for name in unknown:
        # Compared without the shared prefix, which would make every name look close.
        suffixes = sorted(known.removeprefix(PREFIX) for known in KNOWN - {IGNORE_VARS})
        close = difflib.get_close_matches(name.removeprefix(PREFIX), suffixes, n=1, cutoff=0.6)
        described.append(f"{name} (did you mean {PREFIX}{close[0]}?)" if close else name)
    noun = "variable" if len(unknown) == 1 else "variables"
    return (
        f"unknown {noun} {', '.join(described)}; if set on purpose, list "
        f"{'it' if len(unknown) == 1 else 'them'} in {IGNORE_VARS}"
    )
