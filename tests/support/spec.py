"""Twilio's OpenAPI document for Memory v1, vendored in spec/ (see spec/README.md).

``$TWILIO_MEMORY_OPENAPI_SPEC`` may name another copy, to test against a newer document; a
name that does not exist is an error, never a skip.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.console import ROOT

VENDORED = ROOT / "spec" / "twilio-memory-v1.openapi.json"


def spec_path() -> Path:
    named = os.environ.get("TWILIO_MEMORY_OPENAPI_SPEC")
    return Path(named) if named else VENDORED


@cache
def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def load_spec() -> dict[str, Any]:
    """The parsed spec: the vendored copy, or the one ``$TWILIO_MEMORY_OPENAPI_SPEC`` names."""
    path = spec_path()
    if not path.is_file():
        raise FileNotFoundError(f"Twilio's OpenAPI spec is not at {path} (TWILIO_MEMORY_OPENAPI_SPEC)")
    return _load(path)
