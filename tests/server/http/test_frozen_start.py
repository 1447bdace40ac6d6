"""The HTTP server's start is frozen out of the garbage collector's walks (issue 17,
``server.frozen_start.built_then_frozen``): a full collection while serving walked everything the
start made, every call in flight waiting; and its youngest generation is collected less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette

import server.http.app
from server.http.app import YOUNG_COLLECTION_THRESHOLD, create_app
from tests.support.processes import TOKEN


def keep_pytest_logging(level: object, scrubber: object = None) -> None:
    pass


@pytest.fixture
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()  # this test process's objects go back to the collector
    gc.set_threshold(*thresholds)
    gc.enable()


@pytest.mark.usefixtures("unfrozen")
def test_the_app_is_built_without_the_collector_and_what_it_made_is_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("server.http.app.configure_logging", keep_pytest_logging)
    monkeypatch.setenv("TWILIO_MEMORY_MCP_TOKEN", TOKEN)
    during: list[bool] = []
    build = server.http.app.build_http_app

    def building(*args: Any, **kwargs: Any) -> Starlette:
        during.append(gc.isenabled())
        return build(*args, **kwargs)

    monkeypatch.setattr("server.http.app.build_http_app", building)
    assert gc.get_freeze_count() == 0
    app = create_app()
    assert during == [False]  # no collection while the start piles up long-lived objects
    assert gc.isenabled()  # and collection is back for what calls allocate
    assert callable(app) and gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD


@pytest.mark.usefixtures("unfrozen")
def test_a_collector_the_embedder_turned_off_stays_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("server.http.app.configure_logging", keep_pytest_logging)
    monkeypatch.setenv("TWILIO_MEMORY_MCP_TOKEN", TOKEN)
    gc.disable()
    create_app()
    assert not gc.isenabled()
