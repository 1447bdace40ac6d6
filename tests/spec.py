"""Where the tests find Twilio's official OpenAPI document (it stays outside the project).

``$TWILIO_MEMORY_OPENAPI_SPEC`` first; then ``../shared/reference`` beside the checkout (for a
linked git worktree, also beside the main checkout it belongs to). No absolute path of any one
machine: CI's ``.ci/run`` sets the variable where the machine keeps a copy. Tests that need it
skip, saying why, when none of these exists.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

FILENAME = "twilio-memory-v1.openapi.json"
ROOT = Path(__file__).resolve().parent.parent


def spec_candidates() -> list[Path]:
    candidates = []
    if os.environ.get("TWILIO_MEMORY_OPENAPI_SPEC"):
        candidates.append(Path(os.environ["TWILIO_MEMORY_OPENAPI_SPEC"]))
    candidates += [checkout.parent / "shared" / "reference" / FILENAME for checkout in _checkouts()]
    return candidates


def _checkouts() -> list[Path]:
    """This checkout and, when it is a linked git worktree, the main checkout it belongs to."""
    dot_git = ROOT / ".git"
    if not dot_git.is_file():
        return [ROOT]
    # A linked worktree's .git file reads "gitdir: <main>/.git/worktrees/<name>", whose
    # "commondir" leads back to <main>/.git (git-worktree(1), DETAILS).
    gitdir = Path(dot_git.read_text(encoding="utf-8").removeprefix("gitdir:").strip())
    try:
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        return [ROOT]
    return [ROOT, common.parent]


@cache
def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def load_spec() -> dict[str, Any]:
    """The parsed spec, or a pytest skip naming where it was looked for."""
    for path in spec_candidates():
        if path.is_file():
            return _load(path)
    pytest.skip(
        "Twilio's OpenAPI spec was not found (looked at "
        + ", ".join(str(path) for path in spec_candidates())
        + "); set TWILIO_MEMORY_OPENAPI_SPEC to its path"
    )
