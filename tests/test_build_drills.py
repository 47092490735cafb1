"""frontend/build.ts checks the operator's drill scenarios
(frontend/drills.json, or ``--drills FILE``) with the console's own parser
and builds them into the SRI-covered console bundle; a bad file fails the
build with a message saying what and where."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.team import Team

ROOT = Path(__file__).resolve().parents[1]
DRILLS = json.loads((ROOT / "frontend" / "drills.json").read_text(encoding="utf-8"))


def build(tmp_path: Path, team: Team, drills: Any) -> subprocess.CompletedProcess[str]:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(team.manifest))
    path = tmp_path / "drills.json"
    path.write_text(json.dumps(drills, ensure_ascii=False))
    return subprocess.run(
        ["node", str(ROOT / "frontend" / "build.mjs"), "--manifest", str(manifest),
         "--drills", str(path), "--out", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )


def test_the_scenarios_are_built_into_the_console(tmp_path: Path, team: Team) -> None:
    mine = json.loads(json.dumps(DRILLS))
    mine["scenarios"][0]["answers"]["summary"]["en"] = "An operator's own drill scenario"
    done = build(tmp_path, team, mine)
    assert done.returncode == 0, done.stderr
    [console] = (tmp_path / "out" / "assets").glob("console-*.js")
    text = console.read_text(encoding="utf-8")
    assert "An operator's own drill scenario" in text
    [page] = (tmp_path / "out" / "assets").glob("report-*.js")
    assert "An operator's own drill scenario" not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["scenarios"][0].update(category="fire"), "category must be one of"),
    (lambda d: d["scenarios"][0]["answers"]["summary"].pop("en"), "answers.summary: must be"),
    (lambda d: d["scenarios"][1].update(id=d["scenarios"][0]["id"]), "appears twice"),
])
def test_a_bad_library_fails_the_build(tmp_path: Path, team: Team, edit: Any, message: str) -> None:
    bad = json.loads(json.dumps(DRILLS))
    edit(bad)
    done = build(tmp_path, team, bad)
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "out" / "console").exists()
