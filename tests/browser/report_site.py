"""The reporter page built with the operator's site settings (frontend/site.json's
contacts) for the test_report_* tests, and the catalogue texts they expect."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.live import LiveServer, start_live_server
from tests.support.team import make_team

ROOT = Path(__file__).resolve().parents[2]
SITE = {
    "v": 1,
    "contact": {
        "en": "Compliance hotline (outside the company): 0800 123 456",
        "de": "Compliance-Hotline (außerhalb des Unternehmens): 0800 123 456",
    },
    "outside_contact": {
        "en": "Works council: Jane Roe, room 4.12",
        "de": "Betriebsrat: Jane Roe, Raum 4.12",
    },
}
# Each test runs in German on a phone and in English on a desktop.
PAGES = [("phone", "de"), ("desktop", "en")]
LOCALES = {"en": "en-US", "de": "de-DE"}


@cache
def catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((ROOT / "frontend" / "i18n" / f"{lang}.json").read_text())
    return data


def t(lang: str, key: str, **args: Any) -> str:
    """The catalogue text for `key` with its {parameters} filled in, as the page shows it."""
    text = catalogue(lang)[key]
    for name, value in args.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def serve_with_site(tmp: Path, team: tuple[tuple[str, str, str], ...]) -> LiveServer:
    """``candor serve`` for `team`, its pages rebuilt with SITE as the site settings."""
    live = start_live_server(tmp, make_team(team))
    site = tmp / "site.json"
    site.write_text(json.dumps(SITE))
    subprocess.run(
        ["node", "frontend/build.mjs", "--manifest", str(tmp / "manifest.json"),
         "--site", str(site), "--out", str(live.site_dir)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    return live


def posts(watch: Any) -> list[str]:
    """Every request the page made that was not a GET."""
    return [r for r in watch.requests if not r.startswith("GET ")]
