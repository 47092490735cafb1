"""frontend/build.ts checks the operator's playbooks and reply templates
(frontend/playbooks.json, frontend/replies.json) with the console's own
parsers and builds them into the SRI-covered console bundle; a bad file
fails the build with a message saying what and where, before the output
directory is touched."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOKS = json.loads((ROOT / "frontend" / "playbooks.json").read_text(encoding="utf-8"))


def build(tmp_path: Path, team: Team, playbooks: Any) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(team.manifest))
    path = tmp_path / "playbooks.json"
    path.write_text(json.dumps(playbooks))
    return subprocess.run(
        ["node", str(ROOT / "frontend" / "build.mjs"), "--manifest", str(manifest),
         "--playbooks", str(path), "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )


def changed(edit: Any) -> dict[str, Any]:
    books: dict[str, Any] = json.loads(json.dumps(PLAYBOOKS))
    edit(books)
    return books


BAD = {
    "not a category": (
        lambda b: b["playbooks"].update(leaked_roadmap=b["playbooks"]["harassment"]),
        'playbooks: "leaked_roadmap" is not a questionnaire category',
    ),
    "unknown owner": (
        lambda b: b["playbooks"]["harassment"][0].update(owner="janitor"),
        "playbooks: harassment[0]: owner must be one of",
    ),
    "no English": (
        lambda b: b["playbooks"]["harassment"][1]["text"].pop("en"),
        "playbooks: harassment[1].text: must be",
    ),
    "hours": (
        lambda b: b["playbooks"]["confidential_leak"][2].update(hours=0),
        "playbooks: confidential_leak[2]: hours must be a whole number",
    ),
    "twice": (
        lambda b: b["playbooks"]["unauthorised_post"][1].update(id="capture"),
        'playbooks: unauthorised_post: step id "capture" appears twice',
    ),
    "no catalogue": (
        lambda b: b["playbooks"]["harassment"][0]["text"].update(xx="?"),
        'playbooks: harassment[0].text: no catalogue "xx"',
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_playbook_fails_the_build_saying_where(tmp_path: Path, team: Team, name: str) -> None:
    edit, message = BAD[name]
    result = build(tmp_path, team, changed(edit))
    assert result.returncode == 1
    assert f"build failed: {message}" in result.stderr
    assert not (tmp_path / "out").exists()


def test_playbooks_are_in_the_console_bundle(tmp_path: Path, team: Team) -> None:
    books = changed(
        lambda b: b["playbooks"]["harassment"][0]["text"].update(en="Zebra check first")
    )
    result = build(tmp_path, team, books)
    assert result.returncode == 0, result.stderr
    assets = tmp_path / "out" / "assets"
    bundles = [p.read_text(encoding="utf-8") for p in assets.glob("console-*.js")]
    assert any("Zebra check first" in b and "Eingang bestätigen" in b for b in bundles)
