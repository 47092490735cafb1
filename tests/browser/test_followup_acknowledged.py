"""The follow-up page in Chromium (issue 12, "Reporter side"): once the team
answers, the status says the report was confirmed, in English and German,
not "received, not yet confirmed"."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_followup import LOCALES, _admin, _enter, _file_case
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOWN = {"en": ("Confirmed by the team", "not yet confirmed"),
         "de": ("Vom Team bestätigt", "noch nicht bestätigt")}


def _status_after_rotation(page: Any, receipt: str) -> str:
    _enter(page, receipt)
    page.wait_for_selector("#step-next:not([hidden])")
    new = str(page.get_attribute("#next-text", "data-receipt"))
    page.fill("#next-last-group", new.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#step-status:not([hidden])")
    return str(page.inner_text("#status-list"))


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_first_answer_shows_as_confirmed(
    make_page: Any, live_server: LiveServer, lang: str
) -> None:
    server = live_server
    sub, case_id = _file_case(server)
    server.reply_as(_admin(server), case_id, "We have your report.")
    page, _ = make_page(server.url, viewport="desktop", locale=LOCALES[lang])
    page.goto(server.url + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    shown = _status_after_rotation(page, sub.receipt.text)
    confirmed, unconfirmed = SHOWN[lang]
    assert confirmed in shown and unconfirmed not in shown
