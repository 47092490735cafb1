"""The pages in every catalogue language (issue 15, Languages): a browser
that prefers Polish gets Polish first, Arabic lays out right to left and
passes axe-core on the report form and the console landing, and the report
form and the receipt fit a phone screen in Arabic and Polish (screenshots
kept in test-artifacts/screenshots for review)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ROOT, run_axe, screenshot
from tests.support.live import LiveServer, start_live_server
from tests.support.team import Team

pytestmark = [pytest.mark.browser]

I18N = ROOT / "frontend" / "i18n"
CATALOGUES: dict[str, dict[str, str]] = {
    p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(I18N.glob("*.json"))
}

# The width the page lays out to, against the width of the window: more means a
# horizontal scroll bar on a phone. Any element past either edge is named (the
# skip link waits off screen until focused, by design).
OVERFLOW = """() => ({
    page: document.documentElement.scrollWidth,
    window: document.documentElement.clientWidth,
    wide: [...document.querySelectorAll("body *:not(.skip)")]
        .filter((e) => e.getClientRects().length && (e.getBoundingClientRect().right >
            document.documentElement.clientWidth + 1 || e.getBoundingClientRect().left < -1))
        .map((e) => e.id || e.className || e.tagName).slice(0, 5),
})"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, team: Team) -> Iterator[LiveServer]:
    live = start_live_server(Path(tmp_path_factory.mktemp("languages")), team)
    try:
        yield live
    finally:
        live.stop()


def assert_fits(page: Any) -> None:
    width = page.evaluate(OVERFLOW)
    assert width["page"] <= width["window"] and width["wide"] == [], width


def test_browser_preferring_polish_gets_polish(make_page: Any, server: LiveServer) -> None:
    """navigator.languages picks the first language; the switcher names each one in itself."""
    page, _ = make_page(server.url, locale="pl-PL")
    assert page.evaluate("navigator.languages[0]") == "pl-PL"
    page.goto(server.url + "/")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == "pl"
    assert page.inner_text("h1:visible") == CATALOGUES["pl"]["intro.title"]
    assert page.get_attribute(".lang-btn[aria-pressed=true]", "data-lang") == "pl"
    buttons = page.eval_on_selector_all(
        ".lang-btn", "bs => bs.map((b) => [b.dataset.lang, b.lang, b.textContent])"
    )
    assert buttons == [[lang, lang, c["lang.name"]] for lang, c in CATALOGUES.items()]


def test_arabic_console_landing_is_rtl_and_accessible(make_page: Any, server: LiveServer) -> None:
    page, _ = make_page(server.url, locale="ar-EG")
    page.goto(server.url + "/console/")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == [
        "ar",
        "rtl",
    ]
    assert page.inner_text("h1:visible") == CATALOGUES["ar"]["console.unlock.title"]
    assert run_axe(page) == []
    screenshot(page, "console-unlock-desktop-ar")
    # Back to a left-to-right language in place.
    page.click(".lang-btn[data-lang=en]")
    assert page.evaluate("document.documentElement.dir") == "ltr"


def fill_required(page: Any) -> None:
    page.select_option("#q-category-input", "harassment")
    page.fill("#q-summary-input", "Test")
    page.fill("#q-details-input", "Test report, sent from a phone-sized window.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "soon")


@pytest.mark.parametrize("lang", ["ar", "pl"])
def test_form_and_receipt_fit_a_phone(make_page: Any, server: LiveServer, lang: str) -> None:
    """The report form and the receipt at phone width: in the language, no sideways scrolling."""
    text = CATALOGUES[lang]
    page, _ = make_page(server.url, viewport="phone")
    page.goto(f"{server.url}/index.html?lang={lang}")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    direction = "rtl" if lang == "ar" else "ltr"
    assert page.evaluate("document.documentElement.dir") == direction
    page.click("#start")
    page.wait_for_selector("#step-form:not([hidden])")
    assert page.inner_text("#form-title") == text["form.title"]
    fill_required(page)
    assert_fits(page)
    if lang == "ar":
        assert run_axe(page) == []
    screenshot(page, f"index-form-phone-{lang}")

    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden])", timeout=60000)
    assert page.inner_text("#step-receipt h1") == text["receipt.title"]
    assert page.locator("#receipt-text .receipt-groups li").count() == 7
    # The receipt reads left to right, group 1 first, on a right-to-left page too.
    xs = page.eval_on_selector_all(
        "#receipt-text .receipt-groups li",
        "ls => ls.map((l) => l.getBoundingClientRect()).map((r) => r.top * 1e4 + r.left)",
    )
    assert xs == sorted(xs)
    assert_fits(page)
    if lang == "ar":
        assert run_axe(page) == []
    screenshot(page, f"index-receipt-phone-{lang}")
