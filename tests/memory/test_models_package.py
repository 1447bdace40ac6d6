"""memory.models: every name it lists is there, and its modules load at their first use."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from memory import models


@pytest.mark.parametrize("name", models.__all__)
def test_every_listed_name_is_the_one_its_module_defines(name: str) -> None:
    home = importlib.import_module(f"memory.models.{models._HOME[name]}")
    assert getattr(models, name) is getattr(home, name)


def test_every_model_module_is_named_and_lists_exactly_what_all_lists() -> None:
    assert sorted(models._HOME) == sorted(models.__all__)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="Nonesuch"):
        _ = models.Nonesuch


def test_a_default_server_loads_no_model_no_tool_reads_before_its_first_call() -> None:
    # Cold start (issue 17): the answers' schemas need the traits' types (profiles); the
    # bodies of identifiers and memories load when the client first reads one.
    probe = (
        "import sys\n"
        "from server.mcp_server import build_server\n"
        "from server.settings import load_settings\n"
        "build_server(load_settings({}))\n"
        "print(sorted(name for name in sys.modules if name.startswith('memory.models.')))\n"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "['memory.models.profiles']", found.stderr
