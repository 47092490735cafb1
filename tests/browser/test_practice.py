"""The reporter page's practice mode (``?practice``, the drill link for
employees, issue 16) in Chromium against ``candor serve``: a report walked
through from the landing page to a receipt, with evidence chosen, under a
practice banner in the page's language, and not one request that could
store anything: no POST at all, so none to /v1/reports; the team sees no
case; axe finds nothing serious."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import run_axe, screenshot
from tests.browser.images import jpeg_with_gps
from tests.browser.test_reporter_flow import fill_report
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_practice_report_walks_through_and_sends_nothing(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    page, watch = make_page(server.url)
    page.goto(server.url.rstrip("/") + "/?practice")
    page.wait_for_selector("#practice-banner")
    assert "Practice mode." in page.inner_text("#practice-banner")
    assert run_axe(page) == []
    blank, _ = make_page(server.url)
    image = jpeg_with_gps(blank)
    blank.close()
    fill_report(page, image)
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert page.inner_text("#send") == "Finish the practice (nothing is sent)"
    page.click("#send")
    page.wait_for_selector("#step-receipt:not([hidden]) #practice-receipt")
    assert page.locator("#receipt-text .receipt-groups li").count() == 7
    assert page.is_visible("#practice-banner")
    assert "was received" not in page.inner_text("#step-receipt")
    screenshot(page, "index-practice-receipt")
    assert run_axe(page) == []
    page.click("button[data-lang=de]")
    assert "Übungsmodus." in page.inner_text("#practice-banner")

    sent = [r for r in watch.requests if not r.startswith("GET ")]
    assert sent == [], f"practice sent {sent}"
    assert not any("/v1/reports" in r or "/v1/attachments" in r for r in watch.requests)
    member = server.team[0]
    assert server.team_get(member, "/v1/team/cases")["cases"] == []
    watch.check()
