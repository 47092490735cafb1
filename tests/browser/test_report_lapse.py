"""Issue 11: when the team manifest has expired (or the chain does not
verify), the reporter page says plainly, in the reporter's language, that
reports cannot be accepted right now, names the contact the operator set at
build time, and sends nothing; never a broken or blank page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot
from tests.browser.report_site import LOCALES, PAGES, SITE, posts, serve_with_site, t
from tests.browser.test_render_guard_pages import render_problems
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TEAM = (("Ada Admin", "Legal", "admin"), ("Bob Reviewer", "HR", "reviewer"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = serve_with_site(tmp_path_factory.mktemp("lapse"), TEAM)
    try:
        yield live
    finally:
        live.stop()


def _after_expiry(server: LiveServer, days: int = 5) -> datetime:
    expires = date.fromisoformat(server.manifest["expires"])
    return datetime.combine(expires + timedelta(days=days), datetime.min.time(), UTC) + timedelta(
        hours=12
    )


def _assert_closed(page: Any, watch: Any, lang: str) -> None:
    page.wait_for_selector("#step-closed:not([hidden])")
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.inner_text("#closed-title") == t(lang, "manifest.closed.title")
    assert page.inner_text("#closed-contact-text") == SITE["contact"][lang]
    assert page.is_hidden("#step-intro") and page.is_hidden("#step-form")
    assert page.is_disabled("#start")
    assert render_problems(page.evaluate("document.body.innerText")) == []
    assert posts(watch) == [], "nothing may be sent while the page cannot accept reports"


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_expired_head_closes_the_page(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.clock.set_fixed_time(_after_expiry(server))
    page.goto(server.url + "/")
    _assert_closed(page, watch, lang)
    assert run_axe(page) == []
    screenshot(page, f"report-lapse-{viewport}-{lang}")
    # The other language switches in place, the contact with it.
    other = "en" if lang == "de" else "de"
    page.click(f".lang-btn[data-lang={other}]")
    assert page.inner_text("#closed-title") == t(other, "manifest.closed.title")
    assert page.inner_text("#closed-contact-text") == SITE["contact"][other]


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_chain_that_does_not_verify_closes_the_page(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    """A newer manifest the built-in one cannot vouch for: the same message, no send."""
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    forged = {**server.manifest, "version": server.manifest["version"] + 1}
    body = json.dumps({"manifests": [forged]})
    page.route("**/v1/manifest*", lambda route: route.fulfill(status=200, body=body,
               headers={"Content-Type": "application/json"}))  # fmt: skip
    page.goto(server.url + "/")
    _assert_closed(page, watch, lang)


@pytest.mark.parametrize(("viewport", "lang"), PAGES)
def test_expiry_while_the_page_is_open_sends_nothing(
    make_page: Any, server: LiveServer, viewport: str, lang: str
) -> None:
    """The page was opened the day before; the reporter presses send after expiry."""
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.clock.set_fixed_time(_after_expiry(server, days=-1))
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    page.click("#start")
    page.select_option("#q-category-input", "harassment")
    page.fill("#q-summary-input", "A manager shouts at interns.")
    page.fill("#q-details-input", "Every Monday meeting since March.")
    page.check("#q-ongoing-0")
    page.select_option("#q-urgency-input", "soon")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    page.clock.set_fixed_time(_after_expiry(server, days=2))
    page.click("#send")
    _assert_closed(page, watch, lang)
