"""Every page in English and German, at desktop and phone width: axe-core
finds no serious or critical violation, the language switches without a
reload, and a screenshot is kept for review."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GERMAN_TITLES = {
    "index": "Einen Vorfall sicher und anonym melden",
    "followup": "Rückfragen zu Ihrer Meldung",
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize("page_name", ["index", "followup"])
def test_page(make_page: Any, live_server: Any, page_name: str, lang: str, viewport: str) -> None:
    page, _ = make_page(live_server.url, viewport=viewport)
    page.goto(f"{live_server.url}/{page_name}.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    page.evaluate("window.__sameDocument = true")
    if lang == "de":
        page.click(".lang-btn[data-lang=de]")
        assert page.inner_text("h1:visible") == GERMAN_TITLES[page_name]
        assert page.evaluate("document.documentElement.lang") == "de"
        assert page.evaluate("window.__sameDocument") is True, (
            "switching language reloaded the page"
        )
    assert run_axe(page) == []
    screenshot(page, f"{page_name}-{viewport}-{lang}")
    if page_name == "index":
        page.click("#start")
        page.wait_for_selector("#step-form:not([hidden])")
        assert run_axe(page) == []
        screenshot(page, f"index-form-{viewport}-{lang}")
        # Every text field keeps typed text away from spell-check services (protocol §6).
        fields = page.eval_on_selector_all(
            "input[type=text], textarea",
            "els => els.map(e => [e.getAttribute('spellcheck'), e.getAttribute('autocomplete')])",
        )
        assert fields and all(f == ["false", "off"] for f in fields)


def test_keyboard_only(make_page: Any, live_server: Any) -> None:
    """The report can be started and the first field reached with the keyboard alone."""
    page, _ = make_page(live_server.url)
    page.goto(live_server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    page.focus("#start")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "form-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q-category-input"
