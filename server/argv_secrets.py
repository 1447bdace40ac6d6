"""Command-line words that look like credentials (issue 18 item 4).

Secrets come only from the environment: a command line is visible to every user of the
machine (``ps``, ``/proc/<pid>/cmdline``) and lands in shell history. A flag named like a
secret (``--api-key``, ``--auth-token=...``) or a word shaped like one (an API key SID, an
account SID, a long random token) is refused before argparse sees it, since argparse would
echo it back ("invalid choice: 'SK...'"). The refusal names the variable to set instead and
never the word itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# A flag's name (without dashes) that asks for a credential -> the variable that holds it.
_FLAG_VARIABLES = (
    (re.compile(r"api[-_]?key|key[-_]?sid"), "TWILIO_API_KEY"),
    (re.compile(r"api[-_]?secret|key[-_]?secret"), "TWILIO_API_SECRET"),
    (re.compile(r"account[-_]?sid"), "TWILIO_ACCOUNT_SID"),
    (re.compile(r"auth[-_]?token"), "TWILIO_AUTH_TOKEN"),
    (re.compile(r"mcp[-_]?token|bearer|^token$"), "TWILIO_MEMORY_MCP_TOKEN"),
    (re.compile(r"secret|password|passwd|credential|token"), "TWILIO_API_SECRET"),
)
# Twilio's SID shapes: two letters and 32 hex digits.
_KEY_SID = re.compile(r"SK[0-9a-fA-F]{32}")
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
# A long unbroken run of letters and digits, both present: an API secret (32 letters and
# digits), an auth token (32 hex digits), a bearer token (openssl rand -hex 32). Host names,
# file paths and the CLI's own words have dots, hyphens or slashes, or are short.
_RANDOM = re.compile(r"(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{24,}")
ANY_SECRET = "TWILIO_API_SECRET, TWILIO_AUTH_TOKEN or TWILIO_MEMORY_MCP_TOKEN"


def secret_in_argv(argv: Sequence[str]) -> str | None:
    """What to say about the first credential-like word in ``argv``, or None."""
    for position, word in enumerate(argv, start=1):
        if word.startswith("--"):
            name = word[2:].partition("=")[0].lower()
            for pattern, variable in _FLAG_VARIABLES:
                if pattern.search(name):
                    return f"--{name}: secrets come only from the environment; set {variable} instead"
            continue
        if _KEY_SID.fullmatch(word):
            variable = "TWILIO_API_KEY (with TWILIO_API_SECRET)"
        elif _ACCOUNT_SID.fullmatch(word):
            variable = "TWILIO_ACCOUNT_SID (with TWILIO_AUTH_TOKEN)"
        elif _RANDOM.fullmatch(word):
            variable = ANY_SECRET
        else:
            continue
        return (
            f"argument {position} looks like a credential: secrets come only from the environment; "
            f"set {variable} instead"
        )
    return None
