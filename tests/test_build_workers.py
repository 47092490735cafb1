"""frontend/build.ts bundles every frontend/src/workers/*.ts as its own
content-hashed worker script beside the page bundles, whose SRI-covered
code names it; the build stays byte-for-byte deterministic, and the
header set lets pages start only same-origin workers through the one
Trusted Types policy (frontend/src/page/workers.ts)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from candor.opscli import build_site
from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_workers_are_hashed_scripts_named_by_the_pages_and_the_build_is_deterministic(
    tmp_path: Path, team: Team
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(team.manifest))
    first, second = tmp_path / "a", tmp_path / "b"
    build_site(manifest, first)
    build_site(manifest, second)
    assert tree(first) == tree(second)

    sources = sorted(p.stem for p in (ROOT / "frontend" / "src" / "workers").glob("*.ts"))
    assert "scrypt" in sources
    assets = first / "assets"
    pages = [
        p.read_text(encoding="utf-8")
        for p in assets.glob("*.js")
        if not any(p.name.startswith(f"{name}-") for name in sources)
    ]
    for name in sources:
        [script] = assets.glob(f"{name}-*.js")
        assert re.fullmatch(rf"{name}-[A-Z0-9]{{8}}\.js", script.name)
        body = script.read_text(encoding="utf-8")
        # A classic, self-contained script: no module syntax left to resolve.
        assert not re.search(r"^\s*(import|export)\b", body, re.MULTILINE)
        assert any(script.name in page for page in pages)
    # The console starts scrypt's worker.
    assert any("scrypt-" in page for page in pages if "unlock-progress" in page)

    csp = json.loads((first / "headers.json").read_text())["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["worker-src"] == "'self'"
    assert directives["trusted-types"] == "candor-worker"
    assert directives["require-trusted-types-for"] == "'script'"
    page_code = (ROOT / "frontend" / "src" / "page" / "workers.ts").read_text(encoding="utf-8")
    assert 'WORKER_POLICY = "candor-worker"' in page_code
