"""Twilio's OpenAPI document is in the repository, unmodified, with its source and licence beside it."""

from __future__ import annotations

import hashlib
import re

from tests.support.console import ROOT
from tests.support.spec import VENDORED, load_spec


def recorded_digests() -> dict[str, str]:
    """The SHA-256 the provenance table (spec/README.md) and NOTICE each record."""
    readme = (ROOT / "spec" / "README.md").read_text(encoding="utf-8")
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    found = {}
    for name, text in (("spec/README.md", readme), ("NOTICE", notice)):
        match = re.search(r"SHA-256\W+([0-9a-f]{64})", text)
        assert match, f"{name} records no SHA-256 for the vendored spec"
        found[name] = match.group(1)
    return found


def test_the_vendored_spec_is_the_recorded_one() -> None:
    digest = hashlib.sha256(VENDORED.read_bytes()).hexdigest()
    assert recorded_digests() == {"spec/README.md": digest, "NOTICE": digest}


def test_the_notice_names_its_source_commit_and_licence() -> None:
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    readme = (ROOT / "spec" / "README.md").read_text(encoding="utf-8")
    commit = re.search(r"commit ([0-9a-f]{40})", notice)
    assert commit and commit.group(1) in readme
    assert "twilio/twilio-oai" in notice
    assert load_spec()["info"]["license"]["name"] == "Apache 2.0"
    assert "Apache License, Version 2.0" in notice
