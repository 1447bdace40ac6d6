"""Where the tests find Twilio's official OpenAPI document (it stays outside the project).

``$TWILIO_MEMORY_OPENAPI_SPEC`` first; then ``../shared/reference`` beside the checkout; then the
workplace's shared folder. Tests that need it skip, saying why, when none of these exists.
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
    candidates += [ROOT.parent / "shared" / "reference" / FILENAME, Path("/work/shared/reference") / FILENAME]
    return candidates


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
