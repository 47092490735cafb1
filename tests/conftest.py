"""Shared fixtures: storage backends (tests.backends), a team, an API."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.backends", "tests.support")

# The CLI writes a per-user settings file (candor/config.py); no test may
# touch the real one. tests/cli gives each test its own directory on top.
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="candor-tests-config-")
os.environ.pop("CANDOR_MANIFEST", None)

from tests.backends import FakeClock  # noqa: E402
from tests.support.live import LiveServer, start_live_server  # noqa: E402
from tests.support.team import Api, Team, make_api, make_team  # noqa: E402

# tests.support.skips fails a run that skipped a test for a reason not allowed.
pytest_plugins = ["tests.backends", "tests.support.skips"]


@pytest.fixture(scope="session")
def team() -> Team:
    """Three members (an admin, two reviewers) and manifest version 1,
    made once: key generation is the slow part."""
    return make_team()


@pytest.fixture
def api(any_store: object, team: Team, clock: FakeClock) -> Api:
    """The Chalice app in-process on each backend, with ``team`` installed."""
    return make_api(any_store, team, clock)


@pytest.fixture
def local_api(tmp_path: Path, team: Team, clock: FakeClock) -> Api:
    """The same on the local backend only."""
    from chalicelib.store.local import LocalCaseStore

    return make_api(LocalCaseStore(tmp_path / "data", clock=clock), team, clock)


@pytest.fixture
def live_server(tmp_path: Path, team: Team) -> Iterator[LiveServer]:
    """``candor serve`` in a subprocess on a free port, with ``team``
    installed and the pages built for its manifest."""
    server = start_live_server(tmp_path, team)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live_api(tmp_path: Path, team: Team) -> Iterator[LiveServer]:
    """``live_server`` without the pages: for API and command-line tests."""
    server = start_live_server(tmp_path, team, build=False)
    try:
        yield server
    finally:
        server.stop()
