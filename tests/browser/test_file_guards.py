"""A file the reporter chose is never left out without a word: while the
"clean" worker still works on it, or when it could not be cleaned and the
reporter has not ticked to send it as it is, the report page does not go on
to the review and the follow-up page does not send the message; each says
which file and why (files.blocked.*). The worker script is held back with
page.route to keep a file "being cleaned", then refused to leave it
uncleaned. And the follow-up page writes the server's UTC days in the page's
language, the same day in a time zone behind UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser import metadata_files as made
from tests.browser.test_followup import _admin, _enter, _file_case, _posts
from tests.browser.test_metadata import _fill_form
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WORKER = "**/assets/clean-*.js"
STILL_CLEANING = "«held.pdf» is still being cleaned of hidden metadata"
NOT_CLEANED = "The hidden metadata could not be removed from «held.pdf»"
UNREADABLE = "could not be read"


def _hold_worker(page: Any) -> list[Any]:
    """Hold every request for the worker script until the test answers it."""
    held: list[Any] = []
    page.route(WORKER, lambda route: held.append(route))
    return held


def _wait_held(page: Any, held: list[Any]) -> None:
    for _ in range(100):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page did not ask for the clean worker")


def test_report_page_waits_for_a_file_being_cleaned_and_names_one_not_cleaned(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    page, _ = make_page(server.url)
    held = _hold_worker(page)
    page.goto(server.url + "/")
    page.wait_for_selector("#fingerprint:not(:empty)", state="attached")
    _fill_form(page, {"held.pdf": made.pdf_with_metadata()})
    _wait_held(page, held)

    # Still being cleaned: Continue does not go on without it, and says why.
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#form-errors:not([hidden])")
    assert STILL_CLEANING in page.inner_text("#form-error-list")
    assert page.is_hidden("#step-review")

    # The worker cannot load: the file is named as not cleaned, not as unreadable.
    for route in held:
        route.abort()
    page.wait_for_selector("#file-list li input.send-original")
    page.click("#report-form button[type=submit]")
    page.wait_for_function(
        "t => document.querySelector('#form-error-list').innerText.includes(t)", arg=NOT_CLEANED
    )
    errors = page.inner_text("#form-error-list")
    assert STILL_CLEANING not in errors and UNREADABLE not in errors
    assert page.is_hidden("#step-review")

    page.locator("#file-list li", has_text="held.pdf").locator("input.send-original").check()
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#step-review:not([hidden])")
    assert "held.pdf (sent as it is)" in page.inner_text("#review-files")


def _status_page(page: Any, server: LiveServer, receipt: str) -> None:
    page.goto(server.url + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    _enter(page, receipt)
    page.wait_for_selector("#step-next:not([hidden])")
    new = str(page.get_attribute("#next-text", "data-receipt"))
    page.fill("#next-last-group", new.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#step-status:not([hidden])")
    page.wait_for_selector("#report-check:not(:empty)")


def test_followup_sends_no_message_without_a_chosen_file(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    sub, _ = _file_case(server)
    page, watch = make_page(server.url)
    _status_page(page, server, sub.receipt.text)
    held = _hold_worker(page)
    page.fill("#compose-text", "The signed invoice is attached.")
    page.set_input_files(
        "#compose-files",
        [{"name": "held.pdf", "mimeType": "application/pdf", "buffer": made.pdf_with_metadata()}],
    )
    _wait_held(page, held)

    page.click("#compose-send")
    page.wait_for_selector("#compose-error:not(:empty)")
    assert STILL_CLEANING in page.inner_text("#compose-error")

    for route in held:
        route.abort()
    item = page.locator("#compose-file-list li", has_text="held.pdf")
    item.locator("input.send-original").wait_for()
    page.click("#compose-send")
    page.wait_for_function(
        "t => document.querySelector('#compose-error').innerText.includes(t)", arg=NOT_CLEANED
    )
    assert UNREADABLE not in page.inner_text("#compose-error")
    assert _posts(watch, "/v1/followup/messages") == []
    assert page.locator("#messages > li").count() == 0

    # Ticked to go as it is: the message goes, with the file.
    item.locator("input.send-original").check()
    page.click("#compose-send")
    page.wait_for_selector("#messages > li.message.reporter")
    assert "held.pdf" in page.inner_text("#messages > li.message.reporter")
    assert page.inner_text("#compose-error") == ""


def test_followup_days_in_the_pages_language_on_the_utc_day(
    make_page: Any, live_server: LiveServer
) -> None:
    server = live_server
    sub, case_id = _file_case(server)
    server.reply_as(_admin(server), case_id, "We received it.")
    today = datetime.now(UTC).date()
    page, _ = make_page(server.url)
    # Eight or more hours behind UTC: a day read as local midnight would show the day before.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setTimezoneOverride", {"timezoneId": "America/Los_Angeles"})
    assert page.evaluate("new Date().getTimezoneOffset()") >= 420
    _status_page(page, server, sub.receipt.text)
    page.wait_for_selector("#messages > li.message.team")

    english = f"{today:%B} {today.day}, {today.year}"
    received = page.locator("#status-list time").first
    assert received.get_attribute("datetime") == today.isoformat()
    assert received.inner_text() == english
    assert english in page.inner_text("#messages > li.message.team .message-head")
    assert english in page.inner_text("#status-waiting")
    assert today.isoformat() not in page.inner_text("#step-status")

    # Another language writes the same day its own way, without a reload.
    german = f"{today.day}. {GERMAN_MONTHS[today.month - 1]} {today.year}"
    page.click(".lang-btn[data-lang=de]")
    assert received.inner_text() == german
    assert german in page.inner_text("#messages > li.message.team .message-head")
    assert german in page.inner_text("#status-waiting")


GERMAN_MONTHS = [
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
]  # fmt: skip
