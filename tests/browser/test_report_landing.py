"""Issue 19 item 10, the landing step of the reporter page, in German on a
phone and in English on a desktop: the organisation named in site.json, a
short summary with the start button above the fold, "who can read this"
answered with the members' names, and the team key fingerprint inside a
closed "advanced" section."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import screenshot
from tests.browser.report_site import LOCALES, PAGES, ROOT, SITE, t
from tests.support.live import LiveServer, start_live_server
from tests.support.team import make_team

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEAM = (
    ("Ada Admin", "Legal", "admin"),
    ("Bob Reviewer", "HR", "reviewer"),
    ("Cleo Clerk", "", "reviewer"),
)
ORGANISATION = {"en": "Example Logistics Ltd", "de": "Beispiel Logistik GmbH"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("report-landing")
    live = start_live_server(tmp, make_team(TEAM))
    site = tmp / "site.json"
    site.write_text(json.dumps({**SITE, "organisation": {"name": ORGANISATION, "logo": None}}))
    subprocess.run(
        ["node", "frontend/build.mjs", "--manifest", str(tmp / "manifest.json"),
         "--site", str(site), "--out", str(live.site_dir)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    try:
        yield live
    finally:
        live.stop()


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_landing_names_the_organisation_and_readers_with_the_button_above_the_fold(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, _ = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    assert page.evaluate("document.documentElement.lang") == lang
    screenshot(page, f"report-landing-{viewport}-{lang}-top")

    # The start button is on the first screen, without scrolling.
    box = page.locator("#start").bounding_box()
    height = page.viewport_size["height"]
    assert box is not None, "no start button"
    assert box["y"] + box["height"] <= height, f"start button at {box}, screen {height}"
    assert page.evaluate("window.scrollY") == 0

    assert page.inner_text("#org-name") == ORGANISATION[lang]
    assert page.is_visible("#org-name")

    # "Who can read this" names the members, once its section is opened.
    page.click(f"summary:has-text('{t(lang, 'manifest.title')}')")
    readers = page.inner_text("#intro-readers")
    for name, _, _ in TEAM:
        assert name in readers

    # The fingerprint sits in the closed advanced section, out of the way until opened.
    holder = page.evaluate("document.getElementById('fingerprint').closest('details')?.id")
    assert holder == "advanced"
    assert page.evaluate("document.getElementById('advanced').open") is False
    assert not page.is_visible("#fingerprint")
    page.click("#advanced > summary")
    assert page.is_visible("#fingerprint")
