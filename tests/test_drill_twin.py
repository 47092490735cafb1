"""candor/drill.py and frontend/src/lib/drill.ts file the same report for a
drill: the same answers in each language (English where a scenario lacks
one), the same drill mark, for every scenario of the shipped library."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from candor import drill

ROOT = Path(__file__).resolve().parents[1]
NOW = "2026-11-30T09:15:42Z"
LANGS = ("en", "de", "fr", "pl", "ar", "sv")

JS = """
import { readFileSync } from "node:fs";
import { drillForm } from "./frontend/src/lib/drill.ts";
const { now, langs } = JSON.parse(readFileSync(0, "utf8"));
const library = JSON.parse(readFileSync("frontend/drills.json", "utf8"));
console.log(JSON.stringify(library.scenarios.flatMap((s) =>
  langs.map((lang) => drillForm(s, lang, new Date(now))))));
"""


def test_python_and_browser_file_the_same_drill_report() -> None:
    result = subprocess.run(
        ["node", "--import", "tsx", "--input-type=module", "-e", JS],
        input=json.dumps({"now": NOW, "langs": LANGS}),
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    now = datetime.fromisoformat(NOW).astimezone(UTC)
    py = [drill.drill_form(s, lang, now) for s in drill.load_library()["scenarios"]
          for lang in LANGS]
    assert json.loads(result.stdout) == py
    assert {f["drill_started"] for f in py} == {NOW}
    assert py[LANGS.index("pl")]["summary"] != py[0]["summary"]
    assert py[LANGS.index("sv")]["summary"] == py[0]["summary"]  # no Swedish: English
