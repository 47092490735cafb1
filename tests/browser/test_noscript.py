"""Without JavaScript the pages can do nothing (they encrypt and decrypt in
the browser), and they say so in every language the pages have a catalogue
for: one short paragraph per language, each marked with its language (and
its direction) so screen readers pronounce it right. Checked in Chromium
with scripts off, as a reporter in Tor Browser's "Safest" level sees it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["/", "/followup.html", "/console/"]


def _catalogue_directions() -> dict[str, str]:
    """Each catalogue's language and its direction ("lang.dir")."""
    return {
        path.stem: json.loads(path.read_text())["lang.dir"]
        for path in sorted((ROOT / "frontend" / "i18n").glob("*.json"))
    }


def test_noscript_notice_in_every_catalogue_language(browser: Any, live_server: LiveServer) -> None:
    languages = _catalogue_directions()
    assert len(languages) >= 9
    context = browser.new_context(java_script_enabled=False, service_workers="block")
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(live_server.url + path)
            paragraphs = page.locator(".noscript p")
            seen: dict[str, str] = {}
            for i in range(paragraphs.count()):
                p = paragraphs.nth(i)
                lang = str(p.get_attribute("lang"))
                assert lang not in seen, (path, lang)
                seen[lang] = p.get_attribute("dir") or "ltr"
                assert p.is_visible(), (path, lang)
                text = p.inner_text()
                assert "JavaScript" in text and len(text) < 300, (path, lang, text)
            assert seen == languages, path
    finally:
        context.close()
