"""The reporter's follow-up page in Chromium against ``candor serve``, on a
phone and a desktop, in German and English (issue 19 items 2, 8, 9, 13):

- the receipt trap: nothing of the case is shown before the new receipt is
  proven saved (its last group typed back) and the rotation committed; until
  then the page says the old receipt still works, and it does; a reporter who
  leaves at the status page comes back with the receipt it told them to keep;
- the status says whether a team message waits; messages newest first, the
  report folded;
- the receipt typed into seven boxes that wrap, the failing group named;
- the language carried in the links between the pages, never stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from candor.client import ApiClient, ApiError, HttpTransport
from candor.receipt import Receipt
from candor.reporter import Submission, submit
from tests.browser.conftest import run_axe, screenshot
from tests.support.live import LiveMember, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LOCALES = {"en": "en-US", "de": "de-DE"}
VARIANTS = [("phone", "de"), ("desktop", "en"), ("phone", "en"), ("desktop", "de")]
FORM = {"category": "harassment", "summary": "A manager shouts at interns.", "details": "Mondays."}
TEXTS = {
    "en": {"waiting_two": "Yes: 2 messages", "waiting_none": "No", "group": "Group {n}",
           "label3": "Group 3 of 7", "typo": "typo", "unknown": "not recognised"},
    "de": {"waiting_two": "Ja: 2 Nachrichten", "waiting_none": "Nein", "group": "Gruppe {n}",
           "label3": "Gruppe 3 von 7", "typo": "Tippfehler", "unknown": "nicht erkannt"},
}  # fmt: skip


def _anonymous(server: LiveServer) -> ApiClient:
    return ApiClient(HttpTransport(server.url))


def _file_case(server: LiveServer) -> tuple[Submission, str]:
    """A report filed by the Python reporter client (what the page sends); its case id."""
    sub = submit(_anonymous(server), server.manifest, FORM)
    admin = _admin(server)
    (case,) = server.team_get(admin, "/v1/team/cases")["cases"]
    return sub, str(case["id"])


def _admin(server: LiveServer) -> LiveMember:
    return next(m for m in server.team if m.role == "admin")


def _opens(server: LiveServer, receipt: str) -> bool:
    """Whether `receipt` is current: `open` only reads, it retires nothing."""
    auth = Receipt.parse(receipt).auth_b64
    try:
        _anonymous(server).call("POST", "/v1/followup/open", {"auth": auth}, signed=False)
    except ApiError as err:
        if err.code != "receipt_unknown":
            raise
        return False
    return True


def _enter(page: Any, receipt: str) -> None:
    """Paste the whole receipt into the first box (it spreads over the seven) and open."""
    page.fill("#receipt-input", receipt)
    page.click("#open")


def _posts(watch: Any, path: str) -> list[str]:
    return [r for r in watch.requests if r.startswith("POST ") and r.endswith(path)]


@pytest.mark.parametrize(("viewport", "lang"), VARIANTS)
def test_leaving_at_the_status_page_keeps_a_working_receipt(
    make_page: Any, live_server: LiveServer, viewport: str, lang: str
) -> None:
    server, texts = live_server, TEXTS[lang]
    sub, case_id = _file_case(server)
    old = sub.receipt.text
    server.reply_as(_admin(server), case_id, "First answer: we received it.")
    server.reply_as(_admin(server), case_id, "Second answer: who else was there?")
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.goto(server.url + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    _enter(page, old)

    # Nothing of the case before the rotation: the new receipt comes first, and the page
    # says plainly that the old one still works, and which one that is.
    page.wait_for_selector("#step-next:not([hidden])")
    assert page.is_hidden("#step-status") and page.inner_text("#status-list") == ""
    assert _posts(watch, "/v1/followup/thread") == []
    assert old.split("-")[-1] in page.inner_text("#old-still-works")
    new = str(page.get_attribute("#next-text", "data-receipt"))
    assert new != old and _opens(server, old) and not _opens(server, new)
    screenshot(page, f"followup-next-{viewport}-{lang}")
    assert run_axe(page) == []

    # The confirmation proves the receipt was saved: a wrong last group rotates nothing.
    page.fill("#next-last-group", old.split("-")[-1])
    page.click("#next-continue")
    page.wait_for_selector("#next-last-group-error:not(:empty)")
    assert page.get_attribute("#next-last-group", "aria-invalid") == "true"
    assert _posts(watch, "/v1/followup/rotate") == [] and _opens(server, old)
    page.fill("#next-last-group", new.split("-")[-1].lower())
    page.click("#next-continue")

    # Committed first, then the status: it names the receipt to keep, and says a team
    # message waits; messages newest first, the report folded.
    page.wait_for_selector("#step-status:not([hidden])")
    assert new.split("-")[-1] in page.inner_text("#committed")
    # The moment the status shows, the receipt the page told the reporter to keep works.
    assert _opens(server, new) and not _opens(server, old)
    page.wait_for_selector("#status-waiting.waiting")
    assert texts["waiting_two"] in page.inner_text("#status-waiting")
    items = page.locator("#messages > li.message")
    assert items.count() == 2
    assert "Second answer" in items.nth(0).inner_text()
    assert "First answer" in items.nth(1).inner_text()
    page.wait_for_selector("#report-check.alert-ok")
    assert page.get_attribute("#own-report-details", "open") is None
    assert page.is_hidden("#own-report")
    assert page.evaluate("document.documentElement.lang") == lang
    screenshot(page, f"followup-status-{viewport}-{lang}")
    assert run_axe(page) == []
    page.click("#own-report-details summary")
    assert "A manager shouts at interns." in page.inner_text("#own-report")

    # An answer goes on top, and nothing waits any more.
    page.fill("#compose-text", "Only the interns.")
    page.click("#compose-send")
    page.wait_for_selector("#messages > li:nth-child(3)")
    assert "Only the interns." in page.locator("#messages > li").nth(0).inner_text()
    assert texts["waiting_none"] in page.inner_text("#status-waiting")

    # The reporter leaves at the status page (no prompt holds them) and comes back
    # with the receipt the page told them to keep: it works; the old one does not.
    page.goto("about:blank")
    assert page.url == "about:blank"
    assert not _opens(server, old) and _opens(server, new)
    back, back_watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    back_watch.expect_error("status of 404")
    back.goto(server.url + "/followup.html")
    _enter(back, old)
    back.wait_for_selector("#open-error:not([hidden])")
    assert texts["unknown"] in back.inner_text("#open-error")
    _enter(back, new)
    back.wait_for_selector("#step-next:not([hidden])")


@pytest.mark.parametrize(("viewport", "lang"), VARIANTS[:2])
def test_leaving_before_confirming_keeps_the_old_receipt(
    make_page: Any, live_server: LiveServer, viewport: str, lang: str
) -> None:
    """Until the reporter confirms, the old receipt works and the new one does not,
    exactly as the page says."""
    server = live_server
    sub, _ = _file_case(server)
    old = sub.receipt.text
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.goto(server.url + "/followup.html")
    _enter(page, old)
    page.wait_for_selector("#step-next:not([hidden])")
    new = str(page.get_attribute("#next-text", "data-receipt"))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("about:blank")
    assert page.url == "about:blank"
    assert _posts(watch, "/v1/followup/rotate") == []

    again, again_watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    again_watch.expect_error("status of 404")
    again.goto(server.url + "/followup.html")
    _enter(again, new)
    again.wait_for_selector("#open-error:not([hidden])")
    _enter(again, old)
    again.wait_for_selector("#step-next:not([hidden])")


@pytest.mark.parametrize(("viewport", "lang"), VARIANTS)
def test_receipt_in_seven_boxes_names_the_failing_group(
    make_page: Any, live_server: LiveServer, viewport: str, lang: str
) -> None:
    server, texts = live_server, TEXTS[lang]
    receipt = Receipt.generate().text
    groups = receipt.split("-")
    page, watch = make_page(server.url, viewport=viewport, locale=LOCALES[lang])
    page.goto(server.url + "/followup.html")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    boxes = page.locator(".receipt-boxes input")
    assert boxes.count() == 7
    width = page.viewport_size["width"]
    rects = [boxes.nth(i).bounding_box() for i in range(7)]
    assert all(r["x"] >= 0 and r["x"] + r["width"] <= width for r in rects)
    rows = {round(r["y"]) for r in rects}
    assert (len(rows) > 1) == (viewport == "phone"), rows
    assert boxes.nth(2).get_attribute("aria-label") == texts["label3"]

    # Typed group by group, the cursor moves on by itself.
    page.click("#receipt-input")
    page.keyboard.type("".join(groups))
    assert [boxes.nth(i).input_value() for i in range(7)] == groups
    assert page.evaluate("document.activeElement.id") == "receipt-input-7"

    # A typo in group 3 is named and marked; nothing is sent.
    wrong = groups[2][:3] + ("0" if groups[2][3] != "0" else "1")
    boxes.nth(2).fill(wrong)
    page.click("#open")
    page.wait_for_selector("#receipt-error:not(:empty)")
    error = page.inner_text("#receipt-error")
    assert texts["group"].format(n=3) in error and texts["typo"] in error
    assert boxes.nth(2).get_attribute("aria-invalid") == "true"
    assert boxes.nth(0).get_attribute("aria-invalid") is None
    screenshot(page, f"followup-receipt-typo-{viewport}-{lang}")
    assert run_axe(page) == []

    # A short group and a foreign character are named too.
    boxes.nth(2).fill(groups[2])
    boxes.nth(4).fill(groups[4][:3])
    page.click("#open")
    page.wait_for_selector("#receipt-input-5[aria-invalid=true]")
    assert texts["group"].format(n=5) in page.inner_text("#receipt-error")
    boxes.nth(4).fill(groups[4][:3] + "U")
    page.click("#open")
    page.wait_for_selector("#receipt-input-5[aria-invalid=true]")
    assert page.get_attribute("#receipt-input-3", "aria-invalid") is None
    assert [r for r in watch.requests if r.startswith("POST ")] == []


@pytest.mark.parametrize(
    ("viewport", "lang", "other"), [("phone", "de", "en"), ("desktop", "en", "de")]
)
def test_language_travels_in_the_links(
    make_page: Any, live_server: LiveServer, viewport: str, lang: str, other: str
) -> None:
    """The browser asks for `other`; the reporter picks `lang` on the report page, and
    the follow-up page (and the way back) keep it, through the URL alone."""
    server = live_server
    page, _ = make_page(server.url, viewport=viewport, locale=LOCALES[other])
    page.goto(server.url + "/")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == other
    page.click(f".lang-btn[data-lang={lang}]")
    # The receipt screen's link and the navigation both carry it.
    assert page.get_attribute("#to-followup", "href") == f"followup.html?lang={lang}"
    page.click(".nav a[href^='followup.html']")
    page.wait_for_url(f"**/followup.html?lang={lang}")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == lang
    assert page.get_attribute(".lang-btn[aria-pressed=true]", "data-lang") == lang
    # Back to the report page: still `lang`; switching there changes the links again.
    page.click(".nav a[href^='index.html']")
    page.wait_for_url(f"**/index.html?lang={lang}")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == lang
    page.click(f".lang-btn[data-lang={other}]")
    assert page.get_attribute("#to-followup", "href") == f"followup.html?lang={other}"
    # An unknown language in the URL falls back to the browser's.
    page.goto(server.url + "/followup.html?lang=xx")
    page.wait_for_selector("main:not([hidden]) h1:not(:empty)")
    assert page.evaluate("document.documentElement.lang") == other


def test_open_pressed_before_the_team_list_loads_still_opens(
    make_page: Any, live_server: LiveServer
) -> None:
    """On a slow network a reporter may press Open before the page has the
    team's manifest chain: the page waits for it instead of doing nothing."""
    server = live_server
    sub, _ = _file_case(server)
    page, _ = make_page(server.url)
    held: list[Any] = []
    page.route("**/v1/manifest*", lambda route: held.append(route))  # answered after Open
    page.goto(server.url + "/followup.html", wait_until="domcontentloaded")
    page.fill("#receipt-input", sub.receipt.text)
    page.click("#open")
    page.wait_for_timeout(300)
    assert held, "the page fetches the manifest chain"
    for route in held:
        route.continue_()
    page.wait_for_selector("#step-next:not([hidden])")
