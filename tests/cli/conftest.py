"""Every command-line test gets its own settings file: none of them may read
or write the user's ``~/.config/candor/config.toml``, or take an anchor from
the environment it runs in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.team import Team, make_team


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's XDG config directory (subprocesses inherit it)."""
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("CANDOR_MANIFEST", raising=False)
    return home / "candor" / "config.toml"


@pytest.fixture(scope="session")
def two_admins() -> Team:
    """Two admins and a reviewer, made once (key generation is slow)."""
    return make_team((("Ada Lovelace", "Legal", "admin"), ("Grace Hopper", "Security", "admin"),
                      ("Alan Turing", "HR", "reviewer")))
