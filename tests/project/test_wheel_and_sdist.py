"""The wheel and sdist as they would be published (issue 11, release artifacts).

Both are built from this tree once per session (the sdist first, then the wheel from the unpacked
sdist, as ``python -m build`` does: a file the sdist misses breaks the wheel), their file lists
are checked, and the wheel is installed, not editable, into a fresh venv whose own console
script then serves the sandbox over stdio to the MCP client of this venv.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from emulator import default_examples
from server import __version__
from tests.support.console import ROOT
from tests.support.published import PACKAGES, PYPROJECT, README, listed_tool_names, package_files
from tests.support.shared import once_per_run

NAME = PYPROJECT["project"]["name"]
DIST_NAME = NAME.replace("-", "_")


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    def build(out: Path) -> None:
        # No build isolation: hatchling comes from the test extras, so nothing is downloaded.
        run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)])

    out = once_per_run(tmp_path_factory, "dist", build)
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return Built(wheel, sdist)


@pytest.fixture(scope="session")
def venv_bin(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the built wheel installed (its dependencies pinned to this venv's)."""

    def install(venv: Path) -> None:
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        freeze = subprocess.run(
            [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
            capture_output=True,
            text=True,
            check=True,
        )
        constraints = venv / "constraints.txt"
        constraints.write_text(freeze.stdout)
        # This venv's pip installs into the other one (pip --python): no pip to bootstrap there;
        # the same dependency versions as here, from pip's cache or index.
        options = [
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "-c",
            str(constraints),
        ]
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                str(venv / "bin" / "python"),
                *options,
                str(built.wheel),
            ]
        )

    return once_per_run(tmp_path_factory, "venv", install) / "bin"


def test_the_wheel_holds_the_packages_with_their_markers_and_seed_and_nothing_else(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    dist_info = f"{DIST_NAME}-{__version__}.dist-info/"
    assert {name for name in names if not name.startswith(dist_info)} == package_files()
    assert {name.removeprefix(dist_info) for name in names if name.startswith(dist_info)} == {
        "METADATA",
        "WHEEL",
        "entry_points.txt",
        "RECORD",
        "licenses/LICENSE",
    }
    assert {f"{package}/py.typed" for package in PACKAGES} <= names
    assert {"emulator/default_seed.json", "server/__main__.py"} <= names
    assert not [name for name in names if "__pycache__" in name or name.startswith(("tests/", "bench/"))]
    entry_points = zipfile.ZipFile(built.wheel).read(dist_info + "entry_points.txt").decode()
    assert "twilio-memory-mcp = server.cli:main" in entry_points


def test_the_sdist_holds_the_packages_the_metadata_and_nothing_else(built: Built) -> None:
    top = f"{DIST_NAME}-{__version__}/"
    with tarfile.open(built.sdist) as sdist:
        names = {member.name.removeprefix(top) for member in sdist.getmembers() if member.isfile()}
    # hatchling always ships the .gitignore in an sdist: it is what keeps caches out of a wheel
    # built from the sdist.
    assert names == package_files() | {"pyproject.toml", "README.md", "LICENSE", "PKG-INFO", ".gitignore"}
    stray = ("tests/", "bench/", "scripts/", ".ci/", "node_modules", "__pycache__", ".venv")
    assert not [name for name in names if any(part in name for part in stray)]


def metadata(built: Built) -> Message:
    text = zipfile.ZipFile(built.wheel).read(f"{DIST_NAME}-{__version__}.dist-info/METADATA").decode()
    return Parser().parsestr(text)


def test_the_metadata_is_complete_for_pypi(built: Built) -> None:
    meta = metadata(built)
    assert meta["Name"] == NAME
    assert meta["Version"] == __version__ == PYPROJECT["project"]["version"]
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["License-File"] == "LICENSE"
    assert (
        "Apache License" in (ROOT / "LICENSE").read_text() and "Version 2.0" in (ROOT / "LICENSE").read_text()
    )
    assert meta["Requires-Python"] == ">=3.11"
    assert meta["Author"] and meta["Maintainer"]
    assert {"mcp", "twilio"} <= set(meta["Keywords"].split(","))
    classifiers = meta.get_all("Classifier") or []
    assert {
        "Typing :: Typed",
        "Programming Language :: Python :: 3.11",
        "Operating System :: OS Independent",
    } <= set(classifiers)
    urls = dict(value.split(", ", 1) for value in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Repository", "Issues", "Documentation"} <= urls.keys()
    assert all(url.startswith("https://") for url in urls.values())
    # README as the long description, with the registry's ownership marker (server.json).
    assert meta["Description-Content-Type"] == "text/markdown"
    assert meta.get_payload().strip() == README.strip()  # type: ignore[union-attr]
    assert "<!-- mcp-name: " in str(meta.get_payload())


def test_the_installed_packages_come_from_the_wheel_not_this_tree(venv_bin: Path) -> None:
    probe = "import json, importlib; print(json.dumps({n: importlib.import_module(n).__file__ for n in %r}))"
    done = subprocess.run(
        [str(venv_bin / "python"), "-c", probe % (PACKAGES,)],
        capture_output=True,
        text=True,
        check=True,
        cwd=venv_bin,  # not this tree: nothing of it may be importable
    )
    site_packages = venv_bin.parent / "lib"
    for package, init in json.loads(done.stdout).items():
        assert Path(init).is_relative_to(site_packages), (package, init)
        assert (Path(init).parent / "py.typed").exists(), package
    version = subprocess.run(
        [str(venv_bin / "twilio-memory-mcp"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.strip() == f"twilio-memory-mcp {__version__}"


@pytest.mark.anyio
async def test_the_installed_console_script_serves_the_sandbox_over_stdio(
    venv_bin: Path, tmp_path: Path
) -> None:
    ids = default_examples()  # the seed shipped in the wheel is the same file as here
    server = StdioServerParameters(
        command=str(venv_bin / "twilio-memory-mcp"), args=["--sandbox"], cwd=tmp_path
    )
    async with Client(server) as client:
        names = [tool.name for tool in (await client.list_tools()).tools]
        found = await client.call_tool(
            "get_profile_identifiers",
            {"store_id": ids.store_id, "profile_id": ids.profile_id, "id_type": "email"},
        )
    assert names == await listed_tool_names()
    assert found.is_error is False, found.content
    assert found.structured_content is not None
    assert found.structured_content["values"]


def test_the_readme_gives_the_release_install_lines_and_the_import_packages() -> None:
    install = README.split("\n## Install and run\n", 1)[1].split("\n## ", 1)[0]
    assert "uvx twilio-memory-mcp" in install
    assert "pipx install twilio-memory-mcp" in install
    assert all(f"`{package}`" in install for package in PACKAGES), "name every package the wheel installs"
