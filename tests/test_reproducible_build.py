"""`node frontend/build.mjs` is reproducible (issue 17, docs/verify.md):
the same sources and manifest give a byte-identical tree whatever the
checkout's directory, the caller's working directory and output directory,
the user, HOME, TMPDIR, umask, time zone and locale, and however the
manifest's file is laid out. Anyone can then rebuild
a release from its tagged source and compare it with the signed hashes."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]
NOBODY = 65534


def tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory another user can read and enter (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="candor-repro-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def copy_checkout(target: Path, source: Path = ROOT) -> None:
    """What the build reads, as a fresh clone would hold it: the pages'
    sources, the package files, the JSON tables they import from chalicelib,
    and node_modules (hard links: a copy, not a symlink esbuild would resolve
    back into this checkout)."""
    target.mkdir(parents=True)
    for name in ("package.json", "package-lock.json", "tsconfig.json"):
        shutil.copy2(source / name, target / name)
    shutil.copytree(source / "frontend", target / "frontend", ignore=shutil.ignore_patterns("dist"))
    (target / "chalicelib").mkdir()
    for table in (source / "chalicelib").glob("*.json"):
        shutil.copy2(table, target / "chalicelib" / table.name)
    subprocess.run(["cp", "-al", str(source / "node_modules"), str(target / "node_modules")],
                   check=True)


def as_other_user(home: Path) -> list[str]:
    """Run as nobody when we may (root, as in CI), else as ourselves."""
    if os.geteuid() != 0:
        return []
    os.chown(home, NOBODY, NOBODY)
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def test_two_builds_in_different_places_by_different_users_are_identical(
    open_dir: Path, team: Team
) -> None:
    manifest = open_dir / "manifest.json"
    manifest.write_text(json.dumps(team.manifest))
    manifest.chmod(0o644)
    # Two checkouts of one snapshot of the sources, which other work may be
    # changing while the test runs.
    here = open_dir / "candor"
    copy_checkout(here)
    checkout = open_dir / "elsewhere" / "deeper" / "candor"
    copy_checkout(checkout, source=here)
    first = open_dir / "first"
    subprocess.run(["node", "frontend/build.mjs", "--manifest", str(manifest), "--out", str(first)],
                   check=True, cwd=here, capture_output=True)
    home = open_dir / "home"
    home.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "TMPDIR": str(home),
           "TZ": "Pacific/Kiritimati", "LANG": "de_DE.UTF-8", "LC_ALL": "C"}
    # The same manifest as the API lists it, laid out otherwise: keys reversed, indented.
    relaid = open_dir / "manifest-relaid.json"
    relaid.write_text(json.dumps(dict(reversed(team.manifest.items())), indent=2))
    relaid.chmod(0o644)
    run = subprocess.run(
        [*as_other_user(home), "sh", "-c", 'umask 077 && exec node "$0" --manifest "$1" --out out',
         str(checkout / "frontend" / "build.mjs"), str(relaid)],
        cwd=home, env=env, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr
    second = home / "out"
    if os.geteuid() == 0:
        assert (second / "index.html").stat().st_uid == NOBODY

    built = tree(first)
    assert {"index.html", "followup.html", "console/index.html", "headers.json"} <= set(built)
    assert built == tree(second)
