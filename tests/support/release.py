"""Build, sign and publish a release of the pages for a test team, through
the command line as admins would (candor release sign|publish)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from candor.__main__ import main
from candor.prompt import PASSPHRASE_ENV
from tests.support.live import LiveServer

ROOT = Path(__file__).resolve().parents[2]


def build(site: Path, manifest: Path, settings: dict[str, Any] | None = None) -> None:
    """`node frontend/build.mjs` into `site`; `settings` replace frontend/site.json."""
    extra: list[str] = []
    if settings is not None:
        path = site.with_name(site.name + "-settings.json")
        path.write_text(json.dumps(settings))
        extra = ["--site", str(path)]
    subprocess.run(["node", "frontend/build.mjs", "--manifest", str(manifest), "--out", str(site),
                    *extra], check=True, cwd=ROOT, capture_output=True)


@contextmanager
def passphrase(value: str) -> Iterator[None]:
    before = os.environ.get(PASSPHRASE_ENV)
    os.environ[PASSPHRASE_ENV] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[PASSPHRASE_ENV]
        else:
            os.environ[PASSPHRASE_ENV] = before


def sign(proposal: Path, site: Path, manifest: Path, key: Path, secret: str) -> int:
    with passphrase(secret):
        return main(["release", "sign", str(proposal), "--site", str(site),
                     "--manifest", str(manifest), "--key", str(key), "--yes"])


def publish(proposal: Path, site: Path, manifest: Path) -> int:
    return main(["release", "publish", str(proposal), "--site", str(site),
                 "--manifest", str(manifest)])


def release_site(site: Path, manifest: Path, keys: Sequence[Path], secret: str,
                 proposal: Path) -> dict[str, Any]:
    """Every key signs `proposal` of the built `site`, then it is published;
    returns the release."""
    for key in keys:
        assert sign(proposal, site, manifest, key, secret) == 0
    assert publish(proposal, site, manifest) == 0
    released: dict[str, Any] = json.loads((site / "release.json").read_text())
    return released


def release_live(live: LiveServer, number: int) -> dict[str, Any]:
    """The first admin signs and publishes the live server's built pages
    (threshold 1); the proposal is kept as proposal-`number`.json."""
    admin = live.team[0]
    return release_site(live.site_dir, live.data_dir.parent / "manifest.json",
                        [admin.keyfile_path], admin.passphrase,
                        live.data_dir.parent / f"proposal-{number}.json")
